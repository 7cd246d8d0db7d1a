import { hex } from "../../format.js";
import type { QuizAccess, QuizFault } from "./arch.js";
import type { TranslateExercise } from "./generate.js";

/** One non-zero entry of a dumped table, in `kmem quiz translate --json`. */
export interface TranslateJsonEntry {
  /** Its index in the table. */
  readonly index: number;
  /** Its value, `"0x…"`. */
  readonly value: string;
}

/** One paging-structure page: its non-zero entries (every other entry is 0). */
export interface TranslateJsonTable {
  /** `page directory`, `page table`, `PML4 table`, … */
  readonly level: string;
  /** Its physical address, `"0x…"`. */
  readonly address: string;
  /** Its non-zero entries, by index. */
  readonly entries: readonly TranslateJsonEntry[];
}

/** One question. */
export interface TranslateJsonQuestion {
  /** 1-based. */
  readonly number: number;
  /** The virtual address, `"0x…"`. */
  readonly vaddr: string;
  /** The access: user or supervisor, read or write. */
  readonly access: QuizAccess;
}

/** One entry a walk read. */
export interface TranslateJsonStep {
  /** `PDE`, `PTE`, `PML4E`, … */
  readonly level: string;
  /** Its index in its table. */
  readonly index: number;
  /** Its physical address, `"0x…"`. */
  readonly entryAddress: string;
  /** Its value, `"0x…"`. */
  readonly entry: string;
}

/** The answer to one question, in `kmem quiz translate --json --answers`. */
export interface TranslateJsonAnswer {
  /** The question's number. */
  readonly number: number;
  /** `valid`, `not-present`, `user-kernel` or `read-only`. */
  readonly kind: string;
  /** The physical address, `"0x…"`, or `null` on a fault. */
  readonly physical: string | null;
  /** The fault: error code, its bits spelt out, the reason; or `null`. */
  readonly fault: Pick<QuizFault, "errorCode" | "bits" | "reason"> | null;
  /** The entries read, root first. */
  readonly walk: readonly TranslateJsonStep[];
}

/** One region of the generated address space. */
export interface TranslateJsonRegion {
  /** `user code`, `kernel data`, … */
  readonly label: string;
  /** First virtual address, `"0x…"`. */
  readonly start: string;
  /** End (exclusive), `"0x…"`. */
  readonly end: string;
  /** User mode may access it. */
  readonly user: boolean;
  /** It may be written. */
  readonly writable: boolean;
  /** Its pages left not present, `"0x…"` each. */
  readonly notPresent: readonly string[];
}

/** `kmem quiz translate --json`: addresses and entries as `"0x…"` strings (exact in every mode), indices and error codes as numbers. */
export interface TranslateJson {
  /** `"translate"`. */
  readonly quiz: "translate";
  /** The paging mode. */
  readonly arch: string;
  /** The seed. */
  readonly seed: number;
  /** RAM of the exercise's machine. */
  readonly memoryBytes: number;
  /** `"CR3"`. */
  readonly rootRegister: string;
  /** The root table's physical address, `"0x…"`. */
  readonly root: string;
  /** The root table, then every table in use, in walk order. */
  readonly tables: readonly TranslateJsonTable[];
  /** The accesses to translate. */
  readonly questions: readonly TranslateJsonQuestion[];
  /** With `--answers`: one per question. */
  readonly answers?: readonly TranslateJsonAnswer[];
  /** With `--answers`: the generated address space. */
  readonly regions?: readonly TranslateJsonRegion[];
}

/** The non-zero entries of a table page, each read little-endian. */
function entries(bytes: Uint8Array, entryBytes: number, digits: number): TranslateJsonEntry[] {
  const out: TranslateJsonEntry[] = [];
  for (let at = 0; at < bytes.length; at += entryBytes) {
    let value = 0n;
    for (let i = entryBytes - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[at + i] ?? 0);
    if (value !== 0n) out.push({ index: at / entryBytes, value: hex(value, digits) });
  }
  return out;
}

/**
 * The exercise as the stable `--json` object (docs/cli.md): the machine and the questions,
 * plus `answers` and `regions` when `answers` is set.
 */
export function translateJson(exercise: TranslateExercise, options: { readonly answers: boolean }): TranslateJson {
  const { arch } = exercise;
  const entryDigits = arch.entryBytes * 2;
  const base: TranslateJson = {
    quiz: "translate",
    arch: arch.name,
    seed: exercise.seed,
    memoryBytes: arch.memoryBytes,
    rootRegister: arch.rootRegister,
    root: hex(exercise.root, arch.physicalDigits),
    tables: exercise.tables.map((t) => ({ level: t.level, address: hex(t.address, arch.physicalDigits), entries: entries(t.bytes, arch.entryBytes, entryDigits) })),
    questions: exercise.questions.map((q) => ({ number: q.number, vaddr: hex(q.vaddr, arch.addressDigits), access: { user: q.access.user, write: q.access.write } })),
  };
  if (!options.answers) return base;
  return {
    ...base,
    answers: exercise.questions.map((q) => ({
      number: q.number,
      kind: q.kind,
      physical: q.answer.physical === null ? null : hex(q.answer.physical, arch.physicalDigits),
      fault: q.answer.fault === null ? null : { errorCode: q.answer.fault.errorCode, bits: q.answer.fault.bits, reason: q.answer.fault.reason },
      walk: q.answer.steps.map((s) => ({ level: s.level, index: s.index, entryAddress: hex(s.entryAddress, arch.physicalDigits), entry: hex(s.entry, entryDigits) })),
    })),
    regions: exercise.regions.map((r) => ({
      label: r.label,
      start: hex(r.start, arch.addressDigits),
      end: hex(r.end, arch.addressDigits),
      user: r.user,
      writable: r.writable,
      notPresent: r.notPresent.map((a) => hex(a, arch.addressDigits)),
    })),
  };
}
