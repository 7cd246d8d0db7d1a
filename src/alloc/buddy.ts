import { Bitmap } from "../bitmap.js";
import { lowestSetBit } from "../bitmap-words.js";
import { bitmapFragmentation } from "./bitmap-stats.js";
import { buddyStatsOf, type BuddyStats } from "./buddy-stats.js";
import type { FragmentationStats, FramePolicy } from "./policy.js";

/** The default largest order: 2^10 blocks, a 4 MiB x86 large page of 4 KiB blocks (Linux's `MAX_PAGE_ORDER`). */
export const DEFAULT_MAX_ORDER = 10;

/** The largest order accepted (the largest order bitmap still has one entry at 2^30 blocks). */
const ORDER_LIMIT = 30;

/** How to build a {@link BuddyFrames}. */
export interface BuddyOptions {
  /** The largest block is `2^maxOrder` base blocks (default {@link DEFAULT_MAX_ORDER}; 18 gives 1 GiB blocks of 4 KiB). */
  readonly maxOrder?: number;
}

/**
 * A binary buddy {@link FramePolicy}, as Linux's page allocator: free memory is kept as
 * naturally aligned blocks of `2^order` base blocks, one free list per order; a request
 * takes a block of the smallest sufficient order, splitting larger ones, and a freed block
 * merges with its buddy (the block it was split from) while the buddy is free.
 *
 * Each free list is a {@link Bitmap} over the possible heads of its order (clear = a free
 * block starts there), so a list yields its lowest-addressed block in O(log n) and a buddy
 * test is O(1); a further bitmap records which base blocks are used, for the queries.
 * Reserving or releasing an arbitrary range splits it into aligned power-of-two chunks.
 *
 * Costs: `allocOne` and `allocContiguous` (power-of-two alignment) O(maxOrder · log n);
 * `allocRuns(n)` O((maxOrder + r) · log n) for the r ≤ popcount(n) + n / 2^maxOrder runs
 * it returns; `reserve`/`release` O((chunks + maxOrder) · log n + count/32); `stats` O(n/32).
 * Memory: about two bitmaps' worth (the order bitmaps halve in size with each order).
 *
 * @example
 * const frames = new BuddyFrames(4096);
 * frames.allocRuns(5);             // [0, 5]: an order-2 block and an order-0 block, adjacent
 * frames.allocContiguous(1024, 1024); // 1024: one order-10 block
 * frames.buddyStats().orders[10];  // { order: 10, freeBlocks: 2, extfragIndex: -1, … }
 */
export class BuddyFrames implements FramePolicy {
  /** Blocks managed. */
  readonly numBlocks: number;
  /** The largest order. */
  readonly maxOrder: number;
  private readonly used: Bitmap;
  /** `heads[o]`: entry `i` clear ⇔ a free block of order `o` starts at block `i · 2^o`. */
  private readonly heads: Bitmap[] = [];
  /** Free blocks of each order. */
  private readonly counts: number[] = [];

  /**
   * Creates a buddy policy over `numBlocks` free blocks.
   *
   * @throws {RangeError} when `maxOrder` is not an integer in `[0, 30]`.
   * @throws {BitmapError} `OutOfBounds` when `numBlocks` is not an integer in `[0, 2^30]`.
   */
  constructor(numBlocks: number, options: BuddyOptions = {}) {
    const { maxOrder = DEFAULT_MAX_ORDER } = options;
    if (!Number.isInteger(maxOrder) || maxOrder < 0 || maxOrder > ORDER_LIMIT) {
      throw new RangeError(`Cannot create a buddy allocator of max order ${maxOrder}: it must be an integer in [0, ${ORDER_LIMIT}]`);
    }
    this.used = new Bitmap(numBlocks);
    this.numBlocks = numBlocks;
    this.maxOrder = maxOrder;
    for (let o = 0; o <= maxOrder; o++) {
      const entries = Math.ceil(numBlocks / 2 ** o);
      const heads = new Bitmap(entries);
      heads.setRange(0, entries);
      this.heads.push(heads);
      this.counts.push(0);
    }
    this.addChunks(0, numBlocks);
  }

  /** Blocks free. O(1). */
  get freeBlocks(): number {
    return this.used.numFreeEntries;
  }

  /** Takes one block: the lowest of the smallest free order, split down to order 0. */
  allocOne(): number | null {
    const block = this.allocBlock(0);
    if (block < 0) return null;
    this.used.set(block);
    return block;
  }

