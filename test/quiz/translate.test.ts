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
const SEEDS = Array.from({ length: 40 }, (_, i) => i * 7919);
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

/** Index bits per level (root first), entry bytes, and whether the root's entries carry no rights (PAE's PDPTEs). */
const SHAPES: Record<string, { readonly bits: readonly number[]; readonly entryBytes: number; readonly rootHasRights: boolean }> = {
  x86: { bits: [10, 10], entryBytes: 4, rootHasRights: true },
  "x86-pae": { bits: [2, 9, 9], entryBytes: 8, rootHasRights: false },
  "x86-64": { bits: [9, 9, 9, 9], entryBytes: 8, rootHasRights: true },
  "x86-64-la57": { bits: [9, 9, 9, 9, 9], entryBytes: 8, rootHasRights: true },
};
/** RISC-V: index bits per level (root first) and entry bytes. */
const RISCV_SHAPES: Record<string, { readonly bits: readonly number[]; readonly entryBytes: number }> = {
  "riscv-sv32": { bits: [10, 10], entryBytes: 4 },
  "riscv-sv39": { bits: [9, 9, 9], entryBytes: 8 },
  "riscv-sv48": { bits: [9, 9, 9, 9], entryBytes: 8 },
  "riscv-sv57": { bits: [9, 9, 9, 9, 9], entryBytes: 8 },
};
const RV_V = 1n;
const RV_W = 4n;
const RV_U = 16n;
const RV_LOAD_FAULT = 13;
const RV_STORE_FAULT = 15;
const ARCHES = [...Object.keys(SHAPES), ...Object.keys(RISCV_SHAPES)];
const FRAME_MASK = 0x000ffffffffff000n;

/** The little-endian entry at physical `address`, read from the dumped pages only. */
function dumpEntry(tables: readonly QuizTable[], address: number, bytes: number): bigint {
  const table = tables.find((t) => address >= t.address && address < t.address + t.bytes.length);
  assert.ok(table !== undefined, `the walk needs ${hex(address)}, which the dump must show`);
  let value = 0n;
  for (let i = bytes - 1; i >= 0; i--) value = (value << 8n) | BigInt(table.bytes[address - table.address + i] ?? 0);
  return value;
}

/** A student's RISC-V walk with nothing but the dump and satp: physical address, or the cause (S-mode runs with SUM). */
function naiveRiscvWalk(exercise: TranslateExercise, vaddr: bigint, access: { user: boolean; write: boolean }): { physical: number } | { errorCode: number } {
  const shape = RISCV_SHAPES[exercise.arch.name];
  assert.ok(shape !== undefined, `a shape for ${exercise.arch.name}`);
  const cause = access.write ? RV_STORE_FAULT : RV_LOAD_FAULT;
  let table = BigInt(exercise.root);
  let shift = 12 + shape.bits.reduce((a, b) => a + b, 0);
  let entry = 0n;
  for (const width of shape.bits) {
    shift -= width;
    const index = Number((vaddr >> BigInt(shift)) & ((1n << BigInt(width)) - 1n));
    entry = dumpEntry(exercise.tables, Number(table) + index * shape.entryBytes, shape.entryBytes);
    if ((entry & RV_V) === 0n) return { errorCode: cause };
    table = ((entry >> 10n) & ((1n << 44n) - 1n)) * 4096n;
  }
  if ((access.user && (entry & RV_U) === 0n) || (access.write && (entry & RV_W) === 0n)) return { errorCode: cause };
  return { physical: Number(table + (vaddr % BigInt(PAGE))) };
}

/** A student's walk with nothing but the dump and CR3: physical address, or the error code. */
function naiveWalk(exercise: TranslateExercise, vaddr: bigint, access: { user: boolean; write: boolean }): { physical: number } | { errorCode: number } {
  if (exercise.arch.name.startsWith("riscv")) return naiveRiscvWalk(exercise, vaddr, access);
  const shape = SHAPES[exercise.arch.name];
  assert.ok(shape !== undefined, `a shape for ${exercise.arch.name}`);
  const bits = (access.write ? W : 0) | (access.user ? U : 0);
  let table = BigInt(exercise.root);
  let shift = 12 + shape.bits.reduce((a, b) => a + b, 0);
  let rights = BigInt(U | W);
  for (const [level, width] of shape.bits.entries()) {
    shift -= width;
    const index = Number((vaddr >> BigInt(shift)) & ((1n << BigInt(width)) - 1n));
    const entry = dumpEntry(exercise.tables, Number(table) + index * shape.entryBytes, shape.entryBytes);
    if ((entry & BigInt(P)) === 0n) return { errorCode: bits };
    if (level > 0 || shape.rootHasRights) rights &= entry;
    table = entry & FRAME_MASK;
  }
  if ((access.user && (rights & BigInt(U)) === 0n) || (access.write && (rights & BigInt(W)) === 0n)) return { errorCode: P | bits };
  return { physical: Number(table + (vaddr % BigInt(PAGE))) };
}

