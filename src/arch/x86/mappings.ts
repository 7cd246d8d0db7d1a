import type { PhysicalMemory } from "../../ram.js";
import {
  ENTRIES_PER_TABLE,
  ENTRY_BYTES,
  ENTRY_FRAME_MASK,
  LARGE_PAGE_SIZE,
  LARGE_RESERVED_MASK,
  PAGE_SIZE,
  PTE_ACCESSED,
  PTE_CACHE_DISABLE,
  PTE_DIRTY,
  PTE_GLOBAL,
  PTE_PRESENT,
  PTE_USER,
  PTE_WRITABLE,
  PTE_WRITE_THROUGH,
  isLargePde,
  largeFrameAddress,
} from "./entry.js";

/** One present page of an address space, as `X86Paging.mappings` lists it. */
export interface X86Mapping {
  /** Virtual start of the page. */
  readonly virt: number;
  /** Physical start of the frame (a 4 MiB frame may lie above 4 GiB, PSE-36). */
  readonly phys: number;
  /** Page size in bytes: 4 KiB, or 4 MiB for a PS PDE. */
  readonly size: number;
  /** Accessible from user mode (U at both levels). */
  readonly user: boolean;
  /** Writable (R/W at both levels). */
  readonly writable: boolean;
  /** PWT of the page's entry: write-through caching. */
  readonly writeThrough: boolean;
  /** PCD of the page's entry: caching disabled. */
  readonly cacheDisable: boolean;
  /** G of the page's entry: kept in the TLB across CR3 loads (with CR4.PGE). */
  readonly global: boolean;
  /** Mapped by a 4 MiB PDE. */
  readonly large: boolean;
  /** The accessed bit of the page's entry. */
  readonly accessed: boolean;
  /** The dirty bit of the page's entry. */
  readonly dirty: boolean;
}

/** How the tables are read: as the MMU walks them. */
export interface WalkOptions {
  /**
   * CR4.PSE. When set, a PDE with PS maps a 4 MiB page (one whose reserved bit 21 is set maps
   * nothing: the MMU faults on it); when clear, PS is ignored and the PDE points at a page
   * table, exactly as `Mmu` walks it.
   */
  readonly pse: boolean;
}

/**
 * Every page of the page directory at `directory` in `ram` that the MMU (with the same
 * `pse`) translates, in address order: one entry per 4 KiB PTE, or per 4 MiB PS PDE.
 * Permissions combine both levels. O(entries).
 *
 * @throws {MemoryError} `OutOfBounds` when a directory or table lies outside `ram`.
 * @example
 * listMappings(ram, cr3, { pse: machine.cr4Pse }); // [{ virt: 0xc0000000, phys: 0x100000, size: 4096, … }, …]
 */
export function listMappings(ram: PhysicalMemory, directory: number, options: WalkOptions): X86Mapping[] {
  const result: X86Mapping[] = [];
  for (let pdi = 0; pdi < ENTRIES_PER_TABLE; pdi++) {
    const pde = ram.read32(directory + pdi * ENTRY_BYTES);
    if ((pde & PTE_PRESENT) === 0) {
      continue;
    }
    const slotBase = pdi * LARGE_PAGE_SIZE;
    if (options.pse && isLargePde(pde)) {
      if ((pde & LARGE_RESERVED_MASK) === 0) {
        result.push(describe(slotBase, largeFrameAddress(pde), LARGE_PAGE_SIZE, pde, pde));
      }
      continue;
    }
    const table = (pde & ENTRY_FRAME_MASK) >>> 0;
    for (let pti = 0; pti < ENTRIES_PER_TABLE; pti++) {
      const pte = ram.read32(table + pti * ENTRY_BYTES);
      if ((pte & PTE_PRESENT) !== 0) {
        result.push(describe(slotBase + pti * PAGE_SIZE, (pte & ENTRY_FRAME_MASK) >>> 0, PAGE_SIZE, pde, pte));
      }
    }
  }
  return result;
}

/**
 * The physical addresses of the page tables the directory at `directory` in `ram` points
 * at, as the MMU (with the same `pse`) walks it — with `pse`, 4 MiB PDEs point at none —
 * in directory order. O(1024).
 *
 * @throws {MemoryError} `OutOfBounds` when the directory lies outside `ram`.
 */
export function pageTables(ram: PhysicalMemory, directory: number, options: WalkOptions): number[] {
  const tables: number[] = [];
  for (let pdi = 0; pdi < ENTRIES_PER_TABLE; pdi++) {
    const pde = ram.read32(directory + pdi * ENTRY_BYTES);
    if ((pde & PTE_PRESENT) !== 0 && !(options.pse && isLargePde(pde))) {
      tables.push((pde & ENTRY_FRAME_MASK) >>> 0);
    }
  }
  return tables;
}

function describe(virt: number, phys: number, size: number, pde: number, entry: number): X86Mapping {
  return {
    virt,
    phys,
    size,
    user: (pde & entry & PTE_USER) !== 0,
    writable: (pde & entry & PTE_WRITABLE) !== 0,
    writeThrough: (entry & PTE_WRITE_THROUGH) !== 0,
    cacheDisable: (entry & PTE_CACHE_DISABLE) !== 0,
    global: (entry & PTE_GLOBAL) !== 0,
    large: size === LARGE_PAGE_SIZE,
    accessed: (entry & PTE_ACCESSED) !== 0,
    dirty: (entry & PTE_DIRTY) !== 0,
  };
}
