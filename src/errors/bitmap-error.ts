import { KmemError } from "./kmem-error.js";

/** Codes a {@link BitmapError} can carry. */
export type BitmapErrorCode = "OutOfBounds";

/** Thrown by `Bitmap` when an index lies outside `[0, numEntries)`. */
export class BitmapError extends KmemError<
  BitmapErrorCode,
  {
    /** The index asked for. */
    index: number;
    /** The bitmap's size in entries. */
    numEntries: number;
  }
> {}
