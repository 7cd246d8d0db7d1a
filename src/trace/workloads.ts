/**
 * Standard workloads as traces: the single-threaded scenarios of Linux's lib/test_vmalloc.c
 * and synthetic size × lifetime generators. Each is run once on a reference machine (the
 * default profile, bitmap allocator, lowest-first PMM) through a {@link TraceRecorder}, so
 * the trace holds real addresses that replay on other policies maps onto its own.
 */

import { KmemError } from "../errors/kmem-error.js";
import { mulberry32 } from "../random.js";
import type { Attributes } from "../types.js";
import { TRACE_VERSION, type Trace, type TraceHeader, traceAddress } from "./format.js";
import { TraceRecorder } from "./recorder.js";
import { type ReplayTarget, replayTarget } from "./target.js";

/** The test_vmalloc.c scenarios kmem replays (the module's test names without `_alloc_test`). */
export const VMALLOC_SCENARIOS = ["fix-size", "full-fit", "long-busy-list", "random-size", "fix-align", "random-size-align", "align-shift"] as const;

/** Size distributions of the synthetic generators. */
export const SIZE_DISTRIBUTIONS = ["uniform", "exponential", "bimodal"] as const;

/** Lifetimes of the synthetic generators: which live allocation is freed next. */
export const LIFETIMES = ["random", "lifo", "fifo"] as const;

/** Every scenario name `kmem trace-gen` accepts. */
export const SCENARIOS: readonly string[] = [...VMALLOC_SCENARIOS, ...SIZE_DISTRIBUTIONS.flatMap((size) => LIFETIMES.map((lifetime) => `${size}-${lifetime}`))];

/** Options for {@link generateTrace}. */
export interface GenerateOptions {
  /** Multiplies the loop counts (test_vmalloc's `test_loop_count` = 1,000,000; the synthetic generators' 10,000 allocations). Default 0.01. */
  readonly scale?: number;
  /** Seeds the random sizes and lifetimes (mulberry32). Default 1. */
  readonly seed?: number;
}

/** The space generated traces address: the top GiB of a 32-bit space, as a 32-bit kernel's vmalloc area. */
const SPACE_START = 0xc000_0000;
const SPACE_END = 2 ** 32;
const PAGE = 4096;
/** test_vmalloc.c's `test_loop_count` default. */
const KERNEL_LOOP_COUNT = 1_000_000;
const SYNTHETIC_ALLOCATIONS = 10_000;
/** Allocations alive at once in the synthetic generators. */
const SYNTHETIC_LIVE = 256;
/** x86-64's THREAD_ALIGN (THREAD_SIZE, 16 KiB): fix_align_alloc_test allocates at `THREAD_ALIGN << 1`. */
const THREAD_ALIGN = 16 * 1024;
/** `sizeof(void *)` on a 64-bit kernel: the busy-list and full-fit tests vmalloc arrays of pointers. */
const POINTER_BYTES = 8;
/** full_fit_alloc_test's junk length for one CPU: `fls(1) * (32 MiB / PAGE_SIZE)`. */
const FULL_FIT_JUNK = (32 * 1024 * 1024) / PAGE;
/** long_busy_list_alloc_test's list length. */
const BUSY_LIST = 15_000;
/** `BITS_PER_LONG` of a 64-bit kernel. */
const BITS_PER_LONG = 64;

/** vmalloc's memory: kernel, writable, cachable, not executable. */
const VMALLOC_ATTRS: Attributes = { kernel: true, writable: true, cachable: true, executable: false };

/** What a scenario drives: a recording VMM plus a random source. */
interface Driver {
  /** vmalloc(pages): the address, or null. */
  alloc(pages: number, align?: number | bigint): number | null;
  free(address: number): void;
  write(address: number): void;
  /** A uniform integer in `[low, high]`. */
  between(low: number, high: number): number;
  /** A uniform real in `[0, 1)`. */
  unit(): number;
}

