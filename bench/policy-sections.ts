/**
 * The allocation-policy benchmarks, at the block level (a `VirtualAllocator`, with a
 * `FramePolicy` behind it for the churn sweep): the extent tree against the bitmap and
 * against itself in a 2^12 times larger space, and churn depth with the buddy and the
 * lowest-first frame policies. Times are CPU time of this process (`process.cpuUsage`), which
 * other processes on a shared machine disturb far less than wall time.
 */

import { BitmapAllocator, BuddyFrames, ExtentAllocator, LowestFirstFrames, type FramePolicy, type VirtualAllocator } from "kmem";
import { PolicyWorkload, virtualOnly, virtualWithFrames, type PolicyUnderTest } from "./policy-workload.js";
import { collectGarbage, median } from "./stats.js";
import { TARGET_FILL } from "./workload.js";

/** Untimed operations each case runs once before the timed runs (JIT warm-up). */
const WARMUP_OPS = 50_000;

/** The mean allocation of the workload's uniform 1–64 sizes, in blocks. */
const MEAN_ALLOC_BLOCKS = 32.5;

/** Microseconds of CPU time (user + system) this process has used. */
function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** One timed configuration: its median per-op CPU time and the state it ran in. */
export interface PolicyResult {
  readonly name: string;
  /** Blocks managed. */
  readonly blocks: number;
  /** Live allocations when the window ended (median over runs). */
  readonly liveAllocations: number;
  /** Median CPU microseconds per operation in the timed windows. */
  readonly usPerOp: number;
  readonly samplesUsPerOp: readonly number[];
  /** Hash of every block allocated, per run (same seeds ⇒ same for first-fit subjects). */
  readonly checksums: readonly number[];
  /** Physical runs per operation in the window (0 without frames). */
  readonly runsPerOp: number;
  /** Free extents at the end of the last run (extent allocator: tree nodes). */
  readonly freeExtents: number;
  /** Extent allocator only: bytes of its node arrays ÷ free extents, at the end of the last run. */
  readonly bytesPerFreeExtent: number | null;
}

/** How one configuration is built and driven. */
interface Setup {
  readonly name: string;
  readonly blocks: number;
  /** Blocks the workload keeps in use. */
  readonly targetBlocks: number;
  readonly build: () => { subject: PolicyUnderTest; space: VirtualAllocator };
}

/** Settings shared by the timed windows. */
interface WindowConfig {
  readonly runs: number;
  readonly seed: number;
  readonly windowOps: number;
}

/** What one timed window measured. */
interface Sample {
  readonly usPerOp: number;
  readonly runsPerOp: number;
  readonly checksum: number;
  readonly live: number;
  readonly freeExtents: number;
  readonly bytesPerFreeExtent: number | null;
}

/** Fills, churns `turnovers` × the live allocations (untimed), then times `windowOps` operations. */
function measureOnce(setup: Setup, config: WindowConfig, turnovers: number, run: number): Sample {
  const { subject, space } = setup.build();
  const work = new PolicyWorkload(subject, setup.targetBlocks, config.seed + run);
  work.fill();
  work.run(Math.round(turnovers * work.liveAllocations));
  collectGarbage();
  const runsBefore = subject.physicalRuns;
  const t0 = cpuMicros();
  work.run(config.windowOps);
  const usPerOp = (cpuMicros() - t0) / config.windowOps;
  const freeExtents = space.stats().freeExtents;
  return {
    usPerOp,
    runsPerOp: (subject.physicalRuns - runsBefore) / config.windowOps,
    checksum: work.checksum,
    live: work.liveAllocations,
    freeExtents,
    bytesPerFreeExtent: space instanceof ExtentAllocator ? space.byteLength / freeExtents : null,
  };
}

/**
 * Measures every `(setup, turnovers)` case `config.runs` times, run-major (run 1 of every
 * case, then run 2, …) so that a burst of load from other processes spreads over all cases;
 * each case first runs once untimed, so the JIT has settled before any window.
 */
function measureAll(cases: readonly { setup: Setup; turnovers: number }[], config: WindowConfig, warmup: WindowConfig): PolicyResult[] {
  for (const { setup } of cases) measureOnce(setup, warmup, 0, 0);
  const samples: Sample[][] = cases.map(() => []);
  for (let r = 0; r < config.runs; r++) {
    cases.forEach(({ setup, turnovers }, i) => samples[i]!.push(measureOnce(setup, config, turnovers, r)));
  }
  return cases.map(({ setup }, i) => {
    const s = samples[i]!;
    const last = s[s.length - 1]!;
    return {
      name: setup.name,
      blocks: setup.blocks,
      liveAllocations: median(s.map((x) => x.live)),
      usPerOp: median(s.map((x) => x.usPerOp)),
      samplesUsPerOp: s.map((x) => x.usPerOp),
      checksums: s.map((x) => x.checksum),
      runsPerOp: median(s.map((x) => x.runsPerOp)),
      freeExtents: last.freeExtents,
      bytesPerFreeExtent: last.bytesPerFreeExtent,
    };
  });
}

/** Settings of the extent-allocator comparison. */
export interface ExtentConfig extends WindowConfig {
  /** The 32-bit space: 2^20 blocks (2^32 bytes). */
  readonly smallBlocks: number;
  /** The 64-bit space: 2^35 blocks (2^47 bytes). */
  readonly hugeBlocks: number;
  /** Live allocations the workload keeps in the huge space. */
  readonly hugeLive: number;
  /** Untimed turnovers of the live allocations before each window. */
  readonly warmupTurnovers: number;
}

