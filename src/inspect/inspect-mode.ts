import { KIND_FETCH, KIND_USER, KIND_WRITE } from "../paging/access.js";
import type { Geometry, ModeName } from "../paging/geometry.js";
import type { PagingRules } from "../paging/mode.js";

/** Raw entry bits a listing shows beside the combined rights (mode-specific names, e.g. `pcd`, `readable`). */
export type EntryDetails = Readonly<Record<string, boolean>>;

/**
 * How `kmem inspect` reads one paging mode: the walk rules (the same ones the MMU uses, built
 * for a CPU that honours every permission bit), plus the names and bits a reader wants to see.
 * One per family (see `x86-inspect.ts`); everything else in src/inspect is generic over it.
 */
export interface InspectMode {
  /** The mode's name, as in `--mode` and JSON's `arch`. */
  readonly name: ModeName;
  /** Its table geometry. */
  readonly geometry: Geometry;
  /** The walk rules that decide what is a table, a leaf or a fault, and the rights. */
  readonly rules: PagingRules;
  /** The widest physical address entries may hold (MAXPHYADDR): bits above are a non-canonical entry. */
  readonly physicalBits: number;
  /** Whether entries can deny execution (x86: PAE or long mode with EFER.NXE; RISC-V: always). */
  readonly noExecute: boolean;
  /** Virtual addresses from here up are the kernel's half (64-bit modes: the upper half). */
  readonly kernelBase: bigint;
  /** Whether the entry is present (x86 P, RISC-V V): a non-present entry is skipped whatever its other bits (swap entries). */
  present(lo: number, hi: number): boolean;
  /** Linux's name of a table level (`pte`, `pmd`, `pud`, `p4d`, `pgd`). */
  levelName(level: number): string;
  /** The ptdump-style flag columns of a leaf (fixed width per mode). */
  flagText(lo: number, hi: number, level: number): string;
  /** A table or leaf entry in words, for `--translate`. */
  describeEntry(lo: number, hi: number, level: number, leaf: boolean): string;
  /** The leaf's own bits a JSON listing adds (accessed, dirty, cache bits…). */
  details(lo: number, hi: number, level: number): EntryDetails;
}

/** The effective rights a leaf grants, from the rules' access kinds. */
export interface Rights {
  /** User mode may access the page. */
  readonly user: boolean;
  /** Some mode may write it. */
  readonly writable: boolean;
  /** Some mode may fetch instructions from it. */
  readonly executable: boolean;
  /** The translation is global (x86 G with CR4.PGE; RISC-V G on the path). */
  readonly global: boolean;
}

const USER_KINDS = 0b111 << KIND_USER;
const WRITE_KINDS = (1 << KIND_WRITE) | (1 << (KIND_USER + KIND_WRITE));
const FETCH_KINDS = (1 << KIND_FETCH) | (1 << (KIND_USER + KIND_FETCH));

/** Turns the kinds `rules.allowedKinds` grants into rights: user (any user access), writable, executable (by anyone). */
export function rightsOfKinds(kinds: number, global: boolean): Rights {
  return { user: (kinds & USER_KINDS) !== 0, writable: (kinds & WRITE_KINDS) !== 0, executable: (kinds & FETCH_KINDS) !== 0, global };
}
