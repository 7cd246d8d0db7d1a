/**
 * The block-level contracts behind the VMM and the PMM. Allocators see block indices
 * `[0, numBlocks)` as plain `number`s (a 64-bit space has at most 2^52 blocks, so an index is
 * always exact); converting to and from addresses is the VMM's and PMM's job.
 */

/** How fragmented a manager's free space is (`kmem boot --json` reports it). */
export interface FragmentationStats {
  /** Free blocks in all. */
  readonly freeBlocks: number;
  /** Maximal runs of free blocks. */
  readonly freeExtents: number;
  /** Blocks in the largest free run (0 when nothing is free). */
  readonly largestFreeExtent: number;
  /** External fragmentation, `1 − largestFreeExtent / freeBlocks` (0 when nothing is free). */
  readonly fragmentationIndex: number;
}

/**
 * Where a VMM keeps which of its virtual blocks are in use. Both built-in policies — the
 * bitmap (`"bitmap"`, up to 2^30 blocks) and the extent tree (`"extent"`, any size) — give
 * identical answers: first fit by lowest index. A user may plug their own.
 *
 * The VMM validates every argument before calling; implementations may assume
 * `0 <= first`, `first + count <= numBlocks`, `count >= 1`, `alignment >= 1`.
 */
export interface VirtualAllocator {
  /** Blocks managed. */
  readonly numBlocks: number;
  /** Blocks free. O(1). */
  readonly freeBlocks: number;
  /**
   * The lowest block `b` such that `[b, b + count)` is free and `(b + phase) % alignment === 0`,
   * or `null`. Changes nothing. (`phase` lets a VMM whose start is not aligned ask for
   * aligned addresses: `phase = start / blockSize`.)
   */
  findFree(count: number, alignment: number, phase: number): number | null;
  /** Marks `[first, first + count)` used; the caller has checked that it is free. */
  reserve(first: number, count: number): void;
  /** Marks `[first, first + count)` free; the caller has checked that it is used. */
  release(first: number, count: number): void;
  /** Whether block `block` is used. */
  isUsed(block: number): boolean;
  /** The lowest used block in `[first, first + count)`, or `null`. */
  firstUsedIn(first: number, count: number): number | null;
  /** Fragmentation of the free space. */
  stats(): FragmentationStats;
}

/**
 * How a PMM hands out physical blocks: `"lowest"` (the seed's lowest-free-first) or
 * `"buddy"` (binary buddy: power-of-two, naturally aligned, coalescing). Runs are returned as
 * a flat array of `(first block, length)` pairs in ascending order.
 */
export interface FramePolicy {
  /** Blocks managed. */
  readonly numBlocks: number;
  /** Blocks free. O(1). */
  readonly freeBlocks: number;
  /** Takes one free block; its index, or `null` when none is free. */
  allocOne(): number | null;
  /** Takes `count` free blocks as few runs as the policy manages; `null` (nothing taken) when fewer are free. */
  allocRuns(count: number): number[] | null;
  /** Takes `count` contiguous free blocks whose first index is a multiple of `alignment`; `null` when there is no such run. */
  allocContiguous(count: number, alignment: number): number | null;
  /** Marks `[first, first + count)` used (some may already be). */
  reserve(first: number, count: number): void;
  /** Frees `[first, first + count)`; the caller has checked that every block is used. */
  release(first: number, count: number): void;
  /** Whether block `block` is used. */
  isUsed(block: number): boolean;
  /** The lowest used block in `[first, first + count)`, or `null`. */
  firstUsedIn(first: number, count: number): number | null;
  /** The lowest free block in `[first, first + count)`, or `null`. */
  firstFreeIn(first: number, count: number): number | null;
  /** Fragmentation of the free space (the buddy policy also reports per-order figures). */
  stats(): FragmentationStats;
}
