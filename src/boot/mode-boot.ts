import type { FramePolicyName } from "../alloc/policies.js";
import { CR0_PE, CR0_PG, CR0_WP, CR4_LA57, CR4_PAE, EFER_LME, EFER_NXE } from "../arch/x86/entry64.js";
import { x86Codec } from "../arch/x86/codec.js";
import { type X86CpuState, X86Mmu } from "../arch/x86/cpu.js";
import { riscvCodec } from "../arch/riscv/codec.js";
import { RiscvMmu } from "../arch/riscv/cpu.js";
import { SATP_MODE } from "../arch/riscv/pte.js";
import { hexRange } from "../format.js";
import type { PageMapping } from "../paging/mappings.js";
import { TableMapper } from "../paging/table-mapper.js";
import { PhysicalMemoryManager } from "../pmm.js";
import { type Attributes, BLOCK_SIZE, type Range } from "../types.js";
import { VirtualMemoryManager } from "../vmm.js";
import { BootFrameAllocator } from "./boot-frames.js";
import { type ModeLayout, type ModeMapping, type ModeRegion, planModeLayout } from "./mode-layout.js";
import { type ModeProfile, readModeProfile } from "./mode-profile.js";
import { MODE_SPECS, type ModeSpec, type PagingModeName } from "./modes.js";
import { ProfileError } from "./profile-error.js";
import { RamWindow } from "./ram-window.js";

/** Options for {@link bootMode}. */
export interface ModeBootOptions {
  /** Map the profile's regions with large pages where aligned (the direct map always uses them). Default false. */
  readonly largePages?: boolean;
  /** How the PMM hands out blocks (default `"lowest"`). */
  readonly pmmPolicy?: FramePolicyName;
}

/**
 * The kernel address space of a mode, typed by its address width: a `bigint` VMM over the
 * kernel half in 64-bit modes, a `number` VMM in 32-bit ones, each with its mapper.
 */
export type KernelSpace = WideKernelSpace | NarrowKernelSpace;

/** The kernel space of a 64-bit mode. */
export interface WideKernelSpace {
  /** Addresses are bigints. */
  readonly wide: true;
  /** The kernel VMM over the upper half. */
  readonly vmm: VirtualMemoryManager<number, bigint>;
  /** The mode's mapper; its payload is the root table's address. */
  readonly mapper: TableMapper<bigint>;
}

/** The kernel space of a 32-bit mode (PAE, Sv32). */
export interface NarrowKernelSpace {
  /** Addresses are numbers. */
  readonly wide: false;
  /** The kernel VMM over `[0x1000, 4 GiB)`. */
  readonly vmm: VirtualMemoryManager<number, number>;
  /** The mode's mapper; its payload is the root table's address. */
  readonly mapper: TableMapper<number>;
}

/**
 * The registers a mode's MMU was loaded with: x86 `cr0`, `cr3`, `cr4`, `efer` (EFER.LMA as
 * the CPU reports it), or RISC-V `satp` (MODE and root PPN) and `sstatus`.
 */
export type ModeRegisters = X86CpuState | RiscvRegisters;

/** The RISC-V registers of {@link ModeRegisters}. */
export interface RiscvRegisters {
  /** MODE, ASID 0 and the root's PPN (RV32 values as bigints too). */
  readonly satp: bigint;
  /** SUM and MXR clear. */
  readonly sstatus: number;
}

/** A machine booted in a paging mode other than 32-bit x86 (see `Machine`). */
export interface ModeMachine {
  /** The paging mode. */
  readonly arch: PagingModeName;
  /** The mode's kernel VMM range and address width. */
  readonly spec: ModeSpec;
  /** The profile it was booted from (validated). */
  readonly profile: ModeProfile;
  /** What boot derived from the profile. */
  readonly layout: ModeLayout;
  /** Physical RAM, `[layout.ramBase, profile.memoryBytes)`. */
  readonly ram: RamWindow;
  /** The PMM over `[0, memoryBytes)` (everything below RAM reserved). */
  readonly pmm: PhysicalMemoryManager;
  /** The kernel VMM and the mapper writing its tables. */
  readonly space: KernelSpace;
  /** The physical address of the root table (CR3's table, satp.PPN × 4096). */
  readonly root: number;
  /** The MMU, with the mode's registers loaded: ready to translate kernel addresses. */
  readonly mmu: X86Mmu | RiscvMmu;
  /** The registers the MMU was loaded with. */
  readonly registers: ModeRegisters;
  /** The address-space map, in virtual address order. */
  readonly regions: readonly ModeRegion[];
}

