import { mulberry32 } from "../../random.js";
import type { Attributes } from "../../types.js";

/** What {@link applyRandomOperations} needs from a VMM: `alloc` and `free` (as `VirtualMemoryManager`). */
export interface AllocFree {
  alloc(numBlocks: number, attrs: Attributes): number | null;
  free(vaddr: number): void;
}

/** What a run of random operations did. */
export interface RandomRunSummary {
  /** `alloc` calls, including those that found no room. */
  readonly allocs: number;
  /** `free` calls. */
  readonly frees: number;
  /** `alloc` calls that returned `null` (no room). */
  readonly failedAllocs: number;
  /** Start addresses still allocated at the end. */
  readonly live: readonly number[];
}

/** The largest allocation the run asks for, in blocks. */
const MAX_BLOCKS = 8;
/** Out of this many operations, roughly how many are allocations (the rest free). */
const ALLOC_WEIGHT = 0.6;
const UINT32 = 0x1_0000_0000;
/** The probability of each attribute being set. */
const COIN = 0.5;

/** A seeded generator of numbers in [0, 1): the same seed gives the same operations everywhere. */
export function seededRandom(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() / UINT32;
}

/**
 * Runs `count` seeded random operations on `vmm`: allocations of 1–8 blocks with random
 * kernel/user, writable and cachable attributes, and frees of random live allocations.
 *
 * @throws Whatever `vmm.alloc`/`vmm.free` throw (a correct VMM throws nothing here).
 * @example
 * const summary = applyRandomOperations(machine.vmm, { count: 300, seed: 1 });
 */
export function applyRandomOperations(vmm: AllocFree, options: { count: number; seed: number }): RandomRunSummary {
  const random = seededRandom(options.seed);
  const live: number[] = [];
  let allocs = 0;
  let frees = 0;
  let failedAllocs = 0;
  for (let i = 0; i < options.count; i++) {
    if (live.length === 0 || random() < ALLOC_WEIGHT) {
      const attrs: Attributes = { kernel: random() < COIN, writable: random() < COIN, cachable: random() < COIN };
      const start = vmm.alloc(1 + Math.floor(random() * MAX_BLOCKS), attrs);
      allocs++;
      if (start === null) failedAllocs++;
      else live.push(start);
    } else {
      const index = Math.floor(random() * live.length);
      const [start] = live.splice(index, 1);
      if (start !== undefined) vmm.free(start);
      frees++;
    }
  }
  return { allocs, frees, failedAllocs, live };
}
