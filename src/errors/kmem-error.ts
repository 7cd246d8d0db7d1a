/**
 * The base of every error kmem throws: an `Error` with a stable string `code`
 * (the seed's error name) and a `data` object describing the offending values.
 */
export class KmemError<C extends string = string, D extends object = Record<string, unknown>> extends Error {
  /** The seed's error name, stable across versions: match on this, not on the message. */
  readonly code: C;
  /** The values that caused the error (addresses as numbers). */
  readonly data: D;

  constructor(code: C, message: string, data: D) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.data = data;
  }
}
