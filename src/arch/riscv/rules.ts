import { KIND_FETCH, KIND_USER, KIND_WRITE, REASON, isUserKind, kindOperation } from "../../paging/access.js";
import { GEOMETRIES, type Geometry } from "../../paging/geometry.js";
import { ENTRY_LEAF, ENTRY_TABLE, type PagingRules, RIGHTS_GLOBAL, tabulateKinds } from "../../paging/mode.js";
import {
  CAUSE_FETCH_PAGE_FAULT,
  CAUSE_LOAD_PAGE_FAULT,
  CAUSE_STORE_PAGE_FAULT,
  HI_NAPOT,
  HI_PBMT_MASK,
  HI_PPN_MASK,
  HI_RESERVED_MASK,
  LOW_PPN_BITS,
  PPN_SHIFT,
  PTE_A,
  PTE_D,
  PTE_G,
  PTE_R,
  PTE_RWX,
  PTE_U,
  PTE_V,
  PTE_W,
  PTE_X,
} from "./pte.js";

/** The RISC-V paging modes. */
export type RiscvModeName = "riscv-sv32" | "riscv-sv39" | "riscv-sv48" | "riscv-sv57";

/** The state RISC-V walk rules depend on. */
export interface RiscvRuleOptions {
  /** Which RISC-V mode. */
  readonly mode: RiscvModeName;
  /** sstatus.SUM. */
  readonly sum: boolean;
  /** sstatus.MXR. */
  readonly mxr: boolean;
  /**
   * Hardware A/D updating (Svadu, QEMU's default: `svadu` on, `svade` off, menvcfg.ADUE set
   * at reset — target/riscv/cpu.c `riscv_cpu_reset_hold`); false = Svade: a leaf with A
   * clear, or D clear on a store, faults instead.
   */
  readonly hardwareAccessedDirty: boolean;
}

const PPN_LOW_WEIGHT = 2 ** LOW_PPN_BITS;
const PAGE = 4096;
const RIGHTS_MASK = PTE_R | PTE_W | PTE_X | PTE_U;

/**
 * RISC-V walk rules (privileged spec §10.3.2 "Virtual Address Translation Process"),
 * following QEMU's `get_physical_address` (target/riscv/cpu_helper.c):
 *
 * - Sv39+: reserved bits 54–60, PBMT (no Svpbmt) and N (no Svnapot) fault, checked before V.
 * - V = 0 faults; R|W|X ≠ 0 is a leaf (at any level); a pointer with D, A or U set faults;
 *   a pointer at level 0 faults (no leaf).
 * - A leaf whose PPN is not aligned to its level faults (misaligned superpage); W without R
 *   is reserved.
 * - Permissions from the leaf alone: U-mode needs U; S-mode on a U page needs SUM and may
 *   never fetch; reads need R, or X with MXR; writes need W; fetches need X.
 * - A non-canonical Sv39+ address (bits above the top VA bit ≠ that bit) is a page fault.
 * - A and D: set by the walk (one store of the low word) when hardware updating is on, else
 *   a fault. Table entries' A bits are never touched (they are reserved there).
 * - G in any entry of the path makes the translation global.
 * - Causes: fetch 12, load 13, store 15; stval = the virtual address.
 */
export class RiscvRules implements PagingRules {
  /** The mode's geometry. */
  readonly geometry: Geometry;
  /** A (bit 6). */
  readonly accessedBit = PTE_A;
  readonly dirtyBit = PTE_D;
  readonly markedTableLevels = 0;
  readonly earlyAccessedLevels = 0;
  readonly hardwareAccessedDirty: boolean;
  readonly initialRights = 0;
  /** The PPN starts at bit 10: low word bits 10–31 … */
  readonly addressShift = PPN_SHIFT;
  /** … as a 22-bit field … */
  readonly addressLoMask = (1 << LOW_PPN_BITS) - 1;
  /** … and high word bits 0–21 (Sv39+; none in Sv32) … */
  readonly addressHiMask: number;
  /** … weighing 2^22 pages. */
  readonly addressHiWeight = PPN_LOW_WEIGHT * PAGE;
  /** Table entries carry no rights on RISC-V; only G (global below) folds in. */
  readonly tableAndBits: Int32Array;
  /** No high-word bit folds into the rights. */
  readonly tableOrHiBit = 0;
  /** G in a pointer makes every mapping below it global. */
  readonly tableGlobalBit = PTE_G;
  readonly rightsMask = RIGHTS_MASK;
  readonly kindsByRights: Uint8Array;
  readonly #wide: boolean;
  readonly #sum: boolean;
  readonly #mxr: boolean;

