import type { PhysicalMemory } from "../../ram.js";
import {
  ENTRIES_PER_TABLE,
  ENTRY_BYTES,
  ENTRY_FRAME_MASK,
  LARGE_FRAME_MASK,
  LARGE_PAGE_SIZE,
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
} from "./entry.js";

/** One present page of an address space, as `X86Paging.mappings` lists it. */
export interface X86Mapping {
  /** Virtual start of the page. */
  readonly virt: number;
  /** Physical start of the frame. */
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

/**
 * Every present page of the page directory at `directory` in `ram`, in address order: one
 * entry per 4 KiB PTE, or per 4 MiB PS PDE. Permissions combine both levels. O(entries).
 *
 * @throws {MemoryError} `OutOfBounds` when a directory or table lies outside `ram`.
 */
export function listMappings(ram: PhysicalMemory, directory: number): X86Mapping[] {
  const result: X86Mapping[] = [];
  for (let pdi = 0; pdi < ENTRIES_PER_TABLE; pdi++) {
    const pde = ram.read32(directory + pdi * ENTRY_BYTES);
    if ((pde & PTE_PRESENT) === 0) {
      continue;
    }
    const slotBase = pdi * LARGE_PAGE_SIZE;
    if (isLargePde(pde)) {
      result.push(describe(slotBase, (pde & LARGE_FRAME_MASK) >>> 0, LARGE_PAGE_SIZE, pde, pde));
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
 * at (4 MiB PDEs excluded), in directory order. O(1024).
 *
 * @throws {MemoryError} `OutOfBounds` when the directory lies outside `ram`.
 */
export function pageTables(ram: PhysicalMemory, directory: number): number[] {
  const tables: number[] = [];
  for (let pdi = 0; pdi < ENTRIES_PER_TABLE; pdi++) {
    const pde = ram.read32(directory + pdi * ENTRY_BYTES);
    if ((pde & PTE_PRESENT) !== 0 && !isLargePde(pde)) {
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
