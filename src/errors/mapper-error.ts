import { KmemError } from "./kmem-error.js";

/**
 * Codes a {@link MapperError} can carry: the seed's `MapperError` family, plus `AlreadyMapped`,
 * `OutOfMemory` (no frame for a table) and `InvalidAttributes` (an `attrs` argument that is not
 * an `Attributes`; `data.field` names the field).
 */
export type MapperErrorCode =
  | "InvalidVirtualAddress"
  | "InvalidPhysicalAddress"
  | "AddressMismatch"
  | "MisalignedVirtualAddress"
  | "MisalignedPhysicalAddress"
  | "NotMapped"
  | "AlreadyMapped"
  | "OutOfMemory"
  | "InvalidAttributes";

/** Thrown by a {@link Mapper} when it cannot map or unmap a range. */
export class MapperError extends KmemError<MapperErrorCode, Record<string, number | string>> {}
