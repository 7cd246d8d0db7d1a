import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { QuizError } from "../../src/errors/quiz-error.js";
import { ALLOC_QUIZ_BLOCKS, ALLOC_QUIZ_START, allocJson, generateAllocExercise, renderAllocExercise } from "../../src/quiz/alloc.js";

const BLOCK = 4096;
const MAP_CHARS = "123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** First fit by hand: the lowest run of `n` free slots. */
function firstFit(slots: readonly string[], n: number): number | null {
  for (let i = 0; i + n <= slots.length; i++) {
    if (slots.slice(i, i + n).every((s) => s === ".")) return i;
  }
  return null;
}

describe("kmem quiz alloc: the first-fit exercise", () => {
  test("every answer is what first fit by hand gives, and each free map shows exactly the live allocations", () => {
    let nulls = 0;
    for (let seed = 0; seed < 300; seed++) {
      const exercise = generateAllocExercise({ seed, count: 30 });
      const slots: string[] = new Array<string>(ALLOC_QUIZ_BLOCKS).fill(".");
      const where = new Map<string, { first: number; blocks: number }>();
      for (const [i, step] of exercise.steps.entries()) {
        const at = `seed ${seed}, step ${i + 1}`;
        if (step.op === "alloc") {
          const first = firstFit(slots, step.blocks);
          assert.equal(step.address, first === null ? null : ALLOC_QUIZ_START + first * BLOCK, at);
          if (first === null) nulls++;
          else {
            const char = MAP_CHARS[Number(step.name.slice(1)) - 1] ?? "?";
            slots.fill(char, first, first + step.blocks);
            where.set(step.name, { first, blocks: step.blocks });
          }
        } else {
          const placed = where.get(step.name);
          assert.ok(placed !== undefined, `${at}: free(${step.name}) of an allocation that is live`);
          assert.equal(step.address, ALLOC_QUIZ_START + placed.first * BLOCK, at);
          slots.fill(".", placed.first, placed.first + placed.blocks);
          where.delete(step.name);
        }
        assert.equal(step.freeMap, slots.join(""), at);
      }
    }
    assert.ok(nulls > 0, "some requests find no room: fragmentation shows");
  });

  test("the same seed gives the same requests; the text lists them, and the answers only with --answers", () => {
    const exercise = generateAllocExercise({ seed: 3 });
    assert.deepEqual(generateAllocExercise({ seed: 3 }), exercise);
    const question = renderAllocExercise(exercise, { answers: false });
    const answered = renderAllocExercise(exercise, { answers: true });
    assert.match(question, /^ {3}1\. a1 = alloc\(\d\)$/m);
    assert.ok(!question.includes("->"), "no answers in the question");
    assert.match(answered, /^ {3}1\. a1 = alloc\(\d\) +-> 0x00400000 {2}1+\.+$/m);
  });

  test("--json lists the requests and, with --answers, each address and free map", () => {
    const exercise = generateAllocExercise({ seed: 3, count: 2 });
    assert.deepEqual(allocJson(exercise, { answers: true }), {
      quiz: "alloc",
      seed: 3,
      start: "0x00400000",
      end: "0x00410000",
      blockSize: 4096,
      requests: [
        { op: "alloc", name: "a1", blocks: 4 },
        { op: "free", name: "a1" },
      ],
      answers: [
        { address: "0x00400000", freeMap: "1111............" },
        { address: "0x00400000", freeMap: "................" },
      ],
    });
  });

  test("bad requests are typed errors", () => {
    assert.throws(() => generateAllocExercise({ seed: 1, count: 31 }), (e: unknown) => e instanceof QuizError && e.code === "InvalidCount");
    assert.throws(() => generateAllocExercise({ seed: 1.5 }), (e: unknown) => e instanceof QuizError && e.code === "InvalidSeed");
  });
});
