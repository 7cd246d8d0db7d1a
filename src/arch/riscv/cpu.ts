import { KmemError } from "../../errors/kmem-error.js";
import { describeValue } from "../../format.js";
import { type Access, KIND_FETCH, KIND_READ, KIND_USER, KIND_WRITE, accessKind, kindOperation, reasonName } from "../../paging/access.js";
import { joinAddress, splitAddress } from "../../paging/address.js";
import { TranslationFault, type TranslationFaultCode } from "../../paging/fault.js";
import { GEOMETRIES } from "../../paging/geometry.js";
import { PagingMmu, type PagingMmuOptions } from "../../paging/mmu.js";
import type { Address } from "../../types.js";
import { CAUSE_FETCH_PAGE_FAULT, CAUSE_LOAD_PAGE_FAULT, SATP_MODE, SSTATUS_MXR, SSTATUS_SUM } from "./pte.js";
import { type RiscvModeName, RiscvRules } from "./rules.js";

/** A privilege level: U-mode, S-mode, or M-mode (which never translates; MPRV is not modelled). */
export type RiscvPrivilege = "U" | "S" | "M";

/**
 * The RISC-V state that shapes translation: `satp` (RV64: MODE bits 60–63, ASID 44–59, PPN
 * 0–43, a bigint or an exact number; RV32: MODE bit 31, ASID 22–30, PPN 0–21, a number),
 * `sstatus` (SUM bit 18, MXR bit 19; other bits ignored) and the current privilege `priv`.
 */
export interface RiscvCpuState {
  /** satp: MODE, ASID, root PPN. */
  readonly satp: bigint | number;
  /** sstatus: SUM and MXR matter here. */
  readonly sstatus: number;
  /** The current privilege. */
  readonly priv: RiscvPrivilege;
}

/** Options for {@link RiscvMmu}. */
export interface RiscvMmuOptions extends PagingMmuOptions {
  /** XLEN: 64 (Sv39/48/57) or 32 (Sv32). Default 64. */
  readonly xlen?: 32 | 64;
  /** The initial state (default satp 0 = Bare, sstatus 0, priv "S"). */
  readonly state?: Partial<RiscvCpuState>;
  /** Svade: A/D clear fault instead of being set by the walk. Default false (Svadu, QEMU's default). */
  readonly svade?: boolean;
}

/** Thrown for a state the hart refuses (an unsupported satp MODE, a bad privilege). */
export class RiscvStateError extends KmemError<"InvalidCpuState", RiscvStateErrorData> {}

/** What a {@link RiscvStateError} carries. */
export interface RiscvStateErrorData {
  /** The field that was refused (`satp`, `sstatus`, `priv`). */
  readonly field: string;
}

const RV64_MODES: Record<number, RiscvModeName | null> = { [SATP_MODE.bare]: null, [SATP_MODE.sv39]: "riscv-sv39", [SATP_MODE.sv48]: "riscv-sv48", [SATP_MODE.sv57]: "riscv-sv57" };
const CODES: Record<number, TranslationFaultCode> = { [CAUSE_FETCH_PAGE_FAULT]: "InstructionPageFault", [CAUSE_LOAD_PAGE_FAULT]: "LoadPageFault" };

/**
 * The RISC-V MMU (Sv32, Sv39, Sv48, Sv57, chosen by satp.MODE; Bare = identity) over any
 * {@link PhysicalBus}, with the rules of {@link RiscvRules}. Faults are `TranslationFault`s
 * `InstructionPageFault` (cause 12), `LoadPageFault` (13), `StorePageFault` (15) whose
 * `address` is stval.
 *
 * Privilege: `translate`/`tryTranslate`/`walk` use `state.priv` (the `user` flag of an
 * access is ignored; M-mode is identity). The hot `lookup(vaddr, kind)` takes the privilege
 * in `kind` (`KIND_USER` added for U-mode) and always translates through satp.
 *
 * TLB: a satp write drops every non-global entry (all entries when MODE changes): kmem does
 * not tag entries with ASIDs, so it forgets the old space — always allowed, since a TLB may
 * drop entries at any time. A change of SUM or MXR drops everything (they take effect at
 * once on hardware). `sfenceVma(vaddr?, asid?)` follows the spec's four forms.
 *
 * @example
 * const mmu = new RiscvMmu({ bus: ram, state: { satp: (8n << 60n) | BigInt(root / 4096), priv: "S" } });
 * mmu.translate(0xffffffff80000000n, { write: true });
 */
export class RiscvMmu extends PagingMmu {
  /** XLEN. */
  readonly xlen: 32 | 64;
  readonly #svade: boolean;
  #state: RiscvCpuState = { satp: 0n, sstatus: 0, priv: "S" };
  #mode: RiscvModeName | null = null;
  #asid = 0;

  /** @throws {RiscvStateError} `InvalidCpuState` for a bad initial state. @throws {RangeError} For a bad TLB size. */
  constructor(options: RiscvMmuOptions) {
    super(options, GEOMETRIES[options.xlen === 32 ? "riscv-sv32" : "riscv-sv39"]);
    this.xlen = options.xlen ?? 64;
    this.#svade = options.svade ?? false;
    this.#state = { satp: this.xlen === 64 ? 0n : 0, sstatus: 0, priv: "S" };
    this.setState({ ...options.state });
  }

  /** The state. */
  get state(): RiscvCpuState {
    return this.#state;
  }

  /** The mode satp selects, or null for Bare. */
  get mode(): RiscvModeName | null {
    return this.#mode;
  }

  /** The current ASID (satp.ASID). */
  get asid(): number {
    return this.#asid;
  }

