import type { FragmentationStats } from "../alloc/policy.js";
import { hex, jsonAddress } from "../format.js";
import type { ModeMachine } from "./mode-boot.js";
import type { ModeSelfCheckReport } from "./mode-check.js";
import type { PagingModeName } from "./modes.js";

/** A virtual address in JSON: a `"0x…"` string in 64-bit modes, a number in 32-bit ones (the mode decides, never the value). */
export type JsonVirtual = number | string;

/** A region of a mode machine in JSON (see `Region`, plus `executable`). */
export interface ModeRegionJson {
  /** The first virtual address. */
  readonly virtStart: JsonVirtual;
  /** The virtual address just past the range. */
  readonly virtEnd: JsonVirtual;
  /** The physical address of `virtStart`, or null when only reserved. */
  readonly physStart: number | null;
  /** Supervisor only. */
  readonly kernel: boolean;
  /** Writes allowed. */
  readonly writable: boolean;
  /** Cached (x86 PCD clear; RISC-V has no such bit). */
  readonly cachable: boolean;
  /** Instruction fetches allowed (x86 XD clear, RISC-V X). */
  readonly executable: boolean;
  /** What the range is. */
  readonly label: string;
}

/** The registers as `"0x…"` strings: `cr0`, `cr3`, `cr4`, `efer` (x86) or `satp`, `sstatus` (RISC-V). */
export type RegistersJson = Readonly<Record<string, string>>;

/** `kmem boot --json` of a mode machine (schema: docs/cli.md). */
export interface ModeMachineDescription {
  /** The paging mode. */
  readonly arch: PagingModeName;
  /** The end of physical memory. */
  readonly memoryBytes: number;
  /** The first physical address of RAM. */
  readonly ramBase: number;
  /** The registers, as `"0x…"` strings. */
  readonly registers: RegistersJson;
  /** The physical address of the root table. */
  readonly root: number;
  /** The address-space map, in virtual address order. */
  readonly regions: readonly ModeRegionJson[];
  /** The PMM over `[0, memoryBytes)`. */
  readonly pmm: ModePmmJson;
  /** The kernel VMM. */
  readonly vmm: ModeVmmJson;
  /** Tables under the root (the root not counted). */
  readonly pageTables: number;
  /** The self-check's report, addresses as in `regions`. */
  readonly selfCheck: ModeSelfCheckJson;
}

/** The PMM figures of {@link ModeMachineDescription}. */
export interface ModePmmJson {
  /** All physical blocks from 0 (those below RAM reserved). */
  readonly blocks: number;
  /** The free ones. */
  readonly free: number;
  /** How fragmented the free blocks are. */
  readonly fragmentation: FragmentationStats;
}

/** The kernel VMM figures of {@link ModeMachineDescription}. */
export interface ModeVmmJson {
  /** The first virtual address it manages. */
  readonly start: JsonVirtual;
  /** The virtual address just past its range. */
  readonly end: JsonVirtual;
  /** Blocks set. */
  readonly blocksUsed: number;
  /** How fragmented the free virtual space is. */
  readonly fragmentation: FragmentationStats;
}

/** The self-check of {@link ModeMachineDescription}. */
export interface ModeSelfCheckJson {
  /** True when no check failed. */
  readonly ok: boolean;
  /** Virtual blocks verified: all of the kernel VMM. */
  readonly blocksChecked: number;
  /** Required blocks, each translated through the MMU. */
  readonly blocksRequired: number;
  /** Failures found. */
  readonly failureCount: number;
  /** The first failures. */
  readonly failures: readonly ModeFailureJson[];
}

/** One failure of {@link ModeSelfCheckJson}. */
export interface ModeFailureJson {
  /** What kind of failure (a `SelfCheckProblem`). */
  readonly problem: string;
  /** The virtual address concerned. */
  readonly address: JsonVirtual;
  /** One line saying what is wrong. */
  readonly message: string;
}

