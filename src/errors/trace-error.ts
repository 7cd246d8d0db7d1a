import { KmemError } from "./kmem-error.js";

/** What a {@link TraceError} carries. */
export interface TraceErrorData {
  /** The 1-based line that could not be read. */
  readonly line: number;
}

/** A trace that cannot be read: not JSON Lines, or a line that is not a valid header or event (`data.line` is 1-based). */
export class TraceError extends KmemError<"InvalidTrace", TraceErrorData> {}
