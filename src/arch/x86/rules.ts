import { KIND_FETCH, KIND_USER, KIND_WRITE, REASON, isUserKind, kindOperation } from "../../paging/access.js";
import { GEOMETRIES, type Geometry } from "../../paging/geometry.js";
import { ENTRY_LEAF, ENTRY_TABLE, type PagingRules, RIGHTS_GLOBAL, tabulateKinds } from "../../paging/mode.js";
import { TWO_32 } from "../../paging/address.js";
import { ENTRY_FRAME_SHIFT, PDE_PAGE_SIZE, PTE_ACCESSED, PTE_DIRTY, PTE_GLOBAL, PTE_PRESENT, PTE_USER, PTE_WRITABLE } from "./entry.js";
import {
  HI_ADDRESS_MASK,
  HI_IGNORED_MASK,
  HI_NX,
  LO_ADDRESS_MASK,
  LO_RESERVED_1G,
  LO_RESERVED_2M,
  PF_RESERVED,
  PSE36_HIGH_MASK,
  PSE36_HIGH_SHIFT,
  PSE36_RESERVED,
  X86_GP_FAULT,
} from "./entry64.js";
import { PF_FETCH, PF_PRESENT, PF_USER, PF_WRITE } from "./page-fault.js";

/** The x86 paging modes. */
export type X86ModeName = "x86" | "x86-pae" | "x86-64" | "x86-64-la57";

/** The control bits x86 walk rules depend on. */
export interface X86RuleOptions {
  /** Which x86 mode. */
  readonly mode: X86ModeName;
  /** CR0.WP. */
  readonly wp: boolean;
  /** EFER.NXE (the XD bit is honoured; else it is a reserved bit). */
  readonly nxe: boolean;
  /** CR4.PGE (G makes a translation global). */
  readonly pge: boolean;
  /** CR4.PSE (32-bit paging only: PS in a PDE maps 4 MiB). */
  readonly pse: boolean;
  /** MAXPHYADDR, 32–52: address bits above it are reserved in 64-bit entries. */
  readonly physicalBits: number;
}

/** Rights bit 0 (beside R/W = 2 and U/S = 4 in their entry positions): some level had XD set. */
const RIGHT_NX = 1;
const RW_US = PTE_WRITABLE | PTE_USER;
const PAE_PDPT_LEVEL = 2;
const LONG_MODE_PS_RESERVED_LEVEL = 3;

/**
 * x86 walk rules for all four modes, following QEMU's `mmu_translate`
 * (target/i386/tcg/system/excp_helper.c) and Intel SDM vol. 3 §4.3–4.7:
 *
 * - Rights fold over the path: R/W and U/S are ANDed over every level, XD is ORed (a PAE
 *   PDPTE carries no rights). A user access needs U/S; a user write R/W; a supervisor write
 *   R/W only with CR0.WP; a fetch needs XD clear (with EFER.NXE). SMEP/SMAP/PKE are not modelled.
 * - Reserved bits (error code P|RSVD): address bits at or above MAXPHYADDR in 64-bit
 *   entries; XD without EFER.NXE; PS in a PML4E/PML5E; bits 13–20 (2 MiB) or 13–29
 *   (1 GiB) of a large page; in a PAE PDPTE also XD and bits 52–62 (QEMU's check; the SDM
 *   also reserves PDPTE bits 1, 2 and 5–8, which QEMU — and kmem — do not check); bit 21 of a
 *   32-bit 4 MiB PDE (PSE-36: bits 13–20 give physical bits 32–39, as QEMU does).
 * - The SDM sets P in the error code of a reserved-bit fault (§4.7: "RSVD … can be set only
 *   if bit 0 is also set"), and so does kmem; QEMU's `do_fault_rsvd` pushes RSVD alone.
 * - A is set in each table entry but a PAE PDPTE (bits 5–8 are reserved there; QEMU leaves it
 *   alone) as the walk passes it, before the next level is read (so a
 *   fault further down leaves those A bits set); in a long-mode PDPTE before PS is tested, so
 *   a faulting 1 GiB page has A set too. A leaf gets A (and D on a write) only when the
 *   access is allowed.
 * - I/D (error-code bit 4) is set on a fetch fault only with EFER.NXE (QEMU: NXE or SMEP).
 */
export class X86Rules implements PagingRules {
  /** The mode's geometry. */
  readonly geometry: Geometry;
  /** A (bit 5). */
  readonly accessedBit = PTE_ACCESSED;
  readonly dirtyBit = PTE_DIRTY;
  readonly markedTableLevels: number;
  readonly earlyAccessedLevels: number;
  readonly hardwareAccessedDirty = true;
  readonly initialRights = RW_US;
  /** Entry bits 12–51 hold a table's address: low word bits 12–31 … */
  readonly addressShift = ENTRY_FRAME_SHIFT;
  /** … as a 20-bit field … */
  readonly addressLoMask = LO_ADDRESS_MASK >>> ENTRY_FRAME_SHIFT;
  /** … and high word bits 0–19 … */
  readonly addressHiMask = HI_ADDRESS_MASK;
  /** … weighing 2^32. */
  readonly addressHiWeight = TWO_32;
  /** R/W and U/S AND over every table entry but a PAE PDPTE (which has neither). */
  readonly tableAndBits: Int32Array;
  /** XD (entry bit 63) ORs into rights bit 0 (execute-disable). */
  readonly tableOrHiBit = HI_NX;
  /** Table entries have no global bit on x86 (G counts only in the leaf). */
  readonly tableGlobalBit = 0;
  readonly rightsMask = RW_US | RIGHT_NX;
  readonly kindsByRights: Uint8Array;
  readonly #wide: boolean;
  readonly #pae: boolean;
  readonly #long: boolean;
  readonly #wp: boolean;
  readonly #nxe: boolean;
  readonly #pge: boolean;
  readonly #pse: boolean;
  /** High-word bits reserved in every 64-bit entry: address bits ≥ MAXPHYADDR, and XD without NXE. */
  readonly #reservedHi: number;

