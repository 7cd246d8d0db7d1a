import type { FragmentationStats, VirtualAllocator } from "../../src/alloc/policy.js";
import { Bitmap } from "../../src/bitmap.js";

/** The bitmap as a {@link VirtualAllocator}, the other side of the differential tests. */
export class BitmapAllocator implements VirtualAllocator {
  private readonly bits: Bitmap;

  constructor(readonly numBlocks: number) {
    this.bits = new Bitmap(numBlocks);
  }

  get freeBlocks(): number {
    return this.bits.numFreeEntries;
  }

  findFree(count: number, alignment: number, phase: number): number | null {
    return this.bits.findContiguous(count, alignment, 0, phase);
  }

  reserve(first: number, count: number): void {
    this.bits.setRange(first, count);
  }

  release(first: number, count: number): void {
    this.bits.clearRange(first, count);
  }

  isUsed(block: number): boolean {
    return this.bits.isSet(block);
  }

  firstUsedIn(first: number, count: number): number | null {
    return this.bits.findFirstSet(first, count);
  }

  stats(): FragmentationStats {
    let freeExtents = 0;
    let largest = 0;
    let at = 0;
    while (at < this.numBlocks) {
      const start = this.bits.findFirstClear(at, this.numBlocks - at);
      if (start === null) break;
      const used = this.bits.findFirstSet(start, this.numBlocks - start);
      const end = used ?? this.numBlocks;
      freeExtents++;
      largest = Math.max(largest, end - start);
      at = end;
    }
    const free = this.freeBlocks;
    return { freeBlocks: free, freeExtents, largestFreeExtent: largest, fragmentationIndex: free === 0 ? 0 : 1 - largest / free };
  }
}
