import type { Address, Attributes } from "../types.js";
import { type Geometry, PAGE_BYTES } from "./geometry.js";

/**
 * What a mode's walk rules answer for an entry (see {@link PagingRules.classify}): the
 * entry points at the next table, or maps a page; any other value is a fault reason from
 * `REASON` (always > 0).
 */
export const ENTRY_TABLE = -1;
/** See {@link ENTRY_TABLE}. */
export const ENTRY_LEAF = -2;

/** Tabulates `rules.allowedKinds` over every rights value `r ≤ mask` (for {@link PagingRules.kindsByRights}). */
export function tabulateKinds(allowedKinds: (rights: number) => number, mask: number): Uint8Array {
  return Uint8Array.from({ length: mask + 1 }, (_, rights) => ((rights & mask) === rights ? allowedKinds(rights) : 0));
}

/** Rights flag the rules may keep beside their own bits: the translation is global. */
export const RIGHTS_GLOBAL = 1 << 30;

/**
 * A mode's permission rules, as the walk engine consults them. Entries arrive as two
 * 32-bit halves (`hi` is 0 for 4-byte entries). "Rights" is a small integer the rules
 * define: folded over the path (`combineTable`, `combineLeaf`), then turned into the set of
 * access kinds the translation allows (`allowedKinds`). Implementations hold the control
 * bits they depend on (CR0.WP, EFER.NXE, SUM, MXR…), fixed for the rules' lifetime.
 */
export interface PagingRules {
  /** The mode's table geometry. */
  readonly geometry: Geometry;
  /** The accessed bit, in an entry's low word. */
  readonly accessedBit: number;
  /** The dirty bit, in an entry's low word. */
  readonly dirtyBit: number;
  /**
   * Levels (bit `l`) whose table entries get A as the walk follows them: every level on x86
   * but a PAE PDPTE (whose bits 5–8 are reserved; QEMU's `mmu_translate` leaves it alone),
   * none on RISC-V (A only in the leaf).
   */
  readonly markedTableLevels: number;
  /**
   * Levels (bit `l`) whose entry gets A before the engine knows whether it is a leaf — QEMU
   * sets A in a long-mode PDPTE before testing PS (excp_helper.c `mmu_translate`,
   * `restart_3_lma`), so a faulting 1 GiB page still has A set.
   */
  readonly earlyAccessedLevels: number;
  /** Hardware sets A/D on a leaf (x86; RISC-V Svadu); else a clear A (D on a store) faults. */
  readonly hardwareAccessedDirty: boolean;
  /** The rights before the first entry. */
  readonly initialRights: number;
  /** {@link ENTRY_TABLE}, {@link ENTRY_LEAF}, or the fault reason for a present-check or reserved-bit failure. */
  classify(lo: number, hi: number, level: number): number;
  /** 0, or the fault reason of a leaf's own checks (alignment bits, reserved encodings). */
  checkLeaf(lo: number, hi: number, level: number): number;
  /**
   * Where a table entry's address field is, as data so the walk decodes it inline: the
   * next table is at `((lo >>> addressShift) & addressLoMask) * 4096 + (hi & addressHiMask) * addressHiWeight`
   * (x86: 12, 0xFFFFF, 0xFFFFF, 2^32; RISC-V: 10, 0x3FFFFF, 0x3FFFFF or 0, 2^34).
   */
  readonly addressShift: number;
  /** See {@link addressShift}. */
  readonly addressLoMask: number;
  /** See {@link addressShift}. */
  readonly addressHiMask: number;
  /** See {@link addressShift}. */
  readonly addressHiWeight: number;
  /**
   * How table entries fold into the rights, as data: per level, the low-word bits that AND
   * (x86 R/W and U/S; none in a PAE PDPTE or on RISC-V); the high-word bit that sets rights
   * bit 0 (x86 XD); the low-word bit that makes everything below global (RISC-V G).
   */
  readonly tableAndBits: Int32Array;
  /** See {@link tableAndBits}. */
  readonly tableOrHiBit: number;
  /** See {@link tableAndBits}. */
  readonly tableGlobalBit: number;
  /** The physical address of the page a leaf at `level` maps (aligned to the level's span). */
  pageAddress(lo: number, hi: number, level: number): number;
  /** Rights after the leaf `lo, hi` at `level` (may add {@link RIGHTS_GLOBAL}). */
  combineLeaf(rights: number, lo: number, hi: number, level: number): number;
  /** The access kinds (bit per kind) these final rights allow, A/D aside. */
  allowedKinds(rights: number): number;
  /** The rights bits `allowedKinds` depends on (the global bit excluded). */
  readonly rightsMask: number;
  /** `allowedKinds` tabulated: entry `r` for every `r` ≤ {@link rightsMask}, so the walk makes no call. */
  readonly kindsByRights: Uint8Array;
  /** The reason an access of `kind` is refused with these rights. */
  denyReason(rights: number, kind: number): number;
  /** The architectural fault code for `reason` on an access of `kind` (x86 error code, RISC-V cause). */
  faultCode(reason: number, kind: number): number;
}

