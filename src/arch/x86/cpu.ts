import { KmemError } from "../../errors/kmem-error.js";
import { describeValue, hex } from "../../format.js";
import { type Access, REASON, accessKind, reasonName } from "../../paging/access.js";
import { joinAddress, splitAddress } from "../../paging/address.js";
import { TranslationFault } from "../../paging/fault.js";
import { GEOMETRIES } from "../../paging/geometry.js";
import { PagingMmu, type PagingMmuOptions } from "../../paging/mmu.js";
import type { Address } from "../../types.js";
import {
  CR0_PG,
  CR0_WP,
  CR4_LA57,
  CR4_PAE,
  CR4_PGE,
  CR4_PSE,
  EFER_LMA,
  EFER_LME,
  EFER_NXE,
  MAX_PHYSICAL_BITS,
  X86_GP_FAULT,
} from "./entry64.js";
import { type X86ModeName, X86Rules } from "./rules.js";

/**
 * The x86 control registers that shape translation, as numbers (CR3 below 2^52). The paging
 * mode follows from them as on the CPU: CR0.PG = 0 → off (identity); CR4.PAE = 0 → 32-bit
 * paging (`x86`); PAE without EFER.LME → `x86-pae`; PAE with LME → long mode (`x86-64`, or
 * `x86-64-la57` with CR4.LA57). EFER.LMA is derived (PG ∧ LME) and reported by `state`.
 */
export interface X86CpuState {
  /** CR0: PG (bit 31) and WP (bit 16) matter here. */
  readonly cr0: number;
  /** CR3: the root table's physical address (PDPT: 32-byte aligned; else 4 KiB). */
  readonly cr3: number;
  /** CR4: PSE, PAE, PGE, LA57. */
  readonly cr4: number;
  /** EFER: LME, LMA (derived), NXE. */
  readonly efer: number;
}

/** Options for {@link X86Mmu}. */
export interface X86MmuOptions extends PagingMmuOptions {
  /** The initial registers (default all 0: paging off). */
  readonly state?: Partial<X86CpuState>;
  /** MAXPHYADDR, 32–52 (default 52; QEMU's TCG `qemu64` CPU has 40). */
  readonly physicalBits?: number;
}

/** Thrown for a register combination the CPU refuses (#GP on MOV to CR0/CR4 or WRMSR). */
export class CpuStateError extends KmemError<"InvalidCpuState", CpuStateErrorData> {}

/** What a {@link CpuStateError} carries. */
export interface CpuStateErrorData {
  /** The register that was refused. */
  readonly field: string;
}

const OFF: X86CpuState = { cr0: 0, cr3: 0, cr4: 0, efer: 0 };

/**
 * The x86 MMU of every paging mode — 32-bit, PAE, 4- and 5-level — over any
 * {@link PhysicalBus}, with the mode chosen by the registers (see {@link X86CpuState}) and
 * the rules of {@link X86Rules}. Faults are `TranslationFault`s: `PageFault` (vector 14,
 * CR2 = address, the error code with P/W/U/RSVD/I/D) or `GeneralProtection` (vector 13) for a
 * non-canonical address, which never walks.
 *
 * TLB: `setState` with a new CR3 only (a MOV to CR3) drops every non-global entry (all of
 * them without CR4.PGE); any change to CR0, CR4 or EFER drops everything (the SDM requires
 * this for PG, PGE, PAE, PSE, LA57; kmem does it for WP and NXE too, as the cached rights
 * depend on them). `invlpg` drops one page (a whole large page), global or not.
 *
 * @example
 * const mmu = new X86Mmu({ bus: ram, state: { cr0: CR0_PG | CR0_WP, cr3: root, cr4: CR4_PAE | CR4_PGE, efer: EFER_LME | EFER_NXE } });
 * mmu.translate(0xffffffff80001000n, { write: true }); // a physical address, or throws TranslationFault
 * mmu.lookup(-0x7fffff000, KIND_READ);                 // the same address as a signed number: no bigint
 */
export class X86Mmu extends PagingMmu {
  /** MAXPHYADDR. */
  readonly physicalBits: number;
  #state: X86CpuState = OFF;
  #mode: X86ModeName | null = null;

  /** @throws {CpuStateError} `InvalidCpuState` for an impossible initial state. @throws {RangeError} For a bad TLB size or `physicalBits`. */
  constructor(options: X86MmuOptions) {
    super(options, GEOMETRIES.x86);
    const bits = options.physicalBits ?? MAX_PHYSICAL_BITS;
    if (!Number.isInteger(bits) || bits < 32 || bits > MAX_PHYSICAL_BITS) {
      throw new RangeError(`Cannot create an x86 MMU with ${describeValue(bits)} physical-address bits: MAXPHYADDR is 32 to 52`);
    }
    this.physicalBits = bits;
    this.setState({ ...OFF, ...options.state });
  }

  /** The registers (EFER.LMA set when long mode is active). */
  get state(): X86CpuState {
    return this.#state;
  }

