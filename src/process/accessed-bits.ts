import type { ReferenceBits } from "./replacement.js";
import type { ProcessMemory } from "./kernel-half.js";
import type { LeafEntries } from "./leaf-entries.js";

/**
 * The hardware accessed bits of user pages, as Clock reads and clears them: the A bit of the
 * 4 KiB leaf mapping a page (x86 bit 5, RISC-V bit 6), which the MMU sets on each walk.
 * Clearing it also calls `invalidate(page)`: a TLB entry would let later accesses go
 * unrecorded (the MMU sets A only when it walks). Pages are page numbers (address / 4096).
 */
export class AccessedBits implements ReferenceBits<number> {
  readonly #memory: ProcessMemory;
  readonly #leaves: LeafEntries;
  readonly #invalidate: (page: number) => void;

  constructor(memory: ProcessMemory, leaves: LeafEntries, invalidate: (page: number) => void) {
    this.#memory = memory;
    this.#leaves = leaves;
    this.#invalidate = invalidate;
  }

  isReferenced(page: number): boolean {
    const at = this.#leaves.address(page);
    return at !== null && (this.#memory.read32(at) & this.#leaves.accessedBit) !== 0;
  }

  clearReferenced(page: number): void {
    const at = this.#leaves.address(page);
    if (at === null) return;
    this.#memory.write32(at, (this.#memory.read32(at) & ~this.#leaves.accessedBit) >>> 0);
    this.#invalidate(page);
  }
}