/** Every mode's exercise for every seed of {@link SEEDS}, generated once for the tests that check them all. */
let sample: TranslateExercise[] | undefined;
function everyModeAndSeed(): TranslateExercise[] {
  sample ??= ARCHES.flatMap((arch) => SEEDS.map((seed) => generateTranslateExercise({ arch, seed, count: 10 })));
  return sample;
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

  test("x86-64 seed 42's exercise with answers is the checked-in golden text (the engine's TableMapper and X86Mmu)", () => {
    const exercise = generateTranslateExercise({ arch: "x86-64", seed: 42, count: 6 });
    assert.equal(renderTranslateExercise(exercise, { answers: true }), fixture("translate-x86-64-seed-42.txt"));
  });

  test("riscv-sv39 seed 42's exercise with answers is the checked-in golden text (RiscvMmu: causes 13 and 15, rights from the leaf)", () => {
    const exercise = generateTranslateExercise({ arch: "riscv-sv39", seed: 42, count: 6 });
    assert.equal(renderTranslateExercise(exercise, { answers: true }), fixture("translate-riscv-sv39-seed-42.txt"));
  });

  test("the same seed gives the same exercise; a different seed a different one", () => {
    const text = (seed: number): string => renderTranslateExercise(generateTranslateExercise({ seed }), { answers: true });
    assert.equal(text(123), text(123));
    assert.notEqual(text(123), text(124));
  });

  test("in every mode, every answer is what a student walking the dump by hand gets (a naive walker over the dumped bytes)", () => {
    for (const exercise of everyModeAndSeed()) {
      for (const q of exercise.questions) {
        const expected = naiveWalk(exercise, BigInt(q.vaddr), q.access);
        const got = q.answer.physical === null ? { errorCode: q.answer.fault?.errorCode } : { physical: Number(q.answer.physical) };
        assert.deepEqual(got, expected, `${exercise.arch.name} seed ${exercise.seed}, question ${q.number}: ${hex(q.vaddr)}`);
      }
    }
  });

  test("in every mode, each question's kind is what the MMU says: valid translates, not-present has P=0, the others are protection faults", () => {
    for (const exercise of everyModeAndSeed()) {
      for (const q of exercise.questions) {
        const { fault } = q.answer;
        const where = `${exercise.arch.name} seed ${exercise.seed}, question ${q.number} (${q.kind})`;
        if (q.kind === "valid") assert.equal(fault, null, where);
        else if (q.kind === "not-present") assert.equal(fault?.reason.endsWith("not-present"), true, where);
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

  test("x86-64 addresses are canonical: user ones in the lower half, kernel ones sign-extended in the upper half", () => {
    const exercise = generateTranslateExercise({ arch: "x86-64", seed: 42 });
    for (const region of exercise.regions) {
      const start = BigInt(region.start);
      assert.equal(region.user ? start < 1n << 47n : start >= 0xffff800000000000n, true, `${region.label} at ${hex(start, 16)}`);
    }
    assert.match(renderTranslateExercise(exercise, { answers: false }), /^PML4 table at 0x[0-9A-F]{8} \(CR3\):$/m);
  });

  test("bad requests are typed errors naming the supported modes", () => {
    assert.throws(() => generateTranslateExercise({ seed: 1, arch: "arm" }), (error: unknown) => {
      assert.ok(error instanceof QuizError, `expected a QuizError, got ${String(error)}`);
      assert.equal(error.code, "UnsupportedArch");
      assert.match(error.message, /"arm": not a paging mode \(supported: x86, x86-pae, x86-64, x86-64-la57, riscv-sv32, riscv-sv39, riscv-sv48, riscv-sv57\)/);
      return true;
    });
    assert.throws(() => generateTranslateExercise({ seed: -1 }), quizError("InvalidSeed"));
    assert.throws(() => generateTranslateExercise({ seed: 2 ** 32 }), quizError("InvalidSeed"));
    assert.throws(() => generateTranslateExercise({ seed: 1, count: 0 }), quizError("InvalidCount"));
    assert.throws(() => generateTranslateExercise({ seed: 1, count: 41 }), quizError("InvalidCount"));
  });
});
