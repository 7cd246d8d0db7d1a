/**
 * The mixed allocate/free workload: random sizes of 1–64 blocks, random frees of live
 * allocations, held at ~50% of the space in use. One seeded PRNG drives it, so every subject
 * receives the same operation sequence (for first-fit allocators: the same addresses, which
 * the checksum confirms).
 */

import { mulberry32 } from "kmem";
import { collectGarbage, median, nowMs } from "./stats.js";
import type { Subject, VmmUnderTest } from "./subjects.js";

/** The largest allocation, in blocks; sizes are uniform in `[1, MAX_ALLOC_BLOCKS]`. */
export const MAX_ALLOC_BLOCKS = 64;

/** The share of the space the workload keeps in use. */
export const TARGET_FILL = 0.5;

/** A multiplier for the running checksum of returned addresses (any odd constant). */
const CHECKSUM_MULTIPLIER = 31;

/** One subject's walk through the seeded operation sequence on one VMM. */
export class MixedWorkload {
  /** Operations performed so far (allocs, failed allocs and frees). */
  ops = 0;
  /** Allocations that returned `null` (no contiguous room). */
  failedAllocs = 0;
  /** Blocks currently allocated. */
  usedBlocks = 0;
  /** A running hash of every address `alloc` returned, to compare subjects. */
  checksum = 0;
  private readonly next: () => number;
  private readonly addrs: number[] = [];
  private readonly sizes: number[] = [];
  private readonly target: number;

  constructor(
    private readonly vmm: VmmUnderTest,
    blocks: number,
    seed: number,
  ) {
    this.next = mulberry32(seed);
    this.target = Math.floor(blocks * TARGET_FILL);
  }

  /** Allocations currently live. */
  get liveAllocations(): number {
    return this.addrs.length;
  }

  /** Whether the space has reached the target fill (steady state begins). */
  get filled(): boolean {
    return this.usedBlocks >= this.target;
  }

  /**
   * One operation: allocate a random size while below target, else free a random live
   * allocation. `filling` routes allocations through the subject's `fillAlloc` fast path.
   */
  step(filling = false): void {
    this.ops++;
    if (this.usedBlocks < this.target) {
      const numBlocks = 1 + (this.next() % MAX_ALLOC_BLOCKS);
      const addr = filling && this.vmm.fillAlloc ? this.vmm.fillAlloc(numBlocks) : this.vmm.alloc(numBlocks);
      if (addr === null) {
        this.failedAllocs++;
        return;
      }
      this.addrs.push(addr);
      this.sizes.push(numBlocks);
      this.usedBlocks += numBlocks;
      this.checksum = (Math.imul(this.checksum, CHECKSUM_MULTIPLIER) + addr / 4096) | 0;
      return;
    }
    const i = this.next() % this.addrs.length;
    const last = this.addrs.length - 1;
    const addr = this.addrs[i]!;
    this.usedBlocks -= this.sizes[i]!;
    this.addrs[i] = this.addrs[last]!;
    this.sizes[i] = this.sizes[last]!;
    this.addrs.pop();
    this.sizes.pop();
    this.vmm.free(addr);
  }

  /**
   * Runs up to `count` operations, stopping early at `deadlineMs` (a `nowMs()` time, read
   * after every operation when finite: only slow subjects get a deadline); returns how many ran.
   */
  run(count: number, deadlineMs = Infinity): number {
    const start = this.ops;
    const checkClock = Number.isFinite(deadlineMs);
    for (let i = 0; i < count; i++) {
      this.step();
      if (checkClock && nowMs() >= deadlineMs) {
        break;
      }
    }
    return this.ops - start;
  }

  /**
   * Allocates until the target fill is reached. The fill allocates only (nothing is freed
   * before the target), so a subject's `fillAlloc` fast path gives the same state as `alloc`.
   */
  fill(): void {
    while (!this.filled) {
      this.step(true);
    }
  }
}

