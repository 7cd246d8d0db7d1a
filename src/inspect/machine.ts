import { CR0_PG, CR4_LA57, CR4_PAE, CR4_PSE } from "../arch/x86/entry64.js";
import { SATP_MODE } from "../arch/riscv/pte.js";
import type { RiscvModeName } from "../arch/riscv/rules.js";
import type { X86ModeName } from "../arch/x86/rules.js";
import { hex } from "../format.js";
import { type ModeName, isModeName } from "../paging/geometry.js";
import { DumpError } from "./dump-error.js";
import { type CoreFile, ELF_MACHINE } from "./elf-core.js";
import type { InspectMode } from "./inspect-mode.js";
import { riscvInspectMode } from "./riscv-inspect.js";
import { x86InspectMode } from "./x86-inspect.js";

/** What the user (or `machine.json`) says about the machine, overriding what a core says. */
export interface MachineOverrides {
  /** The paging mode (`x86-64`, `riscv-sv39`…), instead of the one the core implies. */
  readonly mode?: string;
  /** x86 CR3 (the root table's address; low flag bits are ignored). */
  readonly cr3?: number;
  /** RISC-V satp (MODE and PPN). */
  readonly satp?: bigint;
  /** x86 CR4.PSE for 32-bit paging (default: the core's CR4, else on). */
  readonly pse?: boolean;
  /** x86 EFER.NXE (default on). */
  readonly nxe?: boolean;
  /** MAXPHYADDR (default 52). */
  readonly physicalBits?: number;
  /** Where the kernel half starts (default: see the mode). */
  readonly kernelBase?: bigint;
  /** Where `mode` and `cr3` came from when not from flags (e.g. `machine.json`). */
  readonly origin?: string;
}

/** The paging mode to read and the root table's physical address. */
export interface InspectTarget {
  /** How to read the tables. */
  readonly mode: InspectMode;
  /** The root table's physical address. */
  readonly root: number;
  /** How the mode was chosen, for the map's first line (`from the QEMU note: CR0 …`). */
  readonly source: string;
}

const X86_MODES: readonly string[] = ["x86", "x86-pae", "x86-64", "x86-64-la57"];
const PAE_ROOT_ALIGN = 32;
const PAGE = 4096;

function invalid(message: string, data: Record<string, unknown> = {}): DumpError {
  return new DumpError("InvalidMachineState", message, data);
}

/**
 * The {@link InspectMode} of mode `name`.
 *
 * @throws {DumpError} `InvalidMachineState` for a mode `kmem inspect` does not read.
 */
export function inspectModeFor(name: string, overrides: MachineOverrides = {}): InspectMode {
  if (!isModeName(name)) throw invalid(`Cannot inspect mode ${JSON.stringify(name)}: kmem knows x86, x86-pae, x86-64, x86-64-la57, riscv-sv32, riscv-sv39, riscv-sv48, riscv-sv57`, { mode: name });
  if (!X86_MODES.includes(name)) {
    return riscvInspectMode(name as RiscvModeName, {
      ...(overrides.physicalBits === undefined ? {} : { physicalBits: overrides.physicalBits }),
      ...(overrides.kernelBase === undefined ? {} : { kernelBase: overrides.kernelBase }),
    });
  }
  return x86InspectMode(name as X86ModeName, {
    ...(overrides.pse === undefined ? {} : { pse: overrides.pse }),
    ...(overrides.nxe === undefined ? {} : { nxe: overrides.nxe }),
    ...(overrides.physicalBits === undefined ? {} : { physicalBits: overrides.physicalBits }),
    ...(overrides.kernelBase === undefined ? {} : { kernelBase: overrides.kernelBase }),
  });
}

/** The x86 mode CR0/CR4 and the ELF machine select (QEMU writes EM_X86_64 only in long mode). */
function x86ModeOf(core: CoreFile, cr0: number, cr4: number): ModeName {
  if ((cr0 & CR0_PG) === 0) throw invalid(`Cannot inspect the dump: paging is off (CR0 ${hex(cr0 >>> 0)}); give --mode and --cr3 to read tables anyway`, { cr0 });
  if (core.machine === ELF_MACHINE.x86_64) {
    if ((cr4 & CR4_PAE) === 0) throw invalid(`Cannot inspect the dump: it is a long-mode core but CR4.PAE is clear (CR4 ${hex(cr4 >>> 0)})`, { cr4 });
    return (cr4 & CR4_LA57) !== 0 ? "x86-64-la57" : "x86-64";
  }
  return (cr4 & CR4_PAE) !== 0 ? "x86-pae" : "x86";
}

/** The root table's address in `mode` from CR3 (PAE: 32-byte aligned; else 4 KiB, PCID and flags dropped). */
function rootOfCr3(mode: ModeName, cr3: number): number {
  const align = mode === "x86-pae" ? PAE_ROOT_ALIGN : PAGE;
  return cr3 - (cr3 % align);
}

/**
 * Decides the mode and root to inspect: flags first, then the core's "QEMU" note (x86), the
 * ELF class and machine. A raw image needs `mode` and `cr3` (or `satp`).
 *
 * @throws {DumpError} `MissingCpuState` when nothing gives the root (no QEMU note, no flag);
 * `InvalidMachineState` for paging off, an unknown mode, or a root that is no address.
 */
