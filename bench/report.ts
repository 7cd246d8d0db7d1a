/** Printing the benchmark sections as Markdown tables. */

import type { ChurnSection, MemorySection, MixedSection, ScalingSection } from "./allocator-sections.js";
import type { BootSection } from "./boot.js";
import type { MmuSection } from "./mmu.js";
import { bytes, duration, markdownTable, rate, times } from "./table.js";

const log2 = (n: number): string => `2^${Math.log2(n)}`;

/** The mixed-workload comparison as Markdown. */
export function printMixed(mixed: MixedSection): string {
  const m = mixed.config;
  return [
    `### 1. Mixed workload, ${log2(m.blocks)} blocks, ~50% full (median of ${m.runs} runs of ${m.windowOps} ops after fill + ${m.warmupOps} warm-up ops)`,
    markdownTable(
      ["allocator", "ops/s", "per op", "ops per window"],
      Object.values(mixed.results).map((r) => [r.subject, rate(r.opsPerSec), duration(r.usPerOp), `${r.opsPerWindow}/${r.windowOps}`]),
    ),
    `kmem ÷ seed: ${mixed.ratio === null ? "n/a" : times(mixed.ratio)} (target ≥ 50); same addresses returned: ${mixed.sameAddresses ? "yes" : "no"}`,
  ].join("\n\n");
}

/** The scaling sweep as Markdown. */
export function printScaling(scaling: ScalingSection): string {
  const s = scaling.config;
  const names = Object.keys(scaling.rows[0]?.results ?? {});
  return [
    `### 2. Scaling (median of ${s.runs} runs of ${s.windowOps} ops; kmem warmed up by ${s.warmupTurnovers} turnover(s) of its live allocations after the fill, the seed by ${s.warmupOps} ops and stopped after ${s.boxMs} ms)`,
    markdownTable(
      ["blocks", ...names.flatMap((n) => [`${n} per op`, `${n} ops done`, `${n} mapper calls/op`])],
      scaling.rows.map((row) => [
        log2(row.blocks),
        ...names.flatMap((n) => {
          const r = row.results[n];
          return r ? [duration(r.usPerOp), `${r.opsPerWindow}/${r.windowOps}`, r.mapperCallsPerOp.toFixed(2)] : ["n/a", "n/a", "n/a"];
        }),
      ]),
    ),
    `per-op time, largest ÷ smallest size: kmem ${scaling.kmemLargestOverSmallest === null ? "n/a" : times(scaling.kmemLargestOverSmallest)} (target ≤ 2), seed ${scaling.seedLargestOverSmallest === null ? "n/a" : times(scaling.seedLargestOverSmallest)}`,
  ].join("\n\n");
}

/** The allocator-state memory comparison as Markdown. */
export function printMemory(memory: MemorySection): string {
  return [
    `### 5. Allocator state at ${log2(memory.blocks)} blocks (VMM and PMM bitmaps with their summary trees; allocation-table indexes listed apart)`,
    markdownTable(
      ["allocator", "VMM bitmap+tree", "PMM bitmap+tree", "total", "VMM bytes/block", "allocation-table arrays"],
      Object.entries(memory.results).map(([name, r]) => [name, bytes(r.virtual), bytes(r.physical), bytes(r.total), r.virtualBytesPerBlock.toFixed(3), bytes(r.table)]),
    ),
    `kmem ÷ seed (total): ${memory.ratio === null ? "n/a" : times(memory.ratio)}`,
  ].join("\n\n");
}

/** The MMU section as Markdown. */
export function printMmu(mmu: MmuSection): string {
  const row = (name: string, r: MmuSection["hit"], target: string): string[] => [
    name,
    rate(r.perSec),
    `${r.nsPerTranslation.toFixed(1)} ns`,
    `${r.tlbHits} / ${r.tlbMisses}`,
    target,
  ];
  return [
    `### 3. MMU translate (\`tryTranslate\`, median of ${mmu.config.runs} runs of ${mmu.config.translations} translations)`,
    markdownTable(
      ["case", "translations/s", "per translation", "TLB hits / misses", "target"],
      [
        row(`TLB hit (${mmu.tlbEntries} pages cycled)`, mmu.hit, "≥ 50 M/s"),
        row(`TLB miss (4096-page sweep, ${mmu.tlbEntries}-slot TLB)`, mmu.miss, "≥ 10 M/s"),
        row("no TLB (tlbEntries 0): bare walk", mmu.noTlb, ""),
      ],
    ),
  ].join("\n\n");
}

/** The boot section as Markdown. */
export function printBoot(section: BootSection): string {
  const ms = (x: number): string => `${x.toFixed(1)} ms`;
  const row = (r: BootSection["default"], target: string): string[] => [
    r.profile,
    ms(r.bootMs),
    ms(r.selfCheckMs),
    ms(r.totalMs),
    `${r.blocksChecked} blocks, ${r.ok ? "ok" : "FAILED"}`,
    target,
  ];
  return [
    `### 4. Boot (median of ${section.config.runs} boots after ${section.config.warmups} untimed)`,
    markdownTable(
      ["profile", "boot()", "selfCheck()", "boot + self-check", "self-check", "target"],
      [row(section.default, "< 50 ms"), row(section.fourGiB, "< 500 ms")],
    ),
  ].join("\n\n");
}

