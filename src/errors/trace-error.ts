import { KmemError } from "./kmem-error.js";

/** A trace that cannot be read: not JSON Lines, or a line that is not a valid header or event (`data.line` is 1-based). */
export class TraceError extends KmemError<"InvalidTrace", { readonly line: number }> {}
