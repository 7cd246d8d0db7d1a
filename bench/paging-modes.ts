/**
 * Every paging mode's MMU on the shared walk engine: the TLB-hit rate of the hot `lookup`
 * path (64 pages cycled), the bare walk (no TLB, a 4096-page sweep), side by side with an
 * emulator-style flat page array (one typed-array load and a compare per access) and the
 * stage-one 32-bit `Mmu`. Rates are per CPU second of the measuring process (the machine is
 * shared), each group of modes runs in a child process of its own, and every ratio compares
 * samples taken moments apart in that process. Every loop folds its results with `^=`: a
 * `(sum + x) | 0` checksum would put a double→int conversion on the loop-carried chain and
 * charge it to whichever API returns a double (the MMU's physical addresses are doubles).
 * The flat loop is 3–5 cycles, and V8 settles on a faster or a slower code for it from one
 * process to the next (~880 or ~600 M/s here): compare ratios across runs, not one process.
 */

import {
  CR0_PG,
  CR0_WP,
  CR4_LA57,
  CR4_PAE,
  CR4_PSE,
  EFER_LME,
  EFER_NXE,
  KIND_READ,
  Mmu,
  type ModeName,
  PagingMmu,
  PhysicalMemory,
  PhysicalMemoryManager,
  RiscvMmu,
  TableMapper,
  X86Mmu,
  X86Paging,
  riscvCodec,
  x86Codec,
} from "kmem";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { median } from "./stats.js";

const RAM_BYTES = 64 * 1024 * 1024;
const PHYSICAL_BASE = 0x0100_0000;
const PAGE_BYTES = 4096;
/** Pages mapped for the walk sweep. */
const SWEEP_PAGES = 4096;
/** Pages cycled for the TLB-hit loop (one per slot of the default 64-slot TLB). */
const HIT_PAGES = 64;
const OFFSET_MASK = 0xff0;
/** Virtual base in 32-bit modes. */
const BASE_32 = 0x4000_0000;
/** Virtual base in 64-bit modes as the signed number `lookup` takes: 0xFFFFFFFF80000000. */
const BASE_64 = -0x8000_0000;
const KERNEL = { kernel: true, writable: true, cachable: true } as const;

/** Settings of the section. */
export interface PagingModesConfig {
  readonly runs: number;
  readonly translations: number;
}

/** One loop's median rate. */
export interface Rate {
  readonly perSec: number;
  readonly nsPer: number;
  readonly samplesPerSec: readonly number[];
  /** Table walks during the timed runs (0 proves a hit loop never missed). */
  readonly walks: number;
}

/** One mode's figures. */
export interface ModeRow {
  readonly mode: ModeName;
  readonly hit: Rate;
  /** The hit test inlined by the caller through `tlbProbe()` (misses call `lookup`). */
  readonly probe: Rate;
  readonly walk: Rate;
  /** Hit time ÷ flat-array time, the median of per-run ratios (target ≤ 2). */
  readonly hitVsFlat: number;
  /** Inline-probe time ÷ flat-array time, the median of per-run ratios. */
  readonly probeVsFlat: number;
}

/** The section. */
export interface PagingModesSection {
  readonly config: PagingModesConfig;
  readonly flat: Rate;
  readonly stageOneHit: Rate;
  /** The stage-one 2-level walk without a TLB: with the engine's `x86` walk, a same-run yardstick. */
  readonly stageOneWalk: Rate;
  readonly modes: readonly ModeRow[];
  /** la57 walk time ÷ x86-64 walk time (target ≤ 1.3). */
  readonly la57VsFourLevel: number;
  /** Sv57 walk time ÷ Sv48 walk time. */
  readonly sv57VsSv48: number;
}

