import { codecFor, type AddressCodec } from "./address.js";
import { framePolicyFor, type FramePolicyName } from "./alloc/policies.js";
import type { FragmentationStats, FramePolicy } from "./alloc/policy.js";
import { PmmError } from "./errors/pmm-error.js";
import { describeValue, hex, hexRange } from "./format.js";
import { ReservedBlocks } from "./reserved-blocks.js";
import { BLOCK_SIZE, type Address, type Range } from "./types.js";
import { isUnsignedInteger } from "./validate.js";

/** How to build a {@link PhysicalMemoryManager}; `A` (`number` or `bigint`) is the type of `memoryBytes` and of every address. */
export interface PhysicalMemoryOptions<A extends Address = number> {
  /** Bytes of physical memory; a trailing partial block is not managed (the count is floored). */
  readonly memoryBytes: A;
  /**
   * Physical ranges never handed out and never freed (firmware, holes, the kernel image);
   * rounded outward to blocks. The PMM remembers them: freeing one of their blocks is an error.
   */
  readonly reserved?: readonly Range<A>[];
  /** Bytes per block (default {@link BLOCK_SIZE}). */
  readonly blockSize?: number;
  /**
   * How free blocks are handed out: `"lowest"` (default: the lowest free block first, as the
   * seed), `"buddy"` (binary buddy: power-of-two, naturally aligned runs that split and
   * coalesce), or your own {@link FramePolicy} over `floor(memoryBytes / blockSize)` blocks,
   * all free.
   */
  readonly policy?: FramePolicyName | FramePolicy;
}

/**
 * The class of every {@link PhysicalMemoryManager} (build one with `new PhysicalMemoryManager(…)`,
 * whose constructor type infers `A` as `number` or `bigint`, never a literal type).
 *
 * The physical memory manager: which blocks of `[0, memoryBytes)` are in use, kept by a
 * block-level {@link FramePolicy}. An ordinary object — several can coexist. Built with a
 * `bigint` `memoryBytes` it takes and returns `bigint` addresses everywhere (memory above
 * 2^53 bytes is out of reach of a `number`); with a `number`, `number`s.
 *
 * Reserved ranges are rounded outward to whole blocks; the part of a range past the end of
 * memory is ignored (a range entirely past it reserves nothing), as the seed does. They stay
 * used for good: {@link free} and {@link freeRange} refuse their blocks (`Reserved`), so a
 * caller that maps a firmware block (a VMM mapping the VGA window) can never return it to
 * the pool. They are kept as a sorted list of merged block runs (O(log r) per query).
 * With the default `"lowest"` policy, allocation is first fit through a bitmap's summary
 * tree: O(log n), not a linear scan; memory 0.20 to 0.25 bytes per block (4 GiB of 4 KiB
 * blocks: about 210 KiB).
 *
 * @example
 * const pmm = new PhysicalMemoryManager({ memoryBytes: 16 * 1024 * 1024, reserved: [{ start: 0, end: 0x100000 }] });
 * pmm.alloc();        // 0x100000, the lowest free block
 * pmm.blocksFree();   // 3839
 * const big = new PhysicalMemoryManager({ memoryBytes: 2n ** 36n, policy: "buddy" });
 * big.alloc();        // 0n
 */
export class PhysicalMemoryManagerImpl<A extends Address = number> {
  /** Bytes per block. */
  readonly blockSize: number;
  /** Number of managed blocks, `floor(memoryBytes / blockSize)`. */
  readonly numBlocks: number;
  /** Bytes of physical memory as given (the managed part is `numBlocks * blockSize`). */
  readonly memoryBytes: A;
  /**
   * The block-level policy that keeps the used blocks (block numbers, not addresses). The VMM
   * allocates through it; calling it directly skips this PMM's validation.
   */
  readonly policy: FramePolicy;
  /** The reserved blocks (block numbers), fixed when the PMM was built. */
  readonly reserved: ReservedBlocks;
  private readonly codec: AddressCodec<A>;
  /** End of managed memory, `numBlocks * blockSize`, as an address. */
  private readonly limit: A;

