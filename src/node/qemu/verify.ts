import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ENTRY_BYTES, ENTRY_FRAME_MASK } from "../../arch/x86/entry.js";
import { hex, hexRange } from "../../format.js";
import { BLOCK_SIZE } from "../../types.js";
import { asQemuMonitorShows, type Comparison, type ComparedPage, comparePages, kmemPages, type PageMapping, qemuPages } from "./compare.js";
import { buildGuest, CONFIG_FIELD, frameTag, CONFIG_OFFSET, configureGuest, GUEST_AREA_BYTES, GUEST_MIN_ADDRESS, PROBE_RECORD_BYTES, PROBE_TABLE_OFFSET, STATUS_DONE, STATUS_GP, STATUS_STRAY_PF } from "./guest.js";
import { compareAccessedDirty, type EntryComparison, type ExpectEntries } from "./accessed-dirty.js";
import { waitForGuest } from "./cpu-check.js";
import { type CpuState, parseInfoMem, parseInfoTlb } from "./monitor-text.js";
import { QemuError } from "./qemu-error.js";
import { QMP_STDIO_ARGS, QmpSession } from "./qmp.js";
import { chooseProbes, compareProbes, countRsvdWithoutPresent, decodeProbes, encodeProbes, type ExpectAccesses, type Probe, probeAccesses, type ProbeDifference } from "./probes.js";
import { chunkFrames, stageTables, tableFrames } from "./staging.js";
import { findQemuTools, type QemuTools } from "./tools.js";

const MIB = 0x10_0000;
/** RAM QEMU gets beyond the staged tables: SeaBIOS keeps its own tables in the top of RAM. */
const FIRMWARE_SLACK_BYTES = 2 * MIB;
/** The most RAM the `pc` machine keeps below 4 GiB (above it, RAM moves past 32-bit addresses). */
const MAX_QEMU_RAM_BYTES = 0xc000_0000;
const DEFAULT_BOOT_TIMEOUT_MS = 10_000;
/** Where QEMU's pc machine puts the RAM it keeps above 4 GiB (`max-ram-below-4g`). */
const HIGH_RAM_BASE = 2 ** 32;
/** The most RAM QEMU gets above 4 GiB for frames reached through PSE-36 4 MiB pages; frames beyond it are not probed. */
const MAX_HIGH_RAM_BYTES = 256 * MIB;
/** The legacy VGA/ROM hole: MMIO and ROM in QEMU's pc machine, never touched by probes. */
const LEGACY_HOLE: { start: number; end: number } = { start: 0xa_0000, end: 0x10_0000 };

/** A machine to check: its RAM image, CR3, and kmem's own list of mappings. */
export interface QemuCheckInput {
  /** The machine's physical memory (at least the directory and tables reachable from `cr3`). */
  readonly ram: Uint8Array;
  /** The profile's memory size; QEMU gets more (the staged tables go above it). */
  readonly memoryBytes: number;
  /** The page directory's physical address. */
  readonly cr3: number;
  /** Whether 4 MiB pages are in use (the guest sets CR4.PSE). */
  readonly pse: boolean;
  /** Whether the guest sets CR0.WP (default true, like kmem's MMU). */
  readonly wp?: boolean;
  /** kmem's list of present pages (`X86Paging.mappings(cr3)`). */
  readonly expected: Iterable<PageMapping>;
  /** The guest area's physical address; the tables must identity-map all of it. */
  readonly guestBase: number;
  /**
   * kmem's MMU (`Mmu.tryTranslate` form, CR0.WP set), asked once, after the tables are staged.
   * When given, the guest also reads and writes through the tables after enabling paging (from
   * ring 0, and from ring 3 with `userPage`), and every access is compared with kmem's answer.
   */
  readonly expectAccesses?: ExpectAccesses;
  /**
   * kmem's entries after its MMU made the same accesses (see {@link ExpectEntries}). When given
   * with `expectAccesses`, the accessed and dirty bits of every PDE and PTE are read back from
   * QEMU after the guest's accesses and compared with kmem's (the guest's own pages excepted).
   */
  readonly expectEntries?: ExpectEntries;
  /**
   * A page kmem maps user-accessible (any rights) where the guest puts its ring-3 stub, so that
   * probes also run from ring 3; without it they run from ring 0 only. Its frame is never probed.
   */
  readonly userPage?: UserPage;
}

/** A page kmem maps user-accessible, where the guest puts its ring-3 stub. */
export interface UserPage {
  /** The page's virtual address. */
  readonly vaddr: number;
  /** Its frame's physical address. */
  readonly phys: number;
}

