/** An error of the seed port, carrying the seed's error name as `code` (baseline only). */
export class SeedError extends Error {
  /** The seed's error name, e.g. `OutOfBounds`, `NotAllocated`. */
  readonly code: string;

  constructor(code: string) {
    super(code);
    this.name = "SeedError";
    this.code = code;
  }
}
