/**
 * Section 6, address types: the section-1 workload on VMMs that differ only in their address
 * type and allocator — a `number` VMM with the bitmap (stage one's path), a `bigint` VMM of
 * the same size just below 2^64, a `bigint` VMM over the whole x86-64 kernel half
 * `[0xFFFF_8000_0000_0000, 2^64)` (2^35 blocks: the extent tree), and a `number` VMM with the
 * extent tree — all in one run, the `number` one first (before any `bigint` code has run) and
 * again last, so the cost of a process that uses both types shows. Also the before/after of
 * the two figures stage one recorded in bench/stage-one-results.json (its bench/results.json, kept) (section 1's ratio, the MMU's
 * TLB-hit rate), which this change must keep within 10%.
 */

import { readFileSync } from "node:fs";
import { BLOCK_SIZE, PhysicalMemoryManager, VirtualMemoryManager, type VirtualAllocatorName } from "kmem";
import type { MixedConfig, MixedSection } from "./allocator-sections.js";
import type { MmuSection } from "./mmu.js";
import { BENCH_ATTRIBUTES, BENCH_PAYLOAD, CountingMapper, type Subject } from "./subjects.js";
import { collectGarbage, median, nowMs } from "./stats.js";
import { duration, markdownTable, rate, times } from "./table.js";
import { MixedWorkload } from "./workload.js";

const BLOCK = BigInt(BLOCK_SIZE);
/** The x86-64 (4-level) kernel half: 2^35 blocks of 4 KiB. */
const KERNEL_HALF_START = 0xffff_8000_0000_0000n;
const TOP = 2n ** 64n;

/**
 * A `bigint` VMM over `[start, end)` as a benchmark subject, backed by a PMM of the
 * workload's size. The workload speaks `number`s: the adapter hands it each address as its
 * byte offset from `start` (exact: below 2^53), so every subject's checksum is comparable.
 */
function bigintSubject(name: string, bounds: (blocks: number) => { start: bigint; end: bigint }, allocator?: VirtualAllocatorName): Subject {
  return {
    name,
    timeBoxed: false,
    makeVmm(blocks) {
      const { start, end } = bounds(blocks);
      const pmm = new PhysicalMemoryManager({ memoryBytes: blocks * BLOCK_SIZE });
      const mapper = new CountingMapper();
      const vmm = new VirtualMemoryManager<number, bigint>({ start, end, pmm, mapper, payload: BENCH_PAYLOAD, ...(allocator === undefined ? {} : { allocator }) });
      return {
        alloc: (numBlocks) => {
          const at = vmm.alloc(numBlocks, BENCH_ATTRIBUTES);
          return at === null ? null : Number(at - start);
        },
        free: (offset) => vmm.free(start + BigInt(offset)),
        stateBytes: () => ({ virtual: 0, physical: 0, table: 0 }),
        mapperCalls: () => mapper.calls,
      };
    },
  };
}

/** A `number` VMM over `[0, blocks · 4 KiB)` with the named allocator. */
function numberSubject(name: string, allocator: VirtualAllocatorName): Subject {
  return {
    name,
    timeBoxed: false,
    makeVmm(blocks) {
      const pmm = new PhysicalMemoryManager({ memoryBytes: blocks * BLOCK_SIZE });
      const mapper = new CountingMapper();
      const vmm = new VirtualMemoryManager({ start: 0, end: blocks * BLOCK_SIZE, pmm, mapper, payload: BENCH_PAYLOAD, allocator });
      return {
        alloc: (numBlocks) => vmm.alloc(numBlocks, BENCH_ATTRIBUTES),
        free: (vaddr) => vmm.free(vaddr),
        stateBytes: () => ({ virtual: 0, physical: 0, table: 0 }),
        mapperCalls: () => mapper.calls,
      };
    },
  };
}

/** The subjects in measuring order: the number path first, untouched by bigint code, and again last. */
function subjects(kmem: Subject): readonly Subject[] {
  return [
    { ...kmem, name: "number, bitmap (first)" },
    bigintSubject("bigint, bitmap, top of 2^64", (blocks) => ({ start: TOP - BigInt(blocks) * BLOCK, end: TOP })),
    bigintSubject("bigint, extent, x86-64 kernel half (2^35 blocks)", () => ({ start: KERNEL_HALF_START, end: TOP })),
    numberSubject("number, extent", "extent"),
    { ...kmem, name: "number, bitmap (after bigint)" },
  ];
}

/** Stage one's figure, this run's, and their ratio. */
export interface BeforeAfter {
  readonly figure: string;
  readonly stageOne: number | null;
  readonly thisRun: number;
  /** thisRun ÷ stageOne (both "higher is better"). */
  readonly ratio: number | null;
}

/** One VMM's timed windows: wall-clock and CPU time per operation (CPU time is what load from other processes does not inflate). */
export interface AddressTypeResult {
  readonly subject: string;
  /** Median wall-clock microseconds per operation. */
  readonly usPerOp: number;
  /** Median CPU (user + system) microseconds per operation. */
  readonly cpuUsPerOp: number;
  readonly samplesCpuUsPerOp: readonly number[];
  /** Hash of every address allocated, per run (compared across subjects). */
  readonly checksums: readonly number[];
}

