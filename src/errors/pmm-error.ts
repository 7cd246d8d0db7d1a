import type { Address } from "../types.js";
import { KmemError } from "./kmem-error.js";

/**
 * Codes a {@link PmmError} can carry: `NotAllocated` (freeing a free block), `OutOfBounds`
 * (an address, size or count outside memory or not a non-negative safe integer),
 * `Misaligned` (an address that is not a block boundary), `Reserved` (freeing a block of a
 * range reserved when the PMM was built: firmware, holes, the kernel image).
 */
export type PmmErrorCode = "NotAllocated" | "OutOfBounds" | "Misaligned" | "Reserved";

/** Thrown by the physical memory manager; `data.address` is the offending value as given. */
export class PmmError extends KmemError<
  PmmErrorCode,
  {
    /** The offending address, size or count, as given. */
    address: Address;
  }
> {}
