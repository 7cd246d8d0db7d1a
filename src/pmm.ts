import { Bitmap } from "./bitmap.js";
import { PmmError } from "./errors/pmm-error.js";
import { describeValue, hex, hexRange } from "./format.js";
import type { FrameAllocator } from "./mapper.js";
import { BLOCK_SIZE, type Range } from "./types.js";
import { isUnsignedInteger } from "./validate.js";

/** How to build a {@link PhysicalMemoryManager}. */
export interface PhysicalMemoryOptions {
  /** Bytes of physical memory; a trailing partial block is not managed (the count is floored). */
  readonly memoryBytes: number;
  /**
   * Physical ranges never handed out and never freed (firmware, holes, the kernel image);
   * rounded outward to blocks. The PMM remembers them: freeing one of their blocks is an error.
   */
  readonly reserved?: readonly Range[];
  /** Bytes per block (default {@link BLOCK_SIZE}). */
  readonly blockSize?: number;
}

/**
 * The physical memory manager: one bit per physical block of `[0, memoryBytes)`, set when
 * the block is in use. An ordinary object — several can coexist.
 *
 * Reserved ranges are rounded outward to whole blocks; the part of a range past the end of
 * memory is ignored (a range entirely past it reserves nothing), as the seed does. They stay
 * used for good: {@link free} and {@link freeRange} refuse their blocks (`Reserved`), so a
 * caller that maps a firmware block (a VMM mapping the VGA window) can never return it to
 * the pool. They are kept as a sorted list of merged block ranges — a firmware map has tens
 * of entries, so a binary search (O(log r)) costs less than a second bitmap's bit per block.
 * Allocation is first fit through the bitmap's summary tree: O(log n), not a linear scan.
 * Memory: the bitmap's 0.875 to 1.625 bytes per block (4 GiB of 4 KiB blocks: under 1.7 MiB).
 *
 * @example
 * const pmm = new PhysicalMemoryManager({ memoryBytes: 16 * 1024 * 1024, reserved: [{ start: 0, end: 0x100000 }] });
 * pmm.alloc();        // 0x100000, the lowest free block
 * pmm.blocksFree();   // 3839
 */
export class PhysicalMemoryManager implements FrameAllocator {
  /** Bytes per block. */
  readonly blockSize: number;
  /** Number of managed blocks, `floor(memoryBytes / blockSize)`. */
  readonly numBlocks: number;
  /** Bytes of physical memory as given (the managed part is `numBlocks * blockSize`). */
  readonly memoryBytes: number;
  private readonly bitmap: Bitmap;
  /** First blocks of the reserved runs: sorted, merged (never touching), inside memory. */
  private readonly reservedStarts: number[] = [];
  /** End blocks (exclusive) of the reserved runs, parallel to {@link reservedStarts}. */
  private readonly reservedEnds: number[] = [];

  /**
   * Builds a PMM with every block free except the reserved ones. O(n/32 + r log r) for
   * n blocks and r reserved ranges.
   *
   * @throws {PmmError} `OutOfBounds` when `memoryBytes` or a reserved range is not a valid
   * safe-integer range (negative, not an integer, end before start), or `reserved` is not an
   * array of ranges; `Misaligned` when `blockSize` is not a positive integer.
   */
  constructor(options: PhysicalMemoryOptions) {
    const { memoryBytes, reserved = [], blockSize = BLOCK_SIZE } = options;
    if (!isUnsignedInteger(blockSize) || blockSize === 0) {
      throw new PmmError("Misaligned", `Cannot create a PMM with block size ${describeValue(blockSize)}: it must be a positive integer`, { address: blockSize });
    }
    if (!isUnsignedInteger(memoryBytes)) {
      throw new PmmError("OutOfBounds", `Cannot create a PMM of ${describeValue(memoryBytes)} bytes: the size must be a non-negative safe integer`, { address: memoryBytes });
    }
    if (!Array.isArray(reserved)) {
      throw new PmmError("OutOfBounds", `Cannot create a PMM with reserved ${describeValue(reserved)}: it must be an array of ranges { start, end }`, { address: reserved as unknown as number });
    }
    this.blockSize = blockSize;
    this.memoryBytes = memoryBytes;
    this.numBlocks = Math.floor(memoryBytes / blockSize);
    const runs = reserved.map((range: unknown) => this.reservedRun(range)).filter(([first, last]) => first < last);
    this.bitmap = new Bitmap(this.numBlocks);
    runs.sort((a, b) => a[0] - b[0]);
    for (const [first, last] of runs) {
      this.bitmap.setRange(first, last - first);
      const top = this.reservedEnds.length - 1;
      if (top >= 0 && first <= this.reservedEnds[top]!) {
        this.reservedEnds[top] = Math.max(this.reservedEnds[top]!, last);
      } else {
        this.reservedStarts.push(first);
        this.reservedEnds.push(last);
      }
    }
  }

