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

const NO_OWNER = 0;
/** Below one allocation per this many marker words, sorting the keys beats walking the markers. */
const SORT_THRESHOLD = 16;

/**
 * The VMM's bookkeeping (internal to `vmm.ts`): allocations keyed by their first virtual
 * block, a start-marker bit per virtual block (for "which allocation contains this block"
 * and for address-ordered listing without sorting), and a reverse index from physical block
 * to virtual block for O(1) `physToVirt`.
 *
 * Memory: 1/8 byte per virtual block for the markers, 4 bytes per physical block of the
 * PMM's memory for the reverse index, plus one entry per allocation.
 */
export class AllocationTable {
  private readonly byFirst = new Map<number, Allocation>();
  private readonly starts: Uint32Array;
  /** Virtual block + 1 for each physical block in RAM (0: not mapped by this VMM). */
  private readonly ownerInRam: Int32Array;
  /** Virtual block for physical blocks past RAM (device memory). */
  private readonly ownerBeyondRam = new Map<number, number>();

  constructor(numVirtualBlocks: number, numPhysicalBlocks: number, private readonly blockSize: number) {
    this.starts = new Uint32Array(Math.ceil(numVirtualBlocks / BITS_PER_WORD));
    this.ownerInRam = new Int32Array(numPhysicalBlocks);
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
    const physical = allocation.physical;
    for (let i = 0; i < physical.length; i++) this.setOwner(physical[i]! / this.blockSize, first + i);
  }

  /** Forgets the allocation beginning at virtual block `first`. */
  remove(first: number, allocation: Allocation): void {
    this.byFirst.delete(first);
    this.starts[first >>> WORD_SHIFT]! &= ~(1 << (first & BIT_INDEX_MASK));
    const physical = allocation.physical;
    for (let i = 0; i < physical.length; i++) this.clearOwner(physical[i]! / this.blockSize);
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
    if (physicalBlock < this.ownerInRam.length) return this.ownerInRam[physicalBlock]! - 1;
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

  private setOwner(physicalBlock: number, virtualBlock: number): void {
    if (physicalBlock < this.ownerInRam.length) this.ownerInRam[physicalBlock] = virtualBlock + 1;
    else this.ownerBeyondRam.set(physicalBlock, virtualBlock);
  }

  private clearOwner(physicalBlock: number): void {
    if (physicalBlock < this.ownerInRam.length) this.ownerInRam[physicalBlock] = NO_OWNER;
    else this.ownerBeyondRam.delete(physicalBlock);
  }
}
