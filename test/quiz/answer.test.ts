import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { QuizError } from "../../src/errors/quiz-error.js";
import { checkTranslateAnswer, parseTranslateAnswer } from "../../src/quiz/translate/answer.js";
import { generateTranslateExercise } from "../../src/quiz/translate/generate.js";

const exercise = generateTranslateExercise({ seed: 42, count: 8 });

function question(predicate: (q: (typeof exercise.questions)[number]) => boolean): (typeof exercise.questions)[number] {
  const found = exercise.questions.find(predicate);
  assert.ok(found !== undefined, "seed 42 has such a question");
  return found;
}

describe("checking a student's translation answer", () => {
  test("reads addresses and faults in the forms students write", () => {
    assert.deepEqual(parseTranslateAnswer(" 0x009e_23ec "), { kind: "physical", address: 0x009e23ecn });
    assert.deepEqual(parseTranslateAnswer("fault 0x7"), { kind: "fault", errorCode: 7 });
    assert.deepEqual(parseTranslateAnswer("Fault, error code 5"), { kind: "fault", errorCode: 5 });
    assert.deepEqual(parseTranslateAnswer("#PF 0x3"), { kind: "fault", errorCode: 3 });
    assert.deepEqual(parseTranslateAnswer("fault, scause 15"), { kind: "fault", errorCode: 15 });
    assert.deepEqual(parseTranslateAnswer("page fault cause=13"), { kind: "fault", errorCode: 13 });
    assert.deepEqual(parseTranslateAnswer("fault"), { kind: "fault", errorCode: null });
    for (const bad of ["", "9E23EC", "fault x", "0xZZ"]) {
      assert.throws(() => parseTranslateAnswer(bad), (e: unknown) => e instanceof QuizError && e.code === "InvalidAnswer", bad);
    }
  });

  test("a translation is right only with the exact physical address, with a hint for the right frame or offset", () => {
    const valid = question((q) => q.answer.fault === null);
    const physical = Number(valid.answer.physical);
    const right = checkTranslateAnswer(valid, `0x${physical.toString(16)}`);
    assert.equal(right.correct, true);
    const offBy = checkTranslateAnswer(valid, `0x${(physical ^ 1).toString(16)}`);
    assert.equal(offBy.correct, false);
    assert.match(offBy.message, /the right frame; check the offset/);
    const otherFrame = checkTranslateAnswer(valid, `0x${(physical + 0x1000).toString(16)}`);
    assert.match(otherFrame.message, /the right offset; check the frame/);
    assert.equal(checkTranslateAnswer(valid, "fault 0x5").correct, false);
  });

  test("a fault is right only with its error code", () => {
    const fault = question((q) => q.answer.fault !== null);
    const code = fault.answer.fault?.errorCode ?? -1;
    assert.equal(checkTranslateAnswer(fault, `fault 0x${code.toString(16)}`).correct, true);
    assert.equal(checkTranslateAnswer(fault, `fault ${code ^ 1}`).correct, false);
    assert.equal(checkTranslateAnswer(fault, "fault").correct, false);
    assert.equal(checkTranslateAnswer(fault, "0x00001000").correct, false);
    assert.equal(checkTranslateAnswer(fault, "fault").expected, `fault 0x${code.toString(16).toUpperCase()}`);
  });
});
