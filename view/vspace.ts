import { ENTRIES_PER_TABLE, LARGE_PAGE_SIZE, PAGE_SIZE } from "../src/arch/x86/entry.js";
import type { PageMapping, RegionRow } from "./model.js";

/** Bytes of one virtual page (an x86 4 KiB page). */
export const PAGE_BYTES = PAGE_SIZE;
/** Bytes covered by one overview cell: one page-directory entry, 4 MiB. */
export const CELL_BYTES = LARGE_PAGE_SIZE;
/** Cells in the 4 GiB overview (one per page-directory entry). */
export const CELL_COUNT = ENTRIES_PER_TABLE;
/** Pages inside one cell (one per page-table entry). */
export const PAGES_PER_CELL = CELL_BYTES / PAGE_BYTES;

/** What one 4 MiB cell of the virtual address space holds. */
export interface CellSummary {
  readonly index: number;
  readonly start: number;
  readonly end: number;
  /** The region covering most of the cell, or `null`. */
  region: RegionRow | null;
  /** Distinct regions touching the cell. */
  regionCount: number;
  /** Pages reserved in the VMM (mapped or not). */
  reservedPages: number;
  /** Pages present in the page tables. */
  mappedPages: number;
  userPages: number;
  writablePages: number;
  cacheDisablePages: number;
  /** The lowest present page's physical address, or `null`. */
  firstPhys: number | null;
}

/** What one 4 KiB page of a zoomed cell holds. */
export interface PageSummary {
  readonly virt: number;
  region: RegionRow | null;
  /** The present translation covering the page, or `null`. */
  mapping: PageMapping | null;
  /** The page's physical address, or `null` when not present. */
  phys: number | null;
}

/**
 * Summarises the 4 GiB space as 1024 cells from the VMM's regions and the page tables'
 * mappings: O(regions × cells they span + mappings), never one call per block.
 */
export function summariseCells(regions: readonly RegionRow[], mappings: readonly PageMapping[]): CellSummary[] {
  const cells: CellSummary[] = [];
  const bestOverlap = new Float64Array(CELL_COUNT);
  for (let index = 0; index < CELL_COUNT; index += 1) {
    const start = index * CELL_BYTES;
    cells.push({
      index, start, end: start + CELL_BYTES, region: null, regionCount: 0, reservedPages: 0,
      mappedPages: 0, userPages: 0, writablePages: 0, cacheDisablePages: 0, firstPhys: null,
    });
  }
  for (const region of regions) {
    const first = Math.floor(region.virtStart / CELL_BYTES);
    const last = Math.min(CELL_COUNT - 1, Math.floor((region.virtEnd - 1) / CELL_BYTES));
    for (let index = first; index <= last; index += 1) {
      const cell = cells[index];
      if (cell === undefined) {
        continue;
      }
      const overlap = Math.min(region.virtEnd, cell.end) - Math.max(region.virtStart, cell.start);
      cell.regionCount += 1;
      cell.reservedPages += overlap / PAGE_BYTES;
      if (overlap > (bestOverlap[index] ?? 0)) {
        bestOverlap[index] = overlap;
        cell.region = region;
      }
    }
  }
  for (const mapping of mappings) {
    const first = Math.floor(mapping.virt / CELL_BYTES);
    const last = Math.floor((mapping.virt + mapping.size - 1) / CELL_BYTES);
    for (let index = first; index <= last; index += 1) {
      const cell = cells[index];
      if (cell === undefined) {
        continue;
      }
      const pages = (Math.min(mapping.virt + mapping.size, cell.end) - Math.max(mapping.virt, cell.start)) / PAGE_BYTES;
      cell.mappedPages += pages;
      cell.userPages += mapping.user ? pages : 0;
      cell.writablePages += mapping.writable ? pages : 0;
      cell.cacheDisablePages += mapping.cacheDisable ? pages : 0;
      if (cell.firstPhys === null) {
        cell.firstPhys = mapping.phys + Math.max(0, cell.start - mapping.virt);
      }
    }
  }
  return cells;
}

/** Index of the first mapping that ends after `address` (mappings sorted by `virt`). */
function firstMappingAfter(mappings: readonly PageMapping[], address: number): number {
  let low = 0;
  let high = mappings.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    const mapping = mappings[mid];
    if (mapping !== undefined && mapping.virt + mapping.size <= address) {
      low = mid + 1;
    } else {
      high = mid;
    }
  }
  return low;
}

/** Summarises the 1024 pages of cell `cellIndex` (O(regions + log mappings + pages)). */
export function summarisePages(
  cellIndex: number,
  regions: readonly RegionRow[],
  mappings: readonly PageMapping[],
): PageSummary[] {
  const cellStart = cellIndex * CELL_BYTES;
  const cellEnd = cellStart + CELL_BYTES;
  const pages: PageSummary[] = [];
  for (let page = 0; page < PAGES_PER_CELL; page += 1) {
    pages.push({ virt: cellStart + page * PAGE_BYTES, region: null, mapping: null, phys: null });
  }
  for (const region of regions) {
    if (region.virtEnd <= cellStart || region.virtStart >= cellEnd) {
      continue;
    }
    const from = (Math.max(region.virtStart, cellStart) - cellStart) / PAGE_BYTES;
    const to = (Math.min(region.virtEnd, cellEnd) - cellStart) / PAGE_BYTES;
    for (let page = from; page < to; page += 1) {
      const summary = pages[page];
      if (summary !== undefined) {
        summary.region = region;
      }
    }
  }
  for (let at = firstMappingAfter(mappings, cellStart); at < mappings.length; at += 1) {
    const mapping = mappings[at];
    if (mapping === undefined || mapping.virt >= cellEnd) {
      break;
    }
    const from = Math.max(mapping.virt, cellStart);
    const to = Math.min(mapping.virt + mapping.size, cellEnd);
    for (let virt = from; virt < to; virt += PAGE_BYTES) {
      const summary = pages[(virt - cellStart) / PAGE_BYTES];
      if (summary !== undefined) {
        summary.mapping = mapping;
        summary.phys = mapping.phys + (virt - mapping.virt);
      }
    }
  }
  return pages;
}
