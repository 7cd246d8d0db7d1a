/**
 * The allocators the benchmarks compare, behind one small adapter interface: a subject builds
 * a VMM over `[0, blocks * 4096)` backed by a PMM of the same size, with a counting mapper.
 */

import { SeedPmm, SEED_BLOCK_SIZE } from "./seed/pmm.js";
import { seedFillAlloc } from "./seed/fill.js";
import { SeedVmm, type SeedAttributes } from "./seed/vmm.js";

/** Bytes of allocator state, split by layer. */
export interface StateBytes {
  /** The virtual-space allocator (bitmap words, summary/tree arrays). */
  readonly virtual: number;
  /** The physical-block allocator behind it. */
  readonly physical: number;
  /** Typed-array indexes of the allocation table (kmem's start markers and physical→virtual owners); 0 for the seed's hash map. */
  readonly table: number;
}

/** One VMM under test: contiguous allocation of blocks and free by start address. */
export interface VmmUnderTest {
  /** Allocates `numBlocks` contiguous virtual blocks, each backed and mapped; start or `null`. */
  alloc(numBlocks: number): number | null;
  /** Frees the allocation starting at `vaddr`. */
  free(vaddr: number): void;
  /** Bytes held by the bitmaps/trees (not the allocation table). */
  stateBytes(): StateBytes;
  /** Mapper calls seen so far (keeps the no-op mapper observable). */
  mapperCalls(): number;
  /**
   * Optional fast path for the untimed fill phase: the same effect as `alloc(numBlocks)` when
   * every block below the allocation frontier is in use and every block above it is free.
   */
  fillAlloc?(numBlocks: number): number | null;
}

/** An allocator family the benchmarks can instantiate at any size. */
export interface Subject {
  /** Short name printed in tables and used as a JSON key. */
  readonly name: string;
  /** Whether this subject is slow enough that its runs must be time-boxed. */
  readonly timeBoxed: boolean;
  /** A fresh, empty VMM over `blocks` 4 KiB blocks with a PMM backing all of them. */
  makeVmm(blocks: number): VmmUnderTest;
}

/** The attributes every benchmark allocation uses. */
export const BENCH_ATTRIBUTES = { kernel: true, writable: true, cachable: true } as const;

/** Payload passed to mappers; unused by the counting mapper. */
export const BENCH_PAYLOAD = 0;

/** A mapper that only counts its calls: the benchmarks measure allocation, not page tables. */
export class CountingMapper {
  /** Calls to `map`/`mapFn` plus `unmap`/`unmapFn`. */
  calls = 0;

  map(): void {
    this.calls++;
  }

  unmap(): void {
    this.calls++;
  }

  mapFn(): void {
    this.calls++;
  }

  unmapFn(): void {
    this.calls++;
  }
}

/** The faithful seed port (`bench/seed/`): the baseline. */
export const seedSubject: Subject = {
  name: "seed",
  timeBoxed: true,
  makeVmm(blocks) {
    const pmm = new SeedPmm(blocks * SEED_BLOCK_SIZE);
    const mapper = new CountingMapper();
    const vmm = new SeedVmm<number>(0, blocks * SEED_BLOCK_SIZE, pmm, mapper, BENCH_PAYLOAD);
    const attrs: SeedAttributes = BENCH_ATTRIBUTES;
    return {
      alloc: (numBlocks) => vmm.alloc(numBlocks, attrs),
      free: (vaddr) => vmm.free(vaddr),
      stateBytes: () => ({ virtual: vmm.bmp.bitmaps.byteLength, physical: pmm.bitmap.bitmaps.byteLength, table: 0 }),
      mapperCalls: () => mapper.calls,
      fillAlloc: (numBlocks) => seedFillAlloc(vmm, numBlocks, attrs),
    };
  },
};

