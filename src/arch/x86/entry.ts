import type { Attributes } from "../../types.js";

/**
 * The 32-bit x86 paging-structure entry layout (Intel SDM vol. 3, §4.3), one place.
 *
 * A page-directory entry (PDE) and a page-table entry (PTE) are both 4 bytes:
 *
 * | bit(s) | PTE                  | PDE → page table | PDE with PS (4 MiB page) |
 * | ------ | -------------------- | ---------------- | ------------------------ |
 * | 0      | P present            | P                | P                        |
 * | 1      | R/W writable         | R/W              | R/W                      |
 * | 2      | U/S user             | U/S              | U/S                      |
 * | 3      | PWT write-through    | PWT              | PWT                      |
 * | 4      | PCD cache-disable    | PCD              | PCD                      |
 * | 5      | A accessed           | A                | A                        |
 * | 6      | D dirty              | ignored (0)      | D                        |
 * | 7      | PAT                  | PS = 0           | PS = 1                   |
 * | 8      | G global             | ignored          | G                        |
 * | 9–11   | available to the OS  | available        | available                |
 * | 12     | frame address        | table address    | PAT                      |
 * | 13–20  | frame address        | table address    | frame bits 32–39 (PSE-36)|
 * | 21     | frame address        | table address    | reserved (must be 0)     |
 * | 22–31  | frame address        | table address    | frame bits 22–31         |
 *
 * Bits 0–5 mean the same at both levels, so they are named once (`PTE_*`).
 *
 * A 4 MiB PDE's bits 13–20 are bits 32–39 of its frame's physical address (PSE-36), so a
 * 4 MiB page can lie above 4 GiB; bit 21 is reserved. The SDM (vol. 3 §4.3, Table 4-4) makes
 * bits 21:(M−19) reserved, where M = min(MAXPHYADDR, 40) with PSE-36 and 32 without it; QEMU's
 * 32-bit walk reserves bit 21 only, whatever MAXPHYADDR its CPU reports (v7.2
 * target/i386/tcg/sysemu/excp_helper.c at qemu commit 8218c048, `mmu_translate`, the
 * `restart_2_nopae` block: `rsvd_mask = 0x200000` overrides the MAXPHYADDR mask computed at
 * `restart_all`), which is the SDM's rule for M = 40. kmem does the same. (qemu-system-i386
 * 7.2's `-cpu qemu32` reports no PSE-36, so its phys_bits is 32, and the check in
 * `kmem verify-qemu` shows bits 13–20 are address bits all the same.)
 */

/** Bytes in one PDE or PTE. */
export const ENTRY_BYTES = 4;
/** Entries in a page directory or a page table. */
export const ENTRIES_PER_TABLE = 1024;
/** Bytes in a page directory or page table (one 4 KiB frame). */
export const TABLE_BYTES = ENTRY_BYTES * ENTRIES_PER_TABLE;
/** Bytes in a small page. */
export const PAGE_SIZE = 4096;
/** Bytes in a large (PSE) page: 4 MiB, what one PDE covers. */
export const LARGE_PAGE_SIZE = PAGE_SIZE * ENTRIES_PER_TABLE;
/** The exclusive upper bound of 32-bit virtual and physical addresses. */
export const ADDRESS_LIMIT = 2 ** 32;

/** Bit 0, P: the entry is present (maps something). */
export const PTE_PRESENT = 1 << 0;
/** Bit 1, R/W: writes allowed (for supervisor writes only when CR0.WP = 1). */
export const PTE_WRITABLE = 1 << 1;
/** Bit 2, U/S: user-mode accesses allowed. */
export const PTE_USER = 1 << 2;
/** Bit 3, PWT: write-through caching. */
export const PTE_WRITE_THROUGH = 1 << 3;
/** Bit 4, PCD: caching disabled. */
export const PTE_CACHE_DISABLE = 1 << 4;
/** Bit 5, A: set by the MMU when the entry is used for a translation. */
export const PTE_ACCESSED = 1 << 5;
/** Bit 6, D: set by the MMU on a write through a PTE or a 4 MiB PDE. */
export const PTE_DIRTY = 1 << 6;
/** Bit 7 of a PTE, PAT: page-attribute-table index bit (kmem never sets it). */
export const PTE_PAT = 1 << 7;
/** Bit 8 of a PTE or 4 MiB PDE, G: global, kept across CR3 loads when CR4.PGE = 1. */
export const PTE_GLOBAL = 1 << 8;
/** Bit 7 of a PDE, PS: the PDE maps a 4 MiB page (honoured when CR4.PSE = 1). */
export const PDE_PAGE_SIZE = 1 << 7;
/** Bit 12 of a 4 MiB PDE, PAT: its page-attribute-table bit (bit 7 in a PTE; kmem never sets it). */
export const PDE_LARGE_PAT = 1 << 12;
/** Bits 9–11: available to the operating system, ignored by the MMU. */
export const ENTRY_AVAILABLE_MASK = 0b111 << 9;
/** Shift of the available bits. */
export const ENTRY_AVAILABLE_SHIFT = 9;

