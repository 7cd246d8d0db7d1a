import type { AddressCodec } from "./address.js";
import { BITS_PER_WORD, BIT_INDEX_MASK, WORD_SHIFT, highestSetBit, lowestSetBit } from "./bitmap-words.js";
import { SortedBlocks } from "./sorted-blocks.js";
import type { Address, Attributes, Range } from "./types.js";

/** One region of a virtual memory manager, as `VirtualMemoryManager.allocations()` reports it (addresses of the VMM's type `A`). */
export interface Allocation<A extends Address = number> {
  /** The virtual range, block-aligned, end exclusive. */
  readonly virtual: Range<A>;
  /** The physical block address behind each virtual block, in order; empty for a `set` without physical range. */
  readonly physical: readonly A[];
  /** The attributes the region was mapped with. */
  readonly attrs: Attributes;
}

/**
 * One allocation as the table stores it: `[virtual block count, attribute bits, then a
 * (first physical block, block count) pair per physically contiguous run]`, runs in virtual
 * order. Small integers only, so V8 keeps it as one packed array with no per-block values.
 */
export type AllocationRecord = number[];

/** Index of the virtual block count in an {@link AllocationRecord}. */
const COUNT = 0;
/** Index of the attribute bits in an {@link AllocationRecord}. */
const ATTRIBUTE_BITS = 1;
/** Index of the first run's first physical block in an {@link AllocationRecord}. */
export const FIRST_RUN = 2;
/** Numbers per run in an {@link AllocationRecord}. */
export const RUN_STRIDE = 2;

const KERNEL_BIT = 1;
const WRITABLE_BIT = 2;
const CACHABLE_BIT = 4;
const ATTRIBUTE_VARIANTS = 8;

/** One frozen `Attributes` object per combination, shared by every allocation (no per-allocation copy). */
const SHARED_ATTRIBUTES: readonly Attributes[] = Array.from({ length: ATTRIBUTE_VARIANTS }, (_, bits) =>
  Object.freeze({ kernel: (bits & KERNEL_BIT) !== 0, writable: (bits & WRITABLE_BIT) !== 0, cachable: (bits & CACHABLE_BIT) !== 0 }),
);

/** The attribute bits of `attrs`, indexing the shared frozen copies. */
function attributeBits(attrs: Attributes): number {
  return (attrs.kernel ? KERNEL_BIT : 0) | (attrs.writable ? WRITABLE_BIT : 0) | (attrs.cachable ? CACHABLE_BIT : 0);
}

/** Builds the record of an allocation of `count` virtual blocks backed by `runs` (pairs of first physical block, length). */
export function makeRecord(count: number, attrs: Attributes, runs: readonly number[]): AllocationRecord {
  const record = new Array<number>(FIRST_RUN + runs.length);
  record[COUNT] = count;
  record[ATTRIBUTE_BITS] = attributeBits(attrs);
  for (let i = 0; i < runs.length; i++) record[FIRST_RUN + i] = runs[i]!;
  return record;
}

/** Number of virtual blocks of the allocation `record` describes. */
export function recordCount(record: AllocationRecord): number {
  return record[COUNT]!;
}

/** Whether the allocation `record` describes has physical backing (was mapped). */
export function isMapped(record: AllocationRecord): boolean {
  return record.length > FIRST_RUN;
}

/** The physical block behind the `index`-th virtual block of `record`, or -1 when it has no backing. O(runs). */
export function physicalBlockAt(record: AllocationRecord, index: number): number {
  let offset = index;
  for (let r = FIRST_RUN; r < record.length; r += RUN_STRIDE) {
    const length = record[r + 1]!;
    if (offset < length) return record[r]! + offset;
    offset -= length;
  }
  return -1;
}

const NO_OWNER = 0;
/** Below one allocation per this many marker words, sorting the keys beats walking the markers. */
const SORT_THRESHOLD = 16;
/** Spaces of more virtual blocks keep their allocation starts in a {@link SortedBlocks} instead of a bit per block. */
const MAX_MARKED_BLOCKS = 2 ** 30;
/** Owners (virtual block + 1) up to this fit an `Int32Array` reverse index; larger spaces use a `Float64Array`. */
const MAX_INT32_OWNER = 2 ** 31 - 1;

