import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { SortedBlocks } from "../src/sorted-blocks.js";
import { assertProperty } from "./helpers/property.js";

const SEED = 0x5b10c;

describe("SortedBlocks", () => {
  test(`random adds and deletes agree with a sorted array on membership order and floor (fast-check seed ${SEED})`, () => {
    const op = fc.record({ add: fc.boolean(), key: fc.oneof(fc.integer({ min: 0, max: 3000 }), fc.constantFrom(0, 2 ** 52 - 1)) });
    assertProperty(
      fc.property(fc.array(op, { minLength: 1, maxLength: 2500 }), fc.array(fc.integer({ min: 0, max: 3100 }), { maxLength: 20 }), (ops, probes) => {
        const set = new SortedBlocks();
        const model = new Set<number>();
        for (const { add, key } of ops) {
          if (add) {
            set.add(key);
            model.add(key);
          } else {
            set.delete(key);
            model.delete(key);
          }
        }
        const sorted = [...model].sort((a, b) => a - b);
        assert.deepEqual([...set], sorted, "iteration is the sorted keys");
        for (const probe of [...probes, 2 ** 52]) {
          const below = sorted.filter((key) => key <= probe);
          assert.equal(set.floor(probe), below.length === 0 ? -1 : below[below.length - 1], `floor(${probe})`);
        }
      }),
      { seed: SEED, numRuns: 60 },
    );
  });

  test("an empty set has no floor and lists nothing", () => {
    const set = new SortedBlocks();
    set.delete(3);
    assert.equal(set.floor(10), -1);
    assert.deepEqual([...set], []);
  });
});