  /**
   * Takes `count` blocks as naturally aligned power-of-two blocks, the largest first (so at
   * most one block per binary digit of `count` while memory is not fragmented), merged into
   * ascending runs where they touch; `null` (nothing taken) when fewer than `count` are free.
   */
  allocRuns(count: number): number[] | null {
    if (count > this.used.numFreeEntries) return null;
    const blocks: number[] = [];
    let left = count;
    // The largest order that fits in the count: 31 − clz32 is floor(log2) for counts below 2^31.
    let order = Math.min(this.maxOrder, count >= 2 ** 31 ? this.maxOrder : 31 - Math.clz32(count));
    while (left > 0) {
      const size = 2 ** order;
      if (size > left) {
        order--;
        continue;
      }
      const block = this.allocBlock(order);
      if (block < 0) {
        // No free block of this order or above: the rest comes in smaller pieces.
        order--;
        continue;
      }
      blocks.push(block, size);
      left -= size;
    }
    mergeRuns(blocks);
    for (let i = 0; i < blocks.length; i += 2) this.used.setRange(blocks[i]!, blocks[i + 1]!);
    return blocks;
  }

  /**
   * Takes `count` contiguous blocks starting at a multiple of `alignment`: from one buddy
   * block of order `ceil(log2(max(count, alignment)))` when the alignment is a power of two
   * and such a block is free (its unused tail is freed again), else the lowest such run of
   * free blocks, across buddy boundaries. Its first block, or `null`.
   */
  allocContiguous(count: number, alignment: number): number | null {
    const order = ceilLog2(Math.max(count, alignment));
    if (isPowerOfTwo(alignment) && order <= this.maxOrder) {
      const block = this.allocBlock(order);
      if (block >= 0) {
        // The tail past `count` goes back as chunks; their buddies are in the block, so none merges.
        this.addChunks(block + count, block + 2 ** order);
        this.used.setRange(block, count);
        return block;
      }
    }
    const first = this.used.findContiguous(count, alignment);
    if (first !== null) this.reserve(first, count);
    return first;
  }

  /** Marks `[first, first + count)` used (some may already be), splitting the free blocks it cuts. */
  reserve(first: number, count: number): void {
    const end = first + count;
    let block = this.used.findFirstClear(first, count);
    while (block !== null) {
      // The free buddy block holding `block`: the smallest order whose aligned head is a free head.
      let order = 0;
      let head = block;
      while (!this.isFreeHead(head, order)) {
        order++;
        head = Math.floor(block / 2 ** order) * 2 ** order;
      }
      this.takeHead(head, order);
      const blockEnd = head + 2 ** order;
      // The parts outside the range go back as aligned chunks; none of them has a free buddy.
      if (head < first) this.addChunks(head, first);
      if (blockEnd > end) this.addChunks(end, blockEnd);
      block = blockEnd < end ? this.used.findFirstClear(blockEnd, end - blockEnd) : null;
    }
    this.used.setRange(first, count);
  }

  /** Frees `[first, first + count)` (all used), merging each chunk with its free buddies. */
  release(first: number, count: number): void {
    this.used.clearRange(first, count);
    const end = first + count;
    let block = first;
    while (block < end) {
      const order = this.chunkOrder(block, end);
      this.freeBlock(block, order);
      block += 2 ** order;
    }
  }

  /** Whether block `block` is used. O(1). */
  isUsed(block: number): boolean {
    return this.used.isSet(block);
  }

  /** The lowest used block in `[first, first + count)`, or `null`. O(count/32). */
  firstUsedIn(first: number, count: number): number | null {
    return this.used.findFirstSet(first, count);
  }

  /** The lowest free block in `[first, first + count)`, or `null`. O(count/32). */
  firstFreeIn(first: number, count: number): number | null {
    return this.used.findFirstClear(first, count);
  }

  /** Free blocks, maximal free runs (across buddy boundaries), the largest and the fragmentation index. O(n/32). */
  stats(): FragmentationStats {
    return bitmapFragmentation(this.used);
  }

  /** Free blocks per order with Linux's `extfrag_index` and `unusable_index` for each. O(maxOrder²). */
  buddyStats(): BuddyStats {
    return buddyStatsOf(this.counts);
  }