/**
 * The VMM's bookkeeping (internal to `vmm.ts`): allocations keyed by their first virtual
 * block, a start-marker bit per virtual block (for "which allocation contains this block"
 * and for address-ordered listing without sorting), and a reverse index from physical block
 * to virtual block for O(1) `physToVirt`.
 *
 * Each allocation is one {@link AllocationRecord} — its size, attributes and physical runs
 * (two numbers per physically contiguous run, not one per block); the public
 * {@link Allocation} objects are built only when asked for.
 *
 * Memory: 1/8 byte per virtual block for the markers (in spaces of more than 2^30 blocks, a
 * sorted set of the starts instead: 8 bytes per allocation) plus one map entry and a small array
 * of 2 + 2·runs numbers per allocation. The reverse index (4 bytes per physical block of
 * the PMM's memory, a map entry per device block) is built on the first
 * {@link AllocationTable.ownerOf} call — O(mapped blocks) once — and kept up to date from
 * then on, so address spaces that never ask pay nothing for it.
 */
export class AllocationTable<A extends Address = number> {
  private readonly byFirst = new Map<number, AllocationRecord>();
  /** A start-marker bit per virtual block (spaces of up to 2^30 blocks), else empty. */
  private readonly starts: Uint32Array;
  /** The allocation starts of larger spaces, else null. */
  private readonly sparseStarts: SortedBlocks | null;
  /** Virtual block + 1 for each physical block in RAM (0: not mapped by this VMM); null until first asked. */
  private ownerInRam: Int32Array | Float64Array | null = null;
  /** Virtual block for physical blocks past RAM (device memory). */
  private readonly ownerBeyondRam = new Map<number, number>();

  /**
   * An empty table for `numVirtualBlocks` virtual blocks from absolute block `startBlock`,
   * over `numPhysicalBlocks` blocks of RAM; `codec` turns blocks into addresses for {@link describe}.
   */
  constructor(
    private readonly numVirtualBlocks: number,
    private readonly numPhysicalBlocks: number,
    private readonly codec: AddressCodec<A>,
    private readonly startBlock: number,
  ) {
    const marked = numVirtualBlocks <= MAX_MARKED_BLOCKS;
    this.starts = new Uint32Array(marked ? Math.ceil(numVirtualBlocks / BITS_PER_WORD) : 0);
    this.sparseStarts = marked ? null : new SortedBlocks();
  }

  /** Number of allocations. */
  get size(): number {
    return this.byFirst.size;
  }

  /** The record of the allocation whose first virtual block is `first`. */
  get(first: number): AllocationRecord | undefined {
    return this.byFirst.get(first);
  }

  /** The public view of the allocation beginning at virtual block `first` (described by `record`). */
  describe(first: number, record: AllocationRecord): Allocation<A> {
    const count = record[COUNT]!;
    const physical: A[] = [];
    for (let r = FIRST_RUN; r < record.length; r += RUN_STRIDE) {
      const end = record[r]! + record[r + 1]!;
      for (let block = record[r]!; block < end; block++) physical.push(this.codec.addressOf(block, 0));
    }
    const start = this.codec.addressOf(this.startBlock + first, 0);
    const end = this.codec.addressOf(this.startBlock + first + count, 0);
    return { virtual: { start, end }, physical, attrs: SHARED_ATTRIBUTES[record[ATTRIBUTE_BITS]!]! };
  }

  /** Records `record`, an allocation beginning at virtual block `first`. */
  add(first: number, record: AllocationRecord): void {
    this.byFirst.set(first, record);
    if (this.sparseStarts === null) this.starts[first >>> WORD_SHIFT]! |= 1 << (first & BIT_INDEX_MASK);
    else this.sparseStarts.add(first);
    if (this.ownerInRam !== null) this.indexRamOwners(first, record);
    if (this.hasDeviceBlocks(record)) {
      this.forEachBlock(record, (block, index) => {
        if (block >= this.numPhysicalBlocks) this.ownerBeyondRam.set(block, first + index);
      });
    }
  }

  /** Forgets the allocation beginning at virtual block `first` (described by `record`). */
  remove(first: number, record: AllocationRecord): void {
    this.byFirst.delete(first);
    if (this.sparseStarts === null) this.starts[first >>> WORD_SHIFT]! &= ~(1 << (first & BIT_INDEX_MASK));
    else this.sparseStarts.delete(first);
    const owners = this.ownerInRam;
    if (owners === null && !this.hasDeviceBlocks(record)) return;
    for (let r = FIRST_RUN; r < record.length; r += RUN_STRIDE) {
      const runStart = record[r]!;
      const runEnd = runStart + record[r + 1]!;
      const ramEnd = Math.min(runEnd, this.numPhysicalBlocks);
      if (owners !== null && runStart < ramEnd) owners.fill(NO_OWNER, runStart, ramEnd);
      for (let block = Math.max(runStart, this.numPhysicalBlocks); block < runEnd; block++) this.ownerBeyondRam.delete(block);
    }
  }