  /**
   * Allocates the lowest free block; its address, or `null` when memory is exhausted. O(log n).
   */
  alloc(): number | null {
    const block = this.bitmap.setFirstFree();
    return block === null ? null : block * this.blockSize;
  }

  /**
   * Allocates the `count` lowest free blocks — exactly what `count` calls of {@link alloc}
   * would return, in the same order — and returns their addresses, or `null` (nothing
   * changed) when fewer than `count` blocks are free. Works a free run at a time:
   * O(runs · log n + count/32) bitmap work.
   *
   * @throws {PmmError} `OutOfBounds` when `count` is not a non-negative safe integer.
   * @example
   * pmm.allocBlocks(8); // 8 ascending block addresses, contiguous where memory allows
   */
  allocBlocks(count: number): number[] | null {
    if (!isUnsignedInteger(count)) {
      throw new PmmError("OutOfBounds", `Cannot allocate ${describeValue(count)} blocks: the count must be a non-negative safe integer`, { address: count });
    }
    if (count > this.bitmap.numFreeEntries) return null;
    const blocks = new Array<number>(count);
    let filled = 0;
    while (filled < count) {
      const first = this.bitmap.findContiguous(1)!;
      const limit = Math.min(count - filled, this.numBlocks - first);
      const used = this.bitmap.findFirstSet(first, limit);
      const length = used === null ? limit : used - first;
      this.bitmap.setRange(first, length);
      for (let block = first; block < first + length; block++) blocks[filled++] = block * this.blockSize;
    }
    return blocks;
  }

  /**
   * Frees the block at `address`. O(log n + log r).
   *
   * @throws {PmmError} `Reserved` when the block belongs to a reserved range (it is never
   * freed); `NotAllocated` when the block is free; `Misaligned` / `OutOfBounds` when
   * `address` is not a block address inside memory (including a value that is not a
   * non-negative safe integer).
   * @example
   * pmm.free(0x100000);
   */
  free(address: number): void {
    const block = this.blockIndex(address, "free");
    this.checkNotReserved(block, 1, "free", hex(address));
    if (!this.bitmap.isSet(block)) {
      throw new PmmError("NotAllocated", `Cannot free ${hex(address)}: the block is not allocated`, { address });
    }
    this.bitmap.clear(block);
  }

  /**
   * Marks the block at `address` used; marking a used block changes nothing.
   *
   * @throws {PmmError} `Misaligned` / `OutOfBounds` when `address` is not a block address inside memory.
   */
  setAddr(address: number): void {
    this.bitmap.set(this.blockIndex(address, "set"));
  }

  /**
   * Whether the block containing `address` (any byte of it) is used.
   *
   * @throws {PmmError} `OutOfBounds` when `address` is outside the managed memory.
   */
  isSet(address: number): boolean {
    this.checkInside(address, "query");
    return this.bitmap.isSet(Math.floor(address / this.blockSize));
  }

