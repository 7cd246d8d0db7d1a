import { KmemError } from "../../errors/kmem-error.js";
import type { Address, Attributes, Range } from "../../types.js";
import type { AllocOptions } from "../../vmm-alloc-options.js";
import { seededRandom } from "./random-ops.js";

/** What {@link applyModeRandomOperations} needs from a VMM of either address type (as `VirtualMemoryManager`). */
export interface RandomOpsSpace<A extends Address> {
  /** Allocates `numBlocks` blocks (`VirtualMemoryManager.alloc`). */
  alloc(numBlocks: number, attrs: Attributes, options?: A | AllocOptions<A>): A | null;
  /** Frees the allocation at `vaddr` (`VirtualMemoryManager.free`). */
  free(vaddr: A): void;
  /** Maps `virtual` to `physical` (`VirtualMemoryManager.set`). */
  set(virtual: Range<A>, physical: Range<A> | null, attrs: Attributes): void;
}

/** Where {@link applyModeRandomOperations} puts its `set` mappings: device memory, in large-page slots. */
export interface RandomSetArea<A extends Address> {
  /** The first slot's virtual address (aligned to `largePageBytes`, inside the VMM's space). */
  readonly virt: A;
  /** The first slot's physical address (aligned; outside RAM, so the PMM owns none of it). */
  readonly phys: A;
  /** How many slots of `largePageBytes` follow each start. */
  readonly slots: number;
}

/** Options for {@link applyModeRandomOperations}. */
export interface ModeRandomOptions<A extends Address> {
  /** How many operations. */
  readonly count: number;
  /** The seed of every random choice. */
  readonly seed: number;
  /** The mode's smallest large page (2 MiB; 4 MiB on Sv32): aligned allocations and `set`s of this size can become one leaf. */
  readonly largePageBytes: number;
  /** Where `set` maps device memory (without it, no `set` is made). */
  readonly setArea?: RandomSetArea<A>;
}

/** What a run of {@link applyModeRandomOperations} did. */
export interface ModeRandomSummary {
  /** `alloc` calls (small and large-page-aligned), including those that found no room. */
  readonly allocs: number;
  /** `alloc` calls that found no room: `null`, or the mapper's `OutOfMemory` (no frame for a page table). */
  readonly failedAllocs: number;
  /** `set` calls of device memory. */
  readonly sets: number;
  /** `set` calls refused (the slot was taken): all-or-nothing, so nothing changed. */
  readonly refusedSets: number;
  /** `free` calls. */
  readonly frees: number;
  /** Allocations and sets still live at the end. */
  readonly live: number;
}

const MAX_BLOCKS = 8;
const BLOCK_BYTES = 4096;
/** Cumulative weights of the operations: small alloc, large-page alloc, set, free. */
const P_SMALL = 0.45;
const P_LARGE = 0.5;
const P_SET = 0.6;
const COIN = 0.5;

function offset<A extends Address>(base: A, bytes: number): A {
  return (typeof base === "bigint" ? base + BigInt(bytes) : Number(base) + bytes) as A;
}

/** `alloc`'s answer, or null when the mapper found no frame for a page table (the VMM undid everything). */
function allocOrNull<A extends Address>(alloc: () => A | null): A | null {
  try {
    return alloc();
  } catch (error) {
    if (error instanceof KmemError && error.code === "OutOfMemory") return null;
    throw error;
  }
}

/**
 * Runs `count` seeded random operations on a kernel VMM: allocations of 1–8 blocks and
 * large-page-aligned allocations of a large page, `set`s of aligned device memory in
 * `setArea`'s slots, and frees of random live ones — each with random attributes (kernel or
 * user, writable, cachable, executable, global for kernel pages). The same seed gives the
 * same operations everywhere.
 *
 * @throws Whatever `alloc`/`free` throw but the mapper's `OutOfMemory` (counted in
 *   `failedAllocs`); `set`'s `KmemError` for a taken slot is counted in `refusedSets`.
 * @example
 * const summary = applyModeRandomOperations(machine.space.vmm, { count: 10_000, seed: 1, largePageBytes: 0x200000 });
 */
export function applyModeRandomOperations<A extends Address>(vmm: RandomOpsSpace<A>, options: ModeRandomOptions<A>): ModeRandomSummary {
  const random = seededRandom(options.seed);
  const live: A[] = [];
  let allocs = 0;
  let failedAllocs = 0;
  let sets = 0;
  let refusedSets = 0;
  let frees = 0;
  const attributes = (): Attributes => {
    const kernel = random() < COIN;
    return { kernel, writable: random() < COIN, cachable: random() < COIN, executable: random() < COIN, global: kernel && random() < COIN };
  };
  const largeBlocks = options.largePageBytes / BLOCK_BYTES;
  for (let i = 0; i < options.count; i++) {
    const choice = live.length === 0 ? 0 : random();
    if (choice < P_LARGE) {
      const large = choice >= P_SMALL;
      const start = allocOrNull(() => (large ? vmm.alloc(largeBlocks, attributes(), { align: options.largePageBytes }) : vmm.alloc(1 + Math.floor(random() * MAX_BLOCKS), attributes())));
      allocs++;
      if (start === null) failedAllocs++;
      else live.push(start);
    } else if (choice < P_SET && options.setArea !== undefined) {
      const slot = Math.floor(random() * options.setArea.slots) * options.largePageBytes;
      const virt = offset(options.setArea.virt, slot);
      const phys = offset(options.setArea.phys, slot);
      sets++;
      try {
        vmm.set({ start: virt, end: offset(virt, options.largePageBytes) }, { start: phys, end: offset(phys, options.largePageBytes) }, attributes());
        live.push(virt);
      } catch (error) {
        if (!(error instanceof KmemError)) throw error;
        refusedSets++;
      }
    } else {
      const [start] = live.splice(Math.floor(random() * live.length), 1);
      if (start !== undefined) vmm.free(start);
      frees++;
    }
  }
  return { allocs, failedAllocs, sets, refusedSets, frees, live: live.length };
}
