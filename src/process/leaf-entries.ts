import { entryCodecFor } from "../arch/entry-codec-for.js";
import { PTE_A, PTE_D } from "../arch/riscv/pte.js";
import { PTE_ACCESSED, PTE_DIRTY } from "../arch/x86/entry.js";
import { type Geometry, PAGE_SHIFT, levelShift } from "../paging/geometry.js";
import type { EntryCodec } from "../paging/mode.js";
import type { Address, Attributes } from "../types.js";
import type { ProcessMemory } from "./kernel-half.js";

/**
 * The 4 KiB leaf entries of one root's user pages, read and rewritten in place: what a
 * kernel's `change_protection` and copy-on-write do instead of unmapping and mapping again
 * (one walk and one entry write; no table is freed or taken). Pages are page numbers
 * (address / 4096). O(levels) per call.
 */
export class LeafEntries {
  readonly #memory: ProcessMemory;
  readonly #geometry: Geometry;
  readonly #codec: EntryCodec<Address>;
  readonly #root: number;
  /** The accessed bit of a leaf (x86 bit 5, RISC-V bit 6). */
  readonly accessedBit: number;
  /** The accessed and dirty bits, which a rewrite keeps. */
  readonly #kept: number;

  constructor(memory: ProcessMemory, geometry: Geometry, root: number) {
    this.#memory = memory;
    this.#geometry = geometry;
    this.#codec = entryCodecFor(geometry.name);
    this.#root = root;
    const x86 = geometry.name.startsWith("x86");
    this.accessedBit = x86 ? PTE_ACCESSED : PTE_A;
    this.#kept = x86 ? PTE_ACCESSED | PTE_DIRTY : PTE_A | PTE_D;
  }

  /** The physical address of the level-0 entry of `page`, or null when no table leads there (or a large page maps it). */
  address(page: number): number | null {
    const g = this.#geometry;
    let table = this.#root;
    for (let level = g.levels - 1; level >= 0; level--) {
      const span = 2 ** (levelShift(g, level) - PAGE_SHIFT);
      const index = Math.floor(page / span) % 2 ** (g.indexBits[level] ?? 0);
      const at = table + index * g.entryBytes;
      if (level === 0) return at;
      const lo = this.#memory.read32(at);
      const hi = g.entryBytes === 8 ? this.#memory.read32(at + 4) : 0;
      if (!this.#codec.isPresent(lo, hi) || this.#codec.isLeaf(lo, hi, level)) return null;
      table = this.#codec.pageNumber(lo, hi, level) * 4096;
    }
    return null;
  }

  /**
   * Writes the leaf of `page` (not present now) to map `frame` with `attrs` when the table
   * that holds it exists, as a kernel's `set_pte` does; returns false, writing nothing, when a
   * table on the way is missing (the mapper must make it).
   */
  install(page: number, frame: number, attrs: Attributes): boolean {
    const at = this.address(page);
    if (at === null) return false;
    const entry = this.#codec.encodeLeaf(frame / 4096, 0, attrs);
    this.#memory.write32(at, entry.lo >>> 0);
    if (this.#geometry.entryBytes === 8) this.#memory.write32(at + 4, entry.hi >>> 0);
    return true;
  }

  /**
   * Rewrites the present leaf of `page` to map `frame` with `attrs`, keeping its accessed
   * and dirty bits. The caller invalidates the TLB entry.
   *
   * @throws {Error} when `page` has no present 4 KiB leaf (a caller bug: only mapped pages are rewritten).
   */
  rewrite(page: number, frame: number, attrs: Attributes): void {
    const at = this.address(page);
    const lo = at === null ? 0 : this.#memory.read32(at);
    if (at === null || !this.#codec.isPresent(lo, this.#geometry.entryBytes === 8 ? this.#memory.read32(at + 4) : 0)) {
      throw new Error(`Cannot rewrite the leaf of page ${String(page)}: it is not mapped`);
    }
    const entry = this.#codec.encodeLeaf(frame / 4096, 0, attrs);
    this.#memory.write32(at, (entry.lo | (lo & this.#kept)) >>> 0);
    if (this.#geometry.entryBytes === 8) this.#memory.write32(at + 4, entry.hi >>> 0);
  }
}
