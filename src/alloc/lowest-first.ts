import { Bitmap } from "../bitmap.js";
import { bitmapFragmentation } from "./bitmap-stats.js";
import type { FragmentationStats, FramePolicy } from "./policy.js";

/**
 * The seed's physical policy as a {@link FramePolicy}: every request takes the lowest free
 * blocks (first fit over a {@link Bitmap} with a summary tree), so `allocRuns(n)` returns
 * exactly the blocks `n` calls of `allocOne` would, grouped into runs.
 *
 * Costs: `allocOne` O(log n); `allocRuns` O(r · log n + count/32) for r runs;
 * `allocContiguous` as `Bitmap.findContiguous`; `stats` O(n/32).
 *
 * @example
 * const frames = new LowestFirstFrames(1024);
 * frames.reserve(2, 3);
 * frames.allocRuns(4); // [0, 2, 5, 2]: blocks 0–1 and 5–6
 */
export class LowestFirstFrames implements FramePolicy {
  /** Blocks managed. */
  readonly numBlocks: number;
  private readonly bits: Bitmap;

  /**
   * Creates a policy over `numBlocks` free blocks.
   *
   * @throws {BitmapError} `OutOfBounds` when `numBlocks` is not an integer in `[0, 2^30]`.
   */
  constructor(numBlocks: number) {
    this.bits = new Bitmap(numBlocks);
    this.numBlocks = numBlocks;
  }

  /** Blocks free. O(1). */
  get freeBlocks(): number {
    return this.bits.numFreeEntries;
  }

  /** Takes the lowest free block. O(log n). */
  allocOne(): number | null {
    return this.bits.setFirstFree();
  }

  /** Takes the `count` lowest free blocks, as ascending `(first, length)` runs; `null` (nothing taken) when fewer are free. */
  allocRuns(count: number): number[] | null {
    const bits = this.bits;
    if (count > bits.numFreeEntries) return null;
    const runs: number[] = [];
    let left = count;
    while (left > 0) {
      const first = bits.findContiguous(1)!;
      const limit = Math.min(left, this.numBlocks - first);
      const used = bits.findFirstSet(first, limit);
      const length = used === null ? limit : used - first;
      bits.setRange(first, length);
      runs.push(first, length);
      left -= length;
    }
    return runs;
  }

  /** Takes the lowest run of `count` free blocks starting at a multiple of `alignment`; its first block or `null`. */
  allocContiguous(count: number, alignment: number): number | null {
    return this.bits.setContiguous(count, alignment);
  }

  /** Marks `[first, first + count)` used (some may already be). O(count/32 + log n). */
  reserve(first: number, count: number): void {
    this.bits.setRange(first, count);
  }

  /** Frees `[first, first + count)`. O(count/32 + log n). */
  release(first: number, count: number): void {
    this.bits.clearRange(first, count);
  }

  /** Whether block `block` is used. O(1). */
  isUsed(block: number): boolean {
    return this.bits.isSet(block);
  }

  /** The lowest used block in `[first, first + count)`, or `null`. O(count/32). */
  firstUsedIn(first: number, count: number): number | null {
    return this.bits.findFirstSet(first, count);
  }

  /** The lowest free block in `[first, first + count)`, or `null`. O(count/32). */
  firstFreeIn(first: number, count: number): number | null {
    return this.bits.findFirstClear(first, count);
  }

  /** Free blocks, free runs, the largest and the fragmentation index. O(n/32). */
  stats(): FragmentationStats {
    return bitmapFragmentation(this.bits);
  }
}