  /**
   * Sets any of satp, sstatus, priv at once; all-or-nothing.
   *
   * @throws {RiscvStateError} `InvalidCpuState` for a satp that is not an XLEN-bit value or
   * names an unsupported MODE, an sstatus that is not a 32-bit value, or a bad privilege.
   */
  setState(next: Partial<RiscvCpuState>): void {
    const state = { ...this.#state, ...next };
    if (state.priv !== "U" && state.priv !== "S" && state.priv !== "M") throw stateError("priv", state.priv, '"U", "S" or "M"');
    if (!Number.isInteger(state.sstatus) || state.sstatus < -(2 ** 31) || state.sstatus >= 2 ** 32) throw stateError("sstatus", state.sstatus, "a 32-bit value");
    // RV32 satp values may come signed from `|` on bit 31 (MODE = Sv32).
    const signed32 = this.xlen === 32 && typeof state.satp === "number" && state.satp < 0 && state.satp >= -(2 ** 31) && Number.isInteger(state.satp);
    const satp = typeof state.satp === "bigint" ? state.satp : Number.isSafeInteger(state.satp) ? BigInt(signed32 ? state.satp >>> 0 : state.satp) : -1n;
    if (satp < 0n || satp >= 1n << BigInt(this.xlen)) throw stateError("satp", state.satp, `an unsigned ${String(this.xlen)}-bit value`);
    let mode: RiscvModeName | null;
    let asid: number;
    let ppn: number;
    if (this.xlen === 64) {
      const field = Number(satp >> 60n);
      const named = RV64_MODES[field];
      if (named === undefined) throw stateError("satp", state.satp, "MODE Bare (0), Sv39 (8), Sv48 (9) or Sv57 (10)");
      mode = named;
      asid = Number((satp >> 44n) & 0xffffn);
      ppn = Number(satp & 0xfffffffffffn);
    } else {
      const value = Number(satp);
      mode = value >= 2 ** 31 ? "riscv-sv32" : null;
      asid = (value >>> 22) & 0x1ff;
      ppn = value & 0x3fffff;
    }
    const sstatus = state.sstatus >>> 0;
    const old = this.#state;
    const rightsChanged = ((sstatus ^ (old.sstatus >>> 0)) & (SSTATUS_SUM | SSTATUS_MXR)) !== 0;
    const modeChanged = mode !== this.#mode;
    const satpChanged = next.satp !== undefined;
    this.#state = { satp: this.xlen === 64 ? satp : Number(satp), sstatus, priv: state.priv };
    this.#mode = mode;
    this.#asid = asid;
    if (mode === null) {
      this.setRules(null, 0, GEOMETRIES[this.xlen === 32 ? "riscv-sv32" : "riscv-sv39"]);
    } else {
      const rules = new RiscvRules({ mode, sum: (sstatus & SSTATUS_SUM) !== 0, mxr: (sstatus & SSTATUS_MXR) !== 0, hardwareAccessedDirty: !this.#svade });
      this.setRules(rules, ppn * 4096, rules.geometry);
    }
    if (rightsChanged || modeChanged) this.flush(false);
    else if (satpChanged) this.flush(true);
  }

  /**
   * SFENCE.VMA: no arguments flushes everything; `vaddr` alone drops that page in every
   * address space (globals too); `asid` alone drops the non-global entries of that ASID;
   * both drop that page's non-global entry of that ASID. An address that is not canonical
   * invalidates nothing.
   *
   * @throws {MemoryError} `InvalidAddress` for a value that is no XLEN-bit address.
   */
  sfenceVma(vaddr?: Address, asid?: number): void {
    if (asid !== undefined && asid !== this.#asid) return;
    if (vaddr === undefined) {
      this.flush(asid !== undefined);
      return;
    }
    this.invalidatePage(this.pageKey(vaddr, "sfence.vma"), asid !== undefined);
  }

  /** Drops every TLB entry. */
  flushTlb(): void {
    this.flush(false);
  }

  /**
   * Translates `vaddr` for `access` at the current privilege and returns the physical address.
   *
   * @throws {TranslationFault} `InstructionPageFault`, `LoadPageFault` or `StorePageFault`.
   * @throws {MemoryError} `InvalidAddress` when `vaddr` is no XLEN-bit address.
   * @example
   * mmu.translate(0x80001000n, { fetch: true });
   */
  translate(vaddr: Address, access?: Access): number {
    const result = this.tryTranslate(vaddr, access);
    if (result >= 0) return result;
    const cause = -1 - result;
    const [hi, lo] = splitAddress(vaddr, this.geometry, "translate");
    throw new TranslationFault(CODES[cause] ?? "StorePageFault", this.kindOf(access), {
      address: joinAddress(hi, lo, this.geometry),
      vector: cause,
      errorCode: 0,
      reason: reasonName(this.faultReason),
      level: this.faultLevel,
      mode: this.geometry.name,
    });
  }

  protected override kindOf(access: Access | undefined): number {
    if (this.#state.priv === "M") return -1;
    const op = kindOperation(accessKind(access));
    return (op === KIND_WRITE ? KIND_WRITE : op === KIND_FETCH ? KIND_FETCH : KIND_READ) + (this.#state.priv === "U" ? KIND_USER : 0);
  }
}

function stateError(field: string, value: unknown, want: string): RiscvStateError {
  return new RiscvStateError("InvalidCpuState", `Cannot set ${field} to ${typeof value === "bigint" ? `0x${value.toString(16)}` : describeValue(value)}: it must be ${want}`, { field });
}