/** A decoded leaf, for mapping listings. */
export interface LeafAttributes {
  /** Accessible from user mode (x86: U/S at every level; RISC-V: U). */
  readonly user: boolean;
  /** Writable (x86: R/W at every level; RISC-V: W). */
  readonly writable: boolean;
  /** Executable (x86: XD clear at every level; RISC-V: X). */
  readonly executable: boolean;
  /** Global (x86: G in the leaf; RISC-V: G anywhere on the path). */
  readonly global: boolean;
  /** Cachable (x86: PCD clear; always true on RISC-V, which has no such bit). */
  readonly cachable: boolean;
  /** The leaf's accessed bit. */
  readonly accessed: boolean;
  /** The leaf's dirty bit. */
  readonly dirty: boolean;
}

/** Two 32-bit halves of an entry (`hi` is 0 for 4-byte entries). */
export interface EntryWords {
  /** Entry bits 0–31, unsigned. */
  readonly lo: number;
  /** Entry bits 32–63, unsigned (0 for 4-byte entries). */
  readonly hi: number;
}

/**
 * How a mapper writes and reads one mode's entries: the codec half of a mode description.
 * Physical page numbers (`ppn`, address / 4096) are numbers (exact below 2^53 pages).
 */
export interface EntryCodec<A extends Address = Address> {
  /** The mode's table geometry. */
  readonly geometry: Geometry;
  /** The address type of the mode's mapper: `bigint` for 64-bit modes (phantom, for type inference). */
  readonly addressType: A extends bigint ? "bigint" : "number";
  /** The exclusive upper bound of physical addresses the entries can hold (≤ 2^53). */
  readonly physicalLimit: number;
  /** Whether the entry is present (x86 P, RISC-V V). */
  isPresent(lo: number, hi: number): boolean;
  /** Whether a present entry at `level` maps a page (else it points at a table). */
  isLeaf(lo: number, hi: number, level: number): boolean;
  /** The physical page number an entry points at (a table, or a leaf's first page). */
  pageNumber(lo: number, hi: number, level: number): number;
  /** The entry pointing at the table at physical page `ppn` from `level`. */
  encodeTable(ppn: number, level: number): EntryWords;
  /** The leaf at `level` mapping physical page `ppn` with `attrs`. */
  encodeLeaf(ppn: number, level: number, attrs: Attributes): EntryWords;
  /** The leaf at `level - 1` equivalent to child `index` of the leaf `lo, hi` at `level` (splitting a large page). */
  splitLeaf(lo: number, hi: number, level: number, index: number): EntryWords;
  /** A leaf's attributes, combined with the table entries on its path (root first). */
  leafAttributes(lo: number, hi: number, level: number, path: readonly EntryWords[]): LeafAttributes;
  /** Why `attrs` cannot be encoded (e.g. `executable: false` without NX), or null. */
  unsupported(attrs: Attributes): string | null;
}

/** The physical address of the table the table entry `lo, hi` points at (see {@link PagingRules.addressShift}). */
export function tableAddressOf(rules: PagingRules, lo: number, hi: number): number {
  return ((lo >>> rules.addressShift) & rules.addressLoMask) * PAGE_BYTES + (hi & rules.addressHiMask) * rules.addressHiWeight;
}

/** The rights after following the table entry `lo, hi` at `level` (see {@link PagingRules.tableAndBits}). */
export function foldTableRights(rules: PagingRules, rights: number, lo: number, hi: number, level: number): number {
  return (rights & (lo | ~(rules.tableAndBits[level] as number))) | ((hi & rules.tableOrHiBit) !== 0 ? 1 : 0) | ((lo & rules.tableGlobalBit) !== 0 ? RIGHTS_GLOBAL : 0);
}
