import type { PhysicalMemoryManager } from "../../src/pmm.js";
import type { VirtualMemoryManager } from "../../src/vmm.js";
import type { RecordingMapper } from "./recording-mapper.js";

/** Everything a VMM operation may change, copied so that it can be compared with `deepEqual`. */
export interface StackSnapshot {
  readonly vmmWords: number[];
  readonly vmmBlocksUsed: number;
  readonly pmmWords: number[];
  readonly pmmBlocksFree: number;
  readonly allocations: unknown[];
  readonly mapperPages: unknown[];
}

/** A full copy of the VMM's bitmap, the PMM's bitmap, the allocation table and the mapper's pages. */
export function snapshotStack<P>(vmm: VirtualMemoryManager<P>, pmm: PhysicalMemoryManager, mapper: RecordingMapper<P>): StackSnapshot {
  return {
    vmmWords: [...vmm.snapshot()],
    vmmBlocksUsed: vmm.blocksUsed,
    pmmWords: [...pmm.snapshot()],
    pmmBlocksFree: pmm.blocksFree(),
    allocations: vmm.allocations().map((a) => ({ virtual: { ...a.virtual }, physical: [...a.physical], attrs: { ...a.attrs } })),
    mapperPages: mapper.snapshot().map((page) => ({ ...page, attrs: { ...page.attrs } })),
  };
}
