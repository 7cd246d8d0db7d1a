import { KmemError } from "./kmem-error.js";

/**
 * Codes a {@link MemoryError} can carry: `OutOfBounds` (an access outside the memory),
 * `InvalidSize` (a memory size or TLB size that is not a non-negative safe integer),
 * `InvalidAddress` (a virtual address that is not an unsigned 32-bit integer).
 */
export type MemoryErrorCode = "OutOfBounds" | "InvalidSize" | "InvalidAddress";

/** Thrown by simulated memory (`PhysicalMemory`, the MMU's virtual accessors) on a bad access. */
export class MemoryError extends KmemError<
  MemoryErrorCode,
  {
    /** The address of the access (or the size asked for, for `InvalidSize`). */
    address: number;
    /** The bytes accessed. */
    length: number;
    /** The memory's size in bytes (2^32 for virtual addresses). */
    size: number;
  }
> {}
