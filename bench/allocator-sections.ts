/**
 * The allocator benchmarks: the mixed workload at one size (kmem vs seed, same operation
 * sequence), the scaling sweep, and the allocator-state memory comparison.
 */

import type { Subject } from "./subjects.js";
import { measureMixed, type MixedResult } from "./workload.js";

/** Settings of the mixed-workload comparison. */
export interface MixedConfig {
  readonly blocks: number;
  readonly runs: number;
  readonly seed: number;
  readonly warmupOps: number;
  readonly windowOps: number;
  /** Safety box for time-boxed subjects; large enough that the window normally completes. */
  readonly boxMs: number;
}

/** The mixed-workload comparison: every subject on the same windows of the same sequence. */
export interface MixedSection {
  readonly config: MixedConfig;
  readonly results: Record<string, MixedResult>;
  /** kmem ops/s ÷ seed ops/s (medians). */
  readonly ratio: number | null;
  /** Whether every subject returned the same addresses for the same operations. */
  readonly sameAddresses: boolean;
}

/** Whether every subject completed every window and returned the same address sequence. */
function sameChecksums(results: readonly MixedResult[]): boolean {
  const first = results[0];
  return results.every((r) => r.complete && JSON.stringify(r.checksums) === JSON.stringify(first?.checksums));
}

/** Settings of the scaling sweep. */
export interface ScalingConfig {
  readonly sizes: readonly number[];
  readonly runs: number;
  readonly seed: number;
  readonly warmupOps: number;
  /** Extra warm-up for subjects that are not time-boxed, in turnovers of the live allocations (see `WindowOptions`). */
  readonly warmupTurnovers: number;
  readonly windowOps: number;
  /** The time box of each time-boxed (baseline) window. */
  readonly boxMs: number;
}

/** One size of the sweep. */
export interface ScalingRow {
  readonly blocks: number;
  readonly results: Record<string, MixedResult>;
}

/** The scaling sweep and kmem's largest-to-smallest per-op ratio. */
export interface ScalingSection {
  readonly config: ScalingConfig;
  readonly rows: readonly ScalingRow[];
  /** kmem per-op time at the largest size ÷ at the smallest (target ≤ 2). */
  readonly kmemLargestOverSmallest: number | null;
  readonly seedLargestOverSmallest: number | null;
}

/**
 * Runs the mixed comparison and the scaling sweep subject by subject — all of one subject's
 * runs, then the next subject's — so one allocator's garbage and type feedback do not land in
 * the other's timed windows. Time-boxed subjects stop at their box.
 */
export function runAllocatorSections(
  subjects: readonly Subject[],
  mixedConfig: MixedConfig,
  scalingConfig: ScalingConfig,
): { mixed: MixedSection; scaling: ScalingSection } {
  const mixedResults: Record<string, MixedResult> = {};
  const rows: { blocks: number; results: Record<string, MixedResult> }[] = scalingConfig.sizes.map((blocks) => ({ blocks, results: {} }));
  for (const subject of subjects) {
    mixedResults[subject.name] = measureMixed(subject, mixedConfig, mixedConfig.runs);
    for (const row of rows) {
      row.results[subject.name] = measureMixed(subject, { ...scalingConfig, blocks: row.blocks }, scalingConfig.runs);
    }
  }
  const kmem = mixedResults["kmem"];
  const seed = mixedResults["seed"];
  const growth = (name: string): number | null => {
    const first = rows[0]?.results[name];
    const last = rows[rows.length - 1]?.results[name];
    return first && last ? last.usPerOp / first.usPerOp : null;
  };
  return {
    mixed: {
      config: mixedConfig,
      results: mixedResults,
      ratio: kmem && seed ? kmem.opsPerSec / seed.opsPerSec : null,
      sameAddresses: sameChecksums(Object.values(mixedResults)),
    },
    scaling: { config: scalingConfig, rows, kmemLargestOverSmallest: growth("kmem"), seedLargestOverSmallest: growth("seed") },
  };
}

/** Allocator state of one subject at one size. */
export interface MemoryRow {
  /** VMM bitmap (and summary tree) bytes. */
  readonly virtual: number;
  /** PMM bitmap (and summary tree) bytes. */
  readonly physical: number;
  /** Typed-array indexes of the allocation table (kmem only). */
  readonly table: number;
  /** virtual + physical: the free-space allocators' state. */
  readonly total: number;
  /** virtual ÷ blocks. */
  readonly virtualBytesPerBlock: number;
}

/** Allocator-state bytes of every subject at `blocks` blocks. */
export interface MemorySection {
  readonly blocks: number;
  readonly results: Record<string, MemoryRow>;
  /** kmem total ÷ seed total. */
  readonly ratio: number | null;
}

/** Builds an empty VMM of every subject at `blocks` and counts its state bytes. */
export function runMemory(subjects: readonly Subject[], blocks: number): MemorySection {
  const results: Record<string, MemoryRow> = {};
  for (const subject of subjects) {
    const state = subject.makeVmm(blocks).stateBytes();
    const total = state.virtual + state.physical;
    results[subject.name] = { ...state, total, virtualBytesPerBlock: state.virtual / blocks };
  }
  const kmem = results["kmem"];
  const seed = results["seed"];
  return { blocks, results, ratio: kmem && seed ? kmem.total / seed.total : null };
}

/** Settings of the churn-depth sweep (kmem only). */
export interface ChurnConfig {
  readonly blocks: number;
  readonly runs: number;
  readonly seed: number;
  readonly turnovers: readonly number[];
  readonly windowOps: number;
}

/** kmem's per-op time and mapper calls per op after each depth of churn. */
export interface ChurnSection {
  readonly config: ChurnConfig;
  /** The subject measured (its physical policy shows in the name). */
  readonly subject: string;
  readonly rows: readonly { readonly turnovers: number; readonly result: MixedResult }[];
}

/**
 * Times one subject at one size after increasing numbers of turnovers: how per-op cost
 * follows the fragmentation that churn builds up (mapper calls per op count the physical
 * runs each allocation is split into).
 */
export function runChurn(subject: Subject, config: ChurnConfig): ChurnSection {
  return {
    config,
    subject: subject.name,
    rows: config.turnovers.map((turnovers) => ({
      turnovers,
      result: measureMixed(subject, { ...config, warmupOps: 0, warmupTurnovers: turnovers, boxMs: Infinity }, config.runs),
    })),
  };
}