export function resolveTarget(core: CoreFile | null, overrides: MachineOverrides): InspectTarget {
  if (overrides.satp !== undefined || (overrides.mode?.startsWith("riscv") ?? false) || core?.machine === ELF_MACHINE.riscv) {
    return resolveRiscv(core, overrides);
  }
  if (core !== null && core.machine !== ELF_MACHINE.i386 && core.machine !== ELF_MACHINE.x86_64) {
    throw new DumpError("UnreadableDump", `Cannot inspect the core: its ELF machine ${String(core.machine)} is neither x86 (3, 62) nor RISC-V (243)`, { machine: core.machine });
  }
  const state = core?.qemuState ?? null;
  const cr3 = overrides.cr3 ?? state?.cr3;
  if (cr3 === undefined) {
    throw new DumpError(
      "MissingCpuState",
      core === null ? "Cannot inspect a raw image without its root table: give --mode and --cr3" : "Cannot inspect the core: it has no QEMU note with CR3 (dump it with QEMU's dump-guest-memory, or give --mode and --cr3)",
      {},
    );
  }
  if (!Number.isSafeInteger(cr3) || cr3 < 0) throw invalid(`Cannot inspect the tables at CR3 ${String(cr3)}: not an address`, { cr3 });
  let name: string;
  let source: string;
  if (overrides.mode !== undefined) {
    name = overrides.mode;
    source = overrides.origin ?? "--mode";
  } else if (core !== null && state !== null) {
    name = x86ModeOf(core, state.cr0, state.cr4);
    source = `the QEMU note: CR0 ${hex(state.cr0 >>> 0)} CR4 ${hex(state.cr4 >>> 0)}, ELF machine ${core.machine === ELF_MACHINE.x86_64 ? "x86-64 (long mode)" : "i386"}`;
  } else {
    throw new DumpError("MissingCpuState", "Cannot tell the paging mode: give --mode (x86, x86-pae, x86-64, x86-64-la57)", {});
  }
  const pse = overrides.pse ?? (state === null ? undefined : (state.cr4 & CR4_PSE) !== 0);
  const mode = inspectModeFor(name, { ...overrides, ...(pse === undefined ? {} : { pse }) });
  if (!mode.geometry.signExtended && cr3 >= 2 ** 32) throw invalid(`Cannot inspect the tables at CR3 ${hex(cr3)}: ${mode.name} roots lie below 4 GiB`, { cr3 });
  return { mode, root: rootOfCr3(mode.name, cr3), source };
}

const RV64_MODES: Readonly<Record<number, RiscvModeName>> = { [SATP_MODE.sv39]: "riscv-sv39", [SATP_MODE.sv48]: "riscv-sv48", [SATP_MODE.sv57]: "riscv-sv57" };
const RV32_MODE_BIT = 1n << 31n;
const RV64_PPN_MASK = (1n << 44n) - 1n;
const RV32_PPN_MASK = (1n << 22n) - 1n;

/**
 * RISC-V: QEMU writes only the general registers and pc into a RISC-V core
 * (target/riscv/arch_dump.c), no satp, so the root comes from `--satp` (or `--cr3` as the
 * root's address with `--mode`). The mode is satp.MODE (RV64: bits 60–63; RV32: bit 31) unless `--mode` says.
 */
function resolveRiscv(core: CoreFile | null, overrides: MachineOverrides): InspectTarget {
  const satp = overrides.satp;
  if (satp === undefined && (overrides.cr3 === undefined || overrides.mode === undefined)) {
    throw new DumpError("MissingCpuState", "Cannot inspect a RISC-V dump without satp: QEMU writes none into RISC-V cores (target/riscv/arch_dump.c); give --satp (from `info registers`)", {});
  }
  let name = overrides.mode;
  if (name === undefined && satp !== undefined) {
    const rv32 = core?.elfClass === 32 || satp < 1n << 32n;
    if (rv32) {
      if ((satp & RV32_MODE_BIT) === 0n) throw invalid(`Cannot inspect the dump: satp ${hex(satp, 1)} selects Bare (no paging)`, {});
      name = "riscv-sv32";
    } else {
      const mode = RV64_MODES[Number(satp >> 60n)];
      if (mode === undefined) throw invalid(`Cannot inspect the dump: satp ${hex(satp, 16)} selects MODE ${String(satp >> 60n)}, not Sv39 (8), Sv48 (9) or Sv57 (10)`, {});
      name = mode;
    }
  }
  const mode = inspectModeFor(name ?? "riscv-sv39", overrides);
  if (!mode.name.startsWith("riscv")) throw invalid(`Cannot inspect a RISC-V dump in mode ${mode.name}`, {});
  const root = satp !== undefined ? Number(satp & (mode.name === "riscv-sv32" ? RV32_PPN_MASK : RV64_PPN_MASK)) * PAGE : (overrides.cr3 ?? 0) - ((overrides.cr3 ?? 0) % PAGE);
  return { mode, root, source: overrides.mode !== undefined ? "--mode" : `satp ${hex(satp ?? 0n, 1)}` };
}
