import { QemuError } from "./qemu-error.js";

/** One present page as QEMU's `info tlb` prints it (the leaf entry's own bits). */
export interface TlbLine {
  /** Virtual address of the page. */
  readonly virt: number;
  /** Physical address it maps to. */
  readonly phys: number;
  /** 4 MiB (a PDE with PS, CR4.PSE on) or 4 KiB. */
  readonly large: boolean;
  /** Leaf entry bit 8 (G). */
  readonly global: boolean;
  /** Leaf entry bit 6 (D). */
  readonly dirty: boolean;
  /** Leaf entry bit 5 (A). */
  readonly accessed: boolean;
  /** Leaf entry bit 4 (PCD). */
  readonly cacheDisable: boolean;
  /** Leaf entry bit 3 (PWT). */
  readonly writeThrough: boolean;
  /** Leaf entry bit 2 (U/S). */
  readonly user: boolean;
  /** Leaf entry bit 1 (R/W). */
  readonly writable: boolean;
}

/** One range of QEMU's `info mem`: the rights the CPU grants (PDE and PTE combined). */
export interface MemRange {
  /** The first virtual address. */
  readonly start: number;
  /** The virtual address just past the range. */
  readonly end: number;
  /** User mode may access it. */
  readonly user: boolean;
  /** It may be written. */
  readonly writable: boolean;
}

/** CR4 bit 4, PSE: page-size extensions (4 MiB pages honoured). */
export const CR4_PSE = 1 << 4;

/** The control registers and halt state from `info registers`. */
export interface CpuState {
  /** CR0 (PG is bit 31, WP bit 16). */
  readonly cr0: number;
  /** CR3: the page directory's physical address. */
  readonly cr3: number;
  /** CR4 (PSE is bit 4). */
  readonly cr4: number;
  /** The instruction pointer. */
  readonly eip: number;
  /** The CPU is halted (`HLT=1`). */
  readonly halted: boolean;
}

/** `info tlb` flag columns, in print order (QEMU target/i386/monitor.c `print_pte`). */
const TLB_FLAGS = "XGPDACTUW";
const TLB_LINE = /^([0-9a-f]+): ([0-9a-f]+) ([-XGPDACTUW]{9})$/;
const MEM_LINE = /^([0-9a-f]+)-([0-9a-f]+) ([0-9a-f]+) ([-u])([-r])([-w])$/;
const HEX_RADIX = 16;

function flag(flags: string, letter: string): boolean {
  return flags[TLB_FLAGS.indexOf(letter)] === letter;
}

function lines(text: string): string[] {
  return text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== "");
}

function unparsable(command: string, line: string): QemuError {
  return new QemuError("MonitorError", `Cannot parse QEMU's "${command}" output: unexpected line "${line}"`, { command, line });
}

/**
 * Parses `info tlb` (32-bit paging): one line per present page, `VADDR: PADDR XGPDACTUW`.
 *
 * @throws {QemuError} `MonitorError` on any line of another shape (e.g. "PG disabled").
 * @example
 * parseInfoTlb("00000000c0000000: 0000000000100000 --------W");
 * // [{ virt: 0xc0000000, phys: 0x100000, writable: true, user: false, … }]
 */
export function parseInfoTlb(text: string): TlbLine[] {
  return lines(text).map((line) => {
    const match = TLB_LINE.exec(line);
    if (match === null) throw unparsable("info tlb", line);
    const [, virt = "", phys = "", flags = ""] = match;
    return {
      virt: parseInt(virt, HEX_RADIX),
      phys: parseInt(phys, HEX_RADIX),
      large: flag(flags, "P"),
      global: flag(flags, "G"),
      dirty: flag(flags, "D"),
      accessed: flag(flags, "A"),
      cacheDisable: flag(flags, "C"),
      writeThrough: flag(flags, "T"),
      user: flag(flags, "U"),
      writable: flag(flags, "W"),
    };
  });
}

/**
 * Parses `info mem`: ranges of equal effective rights, `START-END SIZE urw`.
 *
 * @throws {QemuError} `MonitorError` on any line of another shape.
 */
export function parseInfoMem(text: string): MemRange[] {
  return lines(text).map((line) => {
    const match = MEM_LINE.exec(line);
    if (match === null) throw unparsable("info mem", line);
    const [, start = "", end = "", , user, , writable] = match;
    return { start: parseInt(start, HEX_RADIX), end: parseInt(end, HEX_RADIX), user: user === "u", writable: writable === "w" };
  });
}

function register(text: string, name: string): number {
  const match = new RegExp(`(?:^|\\s)${name}=([0-9a-f]+)`).exec(text);
  if (match?.[1] === undefined) throw unparsable("info registers", `(no ${name})`);
  return parseInt(match[1], HEX_RADIX);
}

/**
 * Extracts CR0, CR3, CR4, EIP and the halt flag from `info registers`.
 *
 * @throws {QemuError} `MonitorError` when a register is missing.
 */
export function parseCpuState(text: string): CpuState {
  return {
    cr0: register(text, "CR0"),
    cr3: register(text, "CR3"),
    cr4: register(text, "CR4"),
    eip: register(text, "EIP"),
    halted: register(text, "HLT") === 1,
  };
}