/** Bits 12–31: the physical address of a 4 KiB frame or page table. */
export const ENTRY_FRAME_MASK = 0xfffff000;
/** Shift of the frame number in an entry (and of the page number in an address). */
export const ENTRY_FRAME_SHIFT = 12;
/** Bits 22–31 of a 4 MiB PDE: bits 22–31 of the physical address of the 4 MiB frame. */
export const LARGE_FRAME_MASK = 0xffc00000;
/** Bits 13–20 of a 4 MiB PDE (PSE-36): bits 32–39 of the physical address of the 4 MiB frame. */
export const LARGE_HIGH_FRAME_MASK = 0xff << 13;
/** Shift of the PSE-36 field in a 4 MiB PDE. */
export const LARGE_HIGH_FRAME_SHIFT = 13;
/** Bit 21 of a 4 MiB PDE: reserved; a walk through a PDE with it set faults with RSVD (see the table above). */
export const LARGE_RESERVED_MASK = 1 << 21;
/** The exclusive upper bound of physical addresses a 4 MiB PDE can name (2^40, PSE-36). */
export const LARGE_PHYSICAL_LIMIT = 2 ** 40;
/** Bits 0–11 of a virtual address: the offset inside a 4 KiB page. */
export const PAGE_OFFSET_MASK = PAGE_SIZE - 1;
/** Bits 0–21 of a virtual address: the offset inside a 4 MiB page. */
export const LARGE_PAGE_OFFSET_MASK = LARGE_PAGE_SIZE - 1;
/** Shift of the page-directory index in a virtual address (bits 22–31). */
export const PD_INDEX_SHIFT = 22;
/** Shift of the page-table index in a virtual address (bits 12–21). */
export const PT_INDEX_SHIFT = 12;
/** Mask of a 10-bit directory or table index after shifting. */
export const INDEX_MASK = ENTRIES_PER_TABLE - 1;

/** The permission and caching bits an {@link Attributes} value turns into. */
export const ATTRIBUTE_BITS_MASK = PTE_WRITABLE | PTE_USER | PTE_CACHE_DISABLE;

/**
 * The PDE value kmem writes for a directory slot pointing at a page table: present,
 * writable and user — deliberately permissive, so that the PTE alone decides. The CPU
 * combines both levels (a user access needs U at both, a user write W at both), so the
 * effective permission of every page equals its PTE's bits; a table may then hold kernel
 * and user pages side by side. PWT/PCD of this PDE only govern caching of the table itself
 * and stay clear.
 */
export const TABLE_PDE_FLAGS = PTE_PRESENT | PTE_WRITABLE | PTE_USER;

/** Which level an entry belongs to: bits 6–8 mean different things at each. */
export type EntryLevel = "pde" | "pte";

/** Every field of an entry, decoded into named flags. */
export interface DecodedEntry {
  /** P: the entry maps something. */
  readonly present: boolean;
  /** R/W: writes allowed. */
  readonly writable: boolean;
  /** U/S: user mode allowed. */
  readonly user: boolean;
  /** PWT: write-through caching. */
  readonly writeThrough: boolean;
  /** PCD: caching disabled. */
  readonly cacheDisable: boolean;
  /** A: set by the CPU when the entry is used. */
  readonly accessed: boolean;
  /** D; always false for a PDE pointing at a table (the bit is ignored there). */
  readonly dirty: boolean;
  /** PS; only a PDE can have it. */
  readonly pageSize: boolean;
  /** PAT bit 7; only a PTE can have it. */
  readonly pat: boolean;
  /** G; for a PTE or a 4 MiB PDE. */
  readonly global: boolean;
  /** Bits 9–11 as a number 0–7. */
  readonly available: number;
  /** The physical address the entry points at (frame, table, or 4 MiB frame, which may lie above 4 GiB). */
  readonly address: number;
}

/** The page-directory index (bits 22–31) of a 32-bit virtual address. */
export function pdIndex(vaddr: number): number {
  return (vaddr >>> PD_INDEX_SHIFT) & INDEX_MASK;
}

/** The page-table index (bits 12–21) of a 32-bit virtual address. */
export function ptIndex(vaddr: number): number {
  return (vaddr >>> PT_INDEX_SHIFT) & INDEX_MASK;
}

/**
 * The entry bits for `attrs`: `writable` → R/W, not `kernel` → U/S, not `cachable` → PCD.
 *
 * @example
 * attributeBits({ kernel: false, writable: true, cachable: true }); // PTE_WRITABLE | PTE_USER
 */