  /**
   * Builds a PMM with every block free except the reserved ones. O(n/32 + r log r) for
   * n blocks and r reserved ranges.
   *
   * @throws {PmmError} `OutOfBounds` when `memoryBytes` or a reserved range is not a valid
   * range of non-negative integers (negative, not an integer, of the wrong type, end before
   * start), or `reserved` is not an array of ranges; `Misaligned` when `blockSize` is not a
   * positive integer.
   * @throws {RangeError} when `policy` is unknown or a given policy's size is not `numBlocks`.
   */
  constructor(options: PhysicalMemoryOptions<A>) {
    const { memoryBytes, reserved = [], blockSize = BLOCK_SIZE, policy = "lowest" } = options;
    if (!isUnsignedInteger(blockSize) || blockSize === 0) {
      throw new PmmError("Misaligned", `Cannot create a PMM with block size ${describeValue(blockSize)}: it must be a positive integer`, { address: blockSize });
    }
    this.codec = codecFor(memoryBytes, blockSize);
    if (!this.codec.accepts(memoryBytes)) {
      throw new PmmError("OutOfBounds", `Cannot create a PMM of ${describeValue(memoryBytes)} bytes: the size must be a non-negative ${this.codec.type === "number" ? "safe integer" : "bigint"}`, { address: memoryBytes });
    }
    if (!Array.isArray(reserved)) {
      throw new PmmError("OutOfBounds", `Cannot create a PMM with reserved ${describeValue(reserved)}: it must be an array of ranges { start, end }`, { address: reserved as unknown as A });
    }
    this.blockSize = blockSize;
    this.memoryBytes = memoryBytes;
    this.numBlocks = this.codec.blockOf(memoryBytes);
    this.limit = this.codec.addressOf(this.numBlocks, 0);
    this.reserved = new ReservedBlocks(reserved.map((range: unknown) => this.reservedRun(range)));
    this.policy = framePolicyFor(policy, this.numBlocks);
    for (let run = 0; run < this.reserved.runCount; run++) {
      this.policy.reserve(this.reserved.runStart(run), this.reserved.runEnd(run) - this.reserved.runStart(run));
    }
  }

  /**
   * Allocates one free block (with `"lowest"`, the lowest); its address, or `null` when memory is exhausted. O(log n).
   */
  alloc(): A | null {
    const block = this.policy.allocOne();
    return block === null ? null : this.codec.addressOf(block, 0);
  }

  /**
   * Allocates `count` blocks — with `"lowest"`, the `count` lowest free ones, exactly what
   * `count` calls of {@link alloc} would return, in the same order — and returns their
   * addresses in ascending order, or `null` (nothing changed) when fewer than `count` blocks
   * are free. Works a free run at a time: O(runs · log n + count/32) bitmap work.
   *
   * @throws {PmmError} `OutOfBounds` when `count` is not a non-negative safe integer.
   * @example
   * pmm.allocBlocks(8); // 8 ascending block addresses, contiguous where memory allows
   */
  allocBlocks(count: number): A[] | null {
    if (!isUnsignedInteger(count)) {
      throw new PmmError("OutOfBounds", `Cannot allocate ${describeValue(count)} blocks: the count must be a non-negative safe integer`, { address: count });
    }
    if (count > this.policy.freeBlocks) return null;
    const runs = count === 0 ? [] : this.policy.allocRuns(count);
    if (runs === null) return null;
    const blocks: A[] = [];
    for (let r = 0; r < runs.length; r += 2) {
      const end = runs[r]! + runs[r + 1]!;
      for (let block = runs[r]!; block < end; block++) blocks.push(this.codec.addressOf(block, 0));
    }
    return blocks;
  }

  /**
   * Frees the block at `address`. O(log n + log r).
   *
   * @throws {PmmError} `Reserved` when the block belongs to a reserved range (it is never
   * freed); `NotAllocated` when the block is free; `Misaligned` / `OutOfBounds` when
   * `address` is not a block address inside memory (including a value that is not a
   * non-negative integer of this PMM's address type).
   * @example
   * pmm.free(0x100000);
   */
  free(address: A): void {
    const block = this.blockIndex(address, "free");
    this.checkNotReserved(block, 1, "free", hex(address));
    if (!this.policy.isUsed(block)) {
      throw new PmmError("NotAllocated", `Cannot free ${hex(address)}: the block is not allocated`, { address });
    }
    this.policy.release(block, 1);
  }

  /**
   * Marks the block at `address` used; marking a used block changes nothing.
   *
   * @throws {PmmError} `Misaligned` / `OutOfBounds` when `address` is not a block address inside memory.
   */
  setAddr(address: A): void {
    this.policy.reserve(this.blockIndex(address, "set"), 1);
  }

  /**
   * Whether the block containing `address` (any byte of it) is used.
   *
   * @throws {PmmError} `OutOfBounds` when `address` is outside the managed memory.
   */
  isSet(address: A): boolean {
    this.checkInside(address, "query");
    return this.policy.isUsed(this.codec.blockOf(address));
  }

  /**
   * Whether every block of the block-aligned range `[start, end)` is free. O(blocks/32).
   *
   * @throws {PmmError} `Misaligned` / `OutOfBounds` when the range is not block-aligned inside memory.
   */
  isRangeFree(start: A, end: A): boolean {
    const [first, count] = this.checkRange(start, end, "query");
    return count === 0 || this.policy.firstUsedIn(first, count) === null;
  }