  /**
   * Whether every block of the block-aligned range `[start, end)` is free. O(blocks/32).
   *
   * @throws {PmmError} `Misaligned` / `OutOfBounds` when the range is not block-aligned inside memory.
   */
  isRangeFree(start: number, end: number): boolean {
    this.checkRange(start, end, "query");
    const first = start / this.blockSize;
    const count = (end - start) / this.blockSize;
    return this.bitmap.isRangeClear(first, count);
  }

  /**
   * The address of the lowest used block of `[start, end)`, or `null` when all are free.
   *
   * @throws {PmmError} `Misaligned` / `OutOfBounds` when the range is not block-aligned inside memory.
   */
  firstUsedIn(start: number, end: number): number | null {
    this.checkRange(start, end, "query");
    const first = start / this.blockSize;
    const count = (end - start) / this.blockSize;
    const block = this.bitmap.findFirstSet(first, count);
    return block === null ? null : block * this.blockSize;
  }

  /**
   * Marks every block of `[start, end)` used (used ones stay used). O(blocks/32 + log n).
   *
   * @throws {PmmError} `Misaligned` / `OutOfBounds` when the range is not block-aligned inside memory.
   */
  setRange(start: number, end: number): void {
    this.checkRange(start, end, "set");
    const first = start / this.blockSize;
    const count = (end - start) / this.blockSize;
    this.bitmap.setRange(first, count);
  }

  /**
   * Frees every block of `[start, end)`; all-or-nothing. O(blocks/32 + log n + log r).
   *
   * @throws {PmmError} `Reserved` (naming the first reserved block) when any block belongs
   * to a reserved range; `NotAllocated` (naming the first free block) when any block is free;
   * `Misaligned` / `OutOfBounds` when the range is not block-aligned inside memory.
   */
  freeRange(start: number, end: number): void {
    this.checkRange(start, end, "free");
    const first = start / this.blockSize;
    const count = (end - start) / this.blockSize;
    this.checkNotReserved(first, count, "free", hexRange(start, end));
    const unused = this.bitmap.findFirstClear(first, count);
    if (unused !== null) {
      const address = unused * this.blockSize;
      throw new PmmError("NotAllocated", `Cannot free ${hexRange(start, end)}: block ${hex(address)} is not allocated`, { address });
    }
    this.bitmap.clearRange(first, count);
  }

  /**
   * Whether the block containing `address` (any byte of it) belongs to a reserved range:
   * used from the start and never freed. O(log r).
   *
   * @throws {PmmError} `OutOfBounds` when `address` is outside the managed memory.
   */
  isReserved(address: number): boolean {
    this.checkInside(address, "query");
    const block = Math.floor(address / this.blockSize);
    return this.firstReservedRun(block, block + 1) >= 0;
  }

  /**
   * The reserved parts of the block-aligned range `[start, end)`, in address order, each
   * clipped to the range (merged: two never touch). O(log r + k) for k parts.
   *
   * @throws {PmmError} `Misaligned` / `OutOfBounds` when the range is not block-aligned inside memory.
   * @example
   * pmm.reservedIn(0, 0x100000); // [{ start: 0, end: 0x1000 }, { start: 0x9f000, end: 0x100000 }] after boot
   */
  reservedIn(start: number, end: number): Range[] {
    this.checkRange(start, end, "query");
    const first = start / this.blockSize;
    const last = end / this.blockSize;
    const parts: Range[] = [];
    for (let run = this.firstReservedRun(first, last); run >= 0 && run < this.reservedStarts.length && this.reservedStarts[run]! < last; run++) {
      const from = Math.max(this.reservedStarts[run]!, first);
      const to = Math.min(this.reservedEnds[run]!, last);
      parts.push({ start: from * this.blockSize, end: to * this.blockSize });
    }
    return parts;
  }

  /** Number of free blocks; O(1). */
  blocksFree(): number {
    return this.bitmap.numFreeEntries;
  }

  /** Number of used blocks; O(1). */
  blocksUsed(): number {
    return this.numBlocks - this.bitmap.numFreeEntries;
  }

