/**
 * The kmem benchmark suite: `npm run bench` (full, writes bench/results.json) or
 * `npm run bench -- --quick [--out FILE]` (seconds, writes bench/results.quick.json or FILE);
 * `--markdown FILE` also writes the printed tables to FILE.
 * Prints Markdown tables; every figure is a median of several runs, every comparison is
 * made in this one process.
 */

import { writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { printAddressTypes, runAddressTypes } from "./address-types.js";
import { runAllocatorSections, runChurn, runMemory, type ChurnConfig, type MixedConfig, type ScalingConfig } from "./allocator-sections.js";
import { checkSeedFillEquivalence } from "./check.js";
import { runBoot, type BootConfig } from "./boot.js";
import { runMmu, type MmuConfig } from "./mmu.js";
import { printPagingModes, runPagingModes, type PagingModesConfig } from "./paging-modes.js";
import { VMALLOC_SCENARIOS } from "../src/trace/workloads.js";
import { printProcesses, runProcesses, type ProcessesConfig } from "./processes.js";
import { printReplayBench, runReplayBench, type ReplayBenchConfig } from "./replay.js";
import { printBoot, printChurn, printMemory, printMixed, printMmu, printScaling, printTargets, targetRows } from "./report.js";
import { printExtent, printFrameChurn } from "./policy-report.js";
import { runExtent, runFrameChurn, type ExtentConfig, type FrameChurnConfig } from "./policy-sections.js";
import { kmemBuddySubject, kmemSubject } from "./kmem-subject.js";
import { seedSubject, type Subject } from "./subjects.js";
import { MixedWorkload } from "./workload.js";

/** 2^k blocks. */
const blocksOf = (log2: number): number => 2 ** log2;

/** Everything a run varies between full and quick mode. */
interface SuiteConfig {
  readonly mixed: MixedConfig;
  readonly scaling: ScalingConfig;
  readonly churn: ChurnConfig;
  readonly memoryBlocks: number;
  readonly mmu: MmuConfig;
  readonly pagingModes: PagingModesConfig;
  readonly boot: BootConfig;
  readonly extent: ExtentConfig;
  readonly frameChurn: FrameChurnConfig;
  readonly replay: ReplayBenchConfig;
  readonly processes: ProcessesConfig;
  /** Untimed operations per subject before anything is measured (JIT warm-up). */
  readonly jitWarmupOps: number;
}

const SEED = 0x5eed;

const FULL: SuiteConfig = {
  mixed: { blocks: blocksOf(20), runs: 7, seed: SEED, warmupOps: 200, windowOps: 5000, boxMs: 20_000 },
  scaling: { sizes: [16, 18, 20, 22, 24].map(blocksOf), runs: 5, seed: SEED, warmupOps: 200, warmupTurnovers: 1, windowOps: 20_000, boxMs: 300 },
  churn: { blocks: blocksOf(20), runs: 3, seed: SEED, turnovers: [0, 1, 10, 30], windowOps: 20_000 },
  memoryBlocks: blocksOf(24),
  mmu: { runs: 7, translations: 10_000_000 },
  pagingModes: { runs: 7, translations: 10_000_000 },
  boot: { runs: 9, warmups: 3 },
  extent: { runs: 3, seed: SEED, windowOps: 100_000, smallBlocks: blocksOf(20), hugeBlocks: blocksOf(35), hugeLive: 1_000_000, warmupTurnovers: 1 },
  frameChurn: { blocks: blocksOf(20), runs: 3, seed: SEED, turnovers: [0, 1, 10, 30], windowOps: 20_000 },
  replay: { scale: 0.01, runs: 5, scenarios: VMALLOC_SCENARIOS },
  processes: { pages: 4096, runs: 5 },
  jitWarmupOps: 100_000,
};

const QUICK: SuiteConfig = {
  mixed: { blocks: blocksOf(20), runs: 3, seed: SEED, warmupOps: 50, windowOps: 300, boxMs: 2_000 },
  scaling: { sizes: [16, 18, 20].map(blocksOf), runs: 3, seed: SEED, warmupOps: 50, warmupTurnovers: 1, windowOps: 5_000, boxMs: 60 },
  churn: { blocks: blocksOf(18), runs: 3, seed: SEED, turnovers: [0, 3], windowOps: 5_000 },
  memoryBlocks: blocksOf(24),
  mmu: { runs: 3, translations: 1_000_000 },
  pagingModes: { runs: 3, translations: 1_000_000 },
  boot: { runs: 3, warmups: 1 },
  extent: { runs: 3, seed: SEED, windowOps: 20_000, smallBlocks: blocksOf(20), hugeBlocks: blocksOf(35), hugeLive: 100_000, warmupTurnovers: 1 },
  frameChurn: { blocks: blocksOf(18), runs: 3, seed: SEED, turnovers: [0, 3], windowOps: 5_000 },
  replay: { scale: 0.001, runs: 3, scenarios: VMALLOC_SCENARIOS.filter((s) => s !== "full-fit" && s !== "long-busy-list") },
  processes: { pages: 512, runs: 3 },
  jitWarmupOps: 100_000,
};

/** Every subject, in measuring order: kmem first, while the heap holds nothing of the seed's. */
const SUBJECTS: readonly Subject[] = [kmemSubject, seedSubject];

/** Blocks used by the pre-measurement check. */
const CHECK_BLOCKS = blocksOf(14);

/** Sizes the JIT warm-up runs at (sizes do not change the code paths, only the numbers in them). */
const WARMUP_BLOCKS = [blocksOf(16), blocksOf(20)];

/** The time-boxed baseline warms up on this fraction of `jitWarmupOps`. */
const BASELINE_WARMUP_SHARE = 0.01;

/** Microseconds per second, for `process.cpuUsage()`. */
const US_PER_S = 1e6;

/** User plus system CPU seconds of a `process.cpuUsage()` reading. */
function cpuSeconds(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / US_PER_S;
}

/**
 * Section 6 compares five VMMs whose per-op times differ by tens of percent, by CPU time
 * (which the OS accounts in ticks of a few ms): at least 5 runs of 20 000 operations (tens of
 * ms each), even in quick mode.
 */
function addressTypeConfig(mixed: MixedConfig): MixedConfig {
  return { ...mixed, runs: Math.max(mixed.runs, 5), windowOps: Math.max(mixed.windowOps, 20_000) };
}

function main(): void {
  const { values } = parseArgs({ options: { quick: { type: "boolean", default: false }, out: { type: "string" }, markdown: { type: "string" } } });
  const quick = values.quick === true;
  const config = quick ? QUICK : FULL;
  const benchDir = dirname(fileURLToPath(import.meta.url));
  const out = values.out ?? join(benchDir, quick ? "results.quick.json" : "results.json");
  const started = new Date();
  const loadBefore = loadavg();
  const cpuBefore = process.cpuUsage();

  checkSeedFillEquivalence(CHECK_BLOCKS, SEED);
  // The baseline warms up first, so the shared workload code has seen both subjects before
  // kmem's long warm-up lets the JIT settle on its final optimised code.
  const warmupOrder = [...SUBJECTS].sort((a, b) => Number(b.timeBoxed) - Number(a.timeBoxed));
  for (const subject of warmupOrder) {
    for (const blocks of WARMUP_BLOCKS) {
      const work = new MixedWorkload(subject.makeVmm(blocks), blocks, SEED);
      work.fill();
      work.run(subject.timeBoxed ? config.jitWarmupOps * BASELINE_WARMUP_SHARE : config.jitWarmupOps);
    }
  }

  const sectionMs: Record<string, number> = {};
  const timed = <T>(name: string, fn: () => T): T => {
    const t0 = Date.now();
    const result = fn();
    sectionMs[name] = Date.now() - t0;
    return result;
  };
  const { mixed, scaling } = timed("mixed+scaling", () => runAllocatorSections(SUBJECTS, config.mixed, config.scaling));
  const churn = timed("churn", () => runChurn(kmemSubject, config.churn));
  const mmu = timed("mmu", () => runMmu(config.mmu));
  const pagingModes = timed("paging-modes", () => runPagingModes(config.pagingModes));
  const bootSection = timed("boot", () => runBoot(config.boot));
  const memory = timed("memory", () => runMemory(SUBJECTS, config.memoryBlocks));
  // After the sections that use the default PMM, so they ran before a second physical policy
  // reached the PMM's code; warmed up like the subjects above, so its first window is not the JIT's.
  const churnBuddy = timed("churn (buddy)", () => {
    for (const blocks of WARMUP_BLOCKS) {
      const work = new MixedWorkload(kmemBuddySubject.makeVmm(blocks), blocks, SEED);
      work.fill();
      work.run(config.jitWarmupOps);
    }
    return runChurn(kmemBuddySubject, config.churn);
  });
  const extent = timed("extent", () => runExtent(config.extent));
  const frameChurn = timed("frameChurn", () => runFrameChurn(config.frameChurn));
  const replaySection = timed("replay", () => runReplayBench(SUBJECTS, config.replay));
  const processes = timed("processes", () => runProcesses(config.processes));
  // Last: its bigint VMMs must not reach the VMM's code before the number-only sections ran.
  const addressTypes = timed("address types", () => runAddressTypes(kmemSubject, addressTypeConfig(config.mixed), config.jitWarmupOps, { mixed, mmu }, new URL("./stage-one-results.json", import.meta.url)));

  const targets = targetRows(mixed, scaling, mmu, bootSection, memory);
  const results = {
    meta: {
      mode: quick ? "quick" : "full",
      command: quick ? "npm run bench -- --quick" : "npm run bench",
      date: started.toISOString(),
      durationMs: Date.now() - started.getTime(),
      sectionMs,
      node: process.version,
      cpu: cpus()[0]?.model ?? "unknown",
      cores: availableParallelism(),
      platform: `${process.platform} ${process.arch}`,
      subjects: SUBJECTS.map((s) => s.name),
      // The 1-minute load average before and after: other processes on this machine skew timings.
      loadAverage1m: { before: loadBefore[0] ?? 0, after: loadavg()[0] ?? 0 },
      // CPU time this process got ÷ wall time: well below 1 means it waited for a core.
      cpuShare: cpuSeconds(process.cpuUsage(cpuBefore)) / ((Date.now() - started.getTime()) / 1000),
    },
    targets,
    mixed,
    scaling,
    churn,
    churnBuddy,
    memory,
    mmu,
    pagingModes,
    boot: bootSection,
    addressTypes,
    extent,
    frameChurn,
    replay: replaySection,
    processes,
  };
  const markdown = [printTargets(targets), printMixed(mixed), printScaling(scaling), printChurn(churn), printChurn(churnBuddy, "2c"), printMmu(mmu), printPagingModes(pagingModes), printBoot(bootSection), printMemory(memory), printAddressTypes(addressTypes), printExtent(extent), printFrameChurn(frameChurn), printReplayBench(replaySection, config.replay), printProcesses(processes)].join("\n\n");
  console.log(markdown);
  if (values.markdown !== undefined) writeFileSync(values.markdown, markdown + "\n");
  writeFileSync(out, JSON.stringify(results, null, 2) + "\n");
  const { loadAverage1m, cpuShare } = results.meta;
  console.log(`\nwrote ${out} in ${(results.meta.durationMs / 1000).toFixed(1)} s (load average ${loadAverage1m.before.toFixed(1)} → ${loadAverage1m.after.toFixed(1)}, CPU share ${cpuShare.toFixed(2)})`);
}

main();