export function attributeBits(attrs: Attributes): number {
  return (attrs.writable ? PTE_WRITABLE : 0) | (attrs.kernel ? 0 : PTE_USER) | (attrs.cachable ? 0 : PTE_CACHE_DISABLE);
}

/**
 * The PTE mapping the 4 KiB frame at `physical` with `attrs` (present; A and D clear).
 *
 * @example
 * encodePte(0x00400000, { kernel: true, writable: true, cachable: true }); // 0x00400003
 */
export function encodePte(physical: number, attrs: Attributes): number {
  return ((physical & ENTRY_FRAME_MASK) | PTE_PRESENT | attributeBits(attrs)) >>> 0;
}

/**
 * The PDE mapping the 4 MiB frame at `physical` (below 2^40; bits 32–39 go to the PSE-36
 * field) with `attrs` (present, PS; A and D clear).
 *
 * @example
 * encodeLargePde(0x1_0040_0000, { kernel: true, writable: true, cachable: true }); // 0x00402083
 */
export function encodeLargePde(physical: number, attrs: Attributes): number {
  const high = Math.floor(physical / ADDRESS_LIMIT) << LARGE_HIGH_FRAME_SHIFT;
  return ((physical & LARGE_FRAME_MASK) | (high & LARGE_HIGH_FRAME_MASK) | PTE_PRESENT | PDE_PAGE_SIZE | attributeBits(attrs)) >>> 0;
}

/**
 * The physical address of the 4 MiB frame a PS PDE `value` maps: bits 22–31 from the PDE's
 * bits 22–31 and bits 32–39 from its bits 13–20 (PSE-36). Exact (below 2^40).
 *
 * @example
 * largeFrameAddress(0x00402083); // 0x1_0040_0000
 */
export function largeFrameAddress(value: number): number {
  return ((value & LARGE_FRAME_MASK) >>> 0) + ((value & LARGE_HIGH_FRAME_MASK) >>> LARGE_HIGH_FRAME_SHIFT) * ADDRESS_LIMIT;
}

/** The PDE pointing at the page table at `table` (see {@link TABLE_PDE_FLAGS}). */
export function encodeTablePde(table: number): number {
  return ((table & ENTRY_FRAME_MASK) | TABLE_PDE_FLAGS) >>> 0;
}

/** Whether the PDE `value` maps a 4 MiB page (present with PS). */
export function isLargePde(value: number): boolean {
  return (value & (PTE_PRESENT | PDE_PAGE_SIZE)) === (PTE_PRESENT | PDE_PAGE_SIZE);
}

/**
 * Decodes an entry `value` of `level` into named flags.
 *
 * @example
 * decodeEntry(0x00400063, "pte").dirty; // true
 */
export function decodeEntry(value: number, level: EntryLevel = "pte"): DecodedEntry {
  const pageSize = level === "pde" && (value & PDE_PAGE_SIZE) !== 0;
  const mapsPage = level === "pte" || pageSize;
  return {
    present: (value & PTE_PRESENT) !== 0,
    writable: (value & PTE_WRITABLE) !== 0,
    user: (value & PTE_USER) !== 0,
    writeThrough: (value & PTE_WRITE_THROUGH) !== 0,
    cacheDisable: (value & PTE_CACHE_DISABLE) !== 0,
    accessed: (value & PTE_ACCESSED) !== 0,
    dirty: mapsPage && (value & PTE_DIRTY) !== 0,
    pageSize,
    pat: level === "pte" && (value & PTE_PAT) !== 0,
    global: mapsPage && (value & PTE_GLOBAL) !== 0,
    available: (value & ENTRY_AVAILABLE_MASK) >>> ENTRY_AVAILABLE_SHIFT,
    address: pageSize ? largeFrameAddress(value) : (value & ENTRY_FRAME_MASK) >>> 0,
  };
}

/**
 * A compact flag string for an entry, one letter per set bit in SDM order
 * (`P W U T C A D` then `S` (PDE page size) or `p` (PTE PAT), then `G`; `-` when clear),
 * for the CLI and the view.
 *
 * @example
 * formatEntryFlags(0x00400067, "pte"); // "PWU--AD--"
 */
export function formatEntryFlags(value: number, level: EntryLevel = "pte"): string {
  const e = decodeEntry(value, level);
  const flags: readonly [boolean, string][] = [
    [e.present, "P"],
    [e.writable, "W"],
    [e.user, "U"],
    [e.writeThrough, "T"],
    [e.cacheDisable, "C"],
    [e.accessed, "A"],
    [e.dirty, "D"],
    [e.pageSize || e.pat, level === "pde" ? "S" : "p"],
    [e.global, "G"],
  ];
  return flags.map(([on, letter]) => (on ? letter : "-")).join("");
}
