/**
 * A faithful port of the seed kernel's physical memory manager (pluto's `pmm.zig` of the
 * era of `seed/vmm.zig.txt`): one `Bitmap(u32)` bit per block, `alloc` = `setFirstFree`
 * (a linear scan from block 0). The seed keeps the bitmap in a module-global variable; here
 * it is an object so the benchmark can build one per run. Baseline only.
 */

import { SeedBitmap } from "./bitmap.js";
import { SeedError } from "./seed-error.js";

/** The seed's `BLOCK_SIZE` (`arch.MEMORY_BLOCK_SIZE`, 4 KiB on x86). */
export const SEED_BLOCK_SIZE = 4096;

/** The seed PMM: `init`, `setAddr`, `isSet`, `alloc`, `free`, `blocksFree`. */
export class SeedPmm {
  /** The seed's module-global `bitmap: PmmBitmap`. */
  readonly bitmap: SeedBitmap;

  /** Mirrors `init`: `Bitmap(u32).init(mem_kb * 1024 / BLOCK_SIZE)` (no reserved ranges here). */
  constructor(memoryBytes: number) {
    this.bitmap = new SeedBitmap(Math.floor(memoryBytes / SEED_BLOCK_SIZE));
  }

  /** Mirrors `setAddr`: `bitmap.setEntry(addr / BLOCK_SIZE)`. */
  setAddr(addr: number): void {
    this.bitmap.setEntry(Math.floor(addr / SEED_BLOCK_SIZE));
  }

  /** Mirrors `isSet`: `bitmap.isSet(addr / BLOCK_SIZE)`. */
  isSet(addr: number): boolean {
    return this.bitmap.isSet(Math.floor(addr / SEED_BLOCK_SIZE));
  }

  /** Mirrors `alloc`: `setFirstFree()` (scan from block 0), times `BLOCK_SIZE`. */
  alloc(): number | null {
    const entry = this.bitmap.setFirstFree();
    if (entry !== null) {
      return entry * SEED_BLOCK_SIZE;
    }
    return null;
  }

  /**
   * Mirrors `free`: `isSet` then `clearEntry`, else `NotAllocated`.
   *
   * @throws SeedError `NotAllocated` when the block is free; `OutOfBounds` past the end.
   */
  free(addr: number): void {
    const idx = Math.floor(addr / SEED_BLOCK_SIZE);
    if (this.bitmap.isSet(idx)) {
      this.bitmap.clearEntry(idx);
    } else {
      throw new SeedError("NotAllocated");
    }
  }

  /** Mirrors `blocksFree`: `bitmap.num_free_entries`. */
  blocksFree(): number {
    return this.bitmap.numFreeEntries;
  }
}
