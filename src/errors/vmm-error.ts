import type { Address } from "../types.js";
import { KmemError } from "./kmem-error.js";

/**
 * Codes a {@link VmmError} can carry: the seed's `VmmError` names, plus `InvalidAttributes`
 * (an `attrs` argument that is not `{ kernel, writable, cachable }` booleans with optional
 * boolean `executable`/`global`; `data.field` names the field).
 */
export type VmmErrorCode =
  | "NotAllocated"
  | "AlreadyAllocated"
  | "PhysicalAlreadyAllocated"
  | "PhysicalVirtualMismatch"
  | "InvalidVirtAddresses"
  | "InvalidPhysAddresses"
  | "OutOfMemory"
  | "InvalidAttributes";

/** Thrown by the virtual memory manager; `data` names the offending addresses (as given: `bigint`s in a `bigint` space) or field. */
export class VmmError extends KmemError<VmmErrorCode, Record<string, Address | string | null>> {}