function machine(mode: ModeName, tlbEntries: number): { mmu: PagingMmu; base: number } {
  const ram = new PhysicalMemory(RAM_BYTES);
  const frames = new PhysicalMemoryManager({ memoryBytes: RAM_BYTES });
  frames.setRange(PHYSICAL_BASE, PHYSICAL_BASE + SWEEP_PAGES * PAGE_BYTES);
  const bytes = SWEEP_PAGES * PAGE_BYTES;
  if (mode === "x86" || mode === "x86-pae" || mode === "riscv-sv32") {
    const codec = mode === "riscv-sv32" ? riscvCodec(mode) : x86Codec(mode);
    const mapper = new TableMapper({ codec, bus: ram, frames });
    const root = mapper.createRoot();
    mapper.map(BASE_32, BASE_32 + bytes, PHYSICAL_BASE, PHYSICAL_BASE + bytes, KERNEL, root);
    const mmu =
      mode === "riscv-sv32"
        ? new RiscvMmu({ bus: ram, xlen: 32, tlbEntries, state: { satp: (0x8000_0000 | (root / PAGE_BYTES)) >>> 0 } })
        : new X86Mmu({ bus: ram, tlbEntries, state: { cr0: CR0_PG | CR0_WP, cr3: root, cr4: mode === "x86" ? CR4_PSE : CR4_PAE, efer: mode === "x86" ? 0 : EFER_NXE } });
    return { mmu, base: BASE_32 };
  }
  const codec = mode === "x86-64" || mode === "x86-64-la57" ? x86Codec(mode) : riscvCodec(mode);
  const mapper = new TableMapper({ codec, bus: ram, frames });
  const root = mapper.createRoot();
  const base = BigInt.asUintN(64, BigInt(BASE_64));
  mapper.map(base, base + BigInt(bytes), BigInt(PHYSICAL_BASE), BigInt(PHYSICAL_BASE + bytes), KERNEL, root);
  const satpMode = { "riscv-sv39": 8n, "riscv-sv48": 9n, "riscv-sv57": 10n }[mode as "riscv-sv39"];
  const mmu =
    mode === "x86-64" || mode === "x86-64-la57"
      ? new X86Mmu({ bus: ram, tlbEntries, state: { cr0: CR0_PG | CR0_WP, cr3: root, cr4: mode === "x86-64" ? CR4_PAE : CR4_PAE | CR4_LA57, efer: EFER_LME | EFER_NXE } })
      : new RiscvMmu({ bus: ram, tlbEntries, state: { satp: (satpMode << 60n) | BigInt(root / PAGE_BYTES) } });
  return { mmu, base: BASE_64 };
}

type LookupLoop = (mmu: PagingMmu, base: number, count: number, pages: number) => number;

/**
 * Loop copies made so far. Each copy's source names its number: V8 caches `new Function` by
 * source text, and copies of one text share one closure's feedback, so identical copies
 * would all see every mode (and the TLB-less walk machines) and go polymorphic.
 */
let loopCopies = 0;

/**
 * A fresh copy of the lookup loop (`count` lookups cycling over `pages` pages from `base`,
 * returning a checksum) with its own JIT feedback: an emulator drives one MMU class from its
 * hot loop, so each mode is measured from a loop that has only seen that mode.
 */
function lookupLoop(): LookupLoop {
  return new Function(
    "mmu",
    "base",
    "count",
    "pages",
    `// copy ${String(loopCopies++)}
     const pageMask = pages - 1;
     let sum = 0;
     for (let i = 0; i < count; i++) sum ^= mmu.lookup(base + (i & pageMask) * ${String(PAGE_BYTES)} + (i & ${String(OFFSET_MASK)}), ${String(KIND_READ)});
     return sum;`,
  ) as LookupLoop;
}

type ProbeLoop = (mmu: PagingMmu, entries: Float64Array, mask: number, base: number, count: number, pages: number) => number;

/** A fresh copy of the loop an emulator writes around `tlbProbe()`: the hit test inline, `lookup` on a miss. */
function probeLoop(): ProbeLoop {
  return new Function(
    "mmu",
    "entries",
    "mask",
    "base",
    "count",
    "pages",
    `// copy ${String(loopCopies++)}
     const pageMask = pages - 1;
     let sum = 0;
     for (let i = 0; i < count; i++) {
       const vaddr = base + (i & pageMask) * ${String(PAGE_BYTES)} + (i & ${String(OFFSET_MASK)});
       const slot = ((vaddr >>> 8) & mask) | (${String(KIND_READ)} << 1);
       sum ^= entries[slot] === vaddr - (vaddr & ${String(PAGE_BYTES - 1)}) ? vaddr + entries[slot + 1] : mmu.lookup(vaddr, ${String(KIND_READ)});
     }
     return sum;`,
  ) as ProbeLoop;
}

/** The same loop against an emulator's flat page array: one typed-array load and a compare. */
function flatLoop(flat: Int32Array, base: number, count: number, pages: number): number {
  const pageMask = pages - 1;
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const vaddr = base + (i & pageMask) * PAGE_BYTES + (i & OFFSET_MASK);
    const frame = flat[(vaddr - base) >>> 12] ?? -1;
    sum ^= frame >= 0 ? frame + (vaddr & 0xfff) : -1;
  }
  return sum;
}

/** The stage-one `Mmu.tryTranslate` hit loop (the 32-bit figure that must not regress). */
function stageOneLoop(mmu: Mmu, count: number, pages: number): number {
  let sum = 0;
  const read = { write: false, user: false };
  for (let i = 0; i < count; i++) {
    sum ^= mmu.tryTranslate(BASE_32 + (i & (pages - 1)) * PAGE_BYTES + (i & OFFSET_MASK), read);
  }
  return sum;
}

