/**
 * The kmem benchmark suite: `npm run bench` (full, writes bench/results.json) or
 * `npm run bench -- --quick [--out FILE]` (seconds, writes bench/results.quick.json or FILE).
 * Prints Markdown tables; every figure is a median of several runs, every comparison is
 * made in this one process.
 */

import { writeFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runMemory, runMixed, runScaling, type MixedConfig, type ScalingConfig } from "./allocator-sections.js";
import { checkSeedFillEquivalence } from "./check.js";
import { printAllocatorSections } from "./report.js";
import { SUBJECTS } from "./subjects.js";
import { MixedWorkload } from "./workload.js";

/** 2^k blocks. */
const blocksOf = (log2: number): number => 2 ** log2;

/** Everything a run varies between full and quick mode. */
interface SuiteConfig {
  readonly mixed: MixedConfig;
  readonly scaling: ScalingConfig;
  readonly memoryBlocks: number;
  /** Untimed operations per subject before anything is measured (JIT warm-up). */
  readonly jitWarmupOps: number;
}

const SEED = 0x5eed;

const FULL: SuiteConfig = {
  mixed: { blocks: blocksOf(20), runs: 7, seed: SEED, warmupOps: 200, windowOps: 2000, boxMs: 10_000 },
  scaling: { sizes: [16, 18, 20, 22, 24].map(blocksOf), runs: 5, seed: SEED, warmupOps: 200, windowOps: 20_000, boxMs: 300 },
  memoryBlocks: blocksOf(24),
  jitWarmupOps: 50_000,
};

const QUICK: SuiteConfig = {
  mixed: { blocks: blocksOf(20), runs: 3, seed: SEED, warmupOps: 50, windowOps: 300, boxMs: 2_000 },
  scaling: { sizes: [16, 20, 24].map(blocksOf), runs: 3, seed: SEED, warmupOps: 50, windowOps: 5_000, boxMs: 60 },
  memoryBlocks: blocksOf(24),
  jitWarmupOps: 10_000,
};

/** Blocks used by the pre-measurement checks and JIT warm-up. */
const CHECK_BLOCKS = blocksOf(14);

function main(): void {
  const { values } = parseArgs({ options: { quick: { type: "boolean", default: false }, out: { type: "string" } } });
  const quick = values.quick === true;
  const config = quick ? QUICK : FULL;
  const benchDir = dirname(fileURLToPath(import.meta.url));
  const out = values.out ?? join(benchDir, quick ? "results.quick.json" : "results.json");
  const started = new Date();

  checkSeedFillEquivalence(CHECK_BLOCKS, SEED);
  for (const subject of SUBJECTS) {
    const work = new MixedWorkload(subject.makeVmm(CHECK_BLOCKS), CHECK_BLOCKS, SEED);
    work.fill();
    work.run(subject.timeBoxed ? config.jitWarmupOps / 10 : config.jitWarmupOps);
  }

  const mixed = runMixed(SUBJECTS, config.mixed);
  const scaling = runScaling(SUBJECTS, config.scaling);
  const memory = runMemory(SUBJECTS, config.memoryBlocks);

  const results = {
    meta: {
      mode: quick ? "quick" : "full",
      command: quick ? "npm run bench -- --quick" : "npm run bench",
      date: started.toISOString(),
      durationMs: Date.now() - started.getTime(),
      node: process.version,
      cpu: cpus()[0]?.model ?? "unknown",
      cores: availableParallelism(),
      platform: `${process.platform} ${process.arch}`,
      subjects: SUBJECTS.map((s) => s.name),
    },
    mixed,
    scaling,
    memory,
  };
  console.log(printAllocatorSections(mixed, scaling, memory));
  writeFileSync(out, JSON.stringify(results, null, 2) + "\n");
  console.log(`\nwrote ${out} in ${(results.meta.durationMs / 1000).toFixed(1)} s`);
}

main();
