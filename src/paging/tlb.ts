import { KIND_COUNT } from "./access.js";
import { PAGE_BYTES } from "./geometry.js";

/** Doubles per slot: a (tag, addend) pair per access kind, padded to a power of two (16 ≥ 2 × 6). */
export const SLOT_DOUBLES = 16;

/**
 * A direct-mapped TLB shared by every mode, laid out for a one-compare hit.
 *
 * A translation is keyed by its virtual page number ("key": the signed page number of the
 * address read as a two's-complement integer, so an upper-half x86-64 page is negative and
 * every key is an exact `number` below 2^45 in magnitude). Slot = key mod size.
 *
 * Like QEMU's `CPUTLBEntry`, which keeps a separate comparator per access type
 * (`addr_read`, `addr_write`, `addr_code`) and a TLB per privilege (`mmu_idx`), each slot
 * has one tag per access kind (read/write/fetch × supervisor/user): a kind's tag holds the
 * page's virtual base address (key × 4096, as QEMU's comparators hold the page address) only
 * when that access may hit. Like QEMU's `addend`, the slot keeps physical − virtual page
 * base, so a hit is: tag load, compare with `vaddr - (vaddr & 4095)`, addend load, add — no
 * division, no permission bits to test, and the slot index comes from `vaddr >>> 12`. Write
 * tags are filled only once the page's dirty bit is known set, so the first write re-walks
 * and sets D, as hardware does.
 *
 * Large pages are cached per 4 KiB page; `invalidatePage` anywhere inside a large page drops
 * every cached 4 KiB piece of it (as `invlpg` / `sfence.vma` do). Entries remember whether
 * they are global so that an address-space switch can keep them.
 */
export class PagingTlb {
  /** Slots (a power of two, or 0 to disable caching). */
  readonly size: number;
  /** `size - 1`. */
  readonly mask: number;
  /**
   * Per slot, 16 doubles (`SLOT_DOUBLES`): for each access kind a pair (as QEMU's
   * `CPUTLBEntry` keeps comparator and addend side by side), at `i = slot × 16 + kind × 2`:
   * at `i` the page's virtual base address (key × 4096) when that kind may hit, else NaN
   * (never equal); at `i + 1` physical − virtual base address of the page (a hit returns
   * `vaddr + addend`). From an address: `i = ((vaddr >>> 8) & (mask << 4)) | (kind << 1)`.
   */
  readonly entries: Float64Array;
  readonly #keys: Float64Array;
  readonly #spans: Uint8Array;
  readonly #global: Uint8Array;
  #large = 0;

  /** @throws {RangeError} When `size` is not 0 or a power of two up to 2^20. */
  constructor(size: number) {
    if (!Number.isSafeInteger(size) || size < 0 || size > 2 ** 20 || (size & (size - 1)) !== 0) {
      throw new RangeError(`Cannot create a TLB of ${String(size)} entries: the size must be 0 or a power of two up to 2^20`);
    }
    this.size = size;
    this.mask = size === 0 ? 0 : size - 1;
    this.entries = new Float64Array(SLOT_DOUBLES * size).fill(NaN);
    this.#keys = new Float64Array(size).fill(NaN);
    this.#spans = new Uint8Array(size);
    this.#global = new Uint8Array(size);
  }

  /**
   * Caches page `key` → physical page `frame` for the access kinds in `kinds` (bit per
   * kind), evicting the slot's previous page. `span` is log2(page bytes) − 12 of the
   * mapping the page came from (0 for a 4 KiB page).
   */
  fill(key: number, frame: number, kinds: number, span: number, global: boolean): void {
    if (this.size === 0) return;
    const slot = key & this.mask;
    this.#keys[slot] = key;
    this.#spans[slot] = span;
    this.#global[slot] = global ? 1 : 0;
    if (span > 0) this.#large++;
    const page = key * PAGE_BYTES;
    for (let kind = 0; kind < KIND_COUNT; kind++) {
      const i = slot * SLOT_DOUBLES + 2 * kind;
      this.entries[i] = (kinds & (1 << kind)) !== 0 ? page : NaN;
      this.entries[i + 1] = frame - page;
    }
  }

  /** Whether page `key` is cached for `kind`. */
  hits(key: number, kind: number): boolean {
    return this.size !== 0 && this.entries[(key & this.mask) * SLOT_DOUBLES + 2 * kind] === key * PAGE_BYTES;
  }

  /**
   * Drops page `key` and, when it lies in a cached large page, every piece of that page.
   * With `keepGlobal`, global entries stay. O(1), or O(size) once large pages were cached.
   */
  invalidatePage(key: number, keepGlobal: boolean): void {
    if (this.size === 0) return;
    const slot = key & this.mask;
    if (this.#keys[slot] === key) this.#dropIf(slot, keepGlobal);
    if (this.#large === 0) return;
    for (let s = 0; s < this.size; s++) {
      const span = this.#spans[s] ?? 0;
      const cached = this.#keys[s] ?? NaN;
      if (span > 0 && Math.floor(cached / 2 ** span) === Math.floor(key / 2 ** span)) this.#dropIf(s, keepGlobal);
    }
  }

  /** Drops every entry, or every non-global one with `keepGlobal`. O(size). */
  flush(keepGlobal: boolean): void {
    for (let s = 0; s < this.size; s++) this.#dropIf(s, keepGlobal);
    if (!keepGlobal) this.#large = 0;
  }

  /** Slots holding a translation. O(size). */
  occupancy(): number {
    let count = 0;
    for (const key of this.#keys) count += Number.isNaN(key) ? 0 : 1;
    return count;
  }

  #dropIf(slot: number, keepGlobal: boolean): void {
    if (Number.isNaN(this.#keys[slot]) || (keepGlobal && this.#global[slot] === 1)) return;
    this.#keys[slot] = NaN;
    for (let kind = 0; kind < KIND_COUNT; kind++) this.entries[slot * SLOT_DOUBLES + 2 * kind] = NaN;
  }
}