/** Tuning for {@link checkWithQemu}. */
export interface QemuCheckOptions {
  /** Tools to use (default: found on PATH by `findQemuTools`). */
  readonly tools?: QemuTools;
  /** How long the guest may take to enable paging and halt (default 10 s). */
  readonly bootTimeoutMs?: number;
  /**
   * Runs once the guest has halted with paging on, before QEMU is killed: e.g. to take a
   * `dump-guest-memory` core for `kmem inspect`, or read more monitor output.
   */
  readonly onHalted?: (qemu: QmpSession) => Promise<void>;
}

/** What QEMU saw and how it compares with kmem. */
export interface QemuCheckResult extends Comparison {
  /** True when every page, every probed access and every compared accessed/dirty bit matches. */
  readonly ok: boolean;
  /** The QEMU command line that ran, program first. */
  readonly commandLine: readonly string[];
  /** Physical addresses of the directory and tables loaded into the guest. */
  readonly frames: readonly number[];
  /** The guest CPU's state once halted with paging on. */
  readonly cpu: CpuState;
  /** The real accesses the guest made (none without `expectAccesses`) and those that differ from kmem's MMU. */
  readonly probes: {
    /** Probed addresses (each read then written, from ring 0 and, with a user page, from ring 3). */
    readonly count: number;
    /** Probes whose read was checked against a frame tag. */
    readonly tagged: number;
    /** Accesses that page-faulted in QEMU. */
    readonly faulted: number;
    /** Of those, reserved-bit faults QEMU reported without P, which kmem (as the SDM says) reports with P; accepted (see `sameFault`). */
    readonly rsvdWithoutPresent: number;
    /** The accesses whose outcome differs from kmem's MMU. */
    readonly differences: readonly ProbeDifference[];
  };
  /** The accessed/dirty bits of the tables after the accesses, QEMU against kmem (nothing compared without `expectEntries`). */
  readonly entries: EntryComparison;
}

function inside(address: number, range: { start: number; end: number }): boolean {
  return address >= range.start && address < range.end;
}

function collision(message: string, data: Record<string, number>): QemuError {
  return new QemuError("GuestCollision", message, data);
}

function checkUserPage(page: { vaddr: number; phys: number }, pages: readonly PageMapping[]): void {
  const mapping = pages.find((m) => m.virt <= page.vaddr && page.vaddr < m.virt + m.size);
  if (page.vaddr % BLOCK_SIZE !== 0 || mapping === undefined || !mapping.user || mapping.phys + (page.vaddr - mapping.virt) !== page.phys) {
    throw new QemuError("GuestCollision", `Cannot put the guest's ring-3 stub at ${hex(page.vaddr)}: kmem's tables do not map it user-accessible to ${hex(page.phys)}`, page);
  }
}

function checkGuestArea(input: QemuCheckInput, frames: readonly number[], pages: readonly PageMapping[]): void {
  const base = input.guestBase;
  const end = base + GUEST_AREA_BYTES;
  if (base % BLOCK_SIZE !== 0 || base < GUEST_MIN_ADDRESS || end > input.memoryBytes) {
    throw collision(`Cannot place the QEMU guest at ${hexRange(base, end)}: it must be page-aligned, at or above ${hex(GUEST_MIN_ADDRESS)} and inside ${hex(input.memoryBytes)} bytes of RAM`, { base });
  }
  const frame = frames.find((f) => f < end && f + BLOCK_SIZE > base);
  if (frame !== undefined) {
    throw collision(`Cannot load the page table at ${hex(frame)}: it overlaps the QEMU guest at ${hexRange(base, end)}`, { frame, base });
  }
  for (let page = base; page < end; page += BLOCK_SIZE) {
    const mapping = pages.find((m) => m.virt <= page && page < m.virt + m.size);
    if (mapping === undefined || mapping.phys + (page - mapping.virt) !== page || !mapping.writable) {
      throw collision(`Cannot run the QEMU guest at ${hex(base)}: kmem's tables do not identity-map ${hex(page)} writable (reserve ${hexRange(base, end)} virtually at the same physical address)`, { base, page });
    }
  }
}

/**
 * RAM QEMU needs above 4 GiB so that every frame kmem maps there (through PSE-36 4 MiB pages)
 * up to {@link MAX_HIGH_RAM_BYTES} is real memory the probes can tag; 0 when there is none.
 */
function highRamFor(pages: readonly ComparedPage[]): number {
  let end = HIGH_RAM_BASE;
  for (const page of pages) {
    const frameEnd = page.phys + BLOCK_SIZE;
    if (page.phys >= HIGH_RAM_BASE && frameEnd <= HIGH_RAM_BASE + MAX_HIGH_RAM_BYTES) end = Math.max(end, frameEnd);
  }
  return Math.ceil((end - HIGH_RAM_BASE) / MIB) * MIB;
}

/**
 * QEMU `-device loader` arguments that put each probed frame's tag above 4 GiB, where the guest
 * (running with paging off) cannot write it; the files go into `dir`.
 */
