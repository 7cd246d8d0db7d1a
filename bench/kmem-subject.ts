/**
 * kmem as a benchmark subject: the built package (`dist/`, imported as `kmem` exactly as users
 * import it — `npm run bench` builds first), a `PhysicalMemoryManager` backing the whole space,
 * and the counting mapper.
 */

import { BLOCK_SIZE, PhysicalMemoryManager, VirtualMemoryManager, type FramePolicyName } from "kmem";
import { typedArrayBytes } from "./memory.js";
import { BENCH_ATTRIBUTES, BENCH_PAYLOAD, CountingMapper, type Subject } from "./subjects.js";

/** A private field of a kmem object, read for the memory count only (TypeScript `private` is visible at run time). */
function field(owner: object, name: string): object {
  const value: unknown = Reflect.get(owner, name);
  if (typeof value !== "object" || value === null) {
    throw new Error(`kmem internals changed: no object field "${name}" to measure`);
  }
  return value;
}

/** kmem's `VirtualMemoryManager` over `[0, blocks · 4 KiB)` with a PMM of the same size. */
export const kmemSubject: Subject = kmemWithPolicy("kmem", "lowest");

/** The same with the buddy physical policy (the churn-depth comparison). */
export const kmemBuddySubject: Subject = kmemWithPolicy("kmem (buddy PMM)", "buddy");

/** kmem's VMM over a PMM with the physical policy `policy`. */
function kmemWithPolicy(name: string, policy: FramePolicyName): Subject {
  return {
    name,
    timeBoxed: false,
    makeVmm(blocks) {
      const pmm = new PhysicalMemoryManager({ memoryBytes: blocks * BLOCK_SIZE, policy });
      const mapper = new CountingMapper();
      const vmm = new VirtualMemoryManager<number>({ start: 0, end: blocks * BLOCK_SIZE, pmm, mapper, payload: BENCH_PAYLOAD });
      return {
        alloc: (numBlocks) => vmm.alloc(numBlocks, BENCH_ATTRIBUTES),
        free: (vaddr) => vmm.free(vaddr),
        stateBytes: () => ({
          virtual: typedArrayBytes(field(vmm, "allocator")),
          physical: typedArrayBytes(pmm),
          table: typedArrayBytes(field(vmm, "table")),
        }),
        mapperCalls: () => mapper.calls,
      };
    },
  };
}
