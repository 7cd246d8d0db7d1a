import { PD_INDEX_SHIFT, PTE_DIRTY, PTE_USER, PTE_WRITABLE, PT_INDEX_SHIFT } from "./entry.js";

/*
 * The flags as module-local constants too: V8 keeps an exported binding in a module cell and
 * loads it (with a TDZ check) on every use, even inside this module; a local `const` folds.
 */
const WRITABLE = 1 << 0;
const USER = 1 << 1;
const DIRTY = 1 << 2;

/** TLB entry flag: the combined R/W of both levels was set. */
export const TLB_WRITABLE = WRITABLE;
/** TLB entry flag: the combined U/S of both levels was set. */
export const TLB_USER = USER;
/** TLB entry flag: the page's dirty bit is known to be set in RAM (a write may hit). */
export const TLB_DIRTY = DIRTY;
/** TLB entry flag: the translation came from a 4 MiB PDE. */
export const TLB_LARGE = 1 << 3;

const INVALID_TAG = -1;
/** Shift from a virtual page number to its page-directory index. */
const VPN_TO_PD_SHIFT = PD_INDEX_SHIFT - PT_INDEX_SHIFT;

/**
 * A direct-mapped translation lookaside buffer over typed arrays: slot = page number mod
 * size; tag = virtual page number, value = physical page base (exact, up to 2^40) and {@link TLB_WRITABLE} /
 * {@link TLB_USER} / {@link TLB_DIRTY} / {@link TLB_LARGE} flags. A lookup is two or three
 * typed-array reads and allocates nothing. Translations from a 4 MiB page are cached per
 * 4 KiB page and all dropped by an `invalidate` anywhere inside that 4 MiB page, as
 * `invlpg` does on hardware. Size 0 disables caching.
 */
export class Tlb {
  /** Number of slots. */
  readonly size: number;
  readonly #tags: Int32Array;
  /** Physical page bases: doubles, since a 4 MiB page's frame may lie above 4 GiB (PSE-36). */
  readonly #frames: Float64Array;
  readonly #flags: Uint8Array;
  /** `size - 1` when the size is a power of two (slot = vpn & mask, no division), else -1. */
  readonly #mask: number;
  #mayHoldLarge = false;

  /** @throws {RangeError} When `size` is not a non-negative safe integer. */
  constructor(size: number) {
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new RangeError(`Cannot create a TLB of ${String(size)} entries: the size must be a non-negative integer`);
    }
    this.size = size;
    this.#tags = new Int32Array(size).fill(INVALID_TAG);
    this.#frames = new Float64Array(size);
    this.#flags = new Uint8Array(size);
    this.#mask = size > 0 && (size & (size - 1)) === 0 && size <= 2 ** 30 ? size - 1 : -1;
  }

  /** The slot holding page `vpn`, or -1. O(1). */
  lookup(vpn: number): number {
    // An integer `%` is a division (tens of cycles); the default power-of-two size needs a mask.
    const slot = this.#mask >= 0 ? vpn & this.#mask : this.size === 0 ? 0 : vpn % this.size;
    return this.#tags[slot] === vpn ? slot : -1;
  }

  /**
   * The physical page base of page `vpn` when it is cached with every flag an access needs
   * (see {@link requiredTlbFlags}), else -1: the whole hit test, in this module so that
   * its flag constants fold into the caller's code. O(1).
   */
  frameFor(vpn: number, write: boolean, user: boolean, wp: boolean): number {
    const slot = this.lookup(vpn);
    if (slot < 0) return -1;
    // requiredTlbFlags, inlined with the local constants.
    const need = (write ? DIRTY | (user || wp ? WRITABLE : 0) : 0) | (user ? USER : 0);
    return ((this.#flags[slot] as number) & need) === need ? (this.#frames[slot] as number) : -1;
  }

  /** The flags of a slot returned by {@link lookup}. */
  flagsAt(slot: number): number {
    return this.#flags[slot] ?? 0;
  }

  /** The physical page base of a slot returned by {@link lookup}. */
  frameAt(slot: number): number {
    return this.#frames[slot] ?? 0;
  }

  /** Caches page `vpn` → physical page base `frame` with `flags`, evicting the slot's previous page. */
  fill(vpn: number, frame: number, flags: number): void {
    if (this.size === 0) {
      return;
    }
    const slot = this.#mask >= 0 ? vpn & this.#mask : vpn % this.size;
    this.#tags[slot] = vpn;
    this.#frames[slot] = frame;
    this.#flags[slot] = flags;
    if ((flags & TLB_LARGE) !== 0) {
      this.#mayHoldLarge = true;
    }
  }

  /** Drops page `vpn`, and every cached page of the 4 MiB page around it if that one was large. O(1), or O(size) once large pages were cached. */
  invalidate(vpn: number): void {
    const slot = this.lookup(vpn);
    if (slot >= 0) {
      this.#tags[slot] = INVALID_TAG;
    }
    if (!this.#mayHoldLarge) {
      return;
    }
    const pdi = vpn >>> VPN_TO_PD_SHIFT;
    for (let i = 0; i < this.size; i++) {
      const tag = this.#tags[i] ?? INVALID_TAG;
      if (tag !== INVALID_TAG && tag >>> VPN_TO_PD_SHIFT === pdi && ((this.#flags[i] ?? 0) & TLB_LARGE) !== 0) {
        this.#tags[i] = INVALID_TAG;
      }
    }
  }

  /** Drops every entry. O(size). */
  flush(): void {
    this.#tags.fill(INVALID_TAG);
    this.#mayHoldLarge = false;
  }

  /** How many slots hold a translation. O(size). */
  occupancy(): number {
    let count = 0;
    for (const tag of this.#tags) {
      count += tag === INVALID_TAG ? 0 : 1;
    }
    return count;
  }
}

/**
 * The flags a hit must have for an access: {@link TLB_DIRTY} for writes, {@link TLB_WRITABLE}
 * when the write is checked (user mode, or CR0.WP = 1), {@link TLB_USER} for user mode.
 */
export function requiredTlbFlags(write: boolean, user: boolean, wp: boolean): number {
  return (write ? TLB_DIRTY | (user || wp ? TLB_WRITABLE : 0) : 0) | (user ? TLB_USER : 0);
}

/** The TLB flags for combined `rights` (R/W, U/S of both levels) and the page's `entry` (its D bit). */
export function tlbFlagsFor(rights: number, entry: number): number {
  return ((rights & PTE_WRITABLE) !== 0 ? TLB_WRITABLE : 0) | ((rights & PTE_USER) !== 0 ? TLB_USER : 0) | ((entry & PTE_DIRTY) !== 0 ? TLB_DIRTY : 0);
}