  constructor(options: RiscvRuleOptions) {
    this.geometry = GEOMETRIES[options.mode];
    this.#wide = options.mode !== "riscv-sv32";
    this.addressHiMask = this.#wide ? HI_PPN_MASK : 0;
    this.tableAndBits = new Int32Array(this.geometry.levels);
    this.#sum = options.sum;
    this.#mxr = options.mxr;
    this.hardwareAccessedDirty = options.hardwareAccessedDirty;
    this.kindsByRights = tabulateKinds((rights) => this.allowedKinds(rights), this.rightsMask);
  }

  classify(lo: number, hi: number, level: number): number {
    if (this.#wide && (hi & (HI_RESERVED_MASK | HI_PBMT_MASK | HI_NAPOT)) !== 0) return REASON.reserved;
    if ((lo & PTE_V) === 0) return REASON.notPresent;
    if ((lo & PTE_RWX) !== 0) return ENTRY_LEAF;
    if ((lo & (PTE_D | PTE_A | PTE_U)) !== 0) return REASON.reserved;
    return level === 0 ? REASON.noLeaf : ENTRY_TABLE;
  }

  checkLeaf(lo: number, hi: number, level: number): number {
    if (level > 0 && this.#ppn(lo, hi) % 2 ** (level * (this.#wide ? 9 : 10)) !== 0) return REASON.misaligned;
    return (lo & (PTE_R | PTE_W)) === PTE_W ? REASON.reserved : 0;
  }


  pageAddress(lo: number, hi: number): number {
    return this.#ppn(lo, hi) * PAGE;
  }


  combineLeaf(rights: number, lo: number): number {
    return (lo & RIGHTS_MASK) | (rights & RIGHTS_GLOBAL) | ((lo & PTE_G) !== 0 ? RIGHTS_GLOBAL : 0);
  }

  allowedKinds(rights: number): number {
    const readable = (rights & PTE_R) !== 0 || (this.#mxr && (rights & PTE_X) !== 0);
    const writable = (rights & PTE_W) !== 0;
    const executable = (rights & PTE_X) !== 0;
    const ops = (readable ? 1 : 0) | (writable ? 1 << KIND_WRITE : 0) | (executable ? 1 << KIND_FETCH : 0);
    if ((rights & PTE_U) === 0) return ops;
    const supervisor = this.#sum ? ops & ~(1 << KIND_FETCH) : 0;
    return (ops << KIND_USER) | supervisor;
  }

  denyReason(rights: number, kind: number): number {
    const user = (rights & PTE_U) !== 0;
    const op = kindOperation(kind);
    if (isUserKind(kind) && !user) return REASON.supervisorPage;
    if (!isUserKind(kind) && user && (!this.#sum || op === KIND_FETCH)) return REASON.userPage;
    return op === KIND_WRITE ? REASON.readOnly : op === KIND_FETCH ? REASON.noExecute : REASON.notReadable;
  }

  faultCode(_reason: number, kind: number): number {
    const op = kindOperation(kind);
    return op === KIND_WRITE ? CAUSE_STORE_PAGE_FAULT : op === KIND_FETCH ? CAUSE_FETCH_PAGE_FAULT : CAUSE_LOAD_PAGE_FAULT;
  }

  #ppn(lo: number, hi: number): number {
    return (lo >>> PPN_SHIFT) + (this.#wide ? (hi & HI_PPN_MASK) * PPN_LOW_WEIGHT : 0);
  }
}
