import type { PhysicalBus } from "../bus.js";
import type { Address } from "../types.js";
import { type Access, KIND_USER, KIND_WRITE, REASON, accessKind, kindOperation } from "./access.js";
import { TWO_32, isCanonical, splitAddress } from "./address.js";
import { type Geometry, PAGE_BYTES, PAGE_SHIFT, levelShift } from "./geometry.js";
import { ENTRY_LEAF, ENTRY_TABLE, type PagingRules, RIGHTS_GLOBAL, foldTableRights, tableAddressOf } from "./mode.js";
import { PagingTlb, SLOT_DOUBLES } from "./tlb.js";

const DEFAULT_TLB_ENTRIES = 64;
const OFFSET_MASK = PAGE_BYTES - 1;
/**
 * The shift from an address to its TLB slot's first double (16 per slot), a module-local
 * constant: TurboFan folds a local `const` into the code but loads an imported binding
 * from its module cell, with a TDZ check, on every hit.
 */
const HIT_SHIFT = PAGE_SHIFT - Math.log2(SLOT_DOUBLES);
/** Kind bits of the two write kinds (supervisor and user). */
const WRITE_KINDS = (1 << KIND_WRITE) | (1 << (KIND_WRITE + KIND_USER));

/**
 * Optional observers for emulators (dirty tracking, shadow structures). Unused hooks cost
 * nothing on a TLB hit; a walk tests one field per hook.
 */
export interface MmuHooks {
  /** After a walk caches page `key` (signed virtual page number) → physical page `frame` for the kinds in `kinds`. */
  readonly onTlbFill?: (key: number, frame: number, kinds: number) => void;
  /** After the walk sets accessed/dirty bits: the entry's physical address, its old and new low word. */
  readonly onEntryUpdate?: (address: number, oldLow: number, newLow: number) => void;
}

/** Options every MMU takes. */
export interface PagingMmuOptions {
  /** The physical memory holding the tables and pages. */
  readonly bus: PhysicalBus;
  /** TLB slots, 0 or a power of two. Default 64. */
  readonly tlbEntries?: number;
  /** Observers of TLB fills and accessed/dirty writes (none by default). */
  readonly hooks?: MmuHooks;
}

/**
 * The TLB's live arrays, for an emulator that inlines the hit test into its own hot loop
 * the way QEMU's generated code compares a `CPUTLBEntry` before calling `tlb_fill`:
 *
 * ```ts
 * const { entries, mask } = mmu.tlbProbe();
 * const i = ((vaddr >>> 8) & mask) | (kind << 1);
 * const phys = entries[i] === vaddr - (vaddr & 4095) ? vaddr + entries[i + 1] : mmu.lookup(vaddr, kind);
 * ```
 *
 * (`vaddr` as `lookup` takes it; `>>>` and `&` read its low 32 bits, exact for any safe
 * integer, and no other number can equal a tag.)
 *
 * The arrays belong to the MMU for its lifetime (flushes and fills write into them), so a
 * probe always sees the TLB's current contents: the semantics are `lookup`'s.
 */
export interface TlbProbe {
  /**
   * 16 doubles per slot, a pair per access kind at `i = slot × 16 + kind × 2`: at `i` the
   * page's virtual base address when that kind may hit, else NaN; at `i + 1` physical −
   * virtual page base (QEMU's `addend`).
   */
  readonly entries: Float64Array;
  /** (TLB size − 1) × 16: a slot's first double is at `(vaddr >>> 8) & mask`. */
  readonly mask: number;
}

/** One level of a walk, as {@link PagingMmu.walk} explains it (entries as in RAM after the access). */
export interface WalkStep {
  /** The table level (0 = the last table walked). */
  readonly level: number;
  /** The entry's index in its table. */
  readonly index: number;
  /** The entry's physical address. */
  readonly entryAddress: number;
  /** The entry: a bigint (64-bit entries as two words, 4-byte entries zero-extended). */
  readonly entry: bigint;
  /** `table` (points at the next table), `leaf` (maps the page) or `fault` (the walk stopped here). */
  readonly role: "table" | "leaf" | "fault";
}

