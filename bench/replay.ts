/**
 * Section 9: the test_vmalloc.c scenarios as traces (src/trace/workloads.ts), replayed two ways:
 * - through kmem's replay (`replay()`: a fresh machine, real x86 page tables, an MMU for the
 *   writes), as `kmem replay` runs them, for every scenario;
 * - as bare alloc/free sequences on each benchmark subject (the counting mapper of the other
 *   sections), so kmem's VMM and the seed port run exactly the same calls: the seed has no
 *   alignment, so the aligned scenarios have no seed figure.
 */

import type { Trace } from "../src/trace/format.js";
import { replay } from "../src/trace/replay.js";
import { VMALLOC_SCENARIOS, generateTrace } from "../src/trace/workloads.js";
import { median } from "./stats.js";
import type { Subject } from "./subjects.js";
import { markdownTable, rate, times } from "./table.js";

/** How much of each scenario to run. */
export interface ReplayBenchConfig {
  /** `generateTrace`'s scale (1: the kernel's 1,000,000 loops). */
  readonly scale: number;
  readonly runs: number;
  /** The scenarios to run (quick mode leaves out the two with a fixed 15,000- and 16,384-page setup). */
  readonly scenarios: readonly string[];
}

/** One scenario's figures; rates are operations (events) per second, medians of `runs`. */
export interface ReplayBenchRow {
  readonly scenario: string;
  readonly events: number;
  /** `replay()` with the bitmap and lowest-first PMM, events per second. */
  readonly replayPerSecond: number;
  /** Alloc and free calls per second on each subject (absent: the subject cannot run the scenario). */
  readonly callsPerSecond: Readonly<Record<string, number>>;
}

/** The space the generated traces address: 1 GiB, in blocks. */
const SPACE_BLOCKS = 2 ** 18;

/** A trace's alloc and free calls: `[blocks, key]` allocates (key: the recorded address), `[0, key]` frees; null when it uses alignment or `at`. */
function calls(trace: Trace): Array<[number, string]> | null {
  const list: Array<[number, string]> = [];
  for (const event of trace.events) {
    if (event.op === "alloc") {
      if (event.align !== undefined || event.at !== undefined) return null;
      if (event.result !== undefined && event.result !== null) list.push([event.size / trace.header.blockSize, event.result]);
    } else if (event.op === "free") {
      list.push([0, event.address]);
    }
  }
  return list;
}

/** Calls per timed run at least: short scenarios repeat (each frees all it allocates), so a run lasts many timer ticks. */
const MIN_CALLS = 20_000;

/** Runs `list` (repeated to {@link MIN_CALLS}) on a fresh VMM of `subject`; milliseconds per pass of the list. */
function runCalls(subject: Subject, list: ReadonlyArray<[number, string]>): number {
  const vmm = subject.makeVmm(SPACE_BLOCKS);
  const placed = new Map<string, number>();
  const passes = Math.ceil(MIN_CALLS / list.length);
  const started = performance.now();
  for (let pass = 0; pass < passes; pass++) {
    for (const [blocks, key] of list) {
      if (blocks === 0) {
        vmm.free(placed.get(key)!);
        continue;
      }
      const at = vmm.alloc(blocks);
      if (at === null) throw new Error(`${subject.name}: ran out of space replaying ${key}`);
      placed.set(key, at);
    }
  }
  return (performance.now() - started) / passes;
}

/** Measures every scenario (see the module comment). */
export function runReplayBench(subjects: readonly Subject[], config: ReplayBenchConfig): ReplayBenchRow[] {
  return VMALLOC_SCENARIOS.filter((scenario) => config.scenarios.includes(scenario)).map((scenario) => {
    const trace = generateTrace(scenario, { scale: config.scale });
    const list = calls(trace);
    const replayRates: number[] = [];
    for (let run = 0; run < config.runs; run++) replayRates.push(replay(trace, { allocator: "bitmap", pmm: "lowest" }, { samples: 1, now: () => performance.now() }).opsPerSecond);
    const callsPerSecond: Record<string, number> = {};
    if (list !== null) {
      for (const subject of subjects) {
        // One untimed run first: the JIT sees these call sequences before they are timed.
        runCalls(subject, list);
        const ms: number[] = [];
        for (let run = 0; run < config.runs; run++) ms.push(runCalls(subject, list));
        callsPerSecond[subject.name] = (list.length * 1000) / median(ms);
      }
    }
    return { scenario, events: trace.events.length, replayPerSecond: median(replayRates), callsPerSecond };
  });
}

/** Section 9's table: kmem's replay rate, and alloc/free rates of kmem and the seed with their ratio. */
export function printReplayBench(rows: readonly ReplayBenchRow[], config: ReplayBenchConfig): string {
  const body = rows.map((row) => {
    const kmem = row.callsPerSecond["kmem"];
    const seed = row.callsPerSecond["seed"];
    return [row.scenario, String(row.events), rate(row.replayPerSecond), kmem === undefined ? "–" : rate(kmem), seed === undefined ? "– (aligned)" : rate(seed), kmem === undefined || seed === undefined ? "–" : times(kmem / seed)];
  });
  return [
    `## 9. Replay: lib/test_vmalloc.c scenarios (scale ${config.scale}, median of ${config.runs})`,
    "",
    "`kmem replay` rate: events through `replay()` (fresh machine, x86 page tables, MMU writes; bitmap + lowest-first). alloc/free: the same calls bare on each subject (counting mapper), kmem ÷ seed.",
    "",
    markdownTable(["scenario", "events", "kmem replay", "kmem alloc/free", "seed alloc/free", "kmem ÷ seed"], body),
  ].join("\n");
}
