import { KmemError } from "./kmem-error.js";

/**
 * Codes a {@link ProcessError} can carry:
 * - `InvalidKernelHalf`: the kernel half a space would share is not aligned to a top-level
 *   entry, is empty, or the kernel maps pages in what would be user space;
 * - `Destroyed`: the address space was destroyed;
 * - `OutOfMemory`: no frame for a table, a page or a copy (nothing was kept);
 * - `InvalidRange`: a `protect`/`unmapRange` range that is misaligned, empty, or not inside one demand-paged region;
 * - `InvalidAttributes`: attributes that are not `Attributes` (`data.field` names the field).
 */
export type ProcessErrorCode = "InvalidKernelHalf" | "Destroyed" | "OutOfMemory" | "InvalidRange" | "InvalidAttributes" | "InvalidSwap";

/** Thrown by address spaces and tasks; `data` names the offending values (addresses as given). */
export class ProcessError extends KmemError<ProcessErrorCode, Record<string, unknown>> {}
