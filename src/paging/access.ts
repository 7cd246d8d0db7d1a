/**
 * Access kinds and fault reasons shared by every mode's MMU.
 *
 * An access kind is a small integer: read 0, write 1, fetch 2, plus {@link KIND_USER} (3)
 * for a user-mode (CPL 3 / U-mode) access, so 0–5. The hot entry points take a kind rather
 * than an {@link Access} object; `accessKind` converts once, outside a loop.
 */

/** How memory is accessed: a write (else a read), an instruction fetch, from user mode. */
export interface Access {
  /** A data write (else a read). */
  readonly write?: boolean;
  /** An instruction fetch. */
  readonly fetch?: boolean;
  /** A user-mode access (x86 CPL 3, RISC-V U-mode); else supervisor. */
  readonly user?: boolean;
}

/** Kind: supervisor data read. */
export const KIND_READ = 0;
/** Kind: supervisor data write. */
export const KIND_WRITE = 1;
/** Kind: supervisor instruction fetch. */
export const KIND_FETCH = 2;
/** Added to a kind for a user-mode access. */
export const KIND_USER = 3;
/** Number of access kinds (read/write/fetch × supervisor/user). */
export const KIND_COUNT = 6;
/** Bit mask with one bit per kind, all set. */
export const ALL_KINDS = (1 << KIND_COUNT) - 1;

/** The kind of `access` (a write wins over a fetch). */
export function accessKind(access: Access | undefined): number {
  const op = access?.write === true ? KIND_WRITE : access?.fetch === true ? KIND_FETCH : KIND_READ;
  return access?.user === true ? op + KIND_USER : op;
}

/** Whether `kind` is a user-mode access. */
export function isUserKind(kind: number): boolean {
  return kind >= KIND_USER;
}

/** The operation of `kind`: {@link KIND_READ}, {@link KIND_WRITE} or {@link KIND_FETCH}. */
export function kindOperation(kind: number): number {
  return kind >= KIND_USER ? kind - KIND_USER : kind;
}

/** Why a translation failed, as the walk engine reports it (numeric, for the hot path). */
export const REASON = {
  /** A paging-structure entry on the path is not present (x86 P = 0, RISC-V V = 0). */
  notPresent: 1,
  /** A reserved bit or a reserved encoding is set in an entry (x86 RSVD; RISC-V reserved PTE). */
  reserved: 2,
  /** A user-mode access to a supervisor page. */
  supervisorPage: 3,
  /** A supervisor access to a user page that the mode forbids (RISC-V without SUM, or a fetch). */
  userPage: 4,
  /** A write to a read-only page. */
  readOnly: 5,
  /** An instruction fetch from a non-executable page. */
  noExecute: 6,
  /** A read of a page without read permission (RISC-V R = 0 and not MXR with X). */
  notReadable: 7,
  /** A RISC-V superpage whose PPN is not aligned to its size. */
  misaligned: 8,
  /** A RISC-V leaf whose A (or D, for a store) is clear while hardware updating is off (Svade). */
  accessedDirty: 9,
  /** The address is not canonical (x86 #GP; RISC-V page fault). */
  nonCanonical: 10,
  /** A RISC-V pointer entry at the last level: no leaf on the path. */
  noLeaf: 11,
} as const;

/** A fault reason's name. */
export type FaultReasonName = keyof typeof REASON;

const REASON_NAMES = Object.keys(REASON) as FaultReasonName[];

/** The name of numeric reason `code` (see {@link REASON}). */
export function reasonName(code: number): FaultReasonName {
  return REASON_NAMES[code - 1] ?? "notPresent";
}

const REASON_TEXT: Record<FaultReasonName, string> = {
  notPresent: "an entry on the path is not present",
  reserved: "an entry has a reserved bit or encoding set",
  supervisorPage: "a user-mode access to a supervisor page",
  userPage: "a supervisor access to a user page",
  readOnly: "a write to a read-only page",
  noExecute: "an instruction fetch from a non-executable page",
  notReadable: "a read of a page that is not readable",
  misaligned: "a superpage whose physical page number is misaligned",
  accessedDirty: "the leaf's accessed or dirty bit is clear and hardware updating is off",
  nonCanonical: "the address is not canonical",
  noLeaf: "the last-level entry points at another table",
};

/** A sentence for a fault reason, for messages, the CLI and the view. */
export function describeReason(reason: FaultReasonName): string {
  return REASON_TEXT[reason];
}
