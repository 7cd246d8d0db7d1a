/**
 * A faithful port of the allocation path of the seed's `VirtualMemoryManager`
 * (`/work/shared/seed/vmm.zig.txt`): `init`, `isSet`, `alloc`, `free`. Line numbers below
 * refer to that file. The seed's defects that the benchmark does not exercise are kept
 * (e.g. `free` and `isSet` index by `vaddr / BLOCK_SIZE` without subtracting `start`;
 * benchmarks use `start = 0`). Baseline only: nothing in `src/` uses it.
 */

import { SeedBitmap } from "./bitmap.js";
import { SEED_BLOCK_SIZE, type SeedPmm } from "./pmm.js";
import { SeedError } from "./seed-error.js";

/** The seed's `Attributes` (lines 14–21). */
export interface SeedAttributes {
  readonly kernel: boolean;
  readonly writable: boolean;
  readonly cachable: boolean;
}

/** The seed's `Mapper(Payload)` (lines 35–57): `mapFn` and `unmapFn`. */
export interface SeedMapper<P> {
  mapFn(vStart: number, vEnd: number, pStart: number, pEnd: number, attrs: SeedAttributes, payload: P): void;
  unmapFn(vStart: number, vEnd: number, payload: P): void;
}

/** The seed's `Allocation` (lines 22–25): the physical blocks behind one allocation. */
interface SeedAllocation {
  readonly physical: number[];
}

/** The seed's `VirtualMemoryManager(Payload)`, allocation path only. */
export class SeedVmm<P> {
  /** `bmp: bitmap.Bitmap(usize)` (line 74). */
  readonly bmp: SeedBitmap;
  /** `allocations: std.hash_map.AutoHashMap(usize, Allocation)` (line 82). */
  readonly allocations = new Map<number, SeedAllocation>();

  /** Mirrors `init` (lines 99–108): one bitmap entry per block of `[start, end)`. */
  constructor(
    readonly start: number,
    readonly end: number,
    readonly pmm: SeedPmm,
    readonly mapper: SeedMapper<P>,
    readonly payload: P,
  ) {
    this.bmp = new SeedBitmap(Math.ceil((end - start) / SEED_BLOCK_SIZE));
  }

  /** Mirrors `isSet` (lines 118–119): `bmp.isSet(virt / BLOCK_SIZE)` (no `start` subtracted). */
  isSet(virt: number): boolean {
    return this.bmp.isSet(Math.floor(virt / SEED_BLOCK_SIZE));
  }

  /**
   * Mirrors `alloc` (lines 171–192): check free counts, `bmp.setContiguous(num)` (the
   * bit-by-bit scan), then per block one `pmm.alloc()` (first free from block 0) and one
   * `mapFn` call, then `allocations.put(vaddr_start, …)`.
   */
  alloc(num: number, attrs: SeedAttributes): number | null {
    if (num === 0) {
      return null;
    }
    // Ensure that there is both enough physical and virtual address space free (line 174).
    if (this.pmm.blocksFree() >= num && this.bmp.numFreeEntries >= num) {
      const entry = this.bmp.setContiguous(num);
      if (entry !== null) {
        const blockList: number[] = [];
        const vaddrStart = this.start + entry * SEED_BLOCK_SIZE;
        let vaddr = vaddrStart;
        // Map the blocks to physical memory (lines 183–189).
        for (let i = 0; i < num; i++) {
          const addr = this.pmm.alloc();
          if (addr === null) {
            throw new SeedError("unreachable");
          }
          blockList.push(addr);
          this.mapper.mapFn(vaddr, vaddr + SEED_BLOCK_SIZE, addr, addr + SEED_BLOCK_SIZE, attrs, this.payload);
          vaddr += SEED_BLOCK_SIZE;
        }
        this.allocations.set(vaddrStart, { physical: blockList });
        return vaddrStart;
      }
    }
    return null;
  }

  /**
   * Mirrors `free` (lines 200–218): per block `bmp.clearEntry` and `pmm.free`, one `unmapFn`
   * over the whole range, then the allocation leaves the map (line 216's comment; the
   * statement itself was lost with the braces, and the seed's test asserts the entry is gone).
   *
   * @throws SeedError `NotAllocated` when the entry is clear.
   */
  free(vaddr: number): void {
    const entry = Math.floor(vaddr / SEED_BLOCK_SIZE);
    if (this.bmp.isSet(entry)) {
      const allocation = this.allocations.get(vaddr);
      if (allocation === undefined) {
        throw new SeedError("unreachable");
      }
      const physical = allocation.physical;
      const numPhysicalAllocations = physical.length;
      for (let i = 0; i < numPhysicalAllocations; i++) {
        this.bmp.clearEntry(entry + i);
        this.pmm.free(physical[i]!);
      }
      const regionStart = entry * SEED_BLOCK_SIZE;
      const regionEnd = (entry + numPhysicalAllocations) * SEED_BLOCK_SIZE;
      this.mapper.unmapFn(regionStart, regionEnd, this.payload);
      this.allocations.delete(vaddr);
    } else {
      throw new SeedError("NotAllocated");
    }
  }
}