type Scenario = (driver: Driver, loops: (base: number) => number) => void;

function vmallocPages(bytes: number): number {
  return Math.ceil(bytes / PAGE);
}

/** lib/test_vmalloc.c, one function each, with the kernel's sizes; a failed allocation ends the test as `return -1` does. */
const VMALLOC: Record<(typeof VMALLOC_SCENARIOS)[number], Scenario> = {
  "fix-size": (d, loops) => {
    for (let i = 0; i < loops(KERNEL_LOOP_COUNT); i++) {
      const p = d.alloc(1);
      if (p === null) return;
      d.write(p);
      d.free(p);
    }
  },
  "full-fit": (d, loops) => {
    const ptr = d.alloc(vmallocPages(POINTER_BYTES * FULL_FIT_JUNK));
    const junkPtr = d.alloc(vmallocPages(POINTER_BYTES * FULL_FIT_JUNK));
    if (ptr === null || junkPtr === null) return;
    const kept: number[] = [];
    const junk: number[] = [];
    for (let i = 0; i < FULL_FIT_JUNK; i++) {
      const a = d.alloc(1);
      const b = d.alloc(1);
      if (a !== null) kept.push(a);
      if (b !== null) junk.push(b);
    }
    for (const p of junk) d.free(p);
    for (let i = 0; i < loops(KERNEL_LOOP_COUNT); i++) {
      const tmp = d.alloc(1);
      if (tmp === null) break;
      d.write(tmp);
      d.free(tmp);
    }
    for (const p of kept) d.free(p);
    d.free(ptr);
    d.free(junkPtr);
  },
  "long-busy-list": (d, loops) => {
    const ptr = d.alloc(vmallocPages(POINTER_BYTES * BUSY_LIST));
    if (ptr === null) return;
    const list: number[] = [];
    for (let i = 0; i < BUSY_LIST; i++) {
      const p = d.alloc(1);
      if (p !== null) list.push(p);
    }
    for (let i = 0; i < loops(KERNEL_LOOP_COUNT); i++) {
      const p1 = d.alloc(100);
      if (p1 === null) break;
      const p2 = d.alloc(1);
      if (p2 === null) {
        d.free(p1);
        break;
      }
      d.write(p1);
      d.write(p2);
      d.free(p1);
      d.free(p2);
    }
    for (const p of list) d.free(p);
    d.free(ptr);
  },
  "random-size": (d, loops) => {
    for (let i = 0; i < loops(KERNEL_LOOP_COUNT); i++) {
      const p = d.alloc(d.between(1, 100));
      if (p === null) return;
      d.write(p);
      d.free(p);
    }
  },
  "fix-align": (d, loops) => {
    for (let i = 0; i < loops(KERNEL_LOOP_COUNT); i++) {
      const p = d.alloc(5, THREAD_ALIGN << 1);
      if (p === null) return;
      d.free(p);
    }
  },
  "random-size-align": (d, loops) => {
    for (let i = 0; i < loops(KERNEL_LOOP_COUNT); i++) {
      const rnd = d.between(0, 255);
      // vmalloc aligns to at least a page: smaller alignments are a page.
      const p = d.alloc((rnd % 10) + 1, Math.max(PAGE, 2 ** (rnd % 23)));
      if (p === null) return;
      d.free(p);
    }
  },
  "align-shift": (d) => {
    // "This test case is supposed to be failed": alignments grow to 2^63.
    for (let i = 0; i < BITS_PER_LONG; i++) {
      const p = d.alloc(1, 2n ** BigInt(Math.max(i, 12)));
      if (p === null) return;
      d.free(p);
    }
  },
};

function sizeOf(distribution: (typeof SIZE_DISTRIBUTIONS)[number], d: Driver): number {
  switch (distribution) {
    case "uniform":
      return d.between(1, 64);
    case "exponential":
      // Mean 8 pages, capped at 1024.
      return Math.min(1024, Math.max(1, Math.ceil(-Math.log(1 - d.unit()) * 8)));
    case "bimodal":
      // 90% small (1–4 pages), 10% large (64–256 pages).
      return d.unit() < 0.9 ? d.between(1, 4) : d.between(64, 256);
  }
}

