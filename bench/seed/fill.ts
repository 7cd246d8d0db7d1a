/**
 * A fast path for the benchmarks' untimed fill phase on the seed port: while nothing has
 * been freed, the seed's first-fit `setContiguous` always lands on the first block past the
 * allocations so far, and the PMM's `setFirstFree` likewise hands out the next physical block
 * in order. This applies exactly the seed `alloc`'s effects (same `setEntry`, `pmm.setAddr`,
 * per-block `mapFn`, same allocation-table entry) without the O(n) scans, so a 50% fill of
 * 2^24 blocks takes seconds instead of hours. The timed phases always call the real `alloc`;
 * `run.ts` checks both paths give identical state before measuring.
 */

import { SEED_BLOCK_SIZE } from "./pmm.js";
import type { SeedAttributes, SeedVmm } from "./vmm.js";

/**
 * Does what `vmm.alloc(num, attrs)` does when blocks `[0, k)` are used and the rest are free,
 * in both the VMM bitmap and the PMM; returns the start address, or `null` when out of room.
 */
export function seedFillAlloc<P>(vmm: SeedVmm<P>, num: number, attrs: SeedAttributes): number | null {
  const bmp = vmm.bmp;
  const entry = bmp.numEntries - bmp.numFreeEntries;
  if (num === 0 || entry + num > bmp.numEntries || vmm.pmm.blocksFree() < num) {
    return null;
  }
  const blockList: number[] = [];
  const vaddrStart = vmm.start + entry * SEED_BLOCK_SIZE;
  for (let i = 0; i < num; i++) {
    bmp.setEntry(entry + i);
  }
  const firstPhysical = vmm.pmm.bitmap.numEntries - vmm.pmm.blocksFree();
  let vaddr = vaddrStart;
  for (let i = 0; i < num; i++) {
    const addr = (firstPhysical + i) * SEED_BLOCK_SIZE;
    vmm.pmm.setAddr(addr);
    blockList.push(addr);
    vmm.mapper.mapFn(vaddr, vaddr + SEED_BLOCK_SIZE, addr, addr + SEED_BLOCK_SIZE, attrs, vmm.payload);
    vaddr += SEED_BLOCK_SIZE;
  }
  vmm.allocations.set(vaddrStart, { physical: blockList });
  return vaddrStart;
}
