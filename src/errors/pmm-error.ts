import { KmemError } from "./kmem-error.js";

/** Codes a {@link PmmError} can carry. */
export type PmmErrorCode = "NotAllocated" | "OutOfBounds" | "Misaligned";

/** Thrown by the physical memory manager. */
export class PmmError extends KmemError<PmmErrorCode, { address: number }> {}