/**
 * Boots a profile of any mode but 32-bit x86, the way `boot` does for x86: a PMM over
 * `[0, memoryBytes)` with everything but usable RAM reserved; a root table from the mode's
 * {@link TableMapper}; the kernel VMM (a `bigint` one over the kernel half for 64-bit modes,
 * with the extent allocator there); `vmm.set` of the kernel image plus its 1 MiB early area,
 * the virtual reservations and the modules; then the direct map of all RAM in large pages
 * (reserved in the VMM, written by the mapper: it takes no block from the PMM); and the
 * mode's MMU with paging on — x86-64: CR0.PE|PG|WP, CR4.PAE (+LA57), EFER.LME|NXE (the CPU
 * sets LMA); PAE: CR4.PAE, EFER.NXE; RISC-V: satp = MODE | root PPN, sstatus 0, S-mode.
 *
 * @throws ProfileError `InvalidProfile` when the profile is invalid or a region cannot be mapped.
 * @example
 * const machine = bootMode(readModeProfile(JSON.parse(text)));
 * machine.mmu.translate(0xffffffff81000000n); // 0x01000000
 */
export function bootMode(profile: ModeProfile, options: ModeBootOptions = {}): ModeMachine {
  const checked = readModeProfile(profile);
  const layout = planModeLayout(checked);
  const spec = MODE_SPECS[checked.arch];
  const ram = new RamWindow(layout.ramBase, checked.memoryBytes);
  const pmm = new PhysicalMemoryManager({ memoryBytes: checked.memoryBytes, reserved: layout.pmmReserved, policy: options.pmmPolicy ?? "lowest" });
  const frames = new BootFrameAllocator(pmm, layout.claimed);
  const largePages = options.largePages ?? false;
  const space = createSpace(spec, ram, frames, largePages);
  const root = attempt("memoryBytes", checked.memoryBytes, "cannot hold the root table", () => space.mapper.createRoot());
  const vmm = createVmm(space, spec, pmm, ram, root);
  const direct = createSpace(spec, ram, frames, true);
  for (const mapping of layout.mappings) {
    attempt(mapping.source, mapping.virtual.start, `${hexRange(mapping.virtual.start, mapping.virtual.end)} cannot be mapped`, () => {
      setMapping(vmm, mapping);
      if (mapping.direct && mapping.physical !== null) mapDirect(direct, mapping, mapping.physical, root);
    });
  }
  frames.release();
  const { mmu, registers } = createMmu(spec, ram, root);
  return { arch: checked.arch, spec, profile: checked, layout, ram, pmm, space: vmm, root, mmu, registers, regions: layout.regions };
}

/** The leaves under the machine's root, virtual addresses as bigints, in address order. */
export function modeMappings(machine: ModeMachine): PageMapping<bigint>[] {
  const { space, root } = machine;
  if (space.wide) return space.mapper.mappings(root).map((m) => ({ ...m, virt: BigInt.asUintN(64, m.virt) }));
  return space.mapper.mappings(root).map((m) => ({ ...m, virt: BigInt(m.virt) }));
}

/** Whether the VMM block holding `vaddr` is set. */
export function isBlockSet(space: KernelSpace, vaddr: bigint): boolean {
  return space.wide ? space.vmm.isSet(vaddr) : space.vmm.isSet(Number(vaddr));
}

function createSpace(spec: ModeSpec, ram: RamWindow, frames: BootFrameAllocator, largePages: boolean): { wide: true; mapper: TableMapper<bigint> } | { wide: false; mapper: TableMapper<number> } {
  const common = { bus: ram, frames, largePages };
  switch (spec.name) {
    case "x86-64":
    case "x86-64-la57":
      return { wide: true, mapper: new TableMapper({ codec: x86Codec(spec.name), ...common }) };
    case "riscv-sv39":
    case "riscv-sv48":
    case "riscv-sv57":
      return { wide: true, mapper: new TableMapper({ codec: riscvCodec(spec.name), ...common }) };
    case "x86-pae":
      return { wide: false, mapper: new TableMapper({ codec: x86Codec(spec.name), ...common }) };
    case "riscv-sv32":
      return { wide: false, mapper: new TableMapper({ codec: riscvCodec(spec.name), ...common }) };
  }
}