/** `machine.json` of a mode machine: what another tool needs besides `ram.bin` to walk the same tables. */
export interface ExportedModeMachine {
  /** The paging mode. */
  readonly arch: PagingModeName;
  /** The end of physical memory. */
  readonly memoryBytes: number;
  /** The physical address of `ram.bin`'s first byte. */
  readonly ramBase: number;
  /** The registers to load, as `"0x…"` strings. */
  readonly registers: RegistersJson;
  /** The physical address of the root table. */
  readonly root: number;
  /** The address-space map. */
  readonly regions: readonly ModeRegionJson[];
}

/** A mode machine as files (see {@link exportModeMachine}). */
export interface ModeMachineExport {
  /** RAM from `ramBase`, byte-exact (a view of the machine's RAM, not a copy). */
  readonly ram: Uint8Array;
  /** `machine.json`. */
  readonly machine: ExportedModeMachine;
}

/**
 * The registers of a mode machine as JSON strings: 8 hex digits for x86 control registers
 * and RV32 satp, 16 for RV64 satp.
 *
 * @example
 * registersJson(bootMode(sv39)); // { satp: "0x8000000000080201", sstatus: "0x00000000" }
 */
export function registersJson(machine: ModeMachine): RegistersJson {
  const { registers } = machine;
  if ("cr0" in registers) return { cr0: hex(registers.cr0), cr3: hex(registers.cr3), cr4: hex(registers.cr4), efer: hex(registers.efer) };
  return { satp: hex(registers.satp, machine.arch === "riscv-sv32" ? 8 : 16), sstatus: hex(registers.sstatus) };
}

function virtual(machine: ModeMachine, address: bigint): JsonVirtual {
  return jsonAddress(machine.spec.wide ? address : Number(address));
}

function regionsJson(machine: ModeMachine): ModeRegionJson[] {
  return machine.regions.map((r) => ({ ...r, virtStart: virtual(machine, r.virtStart), virtEnd: virtual(machine, r.virtEnd) }));
}

/**
 * A mode machine and its self-check as the plain object `kmem boot --json` prints.
 *
 * @example
 * const machine = bootMode(profile);
 * describeModeMachine(machine, selfCheckMode(machine)).registers.cr3; // "0x00001000"
 */
export function describeModeMachine(machine: ModeMachine, report: ModeSelfCheckReport): ModeMachineDescription {
  const { pmm, space } = machine;
  return {
    arch: machine.arch,
    memoryBytes: machine.profile.memoryBytes,
    ramBase: machine.layout.ramBase,
    registers: registersJson(machine),
    root: machine.root,
    regions: regionsJson(machine),
    pmm: { blocks: pmm.numBlocks, free: pmm.blocksFree(), fragmentation: pmm.stats() },
    vmm: { start: virtual(machine, machine.spec.vmmStart), end: virtual(machine, machine.spec.vmmEnd), blocksUsed: space.vmm.blocksUsed, fragmentation: space.vmm.stats() },
    pageTables: space.mapper.tables(machine.root).length - 1,
    selfCheck: { ...report, failures: report.failures.map((f) => ({ ...f, address: virtual(machine, f.address) })) },
  };
}

/**
 * A mode machine as files: `ram.bin` (RAM from `ramBase`, byte-exact: a view, not a copy) and `machine.json`.
 *
 * @example
 * const { ram, machine: json } = exportModeMachine(bootMode(profile));
 * ram.length === json.memoryBytes - json.ramBase; // true
 */
export function exportModeMachine(machine: ModeMachine): ModeMachineExport {
  return {
    ram: machine.ram.memory.bytes,
    machine: {
      arch: machine.arch,
      memoryBytes: machine.profile.memoryBytes,
      ramBase: machine.layout.ramBase,
      registers: registersJson(machine),
      root: machine.root,
      regions: regionsJson(machine),
    },
  };
}