  /** The paging mode the registers select, or null when paging is off. */
  get mode(): X86ModeName | null {
    return this.#mode;
  }

  /**
   * Loads any of CR0, CR3, CR4, EFER at once (the rest keep their values), then flushes the
   * TLB as the class comment says. CR0/CR4/EFER may be given signed (the result of `|`
   * on bit 31) or unsigned; `state` reports them unsigned. All-or-nothing.
   *
   * @throws {CpuStateError} `InvalidCpuState` for a value that is not a register value, a
   * CR3 beyond MAXPHYADDR, or long mode without PAE (the CPU raises #GP).
   */
  setState(next: Partial<X86CpuState>): void {
    const merged = { ...this.#state, ...next };
    const register = (field: "cr0" | "cr4" | "efer"): number => {
      const value = merged[field];
      // Accept both unsigned values and the signed results of JS bit operations (CR0_PG | CR0_WP < 0).
      if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 32) throw stateError(field, value, "a 32-bit register value");
      return value >>> 0;
    };
    const state = { cr0: register("cr0"), cr3: merged.cr3, cr4: register("cr4"), efer: register("efer") };
    if (!Number.isSafeInteger(state.cr3) || state.cr3 < 0 || state.cr3 >= 2 ** this.physicalBits) throw stateError("cr3", state.cr3, `below 2^${String(this.physicalBits)}`);
    const paging = (state.cr0 & CR0_PG) !== 0;
    const pae = (state.cr4 & CR4_PAE) !== 0;
    const lme = (state.efer & EFER_LME) !== 0;
    if (paging && lme && !pae) throw stateError("cr4", state.cr4, "with CR4.PAE set: long mode (EFER.LME with CR0.PG) needs PAE");
    const long = paging && lme;
    const mode: X86ModeName | null = !paging ? null : !pae ? "x86" : !long ? "x86-pae" : (state.cr4 & CR4_LA57) !== 0 ? "x86-64-la57" : "x86-64";
    if ((mode === "x86" || mode === "x86-pae") && state.cr3 >= 2 ** 32) throw stateError("cr3", state.cr3, "below 2^32 outside long mode");
    const controlsChanged = state.cr0 !== this.#state.cr0 || state.cr4 !== this.#state.cr4 || (state.efer & ~EFER_LMA) !== (this.#state.efer & ~EFER_LMA);
    const efer = ((state.efer & ~EFER_LMA) | (long ? EFER_LMA : 0)) >>> 0;
    this.#state = { cr0: state.cr0, cr3: state.cr3, cr4: state.cr4, efer };
    this.#mode = mode;
    if (mode === null) {
      this.setRules(null, 0, GEOMETRIES.x86);
    } else {
      const rules = new X86Rules({
        mode,
        wp: (state.cr0 & CR0_WP) !== 0,
        nxe: (state.efer & EFER_NXE) !== 0,
        pge: (state.cr4 & CR4_PGE) !== 0,
        pse: (state.cr4 & CR4_PSE) !== 0,
        physicalBits: this.physicalBits,
      });
      const root = mode === "x86-pae" ? state.cr3 - (state.cr3 % 32) : state.cr3 - (state.cr3 % 4096);
      this.setRules(rules, root, rules.geometry);
    }
    this.flush(!controlsChanged && (state.cr4 & CR4_PGE) !== 0);
  }

  /** Drops the TLB's translation of the page holding `vaddr` (all of a large page), global or not. A non-canonical address is a no-op. @throws {MemoryError} `InvalidAddress`. */
  invlpg(vaddr: Address): void {
    this.invalidatePage(this.pageKey(vaddr, "invlpg"), false);
  }

  /** Drops every TLB entry, global ones included (as toggling CR4.PGE does). */
  flushTlb(): void {
    this.flush(false);
  }

  /**
   * Translates `vaddr` for `access` and returns the physical address.
   *
   * @throws {TranslationFault} `PageFault` or `GeneralProtection`.
   * @throws {MemoryError} `InvalidAddress` when `vaddr` is no address of the mode.
   * @example
   * mmu.translate(0x400000n, { user: true, fetch: true });
   */
  translate(vaddr: Address, access?: Access): number {
    const result = this.tryTranslate(vaddr, access);
    if (result >= 0) return result;
    const code = -1 - result;
    const [hi, lo] = splitAddress(vaddr, this.geometry, "translate");
    const gp = (code & X86_GP_FAULT) !== 0;
    throw new TranslationFault(gp ? "GeneralProtection" : "PageFault", accessKind(access), {
      address: joinAddress(hi, lo, this.geometry),
      vector: gp ? 13 : 14,
      errorCode: gp ? 0 : code,
      reason: reasonName(gp ? REASON.nonCanonical : this.faultReason),
      level: this.faultLevel,
      mode: this.geometry.name,
    });
  }
}

function stateError(field: string, value: number, want: string): CpuStateError {
  return new CpuStateError("InvalidCpuState", `Cannot set ${field} to ${Number.isSafeInteger(value) && value >= 0 ? hex(value) : describeValue(value)}: it must be ${want}`, { field });
}
