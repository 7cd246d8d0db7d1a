import { hex } from "../../format.js";
import type { TranslateExercise } from "./generate.js";

/** One non-zero entry of a dumped table, in `kmem quiz translate --json`. */
export interface TranslateJsonEntry {
  readonly index: number;
  readonly value: string;
}

/** The answer to one question, in `kmem quiz translate --json --answers`. */
export interface TranslateJsonAnswer {
  readonly number: number;
  readonly kind: string;
  readonly physical: string | null;
  readonly fault: { readonly errorCode: number; readonly bits: string; readonly reason: string } | null;
  readonly walk: readonly { readonly level: string; readonly index: number; readonly entryAddress: string; readonly entry: string }[];
}

/** `kmem quiz translate --json`: addresses and entries as `"0x…"` strings (exact in every mode), indices and error codes as numbers. */
export interface TranslateJson {
  readonly quiz: "translate";
  readonly arch: string;
  readonly seed: number;
  readonly memoryBytes: number;
  readonly rootRegister: string;
  readonly root: string;
  readonly tables: readonly { readonly level: string; readonly address: string; readonly entries: readonly TranslateJsonEntry[] }[];
  readonly questions: readonly { readonly number: number; readonly vaddr: string; readonly access: { readonly user: boolean; readonly write: boolean } }[];
  readonly answers?: readonly TranslateJsonAnswer[];
  readonly regions?: readonly {
    readonly label: string;
    readonly start: string;
    readonly end: string;
    readonly user: boolean;
    readonly writable: boolean;
    readonly notPresent: readonly string[];
  }[];
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
