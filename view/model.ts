import type { Attributes } from "../src/types.js";
import type { X86Mapping } from "../src/arch/x86/mappings.js";
import type { ProcessTable } from "./processes.js";

/**
 * One row of the region table, as `kmem boot --json` lists it: a boot region or a user's
 * allocation. One VMM allocation may hold several boot regions (kernel image + early area).
 */
export interface RegionRow {
  readonly virtStart: number;
  readonly virtEnd: number;
  /** The start of the VMM allocation holding the row: what `free` takes. */
  readonly allocationStart: number;
  /** Physical start of a contiguous backing, or `null` when unmapped or scattered. */
  readonly physStart: number | null;
  /** The physical blocks behind the region, in virtual order (empty when reserved only). */
  readonly physBlocks: readonly number[];
  readonly kernel: boolean;
  readonly writable: boolean;
  readonly cachable: boolean;
  readonly label: string;
}

/** One present translation read back from the page tables (4 KiB page or 4 MiB large page). */
export type PageMapping = Omit<X86Mapping, "accessed" | "dirty">;

/** What a physical block holds, as the PMM and the profile say (the map paints mapped blocks by region). */
export enum PhysCategory {
  Free = 0,
  Firmware = 1,
  Kernel = 2,
  Module = 3,
  PageTable = 4,
  Allocated = 5,
}

/** The PMM's blocks, one category byte each. */
export interface PhysicalSnapshot {
  readonly blockSize: number;
  readonly categories: Uint8Array;
}

/** One decoded bit field of a page-table entry or of a fault error code. */
export interface BitField {
  /** Bit position or range, e.g. `"0"` or `"12–31"`. */
  readonly bits: string;
  /** The SDM's short name, e.g. `"P"`, `"R/W"`. */
  readonly name: string;
  /** The field's raw value (0/1, or the frame address). */
  readonly value: number;
  /** What the value means here, e.g. `"present"`, `"read-only"`. */
  readonly meaning: string;
}

/** The name of an entry's address field among its {@link BitField}s (its value is shown in hex). */
export const ADDRESS_FIELD = "address";

/** One level of a page walk: the entry read, where from, and its fields decoded. */
export interface WalkLevel {
  /** `"PDE"` or `"PTE"`. */
  readonly name: string;
  readonly index: number;
  /** Physical address the entry was read from. */
  readonly address: number;
  readonly value: number;
  readonly fields: readonly BitField[];
}

/** The kind of access a walk simulates. */
export interface AccessKind {
  readonly write: boolean;
  readonly user: boolean;
  readonly fetch: boolean;
}

/** The MMU's explanation of one translation, normalised for display. */
export interface WalkView {
  readonly vaddr: number;
  readonly access: AccessKind;
  readonly cr3: number;
  readonly directoryIndex: number;
  readonly tableIndex: number;
  /** Offset inside the page (12 bits, or 22 for a 4 MiB page). */
  readonly offset: number;
  readonly tlbHit: boolean;
  /** The TLB answered with a translation the tables in RAM no longer hold (unmapped without invlpg). */
  readonly staleTlb: boolean;
  /** The PDE maps a 4 MiB page: no table index, and the offset has 22 bits. */
  readonly large: boolean;
  /** The entries read (none on a TLB hit, one for a large page or a non-present PDE). */
  readonly levels: readonly WalkLevel[];
  /** The physical address, or `null` on a fault. */
  readonly physical: number | null;
  /** The page fault, or `null` on success. */
  readonly fault: { readonly address: number; readonly errorCode: number; readonly bits: readonly BitField[]; readonly message: string } | null;
}

/** The two files `kmem export` writes. */
export interface ExportFiles {
  readonly machineJson: string;
  readonly ram: Uint8Array;
}

/**
 * What the page needs from a booted kmem machine. The implementation calls real kmem code;
 * every mutating call is all-or-nothing and throws kmem's typed errors.
 */
export interface ViewMachine {
  readonly memoryBytes: number;
  /** Bytes per block (the PMM's and the VMM's). */
  readonly blockSize: number;
  readonly cr3: number;
  /** What boot and its self-check reported, for the log. */
  readonly bootReport: string;
  /** The VMM's allocations in address order, labelled. */
  regions(): RegionRow[];
  /** Every present page of the kernel page directory, in address order. */
  mappings(): PageMapping[];
  /** The PMM's blocks, categorised. */
  physical(): PhysicalSnapshot;
  /** The virtual address of the kernel image's first byte (the walk the page opens with). */
  readonly kernelStart: number;
  /** Explains the MMU's translation of `vaddr` (fills the TLB and sets A/D bits as the CPU does). */
  walk(vaddr: number, access: AccessKind): WalkView;
  /**
   * The same explanation, by a TLB-less MMU on the same tables, with the entries' accessed and
   * dirty bits put back: shows a walk without changing the machine (for a walk the URL asks for).
   */
  previewWalk(vaddr: number, access: AccessKind): WalkView;
  /** Allocates `blocks` virtual blocks (at `at` when given); the start address, or `null` when no room. */
  alloc(blocks: number, attrs: Attributes, options: { readonly at?: number; readonly label: string }): number | null;
  /** Frees the allocation starting at `vaddr`. */
  free(vaddr: number): void;
  /** Reserves `[virtStart, virtEnd)`, mapped to `physStart…` when given. */
  set(range: { readonly virtStart: number; readonly virtEnd: number; readonly physStart: number | null }, attrs: Attributes, label: string): void;
  /** Flushes the whole TLB (as reloading CR3 does). */
  flushTlb(): void;
  /** Invalidates the TLB entry of `vaddr`. */
  invlpg(vaddr: number): void;
  /** The files `kmem export` would write for the current state. */
  exportFiles(): ExportFiles;
  /** The machine's processes (sharing the kernel half as booted), or why it cannot have any. */
  readonly processes: ProcessTable<number> | { readonly unavailable: string };
}
