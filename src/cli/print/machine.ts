import type { FragmentationStats } from "../../alloc/policy.js";
import type { MachineDescription } from "../../boot/describe.js";
import type { Region } from "../../boot/layout.js";
import { hex, hexRange, printable } from "../../format.js";
import { BLOCK_SIZE } from "../../types.js";
import { formatSize } from "./size.js";
import { renderTable } from "./table.js";

/** Timings of a `kmem boot` run, in milliseconds. */
export interface BootTimings {
  readonly bootMs: number;
  readonly checkMs: number;
}

function attributes(region: Region): string {
  return [region.kernel ? "kernel" : "user", region.writable ? "rw" : "ro", region.cachable ? "cached" : "uncached"].join(" ");
}

function regionRow(region: Region): string[] {
  const size = region.virtEnd - region.virtStart;
  const physical = region.physStart === null ? "(reserved, unmapped)" : hexRange(region.physStart, region.physStart + size);
  return [hexRange(region.virtStart, region.virtEnd), physical, formatSize(size), attributes(region), printable(region.label)];
}

/** One line of fragmentation figures: free extents, the largest, and the index. */
export function fragmentationLine(stats: FragmentationStats): string {
  const extents = `${stats.freeExtents} free extent${stats.freeExtents === 1 ? "" : "s"}`;
  return `${extents}, the largest ${stats.largestFreeExtent} blocks (${formatSize(stats.largestFreeExtent * BLOCK_SIZE)}); fragmentation index ${stats.fragmentationIndex.toFixed(3)}`;
}

/**
 * The text `kmem boot` prints: the address-space map, PMM and VMM statistics, page tables,
 * the self-check result and the boot time.
 */
export function renderBoot(description: MachineDescription, title: string, timings: BootTimings): string {
  const { pmm, vmm, selfCheck } = description;
  const used = pmm.blocks - pmm.free;
  const vmmBlocks = (vmm.end - vmm.start) / BLOCK_SIZE;
  const map = renderTable(
    [{ header: "virtual" }, { header: "physical" }, { header: "size", align: "right" }, { header: "attributes" }, { header: "label" }],
    description.regions.map(regionRow),
    "  ",
  );
  const check = selfCheck.ok
    ? `ok: ${selfCheck.blocksChecked} virtual blocks checked, ${selfCheck.blocksRequired} required blocks translated through the MMU`
    : `FAILED: ${selfCheck.failureCount} problem(s) in ${selfCheck.blocksChecked} virtual blocks checked; the first ${selfCheck.failures.length}:`;
  const lines = [
    title,
    "",
    `Address space (kernel VMM ${hexRange(vmm.start, vmm.end)}, CR3 ${hex(description.cr3)}):`,
    map,
    "",
    `Physical memory: ${formatSize(description.memoryBytes)} in ${pmm.blocks} blocks of 4 KiB: ${used} used (${formatSize(used * BLOCK_SIZE)}), ${pmm.free} free (${formatSize(pmm.free * BLOCK_SIZE)})`,
    `  free space:    ${fragmentationLine(pmm.fragmentation)}`,
    ...(pmm.buddy === undefined ? [] : [`  buddy orders:  ${pmm.buddy.orders.map((o) => `${o.order}:${o.freeBlocks}`).join(" ")} (free blocks of 2^order)`]),
    `Kernel VMM:      ${vmmBlocks} blocks: ${vmm.blocksUsed} used (${formatSize(vmm.blocksUsed * BLOCK_SIZE)}), ${vmmBlocks - vmm.blocksUsed} free`,
    `  free space:    ${fragmentationLine(vmm.fragmentation)}`,
    `Page tables:     ${description.pageTables} (${formatSize(description.pageTables * BLOCK_SIZE)}) plus the directory at ${hex(description.cr3)}`,
    `Self-check:      ${check}`,
    ...selfCheck.failures.map((failure) => `  ${failure.problem}: ${failure.message}`),
    `Boot time:       ${timings.bootMs.toFixed(1)} ms (self-check ${timings.checkMs.toFixed(1)} ms)`,
  ];
  return lines.join("\n") + "\n";
}
