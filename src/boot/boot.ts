import type { FramePolicyName } from "../alloc/policies.js";
import { Mmu } from "../arch/x86/mmu.js";
import { X86Paging } from "../arch/x86/paging.js";
import { hex, hexRange } from "../format.js";
import { PhysicalMemoryManager } from "../pmm.js";
import { PhysicalMemory } from "../ram.js";
import { VirtualMemoryManager } from "../vmm.js";
import { BootFrameAllocator } from "./boot-frames.js";
import { type BootLayout, KERNEL_VMM_END, KERNEL_VMM_START, type PlannedMapping, type Region } from "./layout.js";
import { type MemoryProfile, validateProfile } from "./profile.js";
import { ProfileError } from "./profile-error.js";

const MIB = 0x10_0000;

/** Options for {@link boot}. */
export interface BootOptions {
  /** Map 4 MiB-aligned 4 MiB runs with 4 MiB pages (and turn on CR4.PSE in the MMU). Default false. */
  readonly largePages?: boolean;
  /** The MMU's TLB slots (default: the MMU's own default). */
  readonly tlbEntries?: number;
  /** How the PMM hands out blocks: `"lowest"` (default, the seed's order) or `"buddy"`. */
  readonly pmmPolicy?: FramePolicyName;
}

/** A booted machine: physical memory, its managers, the kernel address space and a CPU's MMU on it. */
export interface Machine {
  /** The profile it was booted from (validated). */
  readonly profile: MemoryProfile;
  /** What boot derived from the profile: the `vmm.set` calls, usable RAM, reservations. */
  readonly layout: BootLayout;
  /** The machine's physical memory, holding the page directory and tables. */
  readonly ram: PhysicalMemory;
  /** The physical memory manager: which 4 KiB blocks are used. */
  readonly pmm: PhysicalMemoryManager;
  /** The x86 mapper that writes the kernel's page tables into `ram`. */
  readonly paging: X86Paging;
  /** The kernel VMM over `[0x00001000, 4 GiB)`; its payload is `cr3`. */
  readonly vmm: VirtualMemoryManager<number>;
  /** An MMU with CR3 loaded (CR0.WP set), ready to translate kernel addresses. */
  readonly mmu: Mmu;
  /** The physical address of the kernel page directory. */
  readonly cr3: number;
  /** Whether 4 MiB pages may appear (CR4.PSE). */
  readonly cr4Pse: boolean;
  /** The address-space map, in virtual address order. */
  readonly regions: readonly Region[];
}

/**
 * Boots a memory profile the way the seed's `vmm.init` does, with its defects fixed:
 * 1. a PMM over `memoryBytes` with every non-available range reserved (and physical block 0);
 * 2. a page directory in RAM and the kernel VMM over `[0x00001000, 4 GiB)`;
 * 3. `vmm.set` of the kernel image plus the 1 MiB early area (kernel, read-only, cachable),
 *    then of every virtual reservation and module (kernel, writable, cachable), each
 *    overlap mapped once.
 *
 * Usable physical pages that a `set` maps are marked used by that `set`, not reserved up
 * front; until boot ends, the mapper's page tables are kept off them
 * (see {@link BootFrameAllocator}). Reserved pages a `set` maps (the VGA window) stay reserved
 * in the PMM, so freeing that mapping later gives nothing back to the allocator.
 * Boot does not run the self-check: call `selfCheck`.
 *
 * A profile that `parseProfile` returned is not validated again.
 *
 * @throws ProfileError `InvalidProfile` when the profile is invalid, when the host cannot
 * allocate `memoryBytes` of RAM, or when a region cannot be mapped (e.g. RAM too small for
 * the page tables); the message names the region.
 * @example
 * const machine = boot(DEFAULT_PROFILE);
 * machine.mmu.translate(0xc0100010); // 0x00100010
 */
export function boot(profile: MemoryProfile, options: BootOptions = {}): Machine {
  const { profile: checked, layout } = validateProfile(profile);
  const largePages = options.largePages ?? false;
  const ram = allocateRam(checked.memoryBytes);
  const pmm = new PhysicalMemoryManager({ memoryBytes: checked.memoryBytes, reserved: layout.pmmReserved, policy: options.pmmPolicy ?? "lowest" });
  const frames = new BootFrameAllocator(pmm, layout.claimed);
  const paging = new X86Paging({ ram, frames, largePages });
  const cr3 = createDirectory(paging, checked);
  const vmm = new VirtualMemoryManager<number>({ start: KERNEL_VMM_START, end: KERNEL_VMM_END, pmm, mapper: paging, payload: cr3, memory: ram });
  for (const mapping of layout.mappings) {
    setMapping(vmm, mapping);
  }
  frames.release();
  const mmu = new Mmu({ ram, cr3, pse: largePages, ...(options.tlbEntries === undefined ? {} : { tlbEntries: options.tlbEntries }) });
  return { profile: checked, layout, ram, pmm, paging, vmm, mmu, cr3, cr4Pse: largePages, regions: layout.regions };
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The machine's RAM; a host that cannot allocate it (a RangeError from the ArrayBuffer) is told in one line. */
function allocateRam(memoryBytes: number): PhysicalMemory {
  try {
    return new PhysicalMemory(memoryBytes);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new ProfileError(`memoryBytes ${hex(memoryBytes)} (${memoryBytes / MIB} MiB) cannot be allocated on this host: ${reasonOf(error)}`, { path: "memoryBytes", value: memoryBytes });
  }
}

/** The kernel page directory; running out of frames is the profile's fault (too little RAM). */
function createDirectory(paging: X86Paging, profile: MemoryProfile): number {
  try {
    return paging.createDirectory();
  } catch (error) {
    throw new ProfileError(`memoryBytes cannot hold the kernel page directory: ${reasonOf(error)}`, { path: "memoryBytes", value: profile.memoryBytes });
  }
}

/** One `vmm.set` of the plan; a failure (e.g. no frame for a page table) names the profile entry it served. */
function setMapping(vmm: VirtualMemoryManager<number>, mapping: PlannedMapping): void {
  const { start, end } = mapping.virtual;
  try {
    vmm.set(mapping.virtual, mapping.physical, mapping.attrs);
  } catch (error) {
    throw new ProfileError(`${mapping.source} ${hexRange(start, end)} cannot be mapped: ${reasonOf(error)}`, { path: mapping.source, value: start });
  }
}
