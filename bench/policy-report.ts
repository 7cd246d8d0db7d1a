/** Printing the allocation-policy sections as Markdown tables. */

import type { ExtentSection, FrameChurnSection } from "./policy-sections.js";
import { duration, markdownTable, times } from "./table.js";

const log2 = (n: number): string => `2^${Math.log2(n)}`;

/** The extent-allocator comparison as Markdown. */
export function printExtent(section: ExtentSection): string {
  const c = section.config;
  return [
    `### 7. Extent allocator vs bitmap, block level (mixed workload; median of ${c.runs} runs of ${c.windowOps} ops after the fill and ${c.warmupTurnovers} turnover(s); CPU time)`,
    markdownTable(
      ["allocator", "blocks", "live allocations", "CPU per op", "free extents", "bytes per free extent"],
      section.rows.map((r) => [r.name, log2(r.blocks), String(r.liveAllocations), duration(r.usPerOp), String(r.freeExtents), r.bytesPerFreeExtent === null ? "—" : r.bytesPerFreeExtent.toFixed(1)]),
    ),
    [
      `extent at ${log2(c.hugeBlocks)} with ${c.hugeLive} live ÷ bitmap at ${log2(c.smallBlocks)}: ${times(section.hugeOverBitmap)} (target ≤ 2)`,
      `÷ extent at ${log2(c.smallBlocks)}: ${times(section.hugeOverSmall)} (target ≤ 1.3)`,
      `extent at ${log2(c.hugeBlocks)} with the ${log2(c.smallBlocks)} load ÷ at ${log2(c.smallBlocks)}: ${times(section.sameLoadHugeOverSmall)}`,
      `extent at ${log2(c.hugeBlocks)} ÷ bitmap, both with ${c.hugeLive} live: ${times(section.hugeOverBitmapSameLoad)}`,
      `same blocks returned by bitmap and extent: ${section.sameAddresses ? "yes" : "no"}`,
    ].join("; "),
  ].join("\n\n");
}

/** The frame-policy churn sweep as Markdown. */
export function printFrameChurn(section: FrameChurnSection): string {
  const c = section.config;
  const policies = Object.keys(section.deepestOverFresh);
  const deepest = c.turnovers[c.turnovers.length - 1];
  return [
    `### 8. Churn depth by frame policy, block level: bitmap virtual allocator + frame policy at ${log2(c.blocks)} blocks after N turnovers (median of ${c.runs} runs of ${c.windowOps} ops; CPU time)`,
    markdownTable(
      ["turnovers", ...policies.flatMap((p) => [`${p} per op`, `${p} runs/op`])],
      c.turnovers.map((turnovers) => [
        String(turnovers),
        ...policies.flatMap((p) => {
          const r = section.rows.find((row) => row.policy === p && row.turnovers === turnovers)?.result;
          return r ? [duration(r.usPerOp), r.runsPerOp.toFixed(2)] : ["n/a", "n/a"];
        }),
      ]),
    ),
    `per-op time after ${deepest} turnovers ÷ after 0: ` + policies.map((p) => `${p} ${times(section.deepestOverFresh[p]!)}`).join(", ") + " (buddy target ≤ 1.5)",
  ].join("\n\n");
}