/** Everything one translation looked at, for the CLI and the view. */
export interface WalkExplanation {
  /** The mode walked (its geometry's name). */
  readonly mode: string;
  /** The address as given. */
  readonly vaddr: Address;
  /** The access kind (0–5), or -1 when the state does not translate (RISC-V M-mode). */
  readonly kind: number;
  /** Paging is on (else the address is its own physical address). */
  readonly paging: boolean;
  /** The translation came from the TLB (RAM may disagree: a stale entry). */
  readonly tlbHit: boolean;
  /** Physical address of the root table (CR3 / satp.PPN × 4096). */
  readonly root: number;
  /** Every level read, root first, up to the leaf or the entry that faulted (empty when paging is off or the address is not canonical). */
  readonly steps: readonly WalkStep[];
  /** Bytes of the page (4096, or a large page's size); 0 on a fault. */
  readonly pageSize: number;
  /** The physical address, or null on a fault. */
  readonly physical: number | null;
  /** `-1 - result` of the failed translation (see `tryTranslate`), or null. */
  readonly faultCode: number | null;
  /** The fault's `REASON` code, or null. */
  readonly faultReason: number | null;
  /** The level whose entry failed (-1 for a canonical-address fault), or null. */
  readonly faultLevel: number | null;
}

/**
 * The walk engine every mode's MMU extends: TLB, table walk and fault bookkeeping, driven
 * by a mode's {@link PagingRules}. Subclasses own the CPU state and call {@link setRules}
 * when it changes (null rules = paging off: every address is its own physical address).
 *
 * Entry points, fastest first:
 * - `lookup(vaddr, kind)`: `vaddr` a safe-integer number (in 64-bit modes the
 *   two's-complement reading of the address, so upper-half kernel addresses are negative:
 *   0xFFFFFFFF80000000 is `-0x80000000`), `kind` from `accessKind` (0–5). A TLB hit is two
 *   typed-array loads, one compare and one add, no bigint, no allocation. Only a safe
 *   integer of the mode can hit; anything else is validated on the miss path.
 * - `lookupHalves(hi, lo, kind)`: the address as unsigned 32-bit halves, for any 64-bit value.
 * - `tryTranslate(vaddr, access)`, `translate(vaddr, access)`: numbers or bigints, validated;
 *   `translate` throws the mode's fault.
 * All return the physical address, or (non-throwing ones) `-1 - code`, `code` being the
 * mode's fault code (x86: error code, `| X86_GP_FAULT` for #GP; RISC-V: the cause); the
 * reason and level of the last fault are in `faultReason` / `faultLevel`.
 */
export abstract class PagingMmu {
  /** The physical memory the tables are read from and accessed/dirty bits written to. */
  protected readonly bus: PhysicalBus;
  readonly #tlb: PagingTlb;
  readonly #entries: Float64Array;
  /** (TLB size − 1) × 16: the slot's first double is at `(vaddr >>> 8) & #mask`. */
  readonly #mask: number;
  readonly #hooks: MmuHooks;
  /** The bus's word view (`PhysicalBus.wordView`), or null. */
  readonly #words: Uint32Array | null;
  #rules: PagingRules | null = null;
  #geometry: Geometry;
  #root = 0;
  #levelShifts = new Int32Array(0);
  #indexMasks = new Int32Array(0);
  /** vaBits − 33 in 64-bit modes (hi's sign-extension shift); 32 in 32-bit modes (no check). */
  #canonicalShift = 32;
  #walks = 0;
  #faultReason = 0;
  #faultLevel = -1;

  protected constructor(options: PagingMmuOptions, geometry: Geometry) {
    this.bus = options.bus;
    this.#tlb = new PagingTlb(options.tlbEntries ?? DEFAULT_TLB_ENTRIES);
    this.#entries = this.#tlb.entries;
    this.#mask = this.#tlb.mask * SLOT_DOUBLES;
    this.#hooks = options.hooks ?? {};
    this.#words = options.bus.wordView?.() ?? null;
    this.#geometry = geometry;
  }

  /** The geometry of the current mode. */
  get geometry(): Geometry {
    return this.#geometry;
  }

  /** Whether paging is on. */
  get paging(): boolean {
    return this.#rules !== null;
  }

  /** Table walks done since creation (every translation that missed the TLB). */
  get walks(): number {
    return this.#walks;
  }

  /** TLB slots. */
  get tlbEntries(): number {
    return this.#tlb.size;
  }

