import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { BitmapAllocator } from "../../src/alloc/bitmap-allocator.js";
import { assertProperty } from "../helpers/property.js";

const SEED = 0xb17a;
const SIZE = 200;

/** The lowest `b` with `[b, b + count)` free in `used` and `(b + phase) % alignment === 0`. */
function naiveFit(used: readonly boolean[], count: number, alignment: number, phase: number): number | null {
  for (let b = 0; b + count <= used.length; b++) {
    if ((b + phase) % alignment === 0 && used.slice(b, b + count).every((u) => !u)) return b;
  }
  return null;
}

describe("BitmapAllocator", () => {
  test(`findFree honours alignment with any phase, as a naive scan does (fast-check seed ${SEED})`, () => {
    assertProperty(
      fc.property(
        fc.array(fc.record({ first: fc.integer({ min: 0, max: SIZE - 1 }), count: fc.integer({ min: 1, max: 12 }) }), { maxLength: 30 }),
        fc.array(fc.record({ count: fc.integer({ min: 1, max: 20 }), alignment: fc.constantFrom(1, 2, 4, 8, 16, 3), phase: fc.integer({ min: 0, max: 2 ** 40 }) }), { minLength: 1, maxLength: 10 }),
        (reservations, queries) => {
          const blocks = new BitmapAllocator(SIZE);
          const used = new Array<boolean>(SIZE).fill(false);
          for (const { first, count } of reservations) {
            const n = Math.min(count, SIZE - first);
            blocks.reserve(first, n);
            used.fill(true, first, first + n);
          }
          for (const { count, alignment, phase } of queries) {
            assert.equal(blocks.findFree(count, alignment, phase), naiveFit(used, count, alignment, phase), `findFree(${count}, ${alignment}, ${phase})`);
          }
        },
      ),
      { seed: SEED, numRuns: 200 },
    );
  });

  test("stats count free runs, the largest one and the fragmentation index", () => {
    const blocks = new BitmapAllocator(100);
    assert.deepEqual(blocks.stats(), { freeBlocks: 100, freeExtents: 1, largestFreeExtent: 100, fragmentationIndex: 0 });
    blocks.reserve(10, 5);
    blocks.reserve(40, 30);
    blocks.reserve(95, 5);
    assert.deepEqual(blocks.stats(), { freeBlocks: 60, freeExtents: 3, largestFreeExtent: 25, fragmentationIndex: 1 - 25 / 60 });
    blocks.reserve(0, 100);
    assert.deepEqual(blocks.stats(), { freeBlocks: 0, freeExtents: 0, largestFreeExtent: 0, fragmentationIndex: 0 });
  });

  test("queries report used and free blocks in a range", () => {
    const blocks = new BitmapAllocator(64);
    blocks.reserve(33, 2);
    assert.equal(blocks.firstUsedIn(0, 64), 33);
    assert.equal(blocks.isUsed(34), true);
    assert.equal(blocks.isUsed(35), false);
    blocks.release(33, 2);
    assert.equal(blocks.firstUsedIn(0, 64), null);
  });
});
