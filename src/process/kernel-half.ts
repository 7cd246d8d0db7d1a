import type { X86Paging } from "../arch/x86/paging.js";
import type { Machine } from "../boot/boot.js";
import type { ModeMachine } from "../boot/mode-boot.js";
import type { PhysicalBus } from "../bus.js";
import { ProcessError } from "../errors/process-error.js";
import { hex } from "../format.js";
import type { Mapper } from "../mapper.js";
import { GEOMETRIES, type Geometry, PAGE_BYTES, levelShift } from "../paging/geometry.js";
import type { Address, ByteStore } from "../types.js";
import type { AnyPhysicalMemoryManager } from "../vmm.js";

/** A {@link Mapper} that also makes and unmakes root tables (the payload is a root's physical address). */
export interface RootMapper<A extends Address> extends Mapper<number, A> {
  /** A zeroed root table's physical address. */
  createRoot(): number;
  /** Frees every table reachable from `root`, and `root` (mapped pages are not touched). */
  destroyRoot(root: number): void;
}

/** Physical memory as the process layer uses it: the CPU's bus and bulk bytes. */
export type ProcessMemory = PhysicalBus & ByteStore;

/**
 * What every address space shares: the kernel's root table (whose top-level entries for the
 * kernel half each new root copies, as a real kernel shares its upper page-directory
 * entries), the mapper and memory its tables live in, the PMM and the user half's bounds.
 * Build one with {@link kernelHalf} (any mode) or {@link kernelHalfOf} (a booted 32-bit machine).
 */
export interface KernelHalf<A extends Address> {
  /** The paging mode's table geometry. */
  readonly geometry: Geometry;
  /** Physical memory: the tables and the pages. */
  readonly memory: ProcessMemory;
  /** Where frames and tables come from. */
  readonly pmm: AnyPhysicalMemoryManager;
  /** Writes every space's tables (the kernel's too). */
  readonly mapper: RootMapper<A>;
  /** The kernel's root table (CR3 / satp.PPN × 4096). */
  readonly root: number;
  /** First user address (the null page below stays unmapped). */
  readonly userStart: A;
  /** End of the user half, exclusive. */
  readonly userEnd: A;
  /** First address of the shared kernel half (aligned to one top-level entry's span). */
  readonly kernelStart: A;
  /** The first top-level index of the kernel half: entries from here on are shared. */
  readonly firstSharedEntry: number;
  /** Whether pages can be mapped non-executable (NX / RISC-V X). */
  readonly noExecute: boolean;
}

/** Options of {@link kernelHalf}; `A` is the mode's address type (`bigint` for 64-bit modes). */
export interface KernelHalfOptions<A extends Address> {
  /** The paging mode's table geometry. */
  readonly geometry: Geometry;
  /** Physical memory: the tables and the pages. */
  readonly memory: ProcessMemory;
  /** Where frames and tables come from. */
  readonly pmm: AnyPhysicalMemoryManager;
  /** Writes every space's tables. */
  readonly mapper: RootMapper<A>;
  /** The kernel's root table. */
  readonly root: number;
  /** Start of the kernel half. 64-bit modes: default (and at least) the upper canonical half. */
  readonly kernelStart: A;
  /** Default one page (the null page is never user memory). */
  readonly userStart?: A;
  /** Whether `executable: false` can be encoded. Default: true except 32-bit x86 paging. */
  readonly noExecute?: boolean;
}

/**
 * Checks and completes the description of a kernel half. In 32-bit modes the user half is
 * `[userStart, kernelStart)`; in 64-bit modes it is the lower canonical half and the kernel
 * half must lie in the upper one.
 *
 * @throws {ProcessError} `InvalidKernelHalf` when `kernelStart` is not aligned to one
 * top-level entry's span, leaves no user space, or (64-bit) is not in the upper half.
 * @example
 * const kernel = kernelHalf({ geometry: GEOMETRIES["x86-64"], memory: ram, pmm, mapper, root, kernelStart: 0xffff_8000_0000_0000n });
 */
export function kernelHalf<A extends Address>(options: KernelHalfOptions<A>): KernelHalf<A> {
  const g = options.geometry;
  const top = g.levels - 1;
  const topShift = levelShift(g, top);
  const start = BigInt(options.kernelStart);
  const userStart = options.userStart ?? sameType(options.kernelStart, PAGE_BYTES);
  const lowerEnd = g.signExtended ? 1n << BigInt(g.vaBits - 1) : start;
  const upperStart = g.signExtended ? (1n << 64n) - (1n << BigInt(g.vaBits - 1)) : 0n;
  const limit = g.signExtended ? 1n << 64n : 1n << BigInt(g.vaBits);
  const problem =
    start % (1n << BigInt(topShift)) !== 0n
      ? `it is not aligned to a top-level entry's span (${hex(2 ** topShift)})`
      : start < upperStart || start >= limit
        ? `it is not in the upper canonical half (${hex(upperStart)}–)`
        : BigInt(userStart) % BigInt(PAGE_BYTES) !== 0n || BigInt(userStart) >= lowerEnd || BigInt(userStart) <= 0n
          ? `the user space ${hex(userStart)}–${hex(lowerEnd)} is empty or misaligned`
          : null;
  if (problem !== null) {
    throw new ProcessError("InvalidKernelHalf", `Cannot share the kernel half from ${hex(options.kernelStart)}: ${problem}`, { kernelStart: options.kernelStart });
  }
  const topBits = g.indexBits[top] ?? 0;
  return {
    geometry: g,
    memory: options.memory,
    pmm: options.pmm,
    mapper: options.mapper,
    root: options.root,
    userStart,
    userEnd: sameType(options.kernelStart, lowerEnd),
    kernelStart: options.kernelStart,
    firstSharedEntry: Number((start >> BigInt(topShift)) % (1n << BigInt(topBits))),
    noExecute: options.noExecute ?? g.name !== "x86",
  };
}

