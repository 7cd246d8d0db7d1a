import { BITS_PER_WORD, BIT_INDEX_MASK, WORD_SHIFT } from "./bitmap-words.js";
import type { Attributes, Range } from "./types.js";

/** One region of a virtual memory manager, as `VirtualMemoryManager.allocations()` reports it. */
export interface Allocation {
  /** The virtual range, block-aligned, end exclusive. */
  readonly virtual: Range;
  /** The physical block address behind each virtual block, in order; empty for a `set` without physical range. */
  readonly physical: readonly number[];
  /** The attributes the region was mapped with. */
  readonly attrs: Attributes;
}

const KERNEL_BIT = 1;
const WRITABLE_BIT = 2;
const CACHABLE_BIT = 4;
const ATTRIBUTE_VARIANTS = 8;

/** One frozen `Attributes` object per combination, shared by every allocation (no per-allocation copy). */
const SHARED_ATTRIBUTES: readonly Attributes[] = Array.from({ length: ATTRIBUTE_VARIANTS }, (_, bits) =>
  Object.freeze({ kernel: (bits & KERNEL_BIT) !== 0, writable: (bits & WRITABLE_BIT) !== 0, cachable: (bits & CACHABLE_BIT) !== 0 }),
);

/** The shared frozen copy of `attrs` (allocations keep it, so later changes to the caller's object do not leak in). */
export function sharedAttributes(attrs: Attributes): Attributes {
  return SHARED_ATTRIBUTES[(attrs.kernel ? KERNEL_BIT : 0) | (attrs.writable ? WRITABLE_BIT : 0) | (attrs.cachable ? CACHABLE_BIT : 0)]!;
}

const NO_OWNER = 0;
/** Below one allocation per this many marker words, sorting the keys beats walking the markers. */
const SORT_THRESHOLD = 16;

/**
 * The VMM's bookkeeping (internal to `vmm.ts`): allocations keyed by their first virtual
 * block, a start-marker bit per virtual block (for "which allocation contains this block"
 * and for address-ordered listing without sorting), and a reverse index from physical block
 * to virtual block for O(1) `physToVirt`.
 *
 * Memory: 1/8 byte per virtual block for the markers plus one entry per allocation. The
 * reverse index (4 bytes per physical block of the PMM's memory, a map entry per device
 * block) is built on the first {@link AllocationTable.ownerOf} call — O(mapped blocks) once —
 * and kept up to date from then on, so address spaces that never ask pay nothing for it.
 */
export class AllocationTable {
  private readonly byFirst = new Map<number, Allocation>();
  private readonly starts: Uint32Array;
  /** Virtual block + 1 for each physical block in RAM (0: not mapped by this VMM); null until first asked. */
  private ownerInRam: Int32Array | null = null;
  /** Virtual block for physical blocks past RAM (device memory). */
  private readonly ownerBeyondRam = new Map<number, number>();

  constructor(numVirtualBlocks: number, private readonly numPhysicalBlocks: number, private readonly blockSize: number) {
    this.starts = new Uint32Array(Math.ceil(numVirtualBlocks / BITS_PER_WORD));
  }

  /** Number of allocations. */
  get size(): number {
    return this.byFirst.size;
  }

  /** The allocation whose first virtual block is `first`. */
  get(first: number): Allocation | undefined {
    return this.byFirst.get(first);
  }

  /** Records `allocation`, which begins at virtual block `first`. */
  add(first: number, allocation: Allocation): void {
    this.byFirst.set(first, allocation);
    this.starts[first >>> WORD_SHIFT]! |= 1 << (first & BIT_INDEX_MASK);
    if (this.ownerInRam !== null) this.indexRamOwners(first, allocation);
    if (this.hasDeviceBlocks(allocation)) {
      const physical = allocation.physical;
      for (let i = 0; i < physical.length; i++) {
        const block = physical[i]! / this.blockSize;
        if (block >= this.numPhysicalBlocks) this.ownerBeyondRam.set(block, first + i);
      }
    }
  }