/** This process's user + system CPU time in ms (steadier than wall time on a shared machine). */
function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** Times `run(count)` in CPU ms. */
function time(run: (count: number) => number, count: number): number {
  const t0 = cpuMs();
  const checksum = run(count);
  const ms = cpuMs() - t0;
  if (checksum === 0x7fffffff) console.log("");
  return ms;
}

function rateOf(config: PagingModesConfig, samplesMs: readonly number[], walks: number): Rate {
  const samplesPerSec = samplesMs.map((ms) => (config.translations / ms) * 1000);
  const perSec = median(samplesPerSec);
  return { perSec, nsPer: 1e9 / perSec, samplesPerSec, walks };
}

/** What one group (one process) measures. */
export interface GroupResult {
  readonly flat: Rate;
  readonly modes: readonly ModeRow[];
  /** Per-run ratios of the second mode's walk time to the first's (a 5-level ÷ 4-level pair), median. */
  readonly walkRatio: number | null;
  readonly stageOneHit: Rate | null;
  readonly stageOneWalk: Rate | null;
}

/**
 * Measures `modes` in this process, interleaved run by run with the flat-array baseline (and,
 * with `stageOne`, the 32-bit `Mmu`), so that every ratio compares samples taken moments apart
 * on this shared, noisy machine: flat ÷ hit is the median of per-run ratios.
 */
export function measureGroup(modes: readonly ModeName[], config: PagingModesConfig, stageOne: boolean): GroupResult {
  const flatTable = new Int32Array(SWEEP_PAGES).map((_, i) => PHYSICAL_BASE + i * PAGE_BYTES);
  const flatRun = (n: number): number => flatLoop(flatTable, BASE_32, n, HIT_PAGES);
  const machines = modes.map((mode) => ({ mode, hit: machine(mode, 64), walk: machine(mode, 0), hitLoop: lookupLoop(), walkLoop: lookupLoop(), probeLoop: probeLoop() }));
  const ram = new PhysicalMemory(RAM_BYTES);
  const pmm = new PhysicalMemoryManager({ memoryBytes: RAM_BYTES });
  pmm.setRange(PHYSICAL_BASE, PHYSICAL_BASE + SWEEP_PAGES * PAGE_BYTES);
  const paging = new X86Paging({ ram, frames: pmm });
  const cr3 = paging.createDirectory();
  paging.map(BASE_32, BASE_32 + SWEEP_PAGES * PAGE_BYTES, PHYSICAL_BASE, PHYSICAL_BASE + SWEEP_PAGES * PAGE_BYTES, KERNEL, cr3);
  const oldHit = new Mmu({ ram, cr3 });
  const oldBare = new Mmu({ ram, cr3, tlbEntries: 0 });
  const runs = (m: (typeof machines)[number]) => ({
    hit: (n: number): number => m.hitLoop(m.hit.mmu, m.hit.base, n, HIT_PAGES),
    probe: (n: number): number => {
      const p = m.hit.mmu.tlbProbe();
      return m.probeLoop(m.hit.mmu, p.entries, p.mask, m.hit.base, n, HIT_PAGES);
    },
    walk: (n: number): number => m.walkLoop(m.walk.mmu, m.walk.base, n, SWEEP_PAGES),
  });
  // Warm up every loop once, untimed.
  flatRun(config.translations);
  for (const m of machines) {
    runs(m).hit(config.translations);
    runs(m).probe(config.translations);
    runs(m).walk(config.translations / 10);
  }
  if (stageOne) {
    stageOneLoop(oldHit, config.translations, HIT_PAGES);
    stageOneLoop(oldBare, config.translations / 10, SWEEP_PAGES);
  }
  const walks0 = machines.map((m) => m.hit.mmu.walks);
  const flatMs: number[] = [];
  const hitMs = machines.map(() => [] as number[]);
  const walkMs = machines.map(() => [] as number[]);
  const ratios = machines.map(() => [] as number[]);
  const probeMs = machines.map(() => [] as number[]);
  const probeRatios = machines.map(() => [] as number[]);
  const walkRatios: number[] = [];
  const oldHitMs: number[] = [];
  const oldWalkMs: number[] = [];
  for (let r = 0; r < config.runs; r++) {
    const flat = time(flatRun, config.translations);
    flatMs.push(flat);
    machines.forEach((m, i) => {
      const hit = time(runs(m).hit, config.translations);
      hitMs[i]?.push(hit);
      ratios[i]?.push(hit / flat);
      const probe = time(runs(m).probe, config.translations);
      probeMs[i]?.push(probe);
      probeRatios[i]?.push(probe / flat);
      walkMs[i]?.push(time(runs(m).walk, config.translations / 10) * 10);
    });
    const [first, second] = walkMs;
    if (first !== undefined && second !== undefined) walkRatios.push((second[r] ?? 0) / (first[r] ?? 1));
    if (stageOne) {
      oldHitMs.push(time((n) => stageOneLoop(oldHit, n, HIT_PAGES), config.translations));
      oldWalkMs.push(time((n) => stageOneLoop(oldBare, n / 10, SWEEP_PAGES), config.translations) * 10);
    }
  }
  return {
    flat: rateOf(config, flatMs, 0),
    modes: machines.map((m, i) => ({
      mode: m.mode,
      hit: rateOf(config, hitMs[i] ?? [], m.hit.mmu.walks - (walks0[i] ?? 0)),
      walk: rateOf(config, walkMs[i] ?? [], 0),
      hitVsFlat: median(ratios[i] ?? []),
      probe: rateOf(config, probeMs[i] ?? [], 0),
      probeVsFlat: median(probeRatios[i] ?? []),
    })),
    walkRatio: walkRatios.length > 0 ? median(walkRatios) : null,
    stageOneHit: stageOne ? rateOf(config, oldHitMs, 0) : null,
    stageOneWalk: stageOne ? rateOf(config, oldWalkMs, 0) : null,
  };
}

