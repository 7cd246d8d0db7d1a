import { hex } from "../../format.js";
import type { QuizAccess, QuizTable, QuizWalk } from "./arch.js";
import type { TranslateExercise, TranslateQuestion } from "./generate.js";

/** Bytes per dump line: 8 four-byte entries or 4 eight-byte ones. */
const DUMP_LINE_BYTES = 32;
const INDEX_DIGITS = 3;
const OFFSET_DIGITS = 3;
const MIB = 1024 * 1024;
const NUMBER_WIDTH = 4;

/** `user write to 0x00403A10`, `supervisor read of 0xC0101234`. */
export function describeAccess(access: QuizAccess, vaddr: string): string {
  return `${access.user ? "user" : "supervisor"} ${access.write ? `write to ${vaddr}` : `read of ${vaddr}`}`;
}

/** The entries of one dump line as hex words (each entry's bytes read little-endian). */
function words(bytes: Uint8Array, entryBytes: number): string[] {
  const out: string[] = [];
  for (let at = 0; at < bytes.length; at += entryBytes) {
    let word = "";
    for (let i = entryBytes - 1; i >= 0; i--) word += (bytes[at + i] ?? 0).toString(16).toUpperCase().padStart(2, "0");
    out.push(word);
  }
  return out;
}

/**
 * A table page as hex words with their physical addresses, `DUMP_LINE_BYTES` per line; a
 * line equal to the one before is shown once as `*`, as `hexdump` does.
 */
export function dumpTable(table: QuizTable, entryBytes: number, rootRegister: string, root: number): string[] {
  const title = `${table.level[0]?.toUpperCase() ?? ""}${table.level.slice(1)} at ${hex(table.address)}${table.address === root ? ` (${rootRegister})` : ""}:`;
  const lines = [title];
  let previous = "";
  let starred = false;
  for (let at = 0; at < table.bytes.length; at += DUMP_LINE_BYTES) {
    const text = words(table.bytes.subarray(at, at + DUMP_LINE_BYTES), entryBytes).join(" ");
    if (text === previous) {
      if (!starred) lines.push("  *");
      starred = true;
      continue;
    }
    lines.push(`  ${hex(table.address + at)}  ${text}`);
    previous = text;
    starred = false;
  }
  return lines;
}

/** The answer's first line: `-> 0x00123A10` or `-> fault, error code 0x7 (P=1 W=1 U=1): …`. */
export function describeOutcome(walk: QuizWalk, physicalDigits: number): string {
  if (walk.fault === null) return `-> ${hex(walk.physical ?? 0, physicalDigits)}`;
  const { codeName, code, bits, description } = walk.fault;
  return `-> fault, ${codeName} ${code} (${bits}): ${description}`;
}

/** The walk, one line per entry read, then the frame and offset. */
export function describeWalk(walk: QuizWalk, exercise: TranslateExercise): string[] {
  const entryDigits = exercise.arch.entryBytes * 2;
  const lines = walk.steps.map(
    (step) => `${step.level}[${hex(step.index, INDEX_DIGITS)}] at ${hex(step.entryAddress)} = ${hex(step.entry, entryDigits)}  ${step.meaning}`,
  );
  if (walk.frame !== null) lines.push(`frame ${hex(walk.frame, exercise.arch.physicalDigits)} + offset ${hex(walk.offset, OFFSET_DIGITS)}`);
  return lines;
}

function questionLine(question: TranslateQuestion, exercise: TranslateExercise): string {
  return `${String(question.number).padStart(NUMBER_WIDTH)}. ${describeAccess(question.access, hex(question.vaddr, exercise.arch.addressDigits))}`;
}

/**
 * The exercise as text: the mode, the root register, what to know, the dump of every
 * paging-structure page, the questions, and with `answers` each walk and the address-space map.
 *
 * @example
 * process.stdout.write(renderTranslateExercise(generateTranslateExercise({ seed: 42 }), { answers: true }));
 */
export function renderTranslateExercise(exercise: TranslateExercise, options: { readonly answers: boolean }): string {
  const { arch } = exercise;
  const lines = [
    `${arch.name}: ${arch.description}`,
    `${exercise.arch.memoryBytes / MIB} MiB of RAM; ${arch.rootRegister} = ${hex(exercise.root)}.`,
    ...arch.notes,
  ];
  for (const table of exercise.tables) lines.push("", ...dumpTable(table, arch.entryBytes, arch.rootRegister, exercise.root));
  lines.push("", `Translate each access: the physical address, or "fault" and the ${arch.faultCodeName}.`);
  lines.push(...exercise.questions.map((q) => questionLine(q, exercise)));
  if (options.answers) {
    lines.push("", "Answers:");
    for (const question of exercise.questions) {
      lines.push(`${questionLine(question, exercise)} ${describeOutcome(question.answer, arch.physicalDigits)}`);
      lines.push(...describeWalk(question.answer, exercise).map((line) => `        ${line}`));
    }
    lines.push("", "The address space:");
    for (const region of exercise.regions) {
      const absent = region.notPresent.length === 0 ? "" : `  (not present: ${region.notPresent.map((a) => hex(a, arch.addressDigits)).join(", ")})`;
      const rights = `${region.user ? "user" : "kernel"} ${region.writable ? "read-write" : "read-only"}`;
      lines.push(`  ${hex(region.start, arch.addressDigits)}–${hex(region.end, arch.addressDigits)}  ${region.label.padEnd("kernel code".length)}  ${rights.padEnd("kernel read-write".length)}${absent}`.trimEnd());
    }
  }
  return lines.join("\n") + "\n";
}
