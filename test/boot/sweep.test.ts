import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { findClash, firstCover, type KeyedRange } from "../../src/boot/sweep.js";
import type { Range } from "../../src/types.js";
import { assertProperty } from "../helpers/property.js";

/** The fixed seed (KMEM_SEED overrides it; a failure prints the seed that replays it). */
const SEED = 0x5ee9;
const SPACE = 48;

const rangeArb = fc
  .tuple(fc.integer({ min: 0, max: SPACE - 1 }), fc.integer({ min: 1, max: 12 }))
  .map(([start, length]): Range => ({ start, end: start + length }));
const keyedArb = fc.array(fc.record({ range: rangeArb, key: fc.integer({ min: 0, max: 2 }) }), { maxLength: 10 });

function overlap(a: Range, b: Range): boolean {
  return a.start < b.end && b.start < a.end;
}

/** The reference: every pair, O(n²). */
function clashingPairs(items: readonly KeyedRange[], strict?: readonly boolean[]): Set<string> {
  const pairs = new Set<string>();
  items.forEach((a, i) =>
    items.forEach((b, j) => {
      const counts = strict === undefined || strict[i] === true || strict[j] === true;
      if (i < j && counts && a.key !== b.key && overlap(a.range, b.range)) pairs.add(`${i},${j}`);
    }),
  );
  return pairs;
}

/** A range whose `start` and `end` reads are counted. */
function countedRange(start: number, end: number, counter: { reads: number }): Range {
  return {
    get start() {
      counter.reads++;
      return start;
    },
    get end() {
      counter.reads++;
      return end;
    },
  };
}

const LARGE = 16_000;
/** Generous: n log2 n reads times a constant; comparing every pair would take n²/2 ≈ 1.3e8. */
const READ_BUDGET = 40 * LARGE * Math.log2(LARGE);

describe("findClash", () => {
  test("finds a clashing pair exactly when the pairwise reference finds one, and the pair it names clashes", () => {
    assertProperty(
      fc.property(keyedArb, fc.array(fc.boolean(), { minLength: 10, maxLength: 10 }), fc.boolean(), (items, flags, useStrict) => {
        const strict = useStrict ? flags : undefined;
        const expected = clashingPairs(items, strict);
        const clash = findClash(items, strict === undefined ? {} : { strict });
        assert.equal(clash !== null, expected.size > 0, `clash ${JSON.stringify(clash)}, expected one of ${[...expected].join(" ")}`);
        if (clash !== null) assert.equal(expected.has(`${clash.earlier},${clash.later}`), true, `${clash.earlier},${clash.later} is not a clash`);
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  test("touching ranges and overlapping ranges with equal keys do not clash; two lenient ranges never clash", () => {
    const a = { range: { start: 0, end: 8 }, key: "x" };
    const b = { range: { start: 8, end: 16 }, key: "y" };
    const c = { range: { start: 2, end: 8 }, key: "x" };
    assert.equal(findClash([a, b, c]), null);
    assert.deepEqual(findClash([a, b, { range: { start: 4, end: 12 }, key: "y" }]), { earlier: 0, later: 2 });
    assert.equal(findClash([a, { range: { start: 4, end: 12 }, key: "y" }], { strict: [false, false] }), null);
    assert.deepEqual(findClash([a, { range: { start: 4, end: 12 }, key: "y" }], { strict: [false, true] }), { earlier: 0, later: 1 });
  });

  test("a clash hidden behind a same-key range that reaches further is still found", () => {
    const items = [
      { range: { start: 0, end: 10 }, key: 1 },
      { range: { start: 20, end: 100 }, key: 2 },
      { range: { start: 5, end: 30 }, key: 2 },
    ];
    assert.deepEqual(findClash(items), { earlier: 0, later: 2 });
  });

  test(`reads each of ${LARGE} ranges O(log n) times, not once per other range`, () => {
    const counter = { reads: 0 };
    const items = Array.from({ length: LARGE }, (_, i) => ({ range: countedRange(i * 2, i * 2 + 1, counter), key: i % 3 }));
    assert.equal(findClash(items), null);
    assert.equal(counter.reads < READ_BUDGET, true, `${counter.reads} reads for ${LARGE} ranges (budget ${Math.round(READ_BUDGET)})`);
  });
});

describe("firstCover", () => {
  test("gives each point to the first range listed that covers it, as sorted, merged pieces", () => {
    assertProperty(
      fc.property(fc.array(rangeArb, { maxLength: 10 }), (ranges) => {
        const pieces = firstCover(ranges);
        assert.equal(pieces.length, ranges.length);
        for (let x = 0; x < SPACE + 12; x++) {
          const owner = ranges.findIndex((r) => r.start <= x && x < r.end);
          const holders = pieces.flatMap((list, i) => (list.some((p) => p.start <= x && x < p.end) ? [i] : []));
          assert.deepEqual(holders, owner < 0 ? [] : [owner], `point ${x}`);
        }
        for (const list of pieces) {
          list.forEach((p, i) => assert.equal(p.end > p.start && (i === 0 || p.start > (list[i - 1]?.end ?? 0)), true, `pieces ${JSON.stringify(list)} not sorted and merged`));
        }
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  test(`reads each of ${LARGE} nested ranges a constant number of times`, () => {
    const counter = { reads: 0 };
    // Every range contains all later ones: subtracting earlier ranges one by one is quadratic here.
    const ranges = Array.from({ length: LARGE }, (_, i) => countedRange(i, 2 * LARGE - i, counter));
    const pieces = firstCover(ranges);
    assert.deepEqual(pieces[0], [{ start: 0, end: 2 * LARGE }]);
    assert.equal(pieces.slice(1).every((list) => list.length === 0), true, "later ranges get nothing");
    assert.equal(counter.reads <= 4 * LARGE, true, `${counter.reads} reads`);
  });
});
