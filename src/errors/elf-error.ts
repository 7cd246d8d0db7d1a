import { KmemError } from "./kmem-error.js";

/**
 * Codes an {@link ElfError} can carry:
 * - `Truncated`: the file ends before a header, the program-header table or a segment's bytes;
 * - `NotElf`: no `\x7fELF` magic, or a class/encoding/version kmem does not read (big-endian);
 * - `NotExecutable`: neither `ET_EXEC` nor `ET_DYN`;
 * - `WrongMachine`: the class or `e_machine` does not match the address space's mode;
 * - `BadSegment`: a `PT_LOAD` with `p_filesz > p_memsz`, offset and address not congruent
 *   modulo the page size, or an address that overflows;
 * - `OverlappingSegments`: two `PT_LOAD`s share a page (one page has one set of rights);
 * - `SegmentInKernelHalf`: a segment reaches the shared kernel half;
 * - `SegmentOutsideUserSpace`: a segment lies below the user space (the null page);
 * - `NoSegments`: no `PT_LOAD` at all;
 * - `BadBase`: a PIE load base that is not page-aligned.
 */
export type ElfErrorCode =
  | "Truncated"
  | "NotElf"
  | "NotExecutable"
  | "WrongMachine"
  | "BadSegment"
  | "OverlappingSegments"
  | "SegmentInKernelHalf"
  | "SegmentOutsideUserSpace"
  | "NoSegments"
  | "BadBase";

/** Thrown when an ELF file cannot be loaded; nothing was allocated. */
export class ElfError extends KmemError<ElfErrorCode, Record<string, unknown>> {}