/** One timed window of the workload for one subject on one size. */
export interface WindowOptions {
  readonly blocks: number;
  readonly seed: number;
  /** Untimed operations after the fill, before the timed window. */
  readonly warmupOps: number;
  /**
   * More untimed operations for subjects that are not time-boxed: this many times the number
   * of live allocations after the fill, so every size reaches the same depth of churn (one
   * turnover frees about 63% of the fill's allocations) before it is timed.
   */
  readonly warmupTurnovers?: number;
  /** Operations in the timed window. */
  readonly windowOps: number;
  /** For time-boxed subjects: the longest the timed window may run (then it stops early). */
  readonly boxMs: number;
}

/** What one run reached. */
export interface WindowResult {
  /** Untimed fill (to 50%) time. */
  readonly fillMs: number;
  /** Operations completed in the timed window (fewer than asked when the box stopped it). */
  readonly ops: number;
  readonly ms: number;
  readonly opsPerSec: number;
  readonly failedAllocs: number;
  /** Hash of every address allocated (fill, warm-up and window), to compare subjects. */
  readonly checksum: number;
  /** Mapper calls per operation in the window (kmem maps one call per physically contiguous run; the seed one per block). */
  readonly mapperCallsPerOp: number;
}

/**
 * Builds a fresh VMM of `subject`, fills it to 50% (untimed), runs the warm-up operations
 * (untimed), then times `windowOps` operations of the seeded sequence.
 */
export function measureWindow(subject: Subject, options: WindowOptions): WindowResult {
  const vmm = subject.makeVmm(options.blocks);
  const work = new MixedWorkload(vmm, options.blocks, options.seed);
  const fillStart = nowMs();
  work.fill();
  const fillMs = nowMs() - fillStart;
  const turnoverOps = subject.timeBoxed ? 0 : Math.round((options.warmupTurnovers ?? 0) * work.liveAllocations);
  work.run(options.warmupOps + turnoverOps);
  collectGarbage();
  const callsBefore = vmm.mapperCalls();
  const t0 = nowMs();
  const ops = work.run(options.windowOps, subject.timeBoxed ? t0 + options.boxMs : Infinity);
  const ms = nowMs() - t0;
  const windowCalls = vmm.mapperCalls() - callsBefore;
  return {
    fillMs,
    ops,
    ms,
    opsPerSec: (ops / ms) * 1000,
    failedAllocs: work.failedAllocs,
    checksum: work.checksum,
    mapperCallsPerOp: windowCalls / ops,
  };
}

/** The median over several runs (run `r` uses seed `seed + r`, identically for every subject). */
export interface MixedResult {
  readonly subject: string;
  readonly blocks: number;
  readonly runs: number;
  /** Median operations per second in the timed windows. */
  readonly opsPerSec: number;
  /** 1e6 / opsPerSec. */
  readonly usPerOp: number;
  /** Median operations completed per window (below `windowOps` when time-boxed). */
  readonly opsPerWindow: number;
  readonly windowOps: number;
  /** Whether every window completed all its operations (false: the time box stopped it). */
  readonly complete: boolean;
  readonly medianFillMs: number;
  readonly samplesOpsPerSec: readonly number[];
  readonly checksums: readonly number[];
  readonly failedAllocs: number;
  /** Median mapper calls per operation in the windows. */
  readonly mapperCallsPerOp: number;
}

/** Runs `measureWindow` `runs` times with seeds `seed, seed + 1, …` and takes medians. */
export function measureMixed(subject: Subject, options: WindowOptions, runs: number): MixedResult {
  const results: WindowResult[] = [];
  for (let r = 0; r < runs; r++) {
    results.push(measureWindow(subject, { ...options, seed: options.seed + r }));
  }
  const opsPerSec = median(results.map((x) => x.opsPerSec));
  return {
    subject: subject.name,
    blocks: options.blocks,
    runs,
    opsPerSec,
    usPerOp: 1e6 / opsPerSec,
    opsPerWindow: median(results.map((x) => x.ops)),
    windowOps: options.windowOps,
    complete: results.every((x) => x.ops === options.windowOps),
    medianFillMs: median(results.map((x) => x.fillMs)),
    samplesOpsPerSec: results.map((x) => x.opsPerSec),
    checksums: results.map((x) => x.checksum),
    failedAllocs: results.reduce((sum, x) => sum + x.failedAllocs, 0),
    mapperCallsPerOp: median(results.map((x) => x.mapperCallsPerOp)),
  };
}
