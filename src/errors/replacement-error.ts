import { KmemError } from "./kmem-error.js";

/** Codes a {@link ReplacementError} can carry. */
export type ReplacementErrorCode =
  | "AlreadyResident"
  | "NotResident"
  | "NothingResident"
  | "CapacityExceeded"
  | "TraceMismatch"
  | "InvalidFrames"
  | "InvalidPolicy";

/** Thrown by a page-replacement policy used out of its contract; `data` names the page and the policy. */
export class ReplacementError extends KmemError<ReplacementErrorCode, Record<string, unknown>> {}
