import { Bitmap } from "../bitmap.js";
import { bitmapFragmentation } from "./bitmap-stats.js";
import type { FragmentationStats, VirtualAllocator } from "./policy.js";

/**
 * The `"bitmap"` virtual allocator: one bit per block in a {@link Bitmap} with a summary
 * tree, first fit by lowest index in O(log n). Up to 2^30 blocks; its memory (under 2 bytes
 * per block) follows the size of the space, so huge sparse spaces use `ExtentAllocator`.
 *
 * @example
 * const blocks = new BitmapAllocator(1024);
 * blocks.reserve(0, 3);
 * blocks.findFree(4, 4, 0); // 4
 */
export class BitmapAllocator implements VirtualAllocator {
  private readonly bitmap: Bitmap;

  /**
   * An allocator of `numBlocks` free blocks.
   *
   * @throws {BitmapError} `OutOfBounds` when `numBlocks` is not an integer in `[0, 2^30]`.
   */
  constructor(numBlocks: number) {
    this.bitmap = new Bitmap(numBlocks);
  }

  /** Blocks managed. */
  get numBlocks(): number {
    return this.bitmap.numEntries;
  }

  /** Blocks free. O(1). */
  get freeBlocks(): number {
    return this.bitmap.numFreeEntries;
  }

  /** The lowest `b` with `[b, b + count)` free and `(b + phase) % alignment === 0`, or `null`. O(log n) when `alignment` is 1. */
  findFree(count: number, alignment: number, phase: number): number | null {
    return this.bitmap.findContiguous(count, alignment, 0, phase % alignment);
  }

  /** Marks `[first, first + count)` used. O(count/32 + log n). */
  reserve(first: number, count: number): void {
    this.bitmap.setRange(first, count);
  }

  /** Marks `[first, first + count)` free. O(count/32 + log n). */
  release(first: number, count: number): void {
    this.bitmap.clearRange(first, count);
  }

  /** Whether block `block` is used. O(1). */
  isUsed(block: number): boolean {
    return this.bitmap.isSet(block);
  }

  /** The lowest used block in `[first, first + count)`, or `null`. O(count/32). */
  firstUsedIn(first: number, count: number): number | null {
    return this.bitmap.findFirstSet(first, count);
  }

  /** Free blocks, free runs, the largest and the fragmentation index. O(n/32). */
  stats(): FragmentationStats {
    return bitmapFragmentation(this.bitmap);
  }

  /** A copy of the bitmap's words (bit `i` = block `i`; bits past the end set). */
  snapshot(): Uint32Array {
    return this.bitmap.snapshot();
  }
}
