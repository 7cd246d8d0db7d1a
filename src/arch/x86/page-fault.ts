import { KmemError } from "../../errors/kmem-error.js";
import { hex } from "../../format.js";

/** Error-code bit 0, P: 1 = protection violation on a present page, 0 = page not present. */
export const PF_PRESENT = 1 << 0;
/** Error-code bit 1, W/R: the access was a write. */
export const PF_WRITE = 1 << 1;
/** Error-code bit 2, U/S: the access came from user mode. */
export const PF_USER = 1 << 2;
/**
 * Error-code bit 3, RSVD: a reserved bit was set in a paging-structure entry (for 32-bit
 * paging: bit 21 of a 4 MiB PDE under CR4.PSE). The SDM (vol. 3 §4.7) sets P with it, since
 * reserved bits are checked only in present entries.
 */
export const PF_RSVD = 1 << 3;
/**
 * Error-code bit 4, I/D: an instruction fetch. The CPU sets it only with NX (PAE/EFER.NXE);
 * kmem models 32-bit paging without NX, so it is never set and a fetch faults like a read.
 */
export const PF_FETCH = 1 << 4;

/** Why a walk failed, in the order the MMU checks. */
export type FaultReason = "pde-not-present" | "pte-not-present" | "reserved-bit" | "user-supervisor" | "read-only";

const REASON_TEXT: Record<FaultReason, string> = {
  "pde-not-present": "the page-directory entry is not present",
  "pte-not-present": "the page-table entry is not present",
  "reserved-bit": "a reserved bit is set in the page-directory entry",
  "user-supervisor": "a user-mode access to a supervisor page",
  "read-only": "a write to a read-only page",
};

/** Options for {@link PageFault}. */
export interface PageFaultOptions {
  /** Which check failed; derived from `errorCode` when absent. */
  readonly reason?: FaultReason;
  /** Whether the access was an instruction fetch (only changes the message). */
  readonly fetch?: boolean;
}

/**
 * The x86 page fault (#PF, vector 14): `address` is what CR2 would hold and `errorCode`
 * what the CPU pushes (bits {@link PF_PRESENT}, {@link PF_WRITE}, {@link PF_USER}, {@link PF_RSVD}).
 *
 * @example
 * try { mmu.translate(0x1000, { user: true }); } catch (e) {
 *   if (e instanceof PageFault) console.log(hex(e.address), e.errorCode);
 * }
 */
export class PageFault extends KmemError<
  "PageFault",
  {
    /** The faulting linear address (CR2). */
    address: number;
    /** The error code pushed by the CPU. */
    errorCode: number;
  }
> {
  /** The faulting linear address (CR2). */
  readonly address: number;
  /** The error code pushed by the CPU. */
  readonly errorCode: number;
  /** Which check failed. */
  readonly reason: FaultReason;

  constructor(address: number, errorCode: number, options: PageFaultOptions = {}) {
    const reason = options.reason ?? reasonOf(errorCode);
    const verb = (errorCode & PF_WRITE) !== 0 ? "write" : options.fetch === true ? "fetch" : "read";
    const mode = (errorCode & PF_USER) !== 0 ? "user" : "supervisor";
    super("PageFault", `Cannot ${verb} ${hex(address)} in ${mode} mode: ${REASON_TEXT[reason]} (page fault, error code ${hex(errorCode, 1)})`, {
      address,
      errorCode,
    });
    this.address = address;
    this.errorCode = errorCode;
    this.reason = reason;
  }
}

/** The reason an error code alone implies (a not-present fault is taken to be at the PTE). */
function reasonOf(errorCode: number): FaultReason {
  if ((errorCode & PF_RSVD) !== 0) return "reserved-bit";
  if ((errorCode & PF_PRESENT) === 0) return "pte-not-present";
  return (errorCode & PF_USER) !== 0 ? "user-supervisor" : "read-only";
}

/**
 * Spells out an error code's bits, e.g. `"P=1 W=1 U=0"` for 0x3 (`RSVD=1` is appended when set).
 *
 * @example
 * formatErrorCode(0x6); // "P=0 W=1 U=1"
 * formatErrorCode(0x9); // "P=1 W=0 U=0 RSVD=1"
 */
export function formatErrorCode(errorCode: number): string {
  const bit = (mask: number): string => ((errorCode & mask) !== 0 ? "1" : "0");
  return `P=${bit(PF_PRESENT)} W=${bit(PF_WRITE)} U=${bit(PF_USER)}${(errorCode & PF_RSVD) !== 0 ? " RSVD=1" : ""}`;
}

/** A sentence for a {@link FaultReason}, for the CLI and the view. */
export function describeFaultReason(reason: FaultReason): string {
  return REASON_TEXT[reason];
}
