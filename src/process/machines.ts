import { x86Codec } from "../arch/x86/codec.js";
import { X86Mmu } from "../arch/x86/cpu.js";
import { CR0_PG, CR0_WP, CR4_LA57, CR4_PAE, CR4_PGE, EFER_LME, EFER_NXE } from "../arch/x86/entry64.js";
import { riscvCodec } from "../arch/riscv/codec.js";
import { RiscvMmu } from "../arch/riscv/cpu.js";
import { SATP_MODE } from "../arch/riscv/pte.js";
import { GEOMETRIES } from "../paging/geometry.js";
import { TableMapper } from "../paging/table-mapper.js";
import { PhysicalMemoryManager } from "../pmm.js";
import { PhysicalMemory } from "../ram.js";
import { VirtualMemoryManagerImpl } from "../vmm.js";
import { type KernelHalf, kernelHalf } from "./kernel-half.js";

/** The 64-bit modes {@link tableMachine} builds. */
export type TableMachineMode = "x86-64" | "x86-64-la57" | "riscv-sv39" | "riscv-sv48" | "riscv-sv57";

/** Options of {@link tableMachine}. */
export interface TableMachineOptions {
  /** RAM bytes (default 64 MiB). The first MiB (as on a PC) and the kernel image are reserved. */
  readonly memoryBytes?: number;
  /** Bytes of kernel image mapped (default 2 MiB), global, at the top 2 GiB, from physical 1 MiB. */
  readonly kernelBytes?: number;
}

/** A minimal 64-bit machine: RAM, PMM, a kernel VMM over the upper half, an MMU running the kernel's root. */
export interface TableMachine {
  /** The paging mode. */
  readonly mode: TableMachineMode;
  /** Physical memory. */
  readonly ram: PhysicalMemory;
  /** Physical blocks (the first MiB and the kernel image reserved). */
  readonly pmm: PhysicalMemoryManager;
  /** The mode's table mapper over `ram`, frames from `pmm`. */
  readonly mapper: TableMapper<bigint>;
  /** The kernel VMM over the upper canonical half; its payload is the kernel root. */
  readonly vmm: VirtualMemoryManagerImpl<number, bigint>;
  /** The CPU's MMU, running the kernel root. */
  readonly mmu: X86Mmu | RiscvMmu;
  /** What every address space of this machine shares. */
  readonly kernel: KernelHalf<bigint>;
}

/** Where the kernel image is linked in every 64-bit mode: the top 2 GiB (x86-64 `-mcmodel=kernel`). */
export const KERNEL_IMAGE_BASE = 0xffff_ffff_8000_0000n;
const MIB = 0x10_0000;

/**
 * Builds a small 64-bit machine — no boot protocol, no profile: a {@link TableMapper}
 * kernel root with the kernel image mapped read-only, executable and global at
 * {@link KERNEL_IMAGE_BASE}, and an MMU in the mode (x86: CR0.PG|WP, CR4.PAE|PGE, EFER.LME|NXE;
 * RISC-V: satp.MODE, S-mode). A small machine without a profile, for tests and examples; a
 * real machine of any mode boots from its profile (`bootMode`, `kernelHalfOfMode`).
 *
 * @throws {ProfileError | MapperError} when RAM is too small for the kernel image and its tables.
 * @example
 * const machine = tableMachine("x86-64");
 * const space = AddressSpace.create(machine.kernel);
 */
export function tableMachine(mode: TableMachineMode, options: TableMachineOptions = {}): TableMachine {
  const memoryBytes = options.memoryBytes ?? 64 * MIB;
  const kernelBytes = options.kernelBytes ?? 2 * MIB;
  const ram = new PhysicalMemory(memoryBytes);
  const pmm = new PhysicalMemoryManager({ memoryBytes, reserved: [{ start: 0, end: MIB + kernelBytes }] });
  const x86 = mode === "x86-64" || mode === "x86-64-la57";
  const codec = x86 ? x86Codec(mode) : riscvCodec(mode);
  const mapper = new TableMapper<bigint>({ codec, bus: ram, frames: pmm });
  const root = mapper.createRoot();
  const g = GEOMETRIES[mode];
  const upper = (1n << 64n) - (1n << BigInt(g.vaBits - 1));
  const vmm = new VirtualMemoryManagerImpl<number, bigint>({ start: upper, end: 1n << 64n, pmm, mapper, payload: root, memory: ram });
  const image = { start: KERNEL_IMAGE_BASE, end: KERNEL_IMAGE_BASE + BigInt(kernelBytes) };
  vmm.set(image, { start: BigInt(MIB), end: BigInt(MIB + kernelBytes) }, { kernel: true, writable: false, cachable: true, executable: true, global: true });
  const mmu = x86
    ? new X86Mmu({ bus: ram, state: { cr0: CR0_PG | CR0_WP, cr3: root, cr4: CR4_PAE | CR4_PGE | (mode === "x86-64-la57" ? CR4_LA57 : 0), efer: EFER_LME | EFER_NXE } })
    : new RiscvMmu({ bus: ram, state: { satp: (BigInt(SATP_MODE[mode === "riscv-sv39" ? "sv39" : mode === "riscv-sv48" ? "sv48" : "sv57"]) << 60n) | BigInt(root / 4096), priv: "S" } });
  const kernel = kernelHalf<bigint>({ geometry: g, memory: ram, pmm, mapper, root, kernelStart: upper, userStart: 0x1000n });
  return { mode, ram, pmm, mapper, vmm, mmu, kernel };
}
