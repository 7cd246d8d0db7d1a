/**
 * The mixed workload of section 1 (random sizes of 1–64 blocks, random frees of live
 * allocations, held at a target of used blocks) driven at the block level: straight against
 * a `VirtualAllocator`, optionally with a `FramePolicy` backing each allocation, without a
 * VMM: the allocators' own cost, apart from the allocation table and the mapper (sections 2c
 * and 6 measure them inside the VMM).
 */

import { mulberry32, type FramePolicy, type VirtualAllocator } from "kmem";
import { MAX_ALLOC_BLOCKS } from "./workload.js";

/** A multiplier for the running checksum of returned blocks (any odd constant). */
const CHECKSUM_MULTIPLIER = 31;

/** What the workload drives: contiguous virtual blocks, and the physical runs behind them. */
export interface PolicyUnderTest {
  /** Takes `count` contiguous blocks by first fit; the first, or `null`. */
  alloc(count: number): number | null;
  /** Frees an allocation `alloc` returned. */
  free(first: number, count: number): void;
  /** Physical runs handed out so far (0 without a physical side). */
  readonly physicalRuns: number;
}

/** First fit on a `VirtualAllocator` alone. */
export function virtualOnly(space: VirtualAllocator): PolicyUnderTest {
  return {
    alloc(count) {
      const first = space.findFree(count, 1, 0);
      if (first !== null) space.reserve(first, count);
      return first;
    },
    free(first, count) {
      space.release(first, count);
    },
    physicalRuns: 0,
  };
}

/**
 * First fit on a `VirtualAllocator`, each allocation backed by `frames.allocRuns(count)` as a
 * VMM does (one mapper call per run); freeing releases the virtual blocks and every run.
 */
export function virtualWithFrames(space: VirtualAllocator, frames: FramePolicy): PolicyUnderTest {
  const backing = new Map<number, number[]>();
  const subject = {
    physicalRuns: 0,
    alloc(count: number): number | null {
      const first = space.findFree(count, 1, 0);
      if (first === null) return null;
      const runs = frames.allocRuns(count);
      if (runs === null) return null;
      space.reserve(first, count);
      backing.set(first, runs);
      subject.physicalRuns += runs.length / 2;
      return first;
    },
    free(first: number, count: number): void {
      space.release(first, count);
      const runs = backing.get(first)!;
      backing.delete(first);
      for (let i = 0; i < runs.length; i += 2) frames.release(runs[i]!, runs[i + 1]!);
    },
  };
  return subject;
}

/** One subject's walk through the seeded operation sequence. */
export class PolicyWorkload {
  /** Operations performed so far. */
  ops = 0;
  /** Allocations that returned `null`. */
  failedAllocs = 0;
  /** Blocks currently allocated. */
  usedBlocks = 0;
  /** A running hash of every block `alloc` returned, to compare subjects. */
  checksum = 0;
  private readonly next: () => number;
  private readonly firsts: number[] = [];
  private readonly sizes: number[] = [];

  /** Drives `subject`, keeping about `targetBlocks` blocks in use. */
  constructor(
    private readonly subject: PolicyUnderTest,
    private readonly targetBlocks: number,
    seed: number,
  ) {
    this.next = mulberry32(seed);
  }

  /** Allocations currently live. */
  get liveAllocations(): number {
    return this.firsts.length;
  }

  /** One operation: allocate while below the target, else free a random live allocation. */
  step(): void {
    this.ops++;
    if (this.usedBlocks < this.targetBlocks) {
      const count = 1 + (this.next() % MAX_ALLOC_BLOCKS);
      const first = this.subject.alloc(count);
      if (first === null) {
        this.failedAllocs++;
        return;
      }
      this.firsts.push(first);
      this.sizes.push(count);
      this.usedBlocks += count;
      this.checksum = (Math.imul(this.checksum, CHECKSUM_MULTIPLIER) + first) | 0;
      return;
    }
    const i = this.next() % this.firsts.length;
    const last = this.firsts.length - 1;
    const first = this.firsts[i]!;
    const count = this.sizes[i]!;
    this.usedBlocks -= count;
    this.firsts[i] = this.firsts[last]!;
    this.sizes[i] = this.sizes[last]!;
    this.firsts.pop();
    this.sizes.pop();
    this.subject.free(first, count);
  }

  /** Runs `count` operations. */
  run(count: number): void {
    for (let i = 0; i < count; i++) this.step();
  }

  /** Allocates until the target is reached. */
  fill(): void {
    while (this.usedBlocks < this.targetBlocks) this.step();
  }
}