function highTagLoaders(probes: readonly Probe[], dir: string): string[] {
  const frames = new Set(probes.flatMap((p) => (p.tagFrame !== null && p.tagFrame >= HIGH_RAM_BASE ? [p.tagFrame] : [])));
  return [...frames].flatMap((frame) => {
    const file = join(dir, `tag-${frame.toString(16)}.bin`);
    const tag = new Uint8Array(4);
    new DataView(tag.buffer).setUint32(0, frameTag(frame), true);
    writeFileSync(file, tag);
    return ["-device", `loader,file=${file},addr=${hex(frame)},force-raw=on`];
  });
}

/** Reads the table frames back from QEMU (one `pmemsave` per run of consecutive frames): a reader of the entry at a physical address. */
async function dumpTables(qemu: QmpSession, ram: Uint8Array, frames: readonly number[], dir: string): Promise<(address: number) => number> {
  const dumped: { start: number; view: DataView }[] = [];
  for (const chunk of chunkFrames(ram, frames)) {
    const file = join(dir, `tables-${chunk.address.toString(16)}.bin`);
    await qemu.execute("pmemsave", { val: chunk.address, size: chunk.bytes.length, filename: file });
    const bytes = new Uint8Array(readFileSync(file));
    dumped.push({ start: chunk.address, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
  }
  return (address) => {
    const chunk = dumped.find((c) => address >= c.start && address + ENTRY_BYTES <= c.start + c.view.byteLength);
    if (chunk === undefined) throw new QemuError("MonitorError", `Cannot read QEMU's entry at ${hex(address)}: it is not in a dumped table frame`, { address });
    return chunk.view.getUint32(address - chunk.start, true);
  };
}

/** Throws unless the guest's status word (in its dumped image page) says every probe ran. */
function checkGuestStatus(dump: Uint8Array, probes: number, cpu: CpuState): void {
  const view = new DataView(dump.buffer, dump.byteOffset, dump.byteLength);
  const word = (field: number): number => view.getUint32(CONFIG_OFFSET + field, true);
  const status = word(CONFIG_FIELD.status);
  if (status === STATUS_DONE) return;
  const eip = word(CONFIG_FIELD.faultEip);
  const reason =
    status === STATUS_GP
      ? `a general-protection fault at EIP ${hex(eip)}`
      : status === STATUS_STRAY_PF
        ? `a page fault outside any probe at EIP ${hex(eip)} (CR2 ${hex(word(CONFIG_FIELD.faultCr2))})`
        : `status ${hex(status)} with EIP ${hex(cpu.eip)}`;
  throw new QemuError("GuestFailed", `The QEMU guest stopped before finishing its ${probes} probes: ${reason}`, { status, eip });
}


/**
 * Boots a tiny guest in QEMU that loads kmem's page tables into CR3, enables paging and (with
 * `expectAccesses`) reads and writes through them; then compares QEMU's view of every present
 * page (`info tlb` + `info mem`) with kmem's list, and every access with kmem's MMU.
 * QEMU is always killed before this returns.
 *
 * @throws {QemuError} `QemuMissing` (tools not installed), `GuestCollision` (guest area not free or
 *   not identity-mapped), `UnsupportedMachine` (too much memory, tables outside RAM),
 *   `GuestFailed` / `MonitorError` (QEMU or the guest misbehaved).
 * @example
 * const machine = boot(withGuest(profile, 0x07f00000));
 * const result = await checkWithQemu({ ram: machine.ram.bytes, memoryBytes: profile.memoryBytes, cr3: machine.cr3,
 *   pse: false, expected: machine.paging.mappings(machine.cr3), guestBase: 0x07f00000 });
 * result.ok; // true when QEMU agrees page by page
 */
export async function checkWithQemu(input: QemuCheckInput, options: QemuCheckOptions = {}): Promise<QemuCheckResult> {
  const tools = options.tools ?? findQemuTools();
  const expected = [...input.expected];
  const pages = kmemPages(expected);
  const stagingBase = Math.ceil(input.memoryBytes / MIB) * MIB;
  const frames = new Set(tableFrames(input.ram, input.cr3, input.pse));
  const guestArea = { start: input.guestBase, end: input.guestBase + GUEST_AREA_BYTES };
  const highRamBytes = highRamFor(pages);
  const mayTouch = (frame: number): boolean =>
    frame >= HIGH_RAM_BASE
      ? frame + BLOCK_SIZE <= HIGH_RAM_BASE + highRamBytes
      : frame + BLOCK_SIZE <= input.memoryBytes && !frames.has(frame) && !inside(frame, LEGACY_HOLE) && !inside(frame, guestArea) && frame !== input.userPage?.phys;
  const probes: Probe[] = input.expectAccesses === undefined ? [] : chooseProbes(pages, mayTouch, { untagged: (frame) => frame >= HIGH_RAM_BASE + highRamBytes });
  const probeTable = input.guestBase + PROBE_TABLE_OFFSET;
  const extra = probes.length === 0 ? [] : [{ address: probeTable, bytes: encodeProbes(probes) }];
  const staging = stageTables(input.ram, { cr3: input.cr3, pse: input.pse, base: stagingBase, extra });
  checkGuestArea(input, staging.frames, expected);
  if (input.userPage !== undefined) checkUserPage(input.userPage, expected);
  const answers = input.expectAccesses === undefined ? [] : input.expectAccesses(probeAccesses(probes));
  const kmemEntries = input.expectAccesses === undefined ? undefined : input.expectEntries?.(probeAccesses(probes));
  const qemuRamBytes = Math.ceil((stagingBase + staging.blob.length) / MIB) * MIB + FIRMWARE_SLACK_BYTES;
  if (qemuRamBytes > MAX_QEMU_RAM_BYTES) {
    throw new QemuError("UnsupportedMachine", `Cannot check ${hex(input.memoryBytes)} bytes of RAM in QEMU: the tables are staged above it and the pc machine keeps at most ${hex(MAX_QEMU_RAM_BYTES)} bytes below 4 GiB`, { memoryBytes: input.memoryBytes });
  }

  const guest = configureGuest(buildGuest(input.guestBase, tools.nasm), {
    cr3: input.cr3,
    pse: input.pse,
    wp: input.wp ?? true,
    copyTable: staging.copyTable,
    copyCount: staging.copyCount,
    probeCount: probes.length,
    userPage: input.userPage ?? null,
  });
  const dir = mkdtempSync(join(tmpdir(), "kmem-qemu-"));
  try {
    const guestPath = join(dir, "guest.bin");
    const stagingPath = join(dir, "tables.bin");
    writeFileSync(guestPath, guest);
    writeFileSync(stagingPath, staging.blob);
    const args = [
      "-M", highRamBytes === 0 ? "pc" : `pc,max-ram-below-4g=${qemuRamBytes}`, "-accel", "tcg", "-cpu", "qemu32", "-smp", "1",
      "-m", `${(qemuRamBytes + highRamBytes) / MIB}M`,
      "-display", "none", "-nodefaults", "-no-reboot", "-no-shutdown",
      "-kernel", guestPath,
      "-device", `loader,file=${stagingPath},addr=${hex(staging.base)},force-raw=on`,
      ...highTagLoaders(probes, dir),
    ];
    const qemu = await QmpSession.start(tools.qemu, args);
    try {
      const cpu = await waitForGuest(qemu, { cr3: input.cr3, pse: input.pse, wp: input.wp ?? true }, options.bootTimeoutMs ?? DEFAULT_BOOT_TIMEOUT_MS);
      const dumpPath = join(dir, "guest-dump.bin");
      await qemu.execute("pmemsave", { val: input.guestBase, size: PROBE_TABLE_OFFSET + probes.length * PROBE_RECORD_BYTES, filename: dumpPath });
      const dump = new Uint8Array(readFileSync(dumpPath));
      checkGuestStatus(dump, probes.length, cpu);
      const outcomes = decodeProbes(dump.subarray(PROBE_TABLE_OFFSET), probes.length);
      const probeDifferences = compareProbes(probes, outcomes, answers, input.userPage !== undefined);
      const tlb = parseInfoTlb(await qemu.hmp("info tlb"));
      const mem = parseInfoMem(await qemu.hmp("info mem"));
      const comparison = comparePages(asQemuMonitorShows(pages), qemuPages(tlb, mem));
      const entries =
        kmemEntries === undefined
          ? { compared: 0, differences: [] }
          : compareAccessedDirty({
              directory: (input.cr3 & ENTRY_FRAME_MASK) >>> 0,
              pse: input.pse,
              kmem: kmemEntries,
              qemu: await dumpTables(qemu, input.ram, staging.frames, dir),
              guestPages: (vaddr) => inside(vaddr, guestArea) || vaddr === input.userPage?.vaddr,
            });
      if (options.onHalted !== undefined) await options.onHalted(qemu);
      return {
        ...comparison,
        ok: comparison.differences.length === 0 && probeDifferences.length === 0 && entries.differences.length === 0,
        commandLine: [tools.qemu, ...args, ...QMP_STDIO_ARGS],
        frames: staging.frames,
        cpu,
        probes: {
          count: probes.length,
          tagged: probes.filter((p) => p.tagFrame !== null).length,
          faulted: outcomes.flatMap((o) => [o.readFault, o.writeFault, o.userReadFault, o.userWriteFault]).filter((fault) => fault !== null).length,
          rsvdWithoutPresent: countRsvdWithoutPresent(outcomes),
          differences: probeDifferences,
        },
        entries,
      };
    } finally {
      qemu.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
