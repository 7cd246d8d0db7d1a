import assert from "node:assert/strict";
import type { AddressSpace } from "../../src/process/address-space.js";
import type { FrameRefs } from "../../src/process/frame-refs.js";
import type { TableMachine } from "../../src/process/machines.js";
import type { SwapDevice } from "../../src/process/swap.js";

/** What {@link assertFrameAccounting} found: user mappings and swapped-out pages over every space. */
export interface FrameCount {
  /** User leaf mappings (a frame shared by k spaces counts k times). */
  readonly mapped: number;
  /** Pages on swap. */
  readonly swapped: number;
}

/**
 * The process layer's accounting invariants over `spaces` of `machine`, read from the tables
 * in RAM: every user frame is referenced exactly by its mappings (`refs`), no counted frame
 * lacks one, every swap slot of `device` belongs to one swapped-out page, and the PMM's free
 * count is `before` minus the frames and the user tables in use.
 */
export function assertFrameAccounting(machine: TableMachine, refs: FrameRefs, kernelTables: ReadonlySet<number>, spaces: readonly AddressSpace<bigint>[], before: number, device?: SwapDevice): FrameCount {
  const seen = new Map<number, number>();
  let tables = 0;
  let swapped = 0;
  let mapped = 0;
  for (const space of spaces) {
    tables += machine.mapper.tables(space.root).filter((f) => !kernelTables.has(f)).length;
    swapped += space.swappedPages;
    for (const leaf of machine.mapper.mappings(space.root)) {
      if (!leaf.user) continue;
      seen.set(leaf.phys, (seen.get(leaf.phys) ?? 0) + 1);
      mapped++;
    }
  }
  for (const [frame, count] of seen) assert.equal(refs.count(frame), count, `frame ${frame} is referenced by exactly its mappings`);
  assert.equal(refs.size, seen.size, "no counted frame without a mapping");
  if (device !== undefined) assert.equal(device.used, swapped, "every swap slot belongs to exactly one swapped page");
  assert.equal(machine.pmm.blocksFree(), before - seen.size - tables, "the PMM counts exactly the frames and tables in use");
  return { mapped, swapped };
}