  /**
   * The address of the lowest used block of `[start, end)`, or `null` when all are free.
   *
   * @throws {PmmError} `Misaligned` / `OutOfBounds` when the range is not block-aligned inside memory.
   */
  firstUsedIn(start: A, end: A): A | null {
    const [first, count] = this.checkRange(start, end, "query");
    const block = count === 0 ? null : this.policy.firstUsedIn(first, count);
    return block === null ? null : this.codec.addressOf(block, 0);
  }

  /**
   * Marks every block of `[start, end)` used (used ones stay used). O(blocks/32 + log n).
   *
   * @throws {PmmError} `Misaligned` / `OutOfBounds` when the range is not block-aligned inside memory.
   */
  setRange(start: A, end: A): void {
    const [first, count] = this.checkRange(start, end, "set");
    if (count > 0) this.policy.reserve(first, count);
  }

  /**
   * Frees every block of `[start, end)`; all-or-nothing. O(blocks/32 + log n + log r).
   *
   * @throws {PmmError} `Reserved` (naming the first reserved block) when any block belongs
   * to a reserved range; `NotAllocated` (naming the first free block) when any block is free;
   * `Misaligned` / `OutOfBounds` when the range is not block-aligned inside memory.
   */
  freeRange(start: A, end: A): void {
    const [first, count] = this.checkRange(start, end, "free");
    if (count === 0) return;
    this.checkNotReserved(first, count, "free", hexRange(start, end));
    const unused = this.policy.firstFreeIn(first, count);
    if (unused !== null) {
      const address = this.codec.addressOf(unused, 0);
      throw new PmmError("NotAllocated", `Cannot free ${hexRange(start, end)}: block ${hex(address)} is not allocated`, { address });
    }
    this.policy.release(first, count);
  }

  /**
   * Whether the block containing `address` (any byte of it) belongs to a reserved range:
   * used from the start and never freed. O(log r).
   *
   * @throws {PmmError} `OutOfBounds` when `address` is outside the managed memory.
   */
  isReserved(address: A): boolean {
    this.checkInside(address, "query");
    const block = this.codec.blockOf(address);
    return this.reserved.firstRun(block, block + 1) >= 0;
  }

  /**
   * The reserved parts of the block-aligned range `[start, end)`, in address order, each
   * clipped to the range (merged: two never touch). O(log r + k) for k parts.
   *
   * @throws {PmmError} `Misaligned` / `OutOfBounds` when the range is not block-aligned inside memory.
   * @example
   * pmm.reservedIn(0, 0x100000); // [{ start: 0, end: 0x1000 }, { start: 0x9f000, end: 0x100000 }] after boot
   */
  reservedIn(start: A, end: A): Range<A>[] {
    const [first, count] = this.checkRange(start, end, "query");
    const last = first + count;
    const parts: Range<A>[] = [];
    const reserved = this.reserved;
    for (let run = reserved.firstRun(first, last); run >= 0 && run < reserved.runCount && reserved.runStart(run) < last; run++) {
      const from = Math.max(reserved.runStart(run), first);
      const to = Math.min(reserved.runEnd(run), last);
      parts.push({ start: this.codec.addressOf(from, 0), end: this.codec.addressOf(to, 0) });
    }
    return parts;
  }

  /** Number of free blocks; O(1). */
  blocksFree(): number {
    return this.policy.freeBlocks;
  }

  /** Number of used blocks; O(1). */
  blocksUsed(): number {
    return this.numBlocks - this.policy.freeBlocks;
  }

  /** How fragmented the free blocks are (see `FragmentationStats`; the buddy policy's `buddyStats()` adds per-order figures). */
  stats(): FragmentationStats {
    return this.policy.stats();
  }

  /** A bitmap of the used blocks (bit `i` of word `i >>> 5` = block `i`; bits past the end set), for snapshots and comparisons. O(runs + n/32). */
  snapshot(): Uint32Array {
    return usedBlockWords(this.policy, this.numBlocks);
  }

  /** The blocks `[first, last)` a reserved range covers: rounded outward to blocks, clipped to memory (maybe empty). */
  private reservedRun(range: unknown): [number, number] {
    if (typeof range !== "object" || range === null) {
      throw new PmmError("OutOfBounds", `Cannot reserve ${describeValue(range)}: not a range { start, end }`, { address: range as A });
    }
    const { start, end } = range as Partial<Range<A>>;
    const codec = this.codec;
    if (!codec.accepts(start) || !codec.accepts(end) || end < start) {
      throw new PmmError("OutOfBounds", `Cannot reserve ${codec.showRange(start, end)}: not a valid range of non-negative addresses`, { address: start! });
    }
    const first = codec.blockOf(start);
    const last = Math.min(codec.blockOf(end) + (codec.offsetOf(end) === 0 ? 0 : 1), this.numBlocks);
    return [Math.min(first, last), last];
  }

