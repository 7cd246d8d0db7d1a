import { KmemError } from "./kmem-error.js";

/** Codes a {@link VmmError} can carry (the seed's `VmmError` names). */
export type VmmErrorCode =
  | "NotAllocated"
  | "AlreadyAllocated"
  | "PhysicalAlreadyAllocated"
  | "PhysicalVirtualMismatch"
  | "InvalidVirtAddresses"
  | "InvalidPhysAddresses"
  | "OutOfMemory";

/** Thrown by the virtual memory manager; `data` names the offending addresses. */
export class VmmError extends KmemError<VmmErrorCode, Record<string, number | null>> {}