  /**
   * The first block of the allocation containing virtual block `block`, which the caller
   * knows to be in use: the nearest start marker at or below it. O(allocation length / 32)
   * (sparse spaces: O(log k)).
   */
  startOf(block: number): number {
    if (this.sparseStarts !== null) return this.sparseStarts.floor(block);
    let w = block >>> WORD_SHIFT;
    // Keep only markers at or below `block` in its word: bits 0..(block & 31).
    let bits = this.starts[w]! & (-1 >>> (BIT_INDEX_MASK - (block & BIT_INDEX_MASK)));
    while (bits === 0 && w > 0) bits = this.starts[--w]!;
    return bits === 0 ? -1 : w * BITS_PER_WORD + highestSetBit(bits);
  }

  /** The virtual block mapped to physical block `physicalBlock` by this VMM, or -1. */
  ownerOf(physicalBlock: number): number {
    if (physicalBlock >= this.numPhysicalBlocks) return this.ownerBeyondRam.get(physicalBlock) ?? -1;
    let owners = this.ownerInRam;
    if (owners === null) {
      owners = this.ownerInRam = this.numVirtualBlocks < MAX_INT32_OWNER ? new Int32Array(this.numPhysicalBlocks) : new Float64Array(this.numPhysicalBlocks);
      for (const [first, record] of this.byFirst) this.indexRamOwners(first, record);
    }
    return owners[physicalBlock]! - 1;
  }

  /** The virtual block mapped to device block `physicalBlock` (past RAM) by this VMM, or -1; never builds the RAM index. */
  deviceOwnerOf(physicalBlock: number): number {
    return this.ownerBeyondRam.get(physicalBlock) ?? -1;
  }

  /**
   * Every allocation in address order: O(k log k) by sorting the k keys when allocations are
   * few, else O(blocks/32 + k) walking the start markers a word at a time (plus the blocks listed).
   */
  inOrder(): Allocation<A>[] {
    if (this.sparseStarts !== null) return Array.from(this.sparseStarts, (first) => this.describe(first, this.byFirst.get(first)!));
    if (this.byFirst.size * SORT_THRESHOLD < this.starts.length) {
      return [...this.byFirst.keys()].sort((a, b) => a - b).map((first) => this.describe(first, this.byFirst.get(first)!));
    }
    const result: Allocation<A>[] = [];
    for (let w = 0; w < this.starts.length; w++) {
      let bits = this.starts[w]!;
      while (bits !== 0) {
        const first = w * BITS_PER_WORD + lowestSetBit(bits);
        result.push(this.describe(first, this.byFirst.get(first)!));
        // Clear the marker just listed (the lowest set bit).
        bits &= bits - 1;
      }
    }
    return result;
  }

  /** Records in the RAM reverse index that `record`'s physical blocks belong to virtual blocks from `first`. */
  private indexRamOwners(first: number, record: AllocationRecord): void {
    const owners = this.ownerInRam!;
    let owner = first + 1;
    for (let r = FIRST_RUN; r < record.length; r += RUN_STRIDE) {
      const runStart = record[r]!;
      const length = record[r + 1]!;
      const ramEnd = Math.min(runStart + length, owners.length);
      for (let block = runStart; block < ramEnd; block++) owners[block] = owner + (block - runStart);
      owner += length;
    }
  }

  /** Calls `visit` with each physical block of `record` and its index in the allocation. */
  private forEachBlock(record: AllocationRecord, visit: (block: number, index: number) => void): void {
    let index = 0;
    for (let r = FIRST_RUN; r < record.length; r += RUN_STRIDE) {
      const end = record[r]! + record[r + 1]!;
      for (let block = record[r]!; block < end; block++) visit(block, index++);
    }
  }

  /** Whether any physical block of `record` lies past RAM (its runs ascend, so the last one tells). */
  private hasDeviceBlocks(record: AllocationRecord): boolean {
    const last = record.length - RUN_STRIDE;
    return last >= FIRST_RUN && record[last]! + record[last + 1]! > this.numPhysicalBlocks;
  }
}