  /**
   * Checks that the free lists tile exactly the free blocks, that every free block is
   * naturally aligned, and that no free block has a free buddy of its order (all merged);
   * a description of the first problem, or `null`. O(n · maxOrder), for tests.
   */
  checkInvariants(): string | null {
    const covered = new Uint8Array(this.numBlocks);
    for (let order = 0; order <= this.maxOrder; order++) {
      const size = 2 ** order;
      let seen = 0;
      for (let head = 0; head < this.numBlocks; head += size) {
        if (!this.isFreeHead(head, order)) continue;
        seen++;
        if (head + size > this.numBlocks) return `free block ${head} of order ${order} runs past the end`;
        for (let b = head; b < head + size; b++) {
          if (covered[b] !== 0) return `block ${b} is in two free blocks`;
          if (this.used.isSet(b)) return `block ${b} is used but in the free block ${head} of order ${order}`;
          covered[b] = 1;
        }
        const buddy = head % (2 * size) === 0 ? head + size : head - size;
        if (order < this.maxOrder && buddy + size <= this.numBlocks && this.isFreeHead(buddy, order)) return `free blocks ${head} and ${buddy} of order ${order} are unmerged buddies`;
      }
      if (seen !== this.counts[order]) return `order ${order} counts ${this.counts[order]} free blocks but holds ${seen}`;
    }
    for (let b = 0; b < this.numBlocks; b++) {
      if (covered[b] === 0 && !this.used.isSet(b)) return `free block ${b} is in no free list`;
    }
    return null;
  }

  /**
   * Takes a free block of `order` off the free lists (the caller marks it used): the lowest
   * block of the smallest free order ≥ `order`, whose upper halves go back to the lower
   * orders' lists. Its first block, or -1.
   */
  private allocBlock(order: number): number {
    let from = order;
    while (from <= this.maxOrder && this.counts[from] === 0) from++;
    if (from > this.maxOrder) return -1;
    const head = this.heads[from]!.findContiguous(1)! * 2 ** from;
    this.takeHead(head, from);
    while (from > order) {
      from--;
      this.addHead(head + 2 ** from, from);
    }
    return head;
  }

  /** Frees the aligned block `(block, order)`, merging with its buddy while the buddy is a free block of the same order. */
  private freeBlock(block: number, order: number): void {
    while (order < this.maxOrder) {
      const size = 2 ** order;
      // The buddy is the other half of the block of order + 1 that holds this one.
      const buddy = block % (2 * size) === 0 ? block + size : block - size;
      if (buddy + size > this.numBlocks || !this.isFreeHead(buddy, order)) break;
      this.takeHead(buddy, order);
      if (buddy < block) block = buddy;
      order++;
    }
    this.addHead(block, order);
  }

  /** Adds `[start, end)` to the free lists as maximal aligned chunks, without merging. */
  private addChunks(start: number, end: number): void {
    let block = start;
    while (block < end) {
      const order = this.chunkOrder(block, end);
      this.addHead(block, order);
      block += 2 ** order;
    }
  }

  /** The largest order `o ≤ maxOrder` with `block` a multiple of 2^o and `block + 2^o ≤ end`. */
  private chunkOrder(block: number, end: number): number {
    // block & -block isolates its lowest set bit: the largest power of two dividing it (block < 2^30).
    const alignment = block === 0 ? this.maxOrder : lowestSetBit(block);
    let order = Math.min(alignment, this.maxOrder);
    while (block + 2 ** order > end) order--;
    return order;
  }

  private isFreeHead(head: number, order: number): boolean {
    return !this.heads[order]!.isSet(head / 2 ** order);
  }

  private addHead(head: number, order: number): void {
    this.heads[order]!.clear(head / 2 ** order);
    this.counts[order]!++;
  }

  private takeHead(head: number, order: number): void {
    this.heads[order]!.set(head / 2 ** order);
    this.counts[order]!--;
  }
}

/** The smallest `k` with `2^k >= n` (n ≥ 1). */
function ceilLog2(n: number): number {
  let k = 0;
  while (2 ** k < n) k++;
  return k;
}

function isPowerOfTwo(n: number): boolean {
  return 2 ** Math.round(Math.log2(n)) === n;
}

/**
 * Sorts `(first, length)` pairs by first block, in place (insertion sort: a request yields a
 * handful of blocks), and merges the ones that touch.
 */
function mergeRuns(pairs: number[]): void {
  for (let i = 2; i < pairs.length; i += 2) {
    const first = pairs[i]!;
    const length = pairs[i + 1]!;
    let j = i - 2;
    for (; j >= 0 && pairs[j]! > first; j -= 2) {
      pairs[j + 2] = pairs[j]!;
      pairs[j + 3] = pairs[j + 1]!;
    }
    pairs[j + 2] = first;
    pairs[j + 3] = length;
  }
  let out = 0;
  for (let i = 2; i < pairs.length; i += 2) {
    if (pairs[out]! + pairs[out + 1]! === pairs[i]) {
      pairs[out + 1]! += pairs[i + 1]!;
    } else {
      out += 2;
      pairs[out] = pairs[i]!;
      pairs[out + 1] = pairs[i + 1]!;
    }
  }
  pairs.length = pairs.length === 0 ? 0 : out + 2;
}
