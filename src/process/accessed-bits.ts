import { x86Codec } from "../arch/x86/codec.js";
import { riscvCodec } from "../arch/riscv/codec.js";
import { PTE_A } from "../arch/riscv/pte.js";
import { PTE_ACCESSED } from "../arch/x86/entry.js";
import { type Geometry, PAGE_SHIFT, levelShift } from "../paging/geometry.js";
import type { EntryCodec } from "../paging/mode.js";
import type { ReferenceBits } from "./replacement.js";
import type { ProcessMemory } from "./kernel-half.js";

/** The entry codec of a geometry's mode (for reading leaves). */
function codecOf(g: Geometry): EntryCodec<number> | EntryCodec<bigint> {
  switch (g.name) {
    case "x86":
    case "x86-pae":
    case "x86-64":
    case "x86-64-la57":
      return x86Codec(g.name as "x86-64");
    default:
      return riscvCodec(g.name as "riscv-sv39");
  }
}

/**
 * The hardware accessed bits of user pages, as Clock reads and clears them: the A bit of the
 * 4 KiB leaf mapping a page (x86 bit 5, RISC-V bit 6), which the MMU sets on each walk.
 * Clearing it also calls `invalidate(page)`: a TLB entry would let later accesses go
 * unrecorded (the MMU sets A only when it walks). Pages are page numbers (address / 4096).
 */
export class AccessedBits implements ReferenceBits<number> {
  readonly #memory: ProcessMemory;
  readonly #geometry: Geometry;
  readonly #codec: EntryCodec<number> | EntryCodec<bigint>;
  readonly #bit: number;
  readonly #root: number;
  readonly #invalidate: (page: number) => void;

  constructor(memory: ProcessMemory, geometry: Geometry, root: number, invalidate: (page: number) => void) {
    this.#memory = memory;
    this.#geometry = geometry;
    this.#codec = codecOf(geometry);
    this.#bit = geometry.name.startsWith("x86") ? PTE_ACCESSED : PTE_A;
    this.#root = root;
    this.#invalidate = invalidate;
  }

  isReferenced(page: number): boolean {
    const at = this.#leafAddress(page);
    return at !== null && (this.#memory.read32(at) & this.#bit) !== 0;
  }

  clearReferenced(page: number): void {
    const at = this.#leafAddress(page);
    if (at === null) return;
    this.#memory.write32(at, (this.#memory.read32(at) & ~this.#bit) >>> 0);
    this.#invalidate(page);
  }

  /** The physical address of the level-0 entry mapping `page`, or null when no table leads there. */
  #leafAddress(page: number): number | null {
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
}