function createVmm(space: ReturnType<typeof createSpace>, spec: ModeSpec, pmm: PhysicalMemoryManager, ram: RamWindow, root: number): KernelSpace {
  if (space.wide) {
    const vmm = new VirtualMemoryManager<number, bigint>({ start: spec.vmmStart, end: spec.vmmEnd, pmm, mapper: space.mapper, payload: root, memory: ram });
    return { wide: true, vmm, mapper: space.mapper };
  }
  const vmm = new VirtualMemoryManager<number, number>({ start: Number(spec.vmmStart), end: Number(spec.vmmEnd), pmm, mapper: space.mapper, payload: root, memory: ram });
  return { wide: false, vmm, mapper: space.mapper };
}

/** One `vmm.set`: the direct map's range is only reserved (it maps memory the VMM does not own). */
function setMapping(space: KernelSpace, mapping: ModeMapping): void {
  const physical = mapping.direct ? null : mapping.physical;
  if (space.wide) {
    space.vmm.set(mapping.virtual, physical === null ? null : { start: BigInt(physical.start), end: BigInt(physical.end) }, mapping.attrs);
  } else {
    space.vmm.set({ start: Number(mapping.virtual.start), end: Number(mapping.virtual.end) }, physical, mapping.attrs);
  }
}

/** Writes the direct map with a large-page mapper over the same tables. */
function mapDirect(space: ReturnType<typeof createSpace>, mapping: ModeMapping, physical: Range, root: number): void {
  const attrs: Attributes = mapping.attrs;
  if (space.wide) {
    space.mapper.map(mapping.virtual.start, mapping.virtual.end, BigInt(physical.start), BigInt(physical.end), attrs, root);
  } else {
    space.mapper.map(Number(mapping.virtual.start), Number(mapping.virtual.end), physical.start, physical.end, attrs, root);
  }
}

function createMmu(spec: ModeSpec, ram: RamWindow, root: number): { mmu: X86Mmu | RiscvMmu; registers: ModeRegisters } {
  if (spec.family === "x86") {
    const long = spec.wide;
    const state = {
      cr0: (CR0_PE | CR0_PG | CR0_WP) >>> 0,
      cr3: root,
      cr4: (CR4_PAE | (spec.name === "x86-64-la57" ? CR4_LA57 : 0)) >>> 0,
      efer: (EFER_NXE | (long ? EFER_LME : 0)) >>> 0,
    };
    const mmu = new X86Mmu({ bus: ram, state });
    return { mmu, registers: mmu.state };
  }
  const ppn = root / BLOCK_SIZE;
  if (spec.name === "riscv-sv32") {
    const satp = (SATP_MODE.sv32 * 2 ** 31 + ppn) >>> 0;
    const mmu = new RiscvMmu({ bus: ram, xlen: 32, state: { satp, sstatus: 0, priv: "S" } });
    return { mmu, registers: { satp: BigInt(satp), sstatus: 0 } };
  }
  const mode = spec.name === "riscv-sv39" ? SATP_MODE.sv39 : spec.name === "riscv-sv48" ? SATP_MODE.sv48 : SATP_MODE.sv57;
  const satp = (BigInt(mode) << 60n) | BigInt(ppn);
  const mmu = new RiscvMmu({ bus: ram, xlen: 64, state: { satp, sstatus: 0, priv: "S" } });
  return { mmu, registers: { satp, sstatus: 0 } };
}

/** Runs a boot step; a failure (no frame for a table, a bad physical address) becomes a one-line ProfileError naming the profile entry. */
function attempt<T>(path: string, value: unknown, what: string, step: () => T): T {
  try {
    return step();
  } catch (error) {
    if (error instanceof ProfileError) throw error;
    throw new ProfileError(`${path} ${what}: ${error instanceof Error ? error.message : String(error)}`, { path, value: typeof value === "bigint" ? `0x${value.toString(16)}` : value });
  }
}