/** One headline figure against its target. */
export interface TargetRow {
  readonly figure: string;
  readonly measured: string;
  readonly baseline: string;
  readonly target: string;
  readonly met: boolean | null;
}

/** The headline figures of every section against the targets. */
export function targetRows(mixed: MixedSection, scaling: ScalingSection, mmu: MmuSection, boot: BootSection, memory: MemorySection): TargetRow[] {
  const seedMixed = mixed.results["seed"];
  const kmemMixed = mixed.results["kmem"];
  const kmemMemory = memory.results["kmem"];
  const seedMemory = memory.results["seed"];
  const first = scaling.rows[0];
  const last = scaling.rows[scaling.rows.length - 1];
  const sizes = first && last ? `${log2(last.blocks)} ÷ ${log2(first.blocks)}` : "n/a";
  return [
    {
      figure: `mixed workload, ${log2(mixed.config.blocks)} blocks: kmem ÷ seed ops/s`,
      measured: `${mixed.ratio === null ? "n/a" : times(mixed.ratio)} (${kmemMixed ? rate(kmemMixed.opsPerSec) : "n/a"})`,
      baseline: seedMixed ? rate(seedMixed.opsPerSec) : "n/a",
      target: "≥ ×50",
      met: mixed.ratio === null ? null : mixed.ratio >= 50,
    },
    {
      figure: `scaling: kmem per-op time ${sizes}`,
      measured: scaling.kmemLargestOverSmallest === null ? "n/a" : times(scaling.kmemLargestOverSmallest),
      baseline: scaling.seedLargestOverSmallest === null ? "n/a" : `${times(scaling.seedLargestOverSmallest)} (time-boxed)`,
      target: "≤ ×2",
      met: scaling.kmemLargestOverSmallest === null ? null : scaling.kmemLargestOverSmallest <= 2,
    },
    { figure: "MMU translate, TLB hit", measured: rate(mmu.hit.perSec), baseline: "—", target: "≥ 50 M/s", met: mmu.hit.perSec >= 50e6 },
    { figure: "MMU translate, TLB miss (2-level walk)", measured: rate(mmu.miss.perSec), baseline: "—", target: "≥ 10 M/s", met: mmu.miss.perSec >= 10e6 },
    { figure: "boot + self-check, default 128 MiB profile", measured: `${boot.default.totalMs.toFixed(1)} ms`, baseline: "—", target: "< 50 ms", met: boot.default.totalMs < 50 && boot.default.ok },
    { figure: "boot + self-check, 4 GiB profile", measured: `${boot.fourGiB.totalMs.toFixed(1)} ms`, baseline: "—", target: "< 500 ms", met: boot.fourGiB.totalMs < 500 && boot.fourGiB.ok },
    {
      figure: `allocator state at ${log2(memory.blocks)} blocks (VMM + PMM)`,
      measured: kmemMemory ? `${bytes(kmemMemory.total)} (${kmemMemory.virtualBytesPerBlock.toFixed(3)} B/block each)` : "n/a",
      baseline: seedMemory ? `${bytes(seedMemory.total)} (${seedMemory.virtualBytesPerBlock.toFixed(3)} B/block each)` : "n/a",
      target: "bounded (stated)",
      met: null,
    },
  ];
}

/** The headline table as Markdown. */
export function printTargets(rows: readonly TargetRow[]): string {
  return [
    "### Summary against the targets",
    markdownTable(
      ["figure", "kmem", "seed baseline", "target", "met"],
      rows.map((r) => [r.figure, r.measured, r.baseline, r.target, r.met === null ? "—" : r.met ? "yes" : "NO"]),
    ),
  ].join("\n\n");
}

/** The churn-depth sweep as Markdown. */
export function printChurn(churn: ChurnSection, number = "2b"): string {
  const c = churn.config;
  const rows = churn.rows;
  const ratio = rows.length > 1 ? rows[rows.length - 1]!.result.usPerOp / rows[0]!.result.usPerOp : null;
  return [
    `### ${number}. Churn depth: ${churn.subject} at ${log2(c.blocks)} blocks after N turnovers of its live allocations (median of ${c.runs} runs of ${c.windowOps} ops)`,
    markdownTable(
      ["turnovers", "per op", "ops/s", "mapper calls/op"],
      churn.rows.map((row) => [String(row.turnovers), duration(row.result.usPerOp), rate(row.result.opsPerSec), row.result.mapperCallsPerOp.toFixed(2)]),
    ),
    `per-op time after ${rows[rows.length - 1]?.turnovers ?? "n/a"} turnovers ÷ after ${rows[0]?.turnovers ?? "n/a"}: ${ratio === null ? "n/a" : times(ratio)}`,
  ].join("\n\n");
}