  constructor(options: X86RuleOptions) {
    this.geometry = GEOMETRIES[options.mode];
    this.#wide = options.mode !== "x86";
    this.#pae = options.mode === "x86-pae";
    this.#long = options.mode === "x86-64" || options.mode === "x86-64-la57";
    this.earlyAccessedLevels = this.#long ? 1 << 2 : 0;
    this.markedTableLevels = (2 ** this.geometry.levels - 1) & ~(this.#pae ? 1 << PAE_PDPT_LEVEL : 0);
    this.tableAndBits = Int32Array.from({ length: this.geometry.levels }, (_, level) => (this.#pae && level === PAE_PDPT_LEVEL ? 0 : RW_US));
    this.#wp = options.wp;
    this.#nxe = options.nxe;
    this.#pge = options.pge;
    this.#pse = options.pse;
    const aboveMax = (HI_ADDRESS_MASK & ~(2 ** (options.physicalBits - 32) - 1)) >>> 0;
    this.#reservedHi = (aboveMax | (options.nxe ? 0 : HI_NX)) >>> 0;
    this.kindsByRights = tabulateKinds((rights) => this.allowedKinds(rights), this.rightsMask);
  }

  classify(lo: number, hi: number, level: number): number {
    if ((lo & PTE_PRESENT) === 0) return REASON.notPresent;
    if (!this.#wide) return level === 1 && this.#pse && (lo & PDE_PAGE_SIZE) !== 0 ? ENTRY_LEAF : level === 0 ? ENTRY_LEAF : ENTRY_TABLE;
    if ((hi & this.#reservedHi) !== 0) return REASON.reserved;
    if (this.#pae && level === PAE_PDPT_LEVEL) return (hi & (HI_NX | HI_IGNORED_MASK)) !== 0 ? REASON.reserved : ENTRY_TABLE;
    if (level === 0) return ENTRY_LEAF;
    if ((lo & PDE_PAGE_SIZE) === 0) return ENTRY_TABLE;
    return level >= LONG_MODE_PS_RESERVED_LEVEL ? REASON.reserved : ENTRY_LEAF;
  }

  checkLeaf(lo: number, _hi: number, level: number): number {
    if (level === 0) return 0;
    const reserved = !this.#wide ? PSE36_RESERVED : level === 1 ? LO_RESERVED_2M : LO_RESERVED_1G;
    return (lo & reserved) !== 0 ? REASON.reserved : 0;
  }


  pageAddress(lo: number, hi: number, level: number): number {
    if (level === 0) return ((lo & LO_ADDRESS_MASK) >>> 0) + (hi & HI_ADDRESS_MASK) * TWO_32;
    if (!this.#wide) return ((lo & 0xffc00000) >>> 0) + ((lo & PSE36_HIGH_MASK) >>> PSE36_HIGH_SHIFT) * TWO_32;
    return ((lo & (level === 1 ? 0xffe00000 : 0xc0000000)) >>> 0) + (hi & HI_ADDRESS_MASK) * TWO_32;
  }

  combineLeaf(rights: number, lo: number, hi: number): number {
    const global = this.#pge && (lo & PTE_GLOBAL) !== 0 ? RIGHTS_GLOBAL : 0;
    return (rights & (lo | ~RW_US)) | ((hi & HI_NX) !== 0 ? RIGHT_NX : 0) | global;
  }

  allowedKinds(rights: number): number {
    const writable = (rights & PTE_WRITABLE) !== 0;
    const executable = (rights & RIGHT_NX) === 0;
    let kinds = 1 << 0;
    if (writable || !this.#wp) kinds |= 1 << KIND_WRITE;
    if (executable) kinds |= 1 << KIND_FETCH;
    if ((rights & PTE_USER) !== 0) {
      kinds |= 1 << KIND_USER;
      if (writable) kinds |= 1 << (KIND_USER + KIND_WRITE);
      if (executable) kinds |= 1 << (KIND_USER + KIND_FETCH);
    }
    return kinds;
  }

  denyReason(rights: number, kind: number): number {
    if (isUserKind(kind) && (rights & PTE_USER) === 0) return REASON.supervisorPage;
    return kindOperation(kind) === KIND_FETCH ? REASON.noExecute : REASON.readOnly;
  }

  faultCode(reason: number, kind: number): number {
    if (reason === REASON.nonCanonical) return X86_GP_FAULT;
    const op = kindOperation(kind);
    return (
      (reason === REASON.notPresent ? 0 : PF_PRESENT) |
      (reason === REASON.reserved ? PF_RESERVED : 0) |
      (op === KIND_WRITE ? PF_WRITE : 0) |
      (isUserKind(kind) ? PF_USER : 0) |
      (op === KIND_FETCH && this.#nxe ? PF_FETCH : 0)
    );
  }
}
