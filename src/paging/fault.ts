import { KmemError } from "../errors/kmem-error.js";
import { hex } from "../format.js";
import type { Address } from "../types.js";
import { type FaultReasonName, KIND_FETCH, KIND_WRITE, describeReason, isUserKind, kindOperation } from "./access.js";
import type { ModeName } from "./geometry.js";

/**
 * The exception a failed translation raises: x86 `PageFault` (#PF, vector 14) or
 * `GeneralProtection` (#GP, vector 13, for a non-canonical address); RISC-V
 * `InstructionPageFault` (cause 12), `LoadPageFault` (13), `StorePageFault` (15).
 */
export type TranslationFaultCode = "PageFault" | "GeneralProtection" | "InstructionPageFault" | "LoadPageFault" | "StorePageFault";

/** What a {@link TranslationFault} carries. */
export interface TranslationFaultData {
  /** The faulting virtual address (x86 CR2, RISC-V stval): a bigint in 64-bit modes. */
  readonly address: Address;
  /** x86: 14 (#PF) or 13 (#GP); RISC-V: the exception cause (12, 13, 15). */
  readonly vector: number;
  /** x86: the error code pushed (P, W/R, U/S, RSVD, I/D); RISC-V: 0. */
  readonly errorCode: number;
  /** Which check failed. */
  readonly reason: FaultReasonName;
  /** The table level whose entry failed (-1 for a canonical-address fault). */
  readonly level: number;
  /** The mode that was translating. */
  readonly mode: ModeName;
}

/**
 * A failed translation, thrown by an MMU's `translate` (the non-throwing `tryTranslate`
 * and `lookup` return `-1 - code` instead). `code` names the exception; `data` has the
 * address, vector/cause, error code, reason and level.
 *
 * @example
 * try { mmu.translate(0xffff800000000000n, { user: true }); } catch (e) {
 *   if (e instanceof TranslationFault) console.log(e.code, hex(e.data.address, 16), e.data.errorCode);
 * }
 */
export class TranslationFault extends KmemError<TranslationFaultCode, TranslationFaultData> {
  constructor(code: TranslationFaultCode, kind: number, data: TranslationFaultData) {
    const op = kindOperation(kind);
    const verb = op === KIND_WRITE ? "write" : op === KIND_FETCH ? "fetch" : "read";
    const digits = typeof data.address === "bigint" ? 16 : 8;
    const detail = code === "PageFault" || code === "GeneralProtection" ? `vector ${String(data.vector)}, error code ${hex(data.errorCode, 1)}` : `cause ${String(data.vector)}`;
    super(
      code,
      `Cannot ${verb} ${hex(data.address, digits)} in ${isUserKind(kind) ? "user" : "supervisor"} mode: ${describeReason(data.reason)} (${code}, ${detail}${data.level >= 0 ? `, level ${String(data.level)}` : ""})`,
      data,
    );
  }
}