/** The address-type section. */
export interface AddressTypeSection {
  readonly config: MixedConfig;
  readonly results: readonly AddressTypeResult[];
  /** Each subject's CPU time per op ÷ the first number VMM's. */
  readonly perOpRatios: Record<string, number>;
  /** Whether every subject returned the same address offsets (all are first fit by lowest address). */
  readonly sameAddresses: boolean;
  /** When bench/stage-one-results.json was written, if readable. */
  readonly stageOneDate: string | null;
  readonly beforeAfter: readonly BeforeAfter[];
}

/** Microseconds of CPU time (user + system) since `since`. */
function cpuUs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return used.user + used.system;
}

/** `config.runs` windows of `subject` (fill, warm-up, then `windowOps` timed operations), with run `r` on seed `seed + r`. */
function measure(subject: Subject, config: MixedConfig): AddressTypeResult {
  const wall: number[] = [];
  const cpu: number[] = [];
  const checksums: number[] = [];
  for (let r = 0; r < config.runs; r++) {
    const work = new MixedWorkload(subject.makeVmm(config.blocks), config.blocks, config.seed + r);
    work.fill();
    work.run(config.warmupOps);
    collectGarbage();
    const cpu0 = process.cpuUsage();
    const t0 = nowMs();
    const ops = work.run(config.windowOps);
    wall.push(((nowMs() - t0) * 1000) / ops);
    cpu.push(cpuUs(cpu0) / ops);
    checksums.push(work.checksum);
  }
  return { subject: subject.name, usPerOp: median(wall), cpuUsPerOp: median(cpu), samplesCpuUsPerOp: cpu, checksums };
}

/** Reads `path`'s recorded section-1 ratio and MMU TLB-hit rate (null when absent). */
function stageOne(path: URL): { date: string | null; mixedRatio: number | null; tlbHitPerSec: number | null } {
  try {
    const recorded = JSON.parse(readFileSync(path, "utf8")) as { meta?: { date?: string }; mixed?: { ratio?: number }; mmu?: { hit?: { perSec?: number } } };
    return { date: recorded.meta?.date ?? null, mixedRatio: recorded.mixed?.ratio ?? null, tlbHitPerSec: recorded.mmu?.hit?.perSec ?? null };
  } catch {
    return { date: null, mixedRatio: null, tlbHitPerSec: null };
  }
}

/**
 * Runs the section: each subject is warmed up by `jitWarmupOps` untimed operations (the JIT
 * settles on code for the address type it sees), then measured as section 1 is. Call it
 * after every other section: its `bigint` runs make the VMM's call sites see both address
 * types, which the earlier `number`-only sections must not.
 */
export function runAddressTypes(kmem: Subject, config: MixedConfig, jitWarmupOps: number, sections: { mixed: MixedSection; mmu: MmuSection }, recorded: URL): AddressTypeSection {
  const { mixed, mmu } = sections;
  const results = subjects(kmem).map((subject) => {
    const warmup = new MixedWorkload(subject.makeVmm(config.blocks), config.blocks, config.seed);
    warmup.fill();
    warmup.run(jitWarmupOps);
    return measure(subject, config);
  });
  const base = results[0]!;
  const perOpRatios = Object.fromEntries(results.map((r) => [r.subject, r.cpuUsPerOp / base.cpuUsPerOp]));
  const sameAddresses = results.every((r) => JSON.stringify(r.checksums) === JSON.stringify(base.checksums));
  const before = stageOne(recorded);
  const compare = (figure: string, stageOneValue: number | null, thisRun: number): BeforeAfter => ({ figure, stageOne: stageOneValue, thisRun, ratio: stageOneValue === null ? null : thisRun / stageOneValue });
  return {
    config,
    results,
    perOpRatios,
    sameAddresses,
    stageOneDate: before.date,
    beforeAfter: [compare("section 1: kmem ÷ seed ops/s", before.mixedRatio, mixed.ratio ?? Number.NaN), compare("MMU translate, TLB hit (translations/s)", before.tlbHitPerSec, mmu.hit.perSec)],
  };
}

/** The section as Markdown. */
export function printAddressTypes(section: AddressTypeSection): string {
  const c = section.config;
  return [
    `### 6. Address types and allocators: the section-1 workload (2^${Math.log2(c.blocks)} live-size blocks, median of ${c.runs} runs of ${c.windowOps} ops), number and bigint VMMs in this one run`,
    markdownTable(
      ["VMM", "per op (wall)", "per op (CPU)", "CPU ÷ number, bitmap (first)"],
      section.results.map((r) => [r.subject, duration(r.usPerOp), duration(r.cpuUsPerOp), times(section.perOpRatios[r.subject] ?? Number.NaN)]),
    ),
    `same addresses (offsets from each space's start) returned by all: ${section.sameAddresses ? "yes" : "no"}`,
    `Stage one's figures (bench/stage-one-results.json${section.stageOneDate === null ? ", not found" : `, ${section.stageOneDate}`}; another run, so machine load differs) against this run's — the 32-bit number path must stay within 10%:`,
    markdownTable(
      ["figure", "stage one", "this run", "this run ÷ stage one"],
      section.beforeAfter.map((b) => [b.figure, b.stageOne === null ? "n/a" : b.figure.startsWith("MMU") ? rate(b.stageOne) : times(b.stageOne), b.figure.startsWith("MMU") ? rate(b.thisRun) : times(b.thisRun), b.ratio === null ? "n/a" : b.ratio.toFixed(2)]),
    ),
  ].join("\n\n");
}