  /** The TLB's live arrays for an inlined hit test (see {@link TlbProbe}). */
  tlbProbe(): TlbProbe {
    return { entries: this.#entries, mask: this.#mask };
  }

  /** TLB slots holding a translation. O(TLB size). */
  tlbOccupancy(): number {
    return this.#tlb.occupancy();
  }

  /** The numeric reason (`REASON`) of the last failed translation. */
  get faultReason(): number {
    return this.#faultReason;
  }

  /** The level whose entry failed in the last failed translation (-1: before the walk). */
  get faultLevel(): number {
    return this.#faultLevel;
  }

  /**
   * The hot path: translates the safe-integer address `vaddr` for access kind `kind`.
   * Returns the physical address or `-1 - code`. See the class comment for the address form.
   *
   * @throws {MemoryError} `InvalidAddress` on a TLB miss for a value that is no address of the mode.
   */
  lookup(vaddr: number, kind: number): number {
    // `>>>` and `&` read the low 32 bits of the (integer) address: the slot and the page base
    // without a division; a non-integer's "page base" is no page base, so it never hits.
    const i = ((vaddr >>> HIT_SHIFT) & this.#mask) | (kind << 1);
    if (this.#entries[i] === vaddr - (vaddr & OFFSET_MASK)) return vaddr + (this.#entries[i + 1] as number);
    return this.#lookupMiss(vaddr, kind);
  }

  /** `lookup`'s miss path, out of line so that the hit path stays small enough to inline. */
  #lookupMiss(vaddr: number, kind: number): number {
    if (this.#geometry.signExtended ? !Number.isSafeInteger(vaddr) : vaddr >>> 0 !== vaddr) splitAddress(vaddr, this.#geometry, "translate");
    // vaddr is a safe integer here: its halves without allocating (ToUint32 wraps negatives).
    return this.#miss(Math.floor(vaddr / TWO_32) >>> 0, vaddr >>> 0, kind);
  }

  /**
   * Translates the address whose unsigned 32-bit halves are `hi` and `lo` (`hi` is 0 in
   * 32-bit modes) for kind `kind`: the physical address or `-1 - code`. No bigint.
   */
  lookupHalves(hi: number, lo: number, kind: number): number {
    const vaddr = (hi | 0) * TWO_32 + (lo >>> 0);
    const i = ((lo >>> HIT_SHIFT) & this.#mask) | (kind << 1);
    if (this.#entries[i] === vaddr - (lo & OFFSET_MASK)) return vaddr + (this.#entries[i + 1] as number);
    return this.#miss(hi >>> 0, lo >>> 0, kind);
  }

  /**
   * Translates `vaddr` for `access`: the physical address, or `-1 - code` on a fault.
   *
   * @throws {MemoryError} `InvalidAddress` when `vaddr` is no address of the mode.
   */
  tryTranslate(vaddr: Address, access?: Access): number {
    const [hi, lo] = splitAddress(vaddr, this.#geometry, "translate");
    const kind = this.kindOf(access);
    return kind < 0 ? hi * TWO_32 + lo : this.lookupHalves(hi, lo, kind);
  }

  /** The access kind of `access` in the current state, or -1 when such accesses are not translated (RISC-V M-mode). */
  protected kindOf(access: Access | undefined): number {
    return accessKind(access);
  }

  /**
   * Explains the translation of `vaddr` for `access`: every level's entry (as in RAM after
   * the access), whether the TLB answered, and the result or the fault. It performs the
   * access (same TLB fill and A/D updates as `translate`), then re-reads the path.
   *
   * @throws {MemoryError} `InvalidAddress` when `vaddr` is no address of the mode.
   */
  walk(vaddr: Address, access?: Access): WalkExplanation {
    const [hi, lo] = splitAddress(vaddr, this.#geometry, "translate");
    const kind = this.kindOf(access);
    const key = (hi | 0) * (TWO_32 / PAGE_BYTES) + (lo >>> PAGE_SHIFT);
    const tlbHit = kind >= 0 && this.#tlb.hits(key, kind);
    const result = kind < 0 ? hi * TWO_32 + lo : this.lookupHalves(hi, lo, kind);
    const steps = this.#rules === null || kind < 0 || !isCanonical(hi, lo, this.#geometry) ? [] : this.#trace(this.#rules, hi, lo);
    const last = steps[steps.length - 1];
    return {
      mode: this.#geometry.name,
      vaddr,
      kind,
      paging: this.#rules !== null && kind >= 0,
      tlbHit,
      root: this.#root,
      steps,
      pageSize: result < 0 ? 0 : last === undefined ? PAGE_BYTES : 2 ** levelShift(this.#geometry, last.level),
      physical: result < 0 ? null : result,
      faultCode: result < 0 ? -1 - result : null,
      faultReason: result < 0 ? this.#faultReason : null,
      faultLevel: result < 0 ? this.#faultLevel : null,
    };
  }

  /** Installs the rules (null: paging off) and root table of a new CPU state; the caller flushes. */
  protected setRules(rules: PagingRules | null, root: number, geometry: Geometry): void {
    this.#rules = rules;
    this.#root = root;
    this.#geometry = geometry;
    this.#levelShifts = Int32Array.from({ length: geometry.levels }, (_, level) => levelShift(geometry, level));
    this.#indexMasks = Int32Array.from(geometry.indexBits, (bits) => (1 << bits) - 1);
    this.#canonicalShift = geometry.signExtended ? geometry.vaBits - 33 : 32;
  }

  /** Drops the cached translation of page `key` (all of a large page), keeping globals when asked. */
  protected invalidatePage(key: number, keepGlobal: boolean): void {
    this.#tlb.invalidatePage(key, keepGlobal);
  }

  /** Drops every cached translation, or every non-global one. */
  protected flush(keepGlobal: boolean): void {
    this.#tlb.flush(keepGlobal);
  }

  /** The signed page key of `vaddr` (validated), for invalidation by address. */
  protected pageKey(vaddr: Address, action: string): number {
    const [hi, lo] = splitAddress(vaddr, this.#geometry, action);
    return (hi | 0) * (TWO_32 / PAGE_BYTES) + (lo >>> PAGE_SHIFT);
  }

  #miss(hi: number, lo: number, kind: number): number {
    const rules = this.#rules;
    if (rules === null) return hi * TWO_32 + lo;
    // Canonical: bits 63…vaBits−1 all equal (isCanonical, inlined).
    const top = (hi | 0) >> this.#canonicalShift;
    if (this.#canonicalShift < 32 && top !== 0 && top !== -1) return this.#fault(rules, REASON.nonCanonical, -1, kind, Number.NaN);
    this.#walks++;
    return this.#walk(rules, hi, lo, kind);
  }

  #fault(rules: PagingRules, reason: number, level: number, kind: number, key: number): number {
    this.#faultReason = reason;
    this.#faultLevel = level;
    if (!Number.isNaN(key)) this.#tlb.invalidatePage(key, false);
    return -1 - rules.faultCode(reason, kind);
  }

  /** The CPU's walk (the engine proper): reads each level's entry as two 32-bit words, sets A level by level, checks the leaf, fills the TLB. */
  #walk(rules: PagingRules, hi: number, lo: number, kind: number): number {
    const g = this.#geometry;
    const bus = this.bus;
    const wide = g.entryBytes === 8;
    const key = (hi | 0) * (TWO_32 / PAGE_BYTES) + (lo >>> PAGE_SHIFT);
    let table = this.#root;
    let rights = rules.initialRights;
    const words = this.#words;
    const shifts = this.#levelShifts;
    const masks = this.#indexMasks;
    const entryBytes = g.entryBytes;
    for (let level = g.levels - 1; level >= 0; level--) {
      const shift = shifts[level] as number;
      // The level's index: from hi, from lo, or straddling both (x86-64 level 2: bits 30–38;
      // the one field at bit > 23 that does not straddle, the PAE PDPT index, has hi = 0).
      const index = (shift >= 32 ? hi >>> (shift - 32) : shift > 23 ? (lo >>> shift) | (hi << (32 - shift)) : lo >>> shift) & (masks[level] as number);
      const address = table + index * entryBytes;
      // Straight from the bus's word view when it covers the entry, else through the bus.
      const word = address / 4;
      let entryLo: number;
      let entryHi: number;
      if (words !== null && word + 1 < words.length && (address & 3) === 0) {
        entryLo = words[word] as number;
        entryHi = wide ? (words[word + 1] as number) : 0;
      } else {
        entryLo = bus.read32(address);
        entryHi = wide ? bus.read32(address + 4) : 0;
      }
      const role = rules.classify(entryLo, entryHi, level);
      if (role === ENTRY_TABLE) {
        if ((rules.markedTableLevels & (1 << level)) !== 0) this.#setBits(address, entryLo, rules.accessedBit);
        rights = foldTableRights(rules, rights, entryLo, entryHi, level);
        table = tableAddressOf(rules, entryLo, entryHi);
        continue;
      }
      if (role !== ENTRY_LEAF) return this.#fault(rules, role, level, kind, key);
      if ((rules.earlyAccessedLevels & (1 << level)) !== 0) entryLo = this.#setBits(address, entryLo, rules.accessedBit);
      const bad = rules.checkLeaf(entryLo, entryHi, level);
      if (bad !== 0) return this.#fault(rules, bad, level, kind, key);
      rights = rules.combineLeaf(rights, entryLo, entryHi, level);
      const allowed = rules.kindsByRights[rights & rules.rightsMask] as number;
      if ((allowed & (1 << kind)) === 0) return this.#fault(rules, rules.denyReason(rights, kind), level, kind, key);
      const set = rules.accessedBit | (kindOperation(kind) === KIND_WRITE ? rules.dirtyBit : 0);
      if ((entryLo & set) !== set) {
        if (!rules.hardwareAccessedDirty) return this.#fault(rules, REASON.accessedDirty, level, kind, key);
        entryLo = this.#setBits(address, entryLo, set);
      }
      const physical = rules.pageAddress(entryLo, entryHi, level) + offsetWithin(hi, lo, shift);
      const kinds = (entryLo & rules.dirtyBit) !== 0 ? allowed : allowed & ~WRITE_KINDS;
      const frame = physical - (lo & OFFSET_MASK);
      if (this.#tlb.size !== 0) this.#tlb.fill(key, frame, kinds, shift - PAGE_SHIFT, (rights & RIGHTS_GLOBAL) !== 0);
      if (this.#hooks.onTlbFill !== undefined) this.#hooks.onTlbFill(key, frame, kinds);
      return physical;
    }
    return this.#fault(rules, REASON.noLeaf, 0, kind, key);
  }

  /** Sets `bits` in the entry's low word at `address` (one 32-bit store, only when one is clear); returns the new word. */
  #setBits(address: number, entryLo: number, bits: number): number {
    if ((entryLo & bits) === bits) return entryLo;
    const updated = (entryLo | bits) >>> 0;
    this.bus.write32(address, updated);
    if (this.#hooks.onEntryUpdate !== undefined) this.#hooks.onEntryUpdate(address, entryLo, updated);
    return updated;
  }

  /** Re-reads the path of `hi:lo` without side effects, for {@link walk}. */
  #trace(rules: PagingRules, hi: number, lo: number): WalkStep[] {
    const g = this.#geometry;
    const steps: WalkStep[] = [];
    let table = this.#root;
    for (let level = g.levels - 1; level >= 0; level--) {
      const index = indexAt(hi, lo, levelShift(g, level), g.indexBits[level] ?? 0);
      const entryAddress = table + index * g.entryBytes;
      const entryLo = this.bus.read32(entryAddress);
      const entryHi = g.entryBytes === 8 ? this.bus.read32(entryAddress + 4) : 0;
      const role = rules.classify(entryLo, entryHi, level);
      const leafOk = role === ENTRY_LEAF && rules.checkLeaf(entryLo, entryHi, level) === 0;
      const entry = (BigInt(entryHi) << 32n) | BigInt(entryLo);
      steps.push({ level, index, entryAddress, entry, role: role === ENTRY_TABLE ? "table" : leafOk ? "leaf" : "fault" });
      if (role !== ENTRY_TABLE) break;
      table = tableAddressOf(rules, entryLo, entryHi);
    }
    return steps;
  }
}

/** The `bits`-bit table index at bit `shift` of the address `hi:lo`. */
export function indexAt(hi: number, lo: number, shift: number, bits: number): number {
  const mask = (1 << bits) - 1;
  if (shift >= 32) return (hi >>> (shift - 32)) & mask;
  if (shift + bits <= 32) return (lo >>> shift) & mask;
  return ((lo >>> shift) | (hi << (32 - shift))) & mask;
}

/** The offset of `hi:lo` inside its 2^`shift`-byte page. */
export function offsetWithin(hi: number, lo: number, shift: number): number {
  if (shift >= 32) return (hi & ((1 << (shift - 32)) - 1)) * TWO_32 + (lo >>> 0);
  // A mask, not `%`: a float modulo is a libm call in V8 and dominated the walk's profile.
  return shift === 31 ? lo & 0x7fffffff : lo & ((1 << shift) - 1);
}
