import { KmemError } from "./kmem-error.js";

/** Codes a {@link MapperError} can carry (the seed's `MapperError` family). */
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
export class MapperError extends KmemError<MapperErrorCode, Record<string, number>> {}
