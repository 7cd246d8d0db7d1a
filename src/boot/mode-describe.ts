import type { FragmentationStats } from "../alloc/policy.js";
import { hex, jsonAddress } from "../format.js";
import type { ModeMachine } from "./mode-boot.js";
import type { ModeSelfCheckReport } from "./mode-check.js";
import type { PagingModeName } from "./modes.js";

/** A virtual address in JSON: a `"0x…"` string in 64-bit modes, a number in 32-bit ones (the mode decides, never the value). */
export type JsonVirtual = number | string;

/** A region of a mode machine in JSON (see `Region`, plus `executable`). */
export interface ModeRegionJson {
  readonly virtStart: JsonVirtual;
  readonly virtEnd: JsonVirtual;
  readonly physStart: number | null;
  readonly kernel: boolean;
  readonly writable: boolean;
  readonly cachable: boolean;
  readonly executable: boolean;
  readonly label: string;
}

/** The registers as `"0x…"` strings: `cr0`, `cr3`, `cr4`, `efer` (x86) or `satp`, `sstatus` (RISC-V). */
export type RegistersJson = Readonly<Record<string, string>>;

/** `kmem boot --json` of a mode machine (schema: docs/cli.md). */
export interface ModeMachineDescription {
  readonly arch: PagingModeName;
  /** The end of physical memory. */
  readonly memoryBytes: number;
  /** The first physical address of RAM. */
  readonly ramBase: number;
  readonly registers: RegistersJson;
  /** The physical address of the root table. */
  readonly root: number;
  readonly regions: readonly ModeRegionJson[];
  readonly pmm: { readonly blocks: number; readonly free: number; readonly fragmentation: FragmentationStats };
  readonly vmm: { readonly start: JsonVirtual; readonly end: JsonVirtual; readonly blocksUsed: number; readonly fragmentation: FragmentationStats };
  /** Tables under the root (the root not counted). */
  readonly pageTables: number;
  readonly selfCheck: {
    readonly ok: boolean;
    readonly blocksChecked: number;
    readonly blocksRequired: number;
    readonly failureCount: number;
    readonly failures: readonly { readonly problem: string; readonly address: JsonVirtual; readonly message: string }[];
  };
}

/** `machine.json` of a mode machine: what another tool needs besides `ram.bin` to walk the same tables. */
export interface ExportedModeMachine {
  readonly arch: PagingModeName;
  readonly memoryBytes: number;
  /** The physical address of `ram.bin`'s first byte. */
  readonly ramBase: number;
  readonly registers: RegistersJson;
  readonly root: number;
  readonly regions: readonly ModeRegionJson[];
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
export function exportModeMachine(machine: ModeMachine): { readonly ram: Uint8Array; readonly machine: ExportedModeMachine } {
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
