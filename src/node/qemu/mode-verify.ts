import { readFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";
import { entryCodecFor } from "../../arch/entry-codec-for.js";
import { SATP_MODE } from "../../arch/riscv/pte.js";
import { CR4_LA57, CR4_PAE, EFER_LME, EFER_NXE } from "../../arch/x86/entry64.js";
import type { PhysicalBus } from "../../bus.js";
import { hex, hexRange } from "../../format.js";
import type { ModeName } from "../../paging/geometry.js";
import { PAGE_BYTES } from "../../paging/geometry.js";
import { listMappings, type PageMapping } from "../../paging/mappings.js";
import { type ComparableLeaf, compareLeavesWithQemu, type InspectComparison, parseInfoMemWide, parseInfoTlbWide } from "./inspect-compare.js";
import { waitForPaging, waitForWord } from "./guest-wait.js";
import { frameChunks, modeTableFrames, restoreChunks } from "./mode-tables.js";
import { QemuError } from "./qemu-error.js";
import { QMP_STDIO_ARGS, QmpSession } from "./qmp.js";
import { compareRiscvRuns, parseRiscvInfoMem, type RiscvMemRun, riscvAttrs } from "./riscv-mem.js";
import { chooseRiscvProbes, compareRiscvProbes, DONE_OFFSET, formatRiscvProbe, kmemRiscvAnswers, MAX_PROBE_BYTES, RECORDS_OFFSET, riscvProbeGuest, tagPages } from "./riscv-probes.js";
import { stageChunks, type TableChunk } from "./staging.js";
import { chooseLongProbes, compareLongProbes, encodeLongProbes, isFiveLevel, kmemLongAnswers, LONG_CONFIG, LONG_STATUS_DONE, type LongGuestArea, type LongProbe, longAreaBytes, longGuestChunks, longGuestPages, longRecordsAt, MAX_LONG_PROBES, placeLongGuest } from "./long-probes.js";
import { findOnPath, findQemuTools } from "./tools.js";

/** The modes {@link checkModeWithQemu} runs (32-bit x86 has its own check, `checkWithQemu`). */
export type QemuCheckedMode = Exclude<ModeName, "x86">;

const MIB = 0x10_0000;
/** RAM QEMU gets beyond the staged tables: SeaBIOS keeps its own tables in the top of RAM. */
const FIRMWARE_SLACK_BYTES = 2 * MIB;
/** The most RAM the `pc` machine keeps below 4 GiB. */
const MAX_PC_RAM_BYTES = 0xc000_0000;
/** The lowest place for the x86 guest: above the BIOS area. */
const X86_GUEST_MIN = MIB;
/** Pages kept free of tables at the x86 guest (its image, and the multiboot information QEMU puts after it). */
const X86_GUEST_PAGES = 2;
/** The configuration words of mode-guest.asm and long-guest.asm: cr3, cr4, efer, copy table, copy count (then long-guest.asm's own). */
const X86_CONFIG_OFFSET = 32;
/** QEMU virt's DRAM base, where `-bios none` starts the hart (in M-mode: nothing it runs is translated). */
const RISCV_DRAM = 0x8000_0000;
const DEFAULT_BOOT_TIMEOUT_MS = 10_000;
const GUEST_SOURCE = fileURLToPath(new URL("../../../qemu/mode-guest.asm", import.meta.url));
const LONG_GUEST_SOURCE = fileURLToPath(new URL("../../../qemu/long-guest.asm", import.meta.url));

/** The registers of the machine being checked, when they are known (else each mode's defaults). */
export type ModeCheckRegisters =
  | {
      /** CR4 (PAE, LA57, PGE…). */
      readonly cr4: number;
      /** EFER (LME, NXE). */
      readonly efer: number;
    }
  | {
      /** satp: MODE and the root PPN. */
      readonly satp: bigint;
    };

/** A machine of any mode but 32-bit x86, as {@link checkModeWithQemu} compares it with QEMU. */
export interface ModeCheckInput {
  /** The paging mode. */
  readonly mode: QemuCheckedMode;
  /** Physical memory holding the tables at their physical addresses. */
  readonly bus: PhysicalBus;
  /** The root table's physical address (CR3's table, satp.PPN × 4096). */
  readonly root: number;
  /** The physical end of RAM (QEMU's machine gets at least this much). */
  readonly memoryEnd: number;
  /** kmem's list of present leaves (`listMappings` / `mapper.mappings(root)`). */
  readonly expected: Iterable<PageMapping>;
  /**
   * CR4 and EFER bits the guest sets (default CR4.PAE, +LA57; EFER.NXE, +LME in long mode), or
   * satp (default MODE | root PPN). CR0 is always PG|WP|PE.
   */
  readonly registers?: ModeCheckRegisters;
}

/** Tuning for {@link checkModeWithQemu}. */
export interface ModeCheckOptions {
  /** How long the guest may take to enable paging (default 10 s). */
  readonly bootTimeoutMs?: number;
  /** Make real accesses through the tables (long mode and RISC-V; default true). */
  readonly probes?: boolean;
}

/** What QEMU saw of a machine and how it compares with kmem. */
export interface ModeCheckResult extends InspectComparison {
  /** True when QEMU lists exactly kmem's leaves, each with the same frame and bits. */
  readonly ok: boolean;
  /** The mode checked. */
  readonly mode: QemuCheckedMode;
  /** What was compared: `"info tlb + info mem"`, `"info tlb"` (5-level x86) or `"info mem"` (RISC-V). */
  readonly source: string;
  /** The table frames loaded into QEMU, the root first. */
  readonly tableFrames: readonly number[];
  /** The QEMU command line that ran, program first. */
  readonly commandLine: readonly string[];
  /**
   * Real accesses the guest made through the tables (RISC-V: loads and stores from S-mode,
   * U-mode and S-mode with SUM), compared with kmem's MMU; null where none are made (x86).
   */
  readonly probes: ModeProbes | null;
}

/** The real accesses of a check and those whose outcome differs from kmem's MMU. */
export interface ModeProbes {
  /** Accesses made. */
  readonly count: number;
  /** Of those, how many kmem's MMU faults. */
  readonly faulted: number;
  /** One line per access that differs: address, privilege, kind, then kmem's and QEMU's outcome. */
  readonly differences: readonly string[];
}


function unsupported(message: string, data: Record<string, number>): QemuError {
  return new QemuError("UnsupportedMachine", message, data);
}

/** kmem's leaves as QEMU's x86 `info tlb` shows them (kmem never writes PWT). */
function x86Leaves(expected: Iterable<PageMapping>): ComparableLeaf[] {
  // A and D ride along; compareLeavesWithQemu looks at them only when asked.
  return [...expected].map((m) => ({
    virt: BigInt.asUintN(64, BigInt(m.virt)),
    phys: m.phys,
    large: m.size > PAGE_BYTES,
    user: m.user,
    writable: m.writable,
    executable: m.executable,
    global: m.global,
    pcd: !m.cachable,
    pwt: false,
    accessed: m.accessed,
    dirty: m.dirty,
  }));
}

/** kmem's leaves as QEMU's RISC-V `info mem` runs (kmem's mapper writes R in every leaf). */
function riscvRuns(expected: Iterable<PageMapping>, mode: QemuCheckedMode): RiscvMemRun[] {
  const bits = mode === "riscv-sv32" ? 32 : 64;
  return [...expected]
    .map((m) => ({ virt: BigInt.asUintN(bits, BigInt(m.virt)), phys: m.phys, size: m.size, attrs: riscvAttrs({ ...m, readable: true }) }))
    .sort((a, b) => (a.virt < b.virt ? -1 : a.virt > b.virt ? 1 : 0));
}

/** The lowest page from 1 MiB up whose guest area holds no table frame. */
function x86GuestBase(frames: ReadonlySet<number>, limit: number): number {
  for (let base = X86_GUEST_MIN; base + X86_GUEST_PAGES * PAGE_BYTES <= limit; base += PAGE_BYTES) {
    let free = true;
    for (let page = 0; page < X86_GUEST_PAGES && free; page++) free = !frames.has(base + page * PAGE_BYTES);
    if (free) return base;
  }
  throw unsupported(`Cannot place the QEMU guest below ${hex(limit)}: every page from ${hex(X86_GUEST_MIN)} holds a page table`, { limit });
}

function x86Registers(input: ModeCheckInput): { cr4: number; efer: number } {
  if (input.registers !== undefined && "cr4" in input.registers) return input.registers;
  const long = input.mode !== "x86-pae";
  return { cr4: (CR4_PAE | (input.mode === "x86-64-la57" ? CR4_LA57 : 0)) >>> 0, efer: (EFER_NXE | (long ? EFER_LME : 0)) >>> 0 };
}

/** The x86 side: stage the tables above RAM, let the multiboot guest copy them and enable paging. */
async function runX86(input: ModeCheckInput, frames: readonly number[], dir: string, timeoutMs: number, options: ModeCheckOptions): Promise<Omit<ModeCheckResult, "ok" | "mode" | "tableFrames">> {
  const nasm = findQemuTools().nasm;
  const qemuPath = findOnPath("qemu-system-x86_64");
  if (qemuPath === null) throw new QemuError("QemuMissing", "Cannot find qemu-system-x86_64 on PATH; install it with `apt-get install qemu-system-x86` (Debian/Ubuntu)", {});
  const { cr4, efer } = x86Registers(input);
  const long = input.mode !== "x86-pae" && (options.probes ?? true);
  const tableEnd = Math.max(...frames) + PAGE_BYTES;
  const stagingBase = Math.ceil(Math.max(input.memoryEnd, tableEnd) / MIB) * MIB;
  const tables = new Set(frames);
  const tableChunks = frameChunks(input.bus, frames);
  // Long mode: the 64-bit guest runs from an identity mapping it adds to root entry 0, and
  // makes a read and a write from ring 0 and ring 3 at each probe address.
  let probed: { probes: LongProbe[]; answers: number[]; area: LongGuestArea; extra: TableChunk[]; after: PageMapping[] } | null = null;
  let guestBase: number;
  if (long) {
    const bytes = longAreaBytes(MAX_LONG_PROBES);
    const base = placeLongGuest(bytes, stagingBase, tables);
    const area = { base, bytes, records: longRecordsAt(base) };
    const mayTouch = (address: number): boolean => {
      const frame = address - (address % PAGE_BYTES);
      return frame >= MIB && frame + PAGE_BYTES <= Math.min(input.memoryEnd, stagingBase) && !tables.has(frame) && (frame + PAGE_BYTES <= base || frame >= base + bytes);
    };
    const inArea = (v: bigint): boolean => v >= BigInt(base) && v < BigInt(base + bytes);
    const probes = chooseLongProbes([...input.expected], isFiveLevel(cr4) ? 57 : 48, mayTouch).filter((p) => !inArea(p.vaddr));
    const { rootEntry, chunks } = longGuestChunks(input.bus, input.root, isFiveLevel(cr4), area, probes, encodeLongProbes(probes));
    let answers: number[];
    let after: PageMapping[];
    try {
      answers = kmemLongAnswers(input.bus, { cr3: input.root, cr4, efer }, probes);
      after = listMappings(entryCodecFor(input.mode), input.bus, input.root);
    } finally {
      restoreChunks(input.bus, tableChunks);
    }
    probed = { probes, answers, area, extra: [...chunks, rootEntry], after };
    guestBase = base;
  } else {
    guestBase = x86GuestBase(tables, stagingBase);
  }
  const staged = stageChunks([...tableChunks, ...(probed?.extra ?? [])], stagingBase);
  const ramBytes = Math.ceil((stagingBase + staged.blob.length) / MIB) * MIB + FIRMWARE_SLACK_BYTES;
  if (ramBytes > MAX_PC_RAM_BYTES) {
    throw unsupported(`Cannot check tables up to ${hex(tableEnd)} in QEMU: they are staged above ${hex(stagingBase)} and the pc machine keeps at most ${hex(MAX_PC_RAM_BYTES)} bytes below 4 GiB`, { tableEnd });
  }
  const guestPath = join(dir, "guest.bin");
  execFileSync(nasm, ["-f", "bin", `-DGUEST_BASE=${hex(guestBase)}`, "-o", guestPath, long ? LONG_GUEST_SOURCE : GUEST_SOURCE]);
  const image = new Uint8Array(readFileSync(guestPath));
  const config = new DataView(image.buffer, image.byteOffset);
  [input.root, cr4, efer, staged.copyTable, staged.copyCount].forEach((word, i) => config.setUint32(X86_CONFIG_OFFSET + i * 4, word >>> 0, true));
  if (probed !== null) {
    config.setUint32(LONG_CONFIG.records, probed.area.records, true);
    config.setUint32(LONG_CONFIG.recordCount, probed.probes.length, true);
  }
  writeFileSync(guestPath, image);
  const stagingPath = join(dir, "tables.bin");
  writeFileSync(stagingPath, staged.blob);
  const args = ["-M", "pc", "-accel", "tcg", "-cpu", "max", "-m", `${String(ramBytes / MIB)}M`, "-smp", "1", "-display", "none", "-nodefaults", "-no-reboot", "-no-shutdown",
    "-kernel", guestPath, "-device", `loader,file=${stagingPath},addr=${hex(stagingBase)},force-raw=on`];
  const qemu = await QmpSession.start(qemuPath, args);
  try {
    if (probed === null) await waitForPaging(qemu, "info tlb", "PG disabled", timeoutMs);
    else await waitForWord(qemu, guestBase + LONG_CONFIG.status, LONG_STATUS_DONE, 4, timeoutMs);
    let probes: ModeProbes | null = null;
    let tlb = parseInfoTlbWide(await qemu.hmp("info tlb"));
    if (probed !== null) {
      const file = join(dir, "records.bin");
      await qemu.execute("pmemsave", { val: probed.area.records, size: Math.max(PAGE_BYTES, probed.probes.length * 48), filename: file });
      const differences = compareLongProbes(probed.probes, probed.answers, new Uint8Array(readFileSync(file)));
      probes = { count: probed.probes.length, faulted: probed.answers.filter((a) => a < 0).length, differences };
      const own = longGuestPages(probed.area);
      tlb = tlb.filter((t) => !own.has(t.virt));
    }
    // QEMU 7.2's `info mem` never answers in 5-level paging; kmem's table entries grant
    // everything (P|RW|US, no XD), so there the leaf's own bits from `info tlb` are the rights.
    const fiveLevel = isFiveLevel(cr4);
    const mem = fiveLevel ? null : parseInfoMemWide(await qemu.hmp("info mem"));
    // After real accesses, each leaf's A and D must also be what kmem's MMU set for the same accesses.
    const comparison = probed === null ? compareLeavesWithQemu(x86Leaves(input.expected), tlb, mem) : compareLeavesWithQemu(x86Leaves(withAccessedDirty([...input.expected], probed.after)), tlb, mem, true);
    return { ...comparison, source: fiveLevel ? "info tlb" : "info tlb + info mem", commandLine: [qemuPath, ...args, ...QMP_STDIO_ARGS], probes };
  } finally {
    qemu.close();
  }
}

function riscvSatp(input: ModeCheckInput): bigint {
  if (input.registers !== undefined && "satp" in input.registers) return input.registers.satp;
  const ppn = BigInt(input.root / PAGE_BYTES);
  if (input.mode === "riscv-sv32") return (1n << 31n) | ppn;
  const mode = input.mode === "riscv-sv39" ? SATP_MODE.sv39 : input.mode === "riscv-sv48" ? SATP_MODE.sv48 : SATP_MODE.sv57;
  return (BigInt(mode) << 60n) | ppn;
}

/** kmem's leaves with the accessed and dirty bits `after` (the same leaves read back after kmem's MMU made the probes' accesses). */
function withAccessedDirty(expected: readonly PageMapping[], after: readonly PageMapping[]): PageMapping[] {
  const bits = new Map(after.map((m) => [BigInt(m.virt), m]));
  return expected.map((m) => {
    const a = bits.get(BigInt(m.virt));
    return a === undefined ? m : { ...m, accessed: a.accessed, dirty: a.dirty };
  });
}

/**
 * The RISC-V side: load the tables where they are and a tag in every probed frame; the M-mode
 * guest writes satp and makes each probe's access (MPRV); its records are compared with
 * kmem's `RiscvMmu`, then `info mem` with kmem's leaves — their A/D bits as kmem's MMU
 * left them after the same accesses (on `input.bus`, restored afterwards).
 */
async function runRiscv(input: ModeCheckInput, frames: readonly number[], dir: string, timeoutMs: number): Promise<Omit<ModeCheckResult, "ok" | "mode" | "tableFrames">> {
  const rv32 = input.mode === "riscv-sv32";
  const program = rv32 ? "qemu-system-riscv32" : "qemu-system-riscv64";
  const qemuPath = findOnPath(program);
  if (qemuPath === null) throw new QemuError("QemuMissing", `Cannot find ${program} on PATH; install it with \`apt-get install qemu-system-misc\` (Debian/Ubuntu)`, {});
  const expected = [...input.expected];
  const tables = new Set(frames);
  const guestEnd = (bytes: number): number => RISCV_DRAM + Math.ceil(bytes / PAGE_BYTES) * PAGE_BYTES;
  const maxGuestEnd = guestEnd(RECORDS_OFFSET + MAX_PROBE_BYTES);
  const mayTouch = (address: number): boolean => {
    const frame = address - (address % PAGE_BYTES);
    return frame >= maxGuestEnd && frame + PAGE_BYTES <= input.memoryEnd && !tables.has(frame);
  };
  const probes = chooseRiscvProbes(expected, rv32 ? 32 : 64, mayTouch);
  const satp = riscvSatp(input);
  const guest = riscvProbeGuest(satp, probes, rv32);
  const bad = frames.find((f) => f < guestEnd(guest.length) || f + PAGE_BYTES > input.memoryEnd);
  if (bad !== undefined) {
    throw unsupported(`Cannot load the page table at ${hex(bad)} into QEMU virt: tables must lie in RAM ${hexRange(guestEnd(guest.length), input.memoryEnd)} (the guest runs from ${hex(RISCV_DRAM)})`, { frame: bad });
  }
  const chunks = frameChunks(input.bus, frames);
  let answers: number[];
  let after: PageMapping[];
  try {
    answers = kmemRiscvAnswers(input.bus, satp, rv32, probes);
    after = listMappings(entryCodecFor(input.mode), input.bus, input.root);
  } finally {
    restoreChunks(input.bus, chunks);
  }
  const load = (name: string, bytes: Uint8Array, address: number): string[] => {
    const file = join(dir, name);
    writeFileSync(file, bytes);
    return ["-device", `loader,file=${file},addr=${hex(address)},force-raw=on`];
  };
  const loaders = [
    ...load("guest.bin", guest, RISCV_DRAM),
    ...chunks.flatMap((chunk) => load(`tables-${chunk.address.toString(16)}.bin`, chunk.bytes, chunk.address)),
    ...[...tagPages(probes)].flatMap(([frame, page]) => load(`tag-${frame.toString(16)}.bin`, page, frame)),
  ];
  const ramBytes = Math.ceil((input.memoryEnd - RISCV_DRAM) / MIB) * MIB;
  const args = ["-M", "virt", "-accel", "tcg", "-smp", "1", "-m", `${String(ramBytes / MIB)}M`, "-display", "none", "-nodefaults", "-bios", "none", ...loaders];
  const qemu = await QmpSession.start(qemuPath, args);
  try {
    await waitForWord(qemu, RISCV_DRAM + DONE_OFFSET, 1, 8, timeoutMs);
    const records = join(dir, "records.bin");
    await qemu.execute("pmemsave", { val: RISCV_DRAM, size: guest.length, filename: records });
    const probeDifferences = compareRiscvProbes(probes, answers, new Uint8Array(readFileSync(records)), rv32);
    const comparison = compareRiscvRuns(riscvRuns(withAccessedDirty(expected, after), input.mode), parseRiscvInfoMem(await qemu.hmp("info mem")));
    return {
      ...comparison,
      source: "info mem",
      commandLine: [qemuPath, ...args, ...QMP_STDIO_ARGS],
      probes: { count: probes.length, faulted: answers.filter((a) => a < 0).length, differences: probeDifferences.map(formatRiscvProbe) },
    };
  } finally {
    qemu.close();
  }
}

/**
 * Runs QEMU in `input.mode` on kmem's page tables and compares every present page QEMU
 * reports with kmem's list, both ways. x86 (PAE, 4- and 5-level long mode): a multiboot guest
 * in `qemu-system-x86_64 -cpu max` copies the tables into place and enables paging; each leaf
 * of `info tlb` must have kmem's frame, size class, U, W (combined over the levels by
 * `info mem`), X, G, PCD and PWT. RISC-V (Sv32/39/48/57): an M-mode guest in QEMU `virt`
 * writes satp and makes real loads and stores through the tables as S-mode, U-mode and
 * S-mode with SUM (mstatus.MPRV), each compared with kmem's `RiscvMmu` (the frame, by a
 * tag QEMU's RAM holds there, or scause and stval); then each run of `info mem` must have
 * kmem's frame, length and `rwxugad` bits, A and D as kmem's MMU set them for the same accesses.
 * QEMU is always killed before this returns.
 *
 * @throws {QemuError} `QemuMissing` (a tool not installed), `UnsupportedMachine` (tables QEMU's
 *   machine cannot hold, or no room for the guest), `GuestFailed` / `MonitorError` (QEMU or the guest misbehaved).
 * @example
 * const result = await checkModeWithQemu({ mode: "x86-64", bus: ram, root, memoryEnd: 0x0800_0000, expected: mapper.mappings(root) });
 * result.ok; // true when QEMU agrees page by page
 */
export async function checkModeWithQemu(input: ModeCheckInput, options: ModeCheckOptions = {}): Promise<ModeCheckResult> {
  const frames = modeTableFrames(entryCodecFor(input.mode), input.bus, input.root);
  const dir = mkdtempSync(join(tmpdir(), "kmem-qemu-mode-"));
  try {
    const timeout = options.bootTimeoutMs ?? DEFAULT_BOOT_TIMEOUT_MS;
    const run = input.mode.startsWith("riscv") ? await runRiscv(input, frames, dir, timeout) : await runX86(input, frames, dir, timeout, options);
    return { ...run, ok: run.differences.length === 0 && (run.probes?.differences.length ?? 0) === 0, mode: input.mode, tableFrames: frames };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