/** The extent allocator against the bitmap, and against itself in a small space. */
export interface ExtentSection {
  readonly config: ExtentConfig;
  /**
   * bitmap at the small size, extent at the small size, extent at the huge size with
   * `hugeLive` allocations, extent at the huge size with the small size's load, and the bitmap
   * with `hugeLive` allocations (at the power of two that holds them at 50%).
   */
  readonly rows: readonly PolicyResult[];
  /** Extent per op, huge space with `hugeLive` allocations ÷ bitmap per op, small space (target ≤ 2). */
  readonly hugeOverBitmap: number;
  /** Extent per op, huge space with `hugeLive` allocations ÷ extent per op, small space (target ≤ 1.3). */
  readonly hugeOverSmall: number;
  /** Extent per op, huge space with the small space's load ÷ small space: the cost of the space's size alone. */
  readonly sameLoadHugeOverSmall: number;
  /** Extent per op, huge space with `hugeLive` allocations ÷ the bitmap with as many: the cost of k alone, for both. */
  readonly hugeOverBitmapSameLoad: number;
  /** Whether the bitmap and the extent allocator returned the same blocks in the small space. */
  readonly sameAddresses: boolean;
}

/** Runs the extent-allocator comparison. */
export function runExtent(config: ExtentConfig): ExtentSection {
  const smallTarget = Math.floor(config.smallBlocks * TARGET_FILL);
  const hugeTarget = Math.round(config.hugeLive * MEAN_ALLOC_BLOCKS);
  const bitmapBlocks = 2 ** Math.ceil(Math.log2(hugeTarget / TARGET_FILL));
  const extent = (blocks: number) => (): { subject: PolicyUnderTest; space: VirtualAllocator } => {
    const space = new ExtentAllocator(blocks);
    return { subject: virtualOnly(space), space };
  };
  const setups: Setup[] = [
    {
      name: "bitmap",
      blocks: config.smallBlocks,
      targetBlocks: smallTarget,
      build: () => {
        const space = new BitmapAllocator(config.smallBlocks);
        return { subject: virtualOnly(space), space };
      },
    },
    { name: "extent", blocks: config.smallBlocks, targetBlocks: smallTarget, build: extent(config.smallBlocks) },
    { name: "extent", blocks: config.hugeBlocks, targetBlocks: hugeTarget, build: extent(config.hugeBlocks) },
    { name: "extent", blocks: config.hugeBlocks, targetBlocks: smallTarget, build: extent(config.hugeBlocks) },
    {
      name: "bitmap",
      blocks: bitmapBlocks,
      targetBlocks: hugeTarget,
      build: () => {
        const space = new BitmapAllocator(bitmapBlocks);
        return { subject: virtualOnly(space), space };
      },
    },
  ];
  const rows = measureAll(
    setups.map((setup) => ({ setup, turnovers: config.warmupTurnovers })),
    config,
    { ...config, windowOps: WARMUP_OPS },
  );
  const [bitmap, small, huge, sameLoad, bitmapHuge] = rows as [PolicyResult, PolicyResult, PolicyResult, PolicyResult, PolicyResult];
  return {
    config,
    rows,
    hugeOverBitmap: huge.usPerOp / bitmap.usPerOp,
    hugeOverSmall: huge.usPerOp / small.usPerOp,
    sameLoadHugeOverSmall: sameLoad.usPerOp / small.usPerOp,
    hugeOverBitmapSameLoad: huge.usPerOp / bitmapHuge.usPerOp,
    sameAddresses: JSON.stringify(bitmap.checksums) === JSON.stringify(small.checksums) && JSON.stringify(small.checksums) === JSON.stringify(sameLoad.checksums),
  };
}

/** Settings of the frame-policy churn sweep. */
export interface FrameChurnConfig extends WindowConfig {
  readonly blocks: number;
  readonly turnovers: readonly number[];
}

/** Per-op cost of each frame policy after each depth of churn. */
export interface FrameChurnSection {
  readonly config: FrameChurnConfig;
  readonly rows: readonly { readonly policy: string; readonly turnovers: number; readonly result: PolicyResult }[];
  /** Per policy: per-op time after the deepest churn ÷ after none (buddy target ≤ 1.5). */
  readonly deepestOverFresh: Record<string, number>;
}

/** Times the mixed workload with each frame policy behind a bitmap allocator, after increasing churn. */
export function runFrameChurn(config: FrameChurnConfig): FrameChurnSection {
  const policies: Record<string, (blocks: number) => FramePolicy> = {
    lowest: (blocks) => new LowestFirstFrames(blocks),
    buddy: (blocks) => new BuddyFrames(blocks),
  };
  const cases = Object.entries(policies).flatMap(([policy, make]) => {
    const setup: Setup = {
      name: policy,
      blocks: config.blocks,
      targetBlocks: Math.floor(config.blocks * TARGET_FILL),
      build: () => {
        const space = new BitmapAllocator(config.blocks);
        return { subject: virtualWithFrames(space, make(config.blocks)), space };
      },
    };
    return config.turnovers.map((turnovers) => ({ setup, turnovers }));
  });
  const results = measureAll(cases, config, { ...config, windowOps: WARMUP_OPS });
  const rows = cases.map(({ setup, turnovers }, i) => ({ policy: setup.name, turnovers, result: results[i]! }));
  const deepestOverFresh: Record<string, number> = {};
  for (const policy of Object.keys(policies)) {
    const mine = rows.filter((row) => row.policy === policy);
    deepestOverFresh[policy] = mine[mine.length - 1]!.result.usPerOp / mine[0]!.result.usPerOp;
  }
  return { config, rows, deepestOverFresh };
}