  /** Forgets the allocation beginning at virtual block `first`. */
  remove(first: number, allocation: Allocation): void {
    this.byFirst.delete(first);
    this.starts[first >>> WORD_SHIFT]! &= ~(1 << (first & BIT_INDEX_MASK));
    const owners = this.ownerInRam;
    if (owners === null && !this.hasDeviceBlocks(allocation)) return;
    const physical = allocation.physical;
    for (let i = 0; i < physical.length; i++) {
      const block = physical[i]! / this.blockSize;
      if (block >= this.numPhysicalBlocks) this.ownerBeyondRam.delete(block);
      else if (owners !== null) owners[block] = NO_OWNER;
    }
  }

  /**
   * The first block of the allocation containing virtual block `block`, which the caller
   * knows to be in use: the nearest start marker at or below it. O(allocation length / 32).
   */
  startOf(block: number): number {
    let w = block >>> WORD_SHIFT;
    // Keep only markers at or below `block` in its word: bits 0..(block & 31).
    let bits = this.starts[w]! & (-1 >>> (BIT_INDEX_MASK - (block & BIT_INDEX_MASK)));
    while (bits === 0 && w > 0) bits = this.starts[--w]!;
    // 31 - clz32 is the position of the highest set bit.
    return bits === 0 ? -1 : w * BITS_PER_WORD + (BIT_INDEX_MASK - Math.clz32(bits));
  }

  /** The virtual block mapped to physical block `physicalBlock` by this VMM, or -1. */
  ownerOf(physicalBlock: number): number {
    if (physicalBlock >= this.numPhysicalBlocks) return this.ownerBeyondRam.get(physicalBlock) ?? -1;
    let owners = this.ownerInRam;
    if (owners === null) {
      owners = this.ownerInRam = new Int32Array(this.numPhysicalBlocks);
      for (const [first, allocation] of this.byFirst) this.indexRamOwners(first, allocation);
    }
    return owners[physicalBlock]! - 1;
  }

  /** The virtual block mapped to device block `physicalBlock` (past RAM) by this VMM, or -1; never builds the RAM index. */
  deviceOwnerOf(physicalBlock: number): number {
    return this.ownerBeyondRam.get(physicalBlock) ?? -1;
  }

  /**
   * Every allocation in address order: O(k log k) by sorting the k keys when allocations are
   * few, else O(blocks/32 + k) walking the start markers a word at a time.
   */
  inOrder(): Allocation[] {
    if (this.byFirst.size * SORT_THRESHOLD < this.starts.length) {
      return [...this.byFirst.keys()].sort((a, b) => a - b).map((first) => this.byFirst.get(first)!);
    }
    const result: Allocation[] = [];
    for (let w = 0; w < this.starts.length; w++) {
      let bits = this.starts[w]!;
      while (bits !== 0) {
        // bits & -bits isolates the lowest marker; 31 - clz32 is its position.
        const low = bits & -bits;
        result.push(this.byFirst.get(w * BITS_PER_WORD + (BIT_INDEX_MASK - Math.clz32(low)))!);
        bits ^= low;
      }
    }
    return result;
  }

  /** Records in the RAM reverse index that `allocation`'s physical blocks belong to virtual blocks from `first`. */
  private indexRamOwners(first: number, allocation: Allocation): void {
    const owners = this.ownerInRam!;
    const physical = allocation.physical;
    for (let i = 0; i < physical.length; i++) {
      const block = physical[i]! / this.blockSize;
      if (block < owners.length) owners[block] = first + i + 1;
    }
  }

  /** Whether any physical block of `allocation` lies past RAM (its blocks ascend, so the last one tells). */
  private hasDeviceBlocks(allocation: Allocation): boolean {
    const physical = allocation.physical;
    return physical.length > 0 && physical[physical.length - 1]! / this.blockSize >= this.numPhysicalBlocks;
  }
}
