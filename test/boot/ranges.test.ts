import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { alignDown, alignOutward, alignUp, clip, covers, normalize, overlaps, subtract } from "../../src/boot/ranges.js";
import type { Range } from "../../src/types.js";
import { assertProperty } from "../helpers/property.js";

const SPACE = 64;

/** The set of integer points a list of ranges covers, as a boolean array over [0, SPACE). */
function points(ranges: readonly Range[]): boolean[] {
  const covered = new Array<boolean>(SPACE).fill(false);
  for (const r of ranges) {
    for (let i = r.start; i < r.end; i++) {
      covered[i] = true;
    }
  }
  return covered;
}

const rangeArb = fc
  .tuple(fc.integer({ min: 0, max: SPACE }), fc.integer({ min: 0, max: SPACE }))
  .map(([a, b]): Range => ({ start: Math.min(a, b), end: Math.max(a, b) }));
const rangesArb = fc.array(rangeArb, { maxLength: 8 });

function isNormalized(ranges: readonly Range[]): boolean {
  return ranges.every((r, i) => r.end > r.start && (i === 0 || r.start > (ranges[i - 1]?.end ?? -1)));
}

describe("ranges", () => {
  test("alignDown and alignUp round to 4 KiB blocks, also above 2^31", () => {
    assert.equal(alignDown(0x1234), 0x1000);
    assert.equal(alignUp(0x1001), 0x2000);
    assert.equal(alignUp(0x2000), 0x2000);
    assert.equal(alignDown(0xffff_ffff), 0xffff_f000);
    assert.equal(alignUp(0xffff_f001), 0x1_0000_0000);
    assert.deepEqual(alignOutward({ start: 0xb_8010, end: 0xb_8020 }), { start: 0xb_8000, end: 0xb_9000 });
  });

  test("overlaps treats ranges as half-open", () => {
    assert.equal(overlaps({ start: 0, end: 8 }, { start: 8, end: 9 }), false);
    assert.equal(overlaps({ start: 0, end: 9 }, { start: 8, end: 9 }), true);
  });

  test("normalize covers the same points with sorted, disjoint, non-touching ranges", () => {
    assertProperty(
      fc.property(rangesArb, (ranges) => {
        const result = normalize(ranges);
        assert.ok(isNormalized(result), "normalize gives sorted, disjoint, non-touching ranges");
        assert.deepEqual(points(result), points(ranges));
      }),
      { seed: 0x5eed20 },
    );
  });

  test("subtract, clip and covers agree with a point-set model", () => {
    assertProperty(
      fc.property(rangesArb, rangesArb, rangeArb, (a, b, within) => {
        const pa = points(a);
        const pb = points(b);
        const pw = points([within]);
        const difference = subtract(a, b);
        assert.ok(isNormalized(difference), "subtract gives sorted, disjoint, non-touching ranges");
        assert.deepEqual(points(difference), pa.map((x, i) => x && !pb[i]));
        assert.deepEqual(points(clip(a, within)), pa.map((x, i) => x && pw[i]));
        assert.equal(covers(normalize(a), within), pw.every((x, i) => !x || pa[i]));
      }),
      { seed: 0x5eed21 },
    );
  });
});
