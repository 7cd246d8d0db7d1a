import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { QuizError } from "../../src/errors/quiz-error.js";
import { generatePolicyExercise, policyJson, renderPolicyExercise } from "../../src/quiz/policy.js";

const BELADY = [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5];

function quizError(code: string): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof QuizError, `expected a QuizError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  };
}

describe("kmem quiz policy: the replacement exercise", () => {
  test("a given trace is run as given, with no seed", () => {
    const exercise = generatePolicyExercise({ policy: "fifo", frames: 4, trace: BELADY });
    assert.equal(exercise.seed, null);
    assert.deepEqual(exercise.trace, BELADY);
    assert.equal(exercise.run.misses, 10);
  });

  test("a seed draws the same reference string every time, from frames + 2 pages", () => {
    const a = generatePolicyExercise({ policy: "lru", frames: 3, seed: 99, count: 30 });
    const b = generatePolicyExercise({ policy: "opt", frames: 3, seed: 99, count: 30 });
    assert.deepEqual(a.trace, b.trace, "the string depends on the seed and frames, not the policy");
    assert.equal(a.trace.length, 30);
    assert.ok(a.trace.every((page) => page >= 1 && page <= 5), `pages 1-5: ${a.trace.join(" ")}`);
    assert.notDeepEqual(generatePolicyExercise({ policy: "lru", frames: 3, seed: 100, count: 30 }).trace, a.trace);
  });

  test("the answers table has one row per reference, the frames after it and the totals", () => {
    const text = renderPolicyExercise(generatePolicyExercise({ policy: "fifo", frames: 3, trace: BELADY }), { answers: true });
    assert.match(text, /^ {5}4 {5}4 {2}miss {10}1 {2}4 2 3 {3}2 3 4$/m);
    assert.match(text, /^ {4}12 {5}5 {2}hit {11}- {2}5 3 4 {3}5 3 4$/m);
    assert.match(text, /9 misses \(page faults\) and 3 hits in 12 references: hit rate 25\.0%\./);
    const question = renderPolicyExercise(generatePolicyExercise({ policy: "fifo", frames: 3, trace: BELADY }), { answers: false });
    assert.equal(question.includes("Answers"), false, "no answers without --answers");
  });

  test("Clock rows show the reference bits and the hand; OPT rows each page's next use", () => {
    const clock = renderPolicyExercise(generatePolicyExercise({ policy: "clock", frames: 3, trace: [0, 1, 2, 0, 1, 3] }), { answers: true });
    assert.match(clock, /miss {10}0 {2}3 1 2 {3}1 0 0, hand at frame 1$/m);
    const opt = renderPolicyExercise(generatePolicyExercise({ policy: "opt", frames: 2, trace: [1, 2, 1, 3] }), { answers: true });
    assert.match(opt, /^ {5}2 {5}2 {2}miss {10}- {2}1 2 {5}1@3 2@never$/m);
  });

  test("--json carries the policy's state only where it has one", () => {
    const clock = policyJson(generatePolicyExercise({ policy: "clock", frames: 2, trace: [1, 2, 3] }), { answers: true });
    assert.deepEqual(JSON.parse(JSON.stringify(clock)), {
      quiz: "policy",
      policy: "clock",
      frames: 2,
      seed: null,
      trace: [1, 2, 3],
      answers: {
        steps: [
          { page: 1, hit: false, evicted: null, frames: [1, null], order: [1], referenced: [true, null], hand: 1 },
          { page: 2, hit: false, evicted: null, frames: [1, 2], order: [1, 2], referenced: [true, true], hand: 0 },
          { page: 3, hit: false, evicted: 1, frames: [3, 2], order: [2, 3], referenced: [true, false], hand: 1 },
        ],
        hits: 0,
        misses: 3,
      },
    });
    const fifo = policyJson(generatePolicyExercise({ policy: "fifo", frames: 2, trace: [1] }), { answers: false });
    assert.deepEqual(fifo, { quiz: "policy", policy: "fifo", frames: 2, seed: null, trace: [1] });
  });

  test("bad requests are typed errors", () => {
    assert.throws(() => generatePolicyExercise({ policy: "random", frames: 3, seed: 1 }), quizError("UnknownPolicy"));
    assert.throws(() => generatePolicyExercise({ policy: "lru", frames: 0, seed: 1 }), quizError("InvalidFrames"));
    assert.throws(() => generatePolicyExercise({ policy: "lru", frames: 17, seed: 1 }), quizError("InvalidFrames"));
    assert.throws(() => generatePolicyExercise({ policy: "lru", frames: 3, trace: [] }), quizError("InvalidTrace"));
    assert.throws(() => generatePolicyExercise({ policy: "lru", frames: 3, trace: [1, 1000] }), quizError("InvalidTrace"));
    assert.throws(() => generatePolicyExercise({ policy: "lru", frames: 3, seed: 1, count: 101 }), quizError("InvalidCount"));
  });
});
