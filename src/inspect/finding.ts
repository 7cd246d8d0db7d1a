/** What `kmem inspect` can find wrong (or noteworthy) in a set of page tables. */
export type FindingKind =
  | "writableExecutable"
  | "userInKernelHalf"
  | "reservedBits"
  | "nonCanonical"
  | "sharedTable"
  | "tableOutsideRam"
  | "tableLoop"
  | "writableAlias"
  | "truncated";

/** One finding: `error`s make `--audit` exit 1; `note`s are reported only. */
export interface Finding {
  /** What was found. */
  readonly kind: FindingKind;
  /** `error`: a problem (`--audit` exits 1); `note`: worth knowing only. */
  readonly severity: "error" | "note";
  /** The virtual page number (in the mode's `vaBits` space) it concerns, or null. */
  readonly address: number | null;
  /** One line, for people. */
  readonly message: string;
}
