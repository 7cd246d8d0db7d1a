/** Printing the benchmark sections as Markdown tables. */

import type { MemorySection, MixedSection, ScalingSection } from "./allocator-sections.js";
import { bytes, duration, markdownTable, rate, times } from "./table.js";

const log2 = (n: number): string => `2^${Math.log2(n)}`;

/** The allocator sections (mixed workload, scaling, memory) as Markdown. */
export function printAllocatorSections(mixed: MixedSection, scaling: ScalingSection, memory: MemorySection): string {
  const parts: string[] = [];
  const m = mixed.config;
  parts.push(
    `### 1. Mixed workload, ${log2(m.blocks)} blocks, ~50% full (median of ${m.runs} runs of ${m.windowOps} ops after fill + ${m.warmupOps} warm-up ops)`,
    markdownTable(
      ["allocator", "ops/s", "per op", "ops per window"],
      Object.values(mixed.results).map((r) => [r.subject, rate(r.opsPerSec), duration(r.usPerOp), `${r.opsPerWindow}/${r.windowOps}`]),
    ),
    `kmem ÷ seed: ${mixed.ratio === null ? "n/a" : times(mixed.ratio)} (target ≥ 50); same addresses returned: ${mixed.sameAddresses ? "yes" : "no"}`,
  );
  const s = scaling.config;
  const names = Object.keys(scaling.rows[0]?.results ?? {});
  parts.push(
    `### 2. Scaling (median of ${s.runs} runs; window ${s.windowOps} ops; time-boxed subjects stop after ${s.boxMs} ms)`,
    markdownTable(
      ["blocks", ...names.flatMap((n) => [`${n} per op`, `${n} ops done`])],
      scaling.rows.map((row) => [
        log2(row.blocks),
        ...names.flatMap((n) => {
          const r = row.results[n];
          return r ? [duration(r.usPerOp), `${r.opsPerWindow}/${r.windowOps}`] : ["n/a", "n/a"];
        }),
      ]),
    ),
    `per-op time, largest ÷ smallest size: kmem ${scaling.kmemLargestOverSmallest === null ? "n/a" : times(scaling.kmemLargestOverSmallest)} (target ≤ 2), seed ${scaling.seedLargestOverSmallest === null ? "n/a" : times(scaling.seedLargestOverSmallest)}`,
  );
  parts.push(
    `### 5. Allocator state at ${log2(memory.blocks)} blocks (VMM bitmap/tree + PMM bitmap/tree; allocation table excluded)`,
    markdownTable(
      ["allocator", "virtual", "physical", "total", "bytes/block (virtual)"],
      Object.entries(memory.results).map(([name, r]) => [name, bytes(r.virtual), bytes(r.physical), bytes(r.total), (r.virtual / memory.blocks).toFixed(3)]),
    ),
    `kmem ÷ seed: ${memory.ratio === null ? "n/a" : times(memory.ratio)}`,
  );
  return parts.join("\n\n");
}
