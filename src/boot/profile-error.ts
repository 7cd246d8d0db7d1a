import { KmemError } from "../errors/kmem-error.js";

/** Codes a {@link ProfileError} can carry. */
export type ProfileErrorCode = "InvalidProfile";

/** What a {@link ProfileError} names: the offending field (`kernel.physEnd`, `modules[0].name`) and its value. */
export interface ProfileErrorData {
  /** The dotted field path inside the profile (`""` for the whole document). */
  readonly path: string;
  /** The offending value as given (a number, a string, or any JSON value). */
  readonly value: unknown;
}

/**
 * Thrown when a memory profile cannot be booted: malformed JSON, a missing or mistyped field,
 * an address out of range, or regions that contradict each other. The message is one line
 * that starts with the field path, e.g. `kernel.physEnd 0x00000000 is below kernel.physStart 0x00100000`.
 */
export class ProfileError extends KmemError<ProfileErrorCode, ProfileErrorData> {
  /** Builds an `InvalidProfile` error for `path` holding `value`. */
  constructor(message: string, data: ProfileErrorData) {
    super("InvalidProfile", message, data);
  }
}