/**
 * The kernel half of a machine booted by `boot` (32-bit x86): the kernel root is its CR3,
 * and the kernel half starts at its lowest mapping rounded down to 4 MiB (0xC0000000 for
 * the default profile). Allocations the kernel VMM makes later below that line are not
 * shared with address spaces made before or after.
 *
 * @throws {ProcessError} `InvalidKernelHalf` when the kernel maps nothing, or maps below 4 MiB.
 */
export function kernelHalfOf(machine: Machine): KernelHalf<number> {
  const kernelStart = narrowKernelStart(machine.vmm.allocations(), GEOMETRIES.x86, "x86");
  return kernelHalf({ geometry: GEOMETRIES.x86, memory: machine.ram, pmm: machine.pmm, mapper: x86PagingRoots(machine.paging), root: machine.cr3, kernelStart });
}

/**
 * The kernel half of a machine booted by `bootMode` (every mode but 32-bit x86): in 64-bit
 * modes the upper canonical half the kernel VMM manages; in PAE and Sv32 the kernel's lowest
 * mapping rounded down to one top-level entry's span (for the shipped profiles: PDPTE 3 from
 * 0xC0000000 in PAE; in Sv32 0xC0400000, the linear map of the first usable RAM). Narrow on
 * `machine.space.wide` (or `typeof kernel.userStart`) to get the address type.
 *
 * @throws {ProcessError} `InvalidKernelHalf` when a 32-bit kernel maps nothing, or maps inside the first top-level span.
 * @example
 * const machine = bootMode(readModeProfile(JSON.parse(readFileSync("profiles/x86-64.json", "utf8"))));
 * const space = AddressSpace.create(kernelHalfOfMode(machine));
 */
export function kernelHalfOfMode(machine: ModeMachine): KernelHalf<bigint> | KernelHalf<number> {
  const geometry = GEOMETRIES[machine.arch];
  const common = { geometry, memory: machine.ram, pmm: machine.pmm, root: machine.root };
  const space = machine.space;
  if (space.wide) return kernelHalf<bigint>({ ...common, mapper: space.mapper, kernelStart: machine.spec.vmmStart, userStart: BigInt(PAGE_BYTES) });
  return kernelHalf<number>({ ...common, mapper: space.mapper, kernelStart: narrowKernelStart(space.vmm.allocations(), geometry, machine.arch) });
}

/** A 32-bit kernel's lowest mapping rounded down to one top-level entry's span. @throws {ProcessError} `InvalidKernelHalf` when that is 0. */
function narrowKernelStart(allocations: readonly { readonly virtual: { readonly start: number } }[], geometry: Geometry, arch: string): number {
  let lowest = Number.POSITIVE_INFINITY;
  for (const allocation of allocations) lowest = Math.min(lowest, allocation.virtual.start);
  const span = 2 ** levelShift(geometry, geometry.levels - 1);
  const kernelStart = Number.isFinite(lowest) ? Math.floor(lowest / span) * span : 0;
  if (kernelStart === 0) {
    throw new ProcessError("InvalidKernelHalf", `Cannot share the kernel half of the ${arch} machine: it maps ${Number.isFinite(lowest) ? `from ${hex(lowest)}, below ${hex(span)}` : "nothing"}`, {
      lowest: Number.isFinite(lowest) ? lowest : null,
    });
  }
  return kernelStart;
}

/**
 * Whether `kernel` belongs to a 64-bit mode (its addresses are bigints): narrows the union
 * {@link kernelHalfOfMode} returns.
 *
 * @example
 * const kernel = kernelHalfOfMode(machine);
 * if (isWideKernelHalf(kernel)) AddressSpace.create(kernel).map(1, attrs, { at: 0x40_0000n });
 */
export function isWideKernelHalf(kernel: KernelHalf<bigint> | KernelHalf<number>): kernel is KernelHalf<bigint> {
  return typeof kernel.userStart === "bigint";
}

/** The 32-bit {@link X86Paging} as a {@link RootMapper} (directories are its roots). */
export function x86PagingRoots(paging: X86Paging): RootMapper<number> {
  return {
    map: (vStart, vEnd, pStart, pEnd, attrs, root) => paging.map(vStart, vEnd, pStart, pEnd, attrs, root),
    unmap: (vStart, vEnd, root) => paging.unmap(vStart, vEnd, root),
    createRoot: () => paging.createDirectory(),
    destroyRoot: (root) => paging.destroyDirectory(root),
  };
}

/** `value` in the address type of `sample`. */
export function sameType<A extends Address>(sample: A, value: number | bigint): A {
  return (typeof sample === "bigint" ? BigInt(value) : Number(value)) as A;
}
