import type { ModeMachineDescription, ModeRegionJson } from "../../boot/mode-describe.js";
import { hex, hexRange, printable } from "../../format.js";
import { BLOCK_SIZE } from "../../types.js";
import { type BootTimings, fragmentationLine } from "./machine.js";
import { formatSize } from "./size.js";
import { renderTable } from "./table.js";

/** A JSON virtual address (a number, or a `"0x…"` string in 64-bit modes) as a bigint. */
function big(value: number | string): bigint {
  return BigInt(value);
}

function attributes(region: ModeRegionJson): string {
  return [region.kernel ? "kernel" : "user", region.writable ? "rw" : "ro", region.executable ? "x" : "nx", region.cachable ? "cached" : "uncached"].join(" ");
}

function regionRow(region: ModeRegionJson): string[] {
  const start = big(region.virtStart);
  const end = big(region.virtEnd);
  const size = Number(end - start);
  const physical = region.physStart === null ? "(reserved, unmapped)" : hexRange(region.physStart, region.physStart + size);
  return [hexRange(start, end), physical, formatSize(size), attributes(region), printable(region.label)];
}

/**
 * The text `kmem boot` prints for a machine of a mode other than 32-bit x86: the registers,
 * the address-space map (with the executable bit), PMM and VMM statistics, the tables, the
 * self-check and the boot time.
 */
export function renderModeBoot(description: ModeMachineDescription, title: string, timings: BootTimings): string {
  const { pmm, vmm, selfCheck } = description;
  const used = pmm.blocks - pmm.free;
  const vmmBlocks = Number((big(vmm.end) - big(vmm.start)) / BigInt(BLOCK_SIZE));
  const map = renderTable(
    [{ header: "virtual" }, { header: "physical" }, { header: "size", align: "right" }, { header: "attributes" }, { header: "label" }],
    description.regions.map(regionRow),
    "  ",
  );
  const registers = Object.entries(description.registers).map(([name, value]) => `${name.toUpperCase()} ${value}`).join(", ");
  const check = selfCheck.ok
    ? `ok: ${selfCheck.blocksChecked} virtual blocks checked, ${selfCheck.blocksRequired} required blocks translated through the MMU`
    : `FAILED: ${selfCheck.failureCount} problem(s) in ${selfCheck.blocksChecked} virtual blocks checked; the first ${selfCheck.failures.length}:`;
  const lines = [
    title,
    "",
    `Mode ${description.arch}: ${registers}`,
    `Address space (kernel VMM ${hexRange(big(vmm.start), big(vmm.end))}):`,
    map,
    "",
    `Physical memory: ${formatSize(description.memoryBytes - description.ramBase)} of RAM at ${hexRange(description.ramBase, description.memoryBytes)}; the PMM's ${pmm.blocks} blocks of 4 KiB from 0: ${used} used or reserved, ${pmm.free} free (${formatSize(pmm.free * BLOCK_SIZE)})`,
    `  free space:    ${fragmentationLine(pmm.fragmentation)}`,
    `Kernel VMM:      ${vmmBlocks} blocks: ${vmm.blocksUsed} used (${formatSize(vmm.blocksUsed * BLOCK_SIZE)}), ${vmmBlocks - vmm.blocksUsed} free`,
    `  free space:    ${fragmentationLine(vmm.fragmentation)}`,
    `Page tables:     ${description.pageTables} (${formatSize(description.pageTables * BLOCK_SIZE)}) plus the root at ${hex(description.root)}`,
    `Self-check:      ${check}`,
    ...selfCheck.failures.map((failure) => `  ${failure.problem}: ${failure.message}`),
    `Boot time:       ${timings.bootMs.toFixed(1)} ms (self-check ${timings.checkMs.toFixed(1)} ms)`,
  ];
  return lines.join("\n") + "\n";
}
