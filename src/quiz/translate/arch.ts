import type { Mapper } from "../../mapper.js";
import type { Address, Range } from "../../types.js";
import type { Chooser } from "../choice.js";

/** The access a question asks about. */
export interface QuizAccess {
  /** From user mode (else supervisor). */
  readonly user: boolean;
  /** A write (else a read). */
  readonly write: boolean;
}

/** One entry a walk read: which level, its index, where it is in RAM and its value there. */
export interface QuizWalkStep {
  /** The entry's name in the mode's manual, e.g. `"PDE"`, `"PTE"`. */
  readonly level: string;
  /** The entry's index in its table. */
  readonly index: number;
  /** Physical address of the entry. */
  readonly entryAddress: number;
  /** The entry's value, as the dump shows it. */
  readonly entry: Address;
  /** What the entry says, e.g. `present writable user, table 0x0037C000`. */
  readonly meaning: string;
}

/** A page fault, as the mode reports it. */
export interface QuizFault {
  /** The code the CPU reports: x86's error code (pushed on the stack), RISC-V's exception cause (scause). */
  readonly errorCode: number;
  /** What the mode's manual calls the code: `error code` (x86), `scause` (RISC-V). */
  readonly codeName: string;
  /** The code as that manual writes it: `0x7` (x86, hex), `15` (RISC-V, decimal). */
  readonly code: string;
  /** The error code's bits spelt out, e.g. `P=1 W=1 U=1`. */
  readonly bits: string;
  /** Which check failed, as a stable name (x86: `pde-not-present`, `pte-not-present`, `user-supervisor`, `read-only`). */
  readonly reason: string;
  /** The reason as a sentence. */
  readonly description: string;
}

/** How the MMU translated (or refused) one access: the answer to a question. */
export interface QuizWalk {
  /** The entries read, root first; the walk stops at the first entry that is not present. */
  readonly steps: readonly QuizWalkStep[];
  /** The page frame the last entry points at, or `null` on a fault. */
  readonly frame: Address | null;
  /** The offset in the page: the address's low 12 bits. */
  readonly offset: number;
  /** `frame + offset`, or `null` on a fault. */
  readonly physical: Address | null;
  /** The page fault, or `null` when the access translates. */
  readonly fault: QuizFault | null;
}

/** One paging-structure page of RAM, for the dump. */
export interface QuizTable {
  /** What the page is, e.g. `page directory`, `page table`. */
  readonly level: string;
  /** Its physical address. */
  readonly address: number;
  /** Its bytes, as in RAM. */
  readonly bytes: Uint8Array;
}

/**
 * A fresh machine of one paging mode for one exercise: RAM, a frame pool drawing from the
 * exercise's {@link Chooser}, an empty root table, a {@link Mapper} over it and an MMU.
 */
export interface QuizMachine<A extends Address> {
  /** Installs translations; the generator builds the whole address space through it. */
  readonly mapper: Mapper<number, A>;
  /** The root table's physical address: the mapper's payload and the root register's value. */
  readonly root: number;
  /** Takes a random free physical page for data; its page number. */
  takeFrame(): number;
  /** The root table, then every table in use, in the order a walk meets them. */
  tables(): QuizTable[];
  /** Walks `vaddr` for `access` through the MMU, leaving RAM exactly as it was (no accessed/dirty bits set). */
  walk(vaddr: A, access: QuizAccess): QuizWalk;
}

/**
 * What the translation exercise needs from one paging mode. Adding a mode to
 * `kmem quiz translate` is one object of this shape: its geometry, its address halves, and
 * a machine built on the mode's own Mapper and MMU.
 */
export interface QuizArch<A extends Address> {
  /** The mode's name as `--arch` takes it (`x86`, `x86-64`, `riscv-sv39`, …). */
  readonly name: string;
  /** One line: the mode and the manual section that defines it. */
  readonly description: string;
  /** The register holding the root table's address (`CR3`, `satp`). */
  readonly rootRegister: string;
  /** RAM of an exercise's machine. */
  readonly memoryBytes: number;
  /** Bytes per page (4096). */
  readonly pageBytes: number;
  /** Pages one last-level table maps (x86: 1024, x86-64: 512). */
  readonly pagesPerTable: number;
  /** Bytes per table entry (4 or 8). */
  readonly entryBytes: number;
  /** Hex digits of a virtual address. */
  readonly addressDigits: number;
  /** Hex digits of a physical address (at least). */
  readonly physicalDigits: number;
  /** Virtual page numbers user regions are placed in. */
  readonly userPages: Range;
  /** Virtual page numbers kernel regions are placed in. */
  readonly kernelPages: Range;
  /** What a student needs to know to read the dump and answer, one line each. */
  readonly notes: readonly string[];
  /** What a fault's answer gives besides "fault": `error code`, `exception cause (scause)`. */
  readonly faultCodeName: string;
  /** The address of byte `offset` of page number `page`, in the mode's address type. */
  address(page: number, offset: number): A;
  /** Builds an empty machine whose frame choices come from `choose`. */
  createMachine(choose: Chooser): QuizMachine<A>;
}
