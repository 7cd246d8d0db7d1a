import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ReplacementError } from "../../src/errors/replacement-error.js";
import {
  ClockPolicy,
  OptimalPolicy,
  REPLACEMENT_POLICIES,
  type ReferenceBits,
  createReplacementPolicy,
} from "../../src/process/replacement.js";
import { runReplacement } from "../../src/quiz/replacement-run.js";
import { assertProperty } from "../helpers/property.js";

const PROPERTY_SEED = 16;
/** OSTEP, "Beyond Physical Memory: Policies", figures 22.1–22.5 (cache of 3 pages). */
const OSTEP_TRACE = [0, 1, 2, 0, 1, 3, 0, 3, 1, 2, 1];
/** Silberschatz, Operating System Concepts, §10.4 (3 frames: FIFO 15, OPT 9, LRU 12 faults). */
const SILBERSCHATZ_TRACE = [7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1];
const BELADY_TRACE = [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5];

function evictions(trace: readonly number[], policy: "fifo" | "lru" | "clock" | "opt", frames: number): number[] {
  return runReplacement(trace, { policy, frames }).steps.flatMap((step) => (step.evicted === null ? [] : [step.evicted]));
}

function replacementError(code: string): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof ReplacementError, `expected a ReplacementError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  };
}

describe("page-replacement policies against textbook examples", () => {
  test("OSTEP's trace with 3 frames: FIFO misses 7 (evicting 0, 1, 2, 3), LRU and OPT miss 5", () => {
    assert.equal(runReplacement(OSTEP_TRACE, { policy: "fifo", frames: 3 }).misses, 7);
    assert.deepEqual(evictions(OSTEP_TRACE, "fifo", 3), [0, 1, 2, 3]);
    assert.equal(runReplacement(OSTEP_TRACE, { policy: "lru", frames: 3 }).misses, 5);
    assert.deepEqual(evictions(OSTEP_TRACE, "lru", 3), [2, 0]);
    assert.equal(runReplacement(OSTEP_TRACE, { policy: "opt", frames: 3 }).misses, 5);
    // At the 3: next uses 0@6, 1@8, 2@9 -> 2. At the 2: 0 and 3 are never used again; 0 came first.
    assert.deepEqual(evictions(OSTEP_TRACE, "opt", 3), [2, 0]);
  });

  test("Clock on OSTEP's trace, by hand: the full sweep clears every bit and takes 0, then 1, 2, and 3 after a second sweep", () => {
    const run = runReplacement(OSTEP_TRACE, { policy: "clock", frames: 3 });
    assert.equal(run.misses, 7);
    assert.deepEqual(evictions(OSTEP_TRACE, "clock", 3), [0, 1, 2, 3]);
    const last = run.steps.at(-1);
    assert.deepEqual(last?.frames, [2, 0, 1]);
    assert.deepEqual(last?.referenced, [true, false, true]);
    assert.equal(last?.hand, 1);
  });

  test("Silberschatz's reference string with 3 frames: FIFO 15, LRU 12, OPT 9 faults", () => {
    assert.equal(runReplacement(SILBERSCHATZ_TRACE, { policy: "fifo", frames: 3 }).misses, 15);
    assert.equal(runReplacement(SILBERSCHATZ_TRACE, { policy: "lru", frames: 3 }).misses, 12);
    assert.equal(runReplacement(SILBERSCHATZ_TRACE, { policy: "opt", frames: 3 }).misses, 9);
  });

  test("Belady's anomaly: FIFO faults 9 times with 3 frames and 10 times with 4", () => {
    assert.equal(runReplacement(BELADY_TRACE, { policy: "fifo", frames: 3 }).misses, 9);
    assert.equal(runReplacement(BELADY_TRACE, { policy: "fifo", frames: 4 }).misses, 10);
  });

  test("each step records the frames after it: a miss fills the lowest empty frame, then the victim's frame", () => {
    const run = runReplacement([1, 2, 3, 4, 2], { policy: "fifo", frames: 3 });
    assert.deepEqual(
      run.steps.map((s) => [s.page, s.hit, s.evicted, s.frames]),
      [
        [1, false, null, [1, null, null]],
        [2, false, null, [1, 2, null]],
        [3, false, null, [1, 2, 3]],
        [4, false, 1, [4, 2, 3]],
        [2, true, null, [4, 2, 3]],
      ],
    );
    assert.deepEqual(run.steps.at(-1)?.order, [2, 3, 4]);
  });

  test("OPT reports each resident page's next use, null when never used again", () => {
    const run = runReplacement([1, 2, 1, 3], { policy: "opt", frames: 2 });
    assert.deepEqual(run.steps[1]?.order, [1, 2]);
    assert.deepEqual(run.steps[1]?.nextUse, [2, null]);
    // At the 3, neither 1 nor 2 is used again: the one resident longest (1) goes.
    assert.equal(run.steps[3]?.evicted, 1);
    assert.deepEqual(run.steps[3]?.order, [2, 3]);
  });
});

describe("the policy API's contract", () => {
  test("Clock with external reference bits reads and clears them instead of keeping its own", () => {
    const bits = new Map<number, boolean>();
    const external: ReferenceBits<number> = {
      isReferenced: (page) => bits.get(page) === true,
      clearReferenced: (page) => void bits.set(page, false),
    };
    const clock = new ClockPolicy<number>(2, external);
    clock.admit(10);
    clock.admit(11);
    bits.set(10, true);
    clock.reference(10);
    assert.equal(clock.evict(), 11, "11's bit is clear: the hand skips 10 (clearing it) and takes 11");
    assert.equal(bits.get(10), false, "the sweep cleared 10's accessed bit");
    bits.set(11, true);
    clock.reference(10);
    assert.equal(bits.get(10), false, "reference() does not set an external bit: the hardware does");
  });

  test("misuse is a typed error and leaves the policy unchanged", () => {
    for (const name of REPLACEMENT_POLICIES) {
      const policy = createReplacementPolicy<number>(name, { frames: 1, future: [5, 6] });
      assert.throws(() => policy.evict(), replacementError("NothingResident"), name);
      assert.throws(() => policy.reference(5), replacementError("NotResident"), name);
      policy.admit(5);
      assert.throws(() => policy.admit(5), replacementError("AlreadyResident"), name);
      assert.throws(() => policy.admit(6), replacementError("CapacityExceeded"), name);
      assert.throws(() => policy.remove(6), replacementError("NotResident"), name);
      assert.deepEqual(policy.order(), [5], `${name} still holds 5`);
      policy.remove(5);
      assert.equal(policy.size, 0, name);
    }
    assert.throws(() => createReplacementPolicy("fifo", { frames: 0 }), replacementError("InvalidFrames"));
    assert.throws(() => createReplacementPolicy("opt", { frames: 2 }), replacementError("TraceMismatch"));
  });

  test("OPT refuses a reference that is not the future's next, and seek resynchronises it", () => {
    const opt = new OptimalPolicy<number>(2, [1, 2, 1]);
    opt.admit(1);
    opt.admit(2);
    assert.throws(() => opt.reference(2), replacementError("TraceMismatch"));
    opt.seek(1);
    opt.reference(2);
    assert.equal(opt.position, 2);
    assert.equal(opt.nextUse(1), 2);
    assert.equal(opt.nextUse(2), null);
    assert.equal(opt.evict(), 2);
  });
});

describe("replacement properties (fast-check, seed 16)", () => {
  const traces = fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 1, maxLength: 60 });

  test("OPT never misses more than FIFO, LRU or Clock; LRU and OPT never miss more with more frames", () => {
    assertProperty(
      fc.property(traces, fc.integer({ min: 1, max: 6 }), (trace, frames) => {
        const opt = runReplacement(trace, { policy: "opt", frames }).misses;
        for (const name of ["fifo", "lru", "clock"] as const) {
          assert.ok(opt <= runReplacement(trace, { policy: name, frames }).misses, `OPT beat by ${name}`);
        }
        for (const name of ["lru", "opt"] as const) {
          const fewer = runReplacement(trace, { policy: name, frames }).misses;
          const more = runReplacement(trace, { policy: name, frames: frames + 1 }).misses;
          assert.ok(more <= fewer, `${name}: ${more} misses with ${frames + 1} frames, ${fewer} with ${frames}`);
        }
      }),
      { seed: PROPERTY_SEED, numRuns: 200 },
    );
  });

  test("every run keeps at most `frames` distinct pages, each step's frames hold exactly the policy's residents", () => {
    assertProperty(
      fc.property(traces, fc.integer({ min: 1, max: 5 }), fc.constantFrom(...REPLACEMENT_POLICIES), (trace, frames, policy) => {
        const run = runReplacement(trace, { policy, frames });
        assert.equal(run.hits + run.misses, trace.length);
        for (const step of run.steps) {
          const held = step.frames.filter((page): page is number => page !== null);
          assert.deepEqual([...held].sort(), [...step.order].sort(), "frames and policy agree");
          assert.ok(held.includes(step.page), "the referenced page is resident after its step");
        }
      }),
      { seed: PROPERTY_SEED, numRuns: 200 },
    );
  });
});
