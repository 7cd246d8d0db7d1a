import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { QuizError } from "../../src/errors/quiz-error.js";
import { hex } from "../../src/format.js";
import { Chooser } from "../../src/quiz/choice.js";
import type { QuizTable } from "../../src/quiz/translate/arch.js";
import { generateTranslateExercise, type TranslateExercise } from "../../src/quiz/translate/generate.js";
import { translateJson } from "../../src/quiz/translate/json.js";
import { renderTranslateExercise } from "../../src/quiz/translate/render.js";
import { X86_QUIZ } from "../../src/quiz/translate/x86.js";

const FIXTURES = new URL("./fixtures/", import.meta.url);
const SEEDS = Array.from({ length: 150 }, (_, i) => i * 7919);
const PAGE = 4096;
const P = 1;
const W = 2;
const U = 4;

function fixture(name: string): string {
  return readFileSync(new URL(name, FIXTURES), "utf8");
}

function quizError(code: string): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof QuizError, `expected a QuizError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  };
}

/** The 32-bit little-endian word at physical `address`, read from the dumped pages only. */
function dumpWord(tables: readonly QuizTable[], address: number): number {
  const table = tables.find((t) => address >= t.address && address < t.address + t.bytes.length);
  if (table === undefined) return Number.NaN;
  const at = address - table.address;
  return ((table.bytes[at] ?? 0) | ((table.bytes[at + 1] ?? 0) << 8) | ((table.bytes[at + 2] ?? 0) << 16) | ((table.bytes[at + 3] ?? 0) << 24)) >>> 0;
}

/** A student's walk with nothing but the dump and CR3: physical address, or the error code. */
function naiveWalk(exercise: TranslateExercise, vaddr: number, access: { user: boolean; write: boolean }): { physical: number } | { errorCode: number } {
  const bits = (access.write ? W : 0) | (access.user ? U : 0);
  const pde = dumpWord(exercise.tables, exercise.root + Math.floor(vaddr / 2 ** 22) * 4);
  if ((pde & P) === 0) return { errorCode: bits };
  const pte = dumpWord(exercise.tables, (pde & ~0xfff) + (Math.floor(vaddr / PAGE) % 1024) * 4);
  if ((pte & P) === 0) return { errorCode: bits };
  const rights = pde & pte;
  if ((access.user && (rights & U) === 0) || (access.write && (rights & W) === 0)) return { errorCode: P | bits };
  return { physical: (pte & ~0xfff) + (vaddr % PAGE) };
}

describe("kmem quiz translate: the exercise generator", () => {
  test("seed 42's exercise with answers is byte for byte the checked-in golden text", () => {
    const exercise = generateTranslateExercise({ seed: 42, count: 8 });
    assert.equal(renderTranslateExercise(exercise, { answers: true }), fixture("translate-x86-seed-42.txt"));
  });

  test("seed 7's --json --answers object is the checked-in golden JSON", () => {
    const exercise = generateTranslateExercise({ seed: 7, count: 6 });
    assert.equal(`${JSON.stringify(translateJson(exercise, { answers: true }), null, 2)}\n`, fixture("translate-x86-seed-7.json"));
  });

  test("the same seed gives the same exercise; a different seed a different one", () => {
    const text = (seed: number): string => renderTranslateExercise(generateTranslateExercise({ seed }), { answers: true });
    assert.equal(text(123), text(123));
    assert.notEqual(text(123), text(124));
  });

  test("every answer is what a student walking the dump by hand gets (a naive walker over the dumped bytes)", () => {
    for (const seed of SEEDS) {
      const exercise = generateTranslateExercise({ seed, count: 10 });
      for (const q of exercise.questions) {
        const vaddr = Number(q.vaddr);
        const expected = naiveWalk(exercise, vaddr, q.access);
        const got = q.answer.physical === null ? { errorCode: q.answer.fault?.errorCode } : { physical: Number(q.answer.physical) };
        assert.deepEqual(got, expected, `seed ${seed}, question ${q.number}: ${hex(vaddr)}`);
      }
    }
  });

  test("each question's kind is what the MMU says: valid translates, not-present has P=0, the others are protection faults", () => {
    for (const seed of SEEDS) {
      for (const q of generateTranslateExercise({ seed, count: 10 }).questions) {
        const { fault } = q.answer;
        const where = `seed ${seed}, question ${q.number} (${q.kind})`;
        if (q.kind === "valid") assert.equal(fault, null, where);
        else if (q.kind === "not-present") assert.equal((fault?.errorCode ?? P) & P, 0, where);
        else assert.equal(fault?.reason, q.kind === "user-kernel" ? "user-supervisor" : "read-only", where);
      }
    }
  });

  test("any four questions cover all four kinds, and the walk shows the PTE unless the PDE is not present", () => {
    const exercise = generateTranslateExercise({ seed: 5, count: 4 });
    assert.deepEqual(new Set(exercise.questions.map((q) => q.kind)), new Set(["valid", "not-present", "user-kernel", "read-only"]));
    for (const q of exercise.questions) {
      const expectedSteps = q.answer.fault?.reason === "pde-not-present" ? ["PDE"] : ["PDE", "PTE"];
      assert.deepEqual(q.answer.steps.map((s) => s.level), expectedSteps, `question ${q.number}`);
    }
  });

  test("walking leaves the tables in RAM exactly as dumped (no accessed or dirty bits appear)", () => {
    const machine = X86_QUIZ.createMachine(new Chooser(1));
    const frame = machine.takeFrame();
    machine.mapper.map(0x00400000, 0x00401000, frame * PAGE, (frame + 1) * PAGE, { kernel: false, writable: true, cachable: true }, machine.root);
    const before = machine.tables();
    const walk = machine.walk(0x00400123, { user: true, write: true });
    assert.equal(walk.physical, frame * PAGE + 0x123);
    assert.deepEqual(machine.tables(), before);
    assert.equal(walk.steps[1]?.entry, frame * PAGE + 0x7, "the PTE as dumped: P, R/W, U; no A or D");
  });

  test("the dump shows the directory first, each table once, and elides repeated lines with *", () => {
    const exercise = generateTranslateExercise({ seed: 42 });
    const text = renderTranslateExercise(exercise, { answers: false });
    assert.match(text, new RegExp(`Page directory at ${hex(exercise.root)} \\(CR3\\):`));
    assert.equal(exercise.tables[0]?.address, exercise.root);
    assert.equal(new Set(exercise.tables.map((t) => t.address)).size, exercise.tables.length);
    assert.ok(!text.includes("Answers:"), "no answers without --answers");
    assert.ok(!/^(.+)\n\1$/m.test(text), "no two identical consecutive lines");
  });

  test("bad requests are typed errors naming the supported modes", () => {
    assert.throws(() => generateTranslateExercise({ seed: 1, arch: "x86-64" }), (error: unknown) => {
      assert.ok(error instanceof QuizError, `expected a QuizError, got ${String(error)}`);
      assert.equal(error.code, "UnsupportedArch");
      assert.match(error.message, /"x86-64": kmem has none for this paging mode yet \(supported: x86\)/);
      return true;
    });
    assert.throws(() => generateTranslateExercise({ seed: 1, arch: "arm" }), quizError("UnsupportedArch"));
    assert.throws(() => generateTranslateExercise({ seed: -1 }), quizError("InvalidSeed"));
    assert.throws(() => generateTranslateExercise({ seed: 2 ** 32 }), quizError("InvalidSeed"));
    assert.throws(() => generateTranslateExercise({ seed: 1, count: 0 }), quizError("InvalidCount"));
    assert.throws(() => generateTranslateExercise({ seed: 1, count: 41 }), quizError("InvalidCount"));
  });
});