  /** A copy of the bitmap's words (bit `i` = block `i`), for snapshots and comparisons. */
  snapshot(): Uint32Array {
    return this.bitmap.snapshot();
  }

  /** The blocks `[first, last)` a reserved range covers: rounded outward to blocks, clipped to memory (maybe empty). */
  private reservedRun(range: unknown): [number, number] {
    if (typeof range !== "object" || range === null) {
      throw new PmmError("OutOfBounds", `Cannot reserve ${describeValue(range)}: not a range { start, end }`, { address: range as number });
    }
    const { start, end } = range as Partial<Range>;
    if (!isUnsignedInteger(start) || !isUnsignedInteger(end) || end < start) {
      throw new PmmError("OutOfBounds", `Cannot reserve ${hexRange(start!, end!)}: not a valid range of non-negative addresses`, { address: start! });
    }
    const first = Math.floor(start / this.blockSize);
    const last = Math.min(Math.ceil(end / this.blockSize), this.numBlocks);
    return [Math.min(first, last), last];
  }

  /** Index of the first reserved run overlapping blocks `[first, last)`, or -1 (binary search, O(log r)). */
  private firstReservedRun(first: number, last: number): number {
    let low = 0;
    let high = this.reservedEnds.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.reservedEnds[middle]! <= first) low = middle + 1;
      else high = middle;
    }
    return low < this.reservedStarts.length && this.reservedStarts[low]! < last ? low : -1;
  }

  /** Throws `Reserved` when any of blocks `[first, first + count)` is reserved; `what` is the address or range as the caller gave it. */
  private checkNotReserved(first: number, count: number, action: string, what: string): void {
    const run = this.firstReservedRun(first, first + count);
    if (run < 0) return;
    const address = Math.max(this.reservedStarts[run]!, first) * this.blockSize;
    const reserved = hexRange(this.reservedStarts[run]! * this.blockSize, this.reservedEnds[run]! * this.blockSize);
    throw new PmmError("Reserved", `Cannot ${action} ${what}: block ${hex(address)} is reserved (${reserved} was reserved when the PMM was built)`, { address });
  }

  private checkInside(address: number, action: string): void {
    if (!isUnsignedInteger(address) || address >= this.numBlocks * this.blockSize) {
      throw new PmmError("OutOfBounds", `Cannot ${action} ${hex(address)}: ${whyNotInside(address)} ${hexRange(0, this.numBlocks * this.blockSize)}`, { address });
    }
  }

  private checkAligned(address: number, action: string): void {
    if (address % this.blockSize !== 0) {
      throw new PmmError("Misaligned", `Cannot ${action} ${hex(address)}: not aligned to the ${this.blockSize}-byte block size`, { address });
    }
  }

  private blockIndex(address: number, action: string): number {
    this.checkInside(address, action);
    this.checkAligned(address, action);
    return address / this.blockSize;
  }

  /** Validates a block-aligned range `[start, end)` inside memory (throws otherwise). */
  private checkRange(start: number, end: number, action: string): void {
    const limit = this.numBlocks * this.blockSize;
    const startBad = !isUnsignedInteger(start) || start > limit;
    if (startBad || !isUnsignedInteger(end) || end > limit) {
      const bad = startBad ? start : end;
      throw new PmmError("OutOfBounds", `Cannot ${action} ${hexRange(start, end)}: ${hex(bad)} is ${whyNotInside(bad)} ${hexRange(0, limit)}`, { address: bad });
    }
    this.checkAligned(start, action);
    this.checkAligned(end, action);
    if (end < start) {
      throw new PmmError("OutOfBounds", `Cannot ${action} ${hexRange(start, end)}: the end is before the start`, { address: start });
    }
  }
}

/** How an address fails to lie in physical memory: not an address at all, or past its end. */
function whyNotInside(address: unknown): string {
  return isUnsignedInteger(address) ? "outside physical memory" : "not an address (a non-negative safe integer) in physical memory";
}