  /** Throws `Reserved` when any of blocks `[first, first + count)` is reserved; `what` is the address or range as the caller gave it. */
  private checkNotReserved(first: number, count: number, action: string, what: string): void {
    const run = this.reserved.firstRun(first, first + count);
    if (run < 0) return;
    const start = this.reserved.runStart(run);
    const address = this.codec.addressOf(Math.max(start, first), 0);
    const reserved = hexRange(this.codec.addressOf(start, 0), this.codec.addressOf(this.reserved.runEnd(run), 0));
    throw new PmmError("Reserved", `Cannot ${action} ${what}: block ${hex(address)} is reserved (${reserved} was reserved when the PMM was built)`, { address });
  }

  private checkInside(address: A, action: string): void {
    if (!this.codec.accepts(address) || address >= this.limit) {
      throw new PmmError("OutOfBounds", `Cannot ${action} ${this.codec.show(address)}: ${this.whyNotInside(address)} ${hexRange(this.codec.addressOf(0, 0), this.limit)}`, { address });
    }
  }

  private checkAligned(address: A, action: string): void {
    if (this.codec.offsetOf(address) !== 0) {
      throw new PmmError("Misaligned", `Cannot ${action} ${hex(address)}: not aligned to the ${this.blockSize}-byte block size`, { address });
    }
  }

  private blockIndex(address: A, action: string): number {
    this.checkInside(address, action);
    this.checkAligned(address, action);
    return this.codec.blockOf(address);
  }

  /** Validates a block-aligned range `[start, end)` inside memory (throws otherwise); its first block and block count. */
  private checkRange(start: A, end: A, action: string): [first: number, count: number] {
    const codec = this.codec;
    const limit = this.limit;
    const startBad = !codec.accepts(start) || start > limit;
    if (startBad || !codec.accepts(end) || end > limit) {
      const bad = startBad ? start : end;
      throw new PmmError("OutOfBounds", `Cannot ${action} ${codec.showRange(start, end)}: ${codec.show(bad)} is ${this.whyNotInside(bad)} ${hexRange(codec.addressOf(0, 0), limit)}`, { address: bad });
    }
    this.checkAligned(start, action);
    this.checkAligned(end, action);
    if (end < start) {
      throw new PmmError("OutOfBounds", `Cannot ${action} ${hexRange(start, end)}: the end is before the start`, { address: start });
    }
    const first = codec.blockOf(start);
    return [first, codec.blockOf(end) - first];
  }

  /** How an address fails to lie in physical memory: not an address (of this PMM's type) at all, or past its end. */
  private whyNotInside(address: unknown): string {
    if (this.codec.accepts(address)) return "outside physical memory";
    return this.codec.type === "number" ? "not an address (a non-negative safe integer) in physical memory" : "not an address (a non-negative bigint) in physical memory";
  }
}

/** The used blocks of `policy` as bitmap words (bits past `numBlocks` set), found a run at a time. */
export function usedBlockWords(policy: { firstUsedIn(first: number, count: number): number | null; isUsed(block: number): boolean }, numBlocks: number): Uint32Array {
  const words = new Uint32Array(Math.ceil(numBlocks / 32));
  const mark = (block: number): void => {
    words[block >>> 5]! |= 1 << (block & 31);
  };
  for (let block = numBlocks; block < words.length * 32; block++) mark(block);
  let block = numBlocks === 0 ? null : policy.firstUsedIn(0, numBlocks);
  while (block !== null) {
    for (; block < numBlocks && policy.isUsed(block); block++) mark(block);
    block = block >= numBlocks ? null : policy.firstUsedIn(block, numBlocks - block);
  }
  return words;
}

/** The constructor of {@link PhysicalMemoryManager}: `A` is `bigint` when `memoryBytes` is a `bigint`, else `number` (never a literal type). */
export interface PhysicalMemoryManagerConstructor {
  new (options: PhysicalMemoryOptions<number>): PhysicalMemoryManager<number>;
  new (options: PhysicalMemoryOptions<bigint>): PhysicalMemoryManager<bigint>;
  new <A extends Address>(options: PhysicalMemoryOptions<A>): PhysicalMemoryManager<A>;
  /** The prototype every PMM shares (so `instanceof PhysicalMemoryManager` works). */
  readonly prototype: PhysicalMemoryManager<Address>;
}

/** The physical memory manager over addresses of type `A` (`number` by default); see {@link PhysicalMemoryManagerImpl}. */
export type PhysicalMemoryManager<A extends Address = number> = PhysicalMemoryManagerImpl<A>;

/** Builds a physical memory manager; `A` is `bigint` when `memoryBytes` is a `bigint`, else `number`. See {@link PhysicalMemoryManagerImpl}. */
export const PhysicalMemoryManager: PhysicalMemoryManagerConstructor = PhysicalMemoryManagerImpl;