/** The process groups: modes sharing a process share rule classes, as one emulator would; pairs give the 5-level ÷ 4-level ratio. */
export const GROUPS: readonly (readonly ModeName[])[] = [["x86"], ["x86-pae"], ["x86-64", "x86-64-la57"], ["riscv-sv32"], ["riscv-sv39"], ["riscv-sv48", "riscv-sv57"]];

/**
 * Measures every group in its own child process (its own JIT, as an emulator runs one mode;
 * in one process the shared walk would see every mode's rules and go polymorphic).
 */
export function runPagingModes(config: PagingModesConfig): PagingModesSection {
  const child = fileURLToPath(new URL("./paging-child.ts", import.meta.url));
  const groups = GROUPS.map((modes, i) => {
    const out = execFileSync(process.execPath, ["--import", "tsx", child, JSON.stringify({ modes, config, stageOne: i === 0 })], { encoding: "utf8", maxBuffer: 1 << 24 });
    return JSON.parse(out) as GroupResult;
  });
  const first = groups[0];
  if (first?.stageOneHit == null || first.stageOneWalk == null) throw new Error("the x86 group reported no stage-one figures");
  return {
    config,
    flat: first.flat,
    stageOneHit: first.stageOneHit,
    stageOneWalk: first.stageOneWalk,
    modes: groups.flatMap((g) => g.modes),
    la57VsFourLevel: groups[2]?.walkRatio ?? Number.NaN,
    sv57VsSv48: groups[5]?.walkRatio ?? Number.NaN,
  };
}

/** The section as Markdown. */
export function printPagingModes(section: PagingModesSection): string {
  const rate = (r: Rate): string => `${(r.perSec / 1e6).toFixed(1)} M/s (${r.nsPer.toFixed(1)} ns)`;
  const header =
    "| mode | TLB hit (`lookup`) | ÷ flat-array time | hit inlined via `tlbProbe()` | ÷ flat-array time (≤ 2) | walk, no TLB | walks in hit runs |\n| --- | --- | --- | --- | --- | --- | --- |";
  const rows = section.modes.map(
    (m) => `| ${m.mode} | ${rate(m.hit)} | ${m.hitVsFlat.toFixed(2)}× | ${rate(m.probe)} | ${m.probeVsFlat.toFixed(2)}× | ${rate(m.walk)} | ${String(m.hit.walks)} |`,
  );
  return [
    `### Paging modes (median of ${String(section.config.runs)} runs of ${String(section.config.translations)} translations per CPU second; walks ${String(section.config.translations / 10)})`,
    [header, ...rows].join("\n"),
    `Flat page array (one load + compare): ${rate(section.flat)}. Stage-one \`Mmu.tryTranslate\`: hit ${rate(section.stageOneHit)}, walk without TLB ${rate(section.stageOneWalk)}.`,
    `5-level ÷ 4-level walk time: x86 ${section.la57VsFourLevel.toFixed(2)}× (≤ 1.3), RISC-V Sv57 ÷ Sv48 ${section.sv57VsSv48.toFixed(2)}×.`,
  ].join("\n\n");
}