function synthetic(distribution: (typeof SIZE_DISTRIBUTIONS)[number], lifetime: (typeof LIFETIMES)[number]): Scenario {
  return (d, loops) => {
    const live: number[] = [];
    for (let i = 0; i < loops(SYNTHETIC_ALLOCATIONS); i++) {
      const p = d.alloc(sizeOf(distribution, d));
      if (p !== null) {
        d.write(p);
        live.push(p);
      }
      if (live.length > SYNTHETIC_LIVE) {
        const index = lifetime === "fifo" ? 0 : lifetime === "lifo" ? live.length - 1 : d.between(0, live.length - 1);
        d.free(live.splice(index, 1)[0]!);
      }
    }
    for (const p of live) d.free(p);
  };
}

function scenarioFor(name: string): Scenario | null {
  if ((VMALLOC_SCENARIOS as readonly string[]).includes(name)) return VMALLOC[name as (typeof VMALLOC_SCENARIOS)[number]];
  const [size, lifetime] = name.split("-");
  if ((SIZE_DISTRIBUTIONS as readonly string[]).includes(size ?? "") && (LIFETIMES as readonly string[]).includes(lifetime ?? "")) {
    return synthetic(size as (typeof SIZE_DISTRIBUTIONS)[number], lifetime as (typeof LIFETIMES)[number]);
  }
  return null;
}

/**
 * Generates the trace of a standard workload (one of {@link SCENARIOS}) by running it on the
 * reference machine. The same name, scale and seed give the same trace, byte for byte.
 *
 * @throws {RangeError} when the scenario is unknown, or `scale`/`seed` is not a positive number / a 32-bit integer.
 * @example
 * const trace = generateTrace("long-busy-list", { scale: 0.001 });
 */
export function generateTrace(name: string, options: GenerateOptions = {}): Trace {
  const scenario = scenarioFor(name);
  if (scenario === null) throw new RangeError(`Cannot generate ${JSON.stringify(name)}: not a scenario (${SCENARIOS.join(", ")})`);
  const scale = options.scale ?? 0.01;
  const seed = options.seed ?? 1;
  if (!(Number.isFinite(scale) && scale > 0)) throw new RangeError(`Cannot generate ${name} at scale ${String(scale)}: the scale must be a positive number`);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new RangeError(`Cannot generate ${name} with seed ${String(seed)}: the seed must be an integer in [0, 2^32)`);
  const header: TraceHeader = {
    kmem: "trace",
    version: TRACE_VERSION,
    arch: "x86",
    blockSize: PAGE,
    space: { start: traceAddress(SPACE_START), end: traceAddress(SPACE_END) },
    source: `kmem trace-gen ${name} --scale ${scale} --seed ${seed}`,
  };
  const target = replayTarget(header, { allocator: "bitmap", pmm: "lowest" }) as ReplayTarget<number>;
  const recorder = new TraceRecorder(target.vmm, { source: header.source! });
  const next = mulberry32(seed);
  const driver: Driver = {
    alloc: (pages, align) => {
      try {
        return align === undefined ? recorder.alloc(pages, VMALLOC_ATTRS) : recorder.alloc(pages, VMALLOC_ATTRS, { align });
      } catch (error) {
        // Recorded with its code; the kernel's test sees a NULL.
        if (error instanceof KmemError) return null;
        throw error;
      }
    },
    free: (address) => recorder.free(address),
    write: (address) => recorder.touch(address, "write"),
    between: (low, high) => low + (next() % (high - low + 1)),
    unit: () => next() / 2 ** 32,
  };
  scenario(driver, (base) => Math.max(1, Math.round(base * scale)));
  return recorder.trace();
}
