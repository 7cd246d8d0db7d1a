import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Bitmap } from "../src/bitmap.js";
import { firstFreeRun, longestFreeRun, popcount, prefixFree, suffixFree } from "../src/bitmap-words.js";
import { BitmapError } from "../src/errors/bitmap-error.js";
import { assertProperty } from "./helpers/property.js";

/** Naive first fit over a boolean array: the reference for every search. */
function naiveFirstFit(bits: readonly boolean[], n: number, alignment = 1, from = 0, phase = 0): number | null {
  if (n === 0) return null;
  let i = from;
  while ((i + phase) % alignment !== 0) i++;
  for (; i + n <= bits.length; i += alignment) {
    let free = true;
    for (let j = i; j < i + n && free; j++) free = !bits[j];
    if (free) return i;
  }
  return null;
}

function naiveLongestRun(word: number): number {
  let best = 0;
  let run = 0;
  for (let i = 0; i < 32; i++) {
    run = (word >>> i) & 1 ? 0 : run + 1;
    best = Math.max(best, run);
  }
  return best;
}

describe("bitmap word summaries", () => {
  const words = [0, 0xffffffff, 1, 0x80000000, 0x80000001, 0x0000ff00, 0xf0f0f0f0, 0x7ffffffe, 0x00010000, 0xaaaaaaaa, 0x12345678];
  test("prefix, suffix and longest free run match a bit-by-bit count", () => {
    for (const word of words) {
      let prefix = 0;
      while (prefix < 32 && ((word >>> prefix) & 1) === 0) prefix++;
      let suffix = 0;
      while (suffix < 32 && ((word >>> (31 - suffix)) & 1) === 0) suffix++;
      assert.equal(prefixFree(word), prefix, `prefix of ${word.toString(16)}`);
      assert.equal(suffixFree(word), suffix, `suffix of ${word.toString(16)}`);
      assert.equal(longestFreeRun(word), naiveLongestRun(word), `longest of ${word.toString(16)}`);
    }
  });

  test("word summaries agree with the naive count on random words", () => {
    assertProperty(fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 1, max: 32 }), (word, n) => {
      assert.equal(longestFreeRun(word), naiveLongestRun(word));
      const bits = Array.from({ length: 32 }, (_, i) => ((word >>> i) & 1) === 1);
      assert.equal(firstFreeRun(word, n), naiveFirstFit(bits, n) ?? -1);
      assert.equal(popcount(word), bits.filter(Boolean).length);
    }), { seed: 0x5eed10, numRuns: 2000 });
  });
});

describe("Bitmap", () => {
  test("a new bitmap has every entry clear and counts them", () => {
    const bits = new Bitmap(70);
    assert.equal(bits.numEntries, 70);
    assert.equal(bits.numFreeEntries, 70);
    for (let i = 0; i < 70; i++) assert.equal(bits.isSet(i), false);
  });

  test("a new bitmap of any size has one free run of exactly numEntries", () => {
    for (const size of [1, 31, 32, 33, 64, 95, 96, 160, 513, 1024, 4097, 65535]) {
      const bits = new Bitmap(size);
      assert.equal(bits.findContiguous(size), 0, `size ${size}`);
      assert.equal(bits.findContiguous(size + 1), null, `size ${size}`);
      assert.equal(bits.findContiguous(1, 1, size - 1), size - 1, `size ${size}`);
      bits.set(size - 1);
      assert.equal(bits.findContiguous(size), null, `size ${size}`);
      assert.equal(bits.findContiguous(size - 1), size === 1 ? null : 0, `size ${size}`);
    }
  });

  test("set and clear are idempotent and keep numFreeEntries right", () => {
    const bits = new Bitmap(40);
    bits.set(33);
    bits.set(33);
    assert.equal(bits.numFreeEntries, 39);
    assert.equal(bits.isSet(33), true);
    bits.clear(33);
    bits.clear(33);
    bits.clear(5);
    assert.equal(bits.numFreeEntries, 40);
    assert.equal(bits.isSet(33), false);
  });

  test("the highest bit of a word is set and cleared without sign trouble", () => {
    const bits = new Bitmap(64);
    bits.set(31);
    assert.equal(bits.isSet(31), true);
    assert.equal(bits.snapshot()[0], 0x80000000);
    bits.clear(31);
    assert.equal(bits.snapshot()[0], 0);
    assert.equal(bits.numFreeEntries, 64);
  });

  for (const [index, numEntries] of [[-1, 10], [10, 10], [1.5, 10], [0, 0]] as const) {
    test(`index ${index} of a ${numEntries}-entry bitmap throws OutOfBounds naming both`, () => {
      const bits = new Bitmap(numEntries);
      for (const op of [() => bits.set(index), () => bits.clear(index), () => bits.isSet(index)]) {
        assert.throws(op, (error: unknown) => {
          assert.ok(error instanceof BitmapError, `a BitmapError, got ${String(error)}`);
          assert.equal(error.code, "OutOfBounds");
          assert.deepEqual(error.data, { index, numEntries });
          assert.match(error.message, new RegExp(`${index}.*${numEntries} entries`));
          return true;
        });
      }
    });
  }

  test("ranges outside the bitmap throw OutOfBounds and change nothing", () => {
    const bits = new Bitmap(100);
    const before = bits.snapshot();
    assert.throws(() => bits.setRange(90, 11), { code: "OutOfBounds" });
    assert.throws(() => bits.clearRange(-1, 2), { code: "OutOfBounds" });
    assert.throws(() => bits.isRangeClear(101, 0), { code: "OutOfBounds" });
    assert.deepEqual(bits.snapshot(), before);
    assert.equal(bits.numFreeEntries, 100);
  });

  test("setRange and clearRange span words and count only changed entries", () => {
    const bits = new Bitmap(200);
    bits.set(50);
    bits.setRange(30, 100);
    assert.equal(bits.numFreeEntries, 100);
    assert.equal(bits.isSet(29), false);
    assert.equal(bits.isSet(30), true);
    assert.equal(bits.isSet(129), true);
    assert.equal(bits.isSet(130), false);
    assert.equal(bits.isRangeClear(130, 70), true);
    assert.equal(bits.isRangeClear(0, 31), false);
    assert.equal(bits.findFirstSet(0, 200), 30);
    assert.equal(bits.findFirstSet(130, 70), null);
    assert.equal(bits.findFirstClear(30, 170), 130);
    assert.equal(bits.findFirstClear(31, 99), null);
    assert.equal(bits.findFirstClear(0, 0), null);
    bits.clearRange(64, 64);
    assert.equal(bits.numFreeEntries, 164);
    assert.equal(bits.findContiguous(64), 64);
    assert.equal(bits.findContiguous(65), 130);
    assert.equal(bits.findContiguous(71), null);
  });

  const firstFitCases: Array<{ name: string; size: number; used: Array<[number, number]>; n: number; alignment?: number; from?: number; phase?: number; expected: number | null }> = [
    { name: "empty bitmap", size: 512, used: [], n: 9, expected: 0 },
    { name: "after a used prefix", size: 512, used: [[0, 3]], n: 1, expected: 3 },
    { name: "skips a hole too small", size: 512, used: [[0, 3], [5, 10]], n: 3, expected: 15 },
    { name: "run crossing a word boundary", size: 100, used: [[0, 30], [34, 66]], n: 4, expected: 30 },
    { name: "run spanning several words", size: 300, used: [[0, 1], [40, 1]], n: 200, expected: 41 },
    { name: "exactly the whole bitmap", size: 77, used: [], n: 77, expected: 0 },
    { name: "longer than the bitmap", size: 77, used: [], n: 78, expected: null },
    { name: "longer than every free run", size: 1000, used: [[100, 1], [300, 1], [600, 1]], n: 400, expected: null },
    { name: "run ending at a non-multiple-of-32 end", size: 70, used: [[0, 65]], n: 5, expected: 65 },
    { name: "aligned inside a longer run", size: 256, used: [[0, 3]], n: 8, alignment: 16, expected: 16 },
    { name: "aligned start blocked, next aligned slot", size: 256, used: [[0, 3], [20, 1]], n: 8, alignment: 16, expected: 32 },
    { name: "from skips earlier runs", size: 256, used: [[10, 1]], n: 4, from: 5, expected: 5 },
    { name: "from inside a word", size: 256, used: [[40, 2]], n: 3, from: 38, expected: 42 },
    { name: "from with alignment", size: 256, used: [], n: 2, alignment: 8, from: 9, expected: 16 },
    { name: "from at the end", size: 256, used: [], n: 1, from: 256, expected: null },
    { name: "phase shifts the aligned slots", size: 256, used: [], n: 4, alignment: 8, phase: 3, expected: 5 },
    { name: "phase of a whole alignment changes nothing", size: 256, used: [[0, 1]], n: 4, alignment: 8, phase: 16, expected: 8 },
    { name: "phase with a blocked first slot", size: 256, used: [[0, 3], [7, 1]], n: 4, alignment: 8, phase: 3, expected: 13 },
    { name: "phase larger than the bitmap", size: 256, used: [], n: 2, alignment: 64, phase: 2 ** 40 + 1, expected: 63 },
    { name: "phase pushes the only slot past the end", size: 64, used: [], n: 8, alignment: 64, phase: 1, expected: null },
  ];
  for (const c of firstFitCases) {
    test(`findContiguous first fit: ${c.name}`, () => {
      const bits = new Bitmap(c.size);
      const naive = new Array<boolean>(c.size).fill(false);
      for (const [start, count] of c.used) {
        bits.setRange(start, count);
        naive.fill(true, start, start + count);
      }
      const found = bits.findContiguous(c.n, c.alignment ?? 1, c.from ?? 0, c.phase ?? 0);
      assert.equal(found, c.expected);
      assert.equal(found, naiveFirstFit(naive, c.n, c.alignment ?? 1, c.from ?? 0, c.phase ?? 0));
    });
  }

  test("setContiguous sets the run it returns and setFirstFree fills holes in order", () => {
    const bits = new Bitmap(64);
    assert.equal(bits.setContiguous(3), 0);
    bits.set(5);
    assert.equal(bits.setContiguous(4, 8), 8);
    assert.equal(bits.setFirstFree(), 3);
    assert.equal(bits.setFirstFree(), 4);
    assert.equal(bits.setFirstFree(), 6);
    assert.equal(bits.numFreeEntries, 64 - 11);
  });

  test("setContiguous of zero entries returns null and changes nothing", () => {
    const bits = new Bitmap(10);
    assert.equal(bits.setContiguous(0), null);
    assert.equal(bits.numFreeEntries, 10);
  });

  test("invalid counts and alignments are RangeErrors", () => {
    const bits = new Bitmap(10);
    assert.throws(() => bits.setContiguous(1.5), RangeError);
    assert.throws(() => bits.setContiguous(2, 0), RangeError);
    assert.throws(() => bits.findContiguous(1, 1, 11), { code: "OutOfBounds" });
    assert.throws(() => bits.findContiguous(1, 2, 0, -1), RangeError);
    assert.throws(() => bits.findContiguous(1, 2, 0, 0.5), RangeError);
  });

  test("a full bitmap yields null from setFirstFree and setContiguous", () => {
    const bits = new Bitmap(33);
    bits.setRange(0, 33);
    assert.equal(bits.setFirstFree(), null);
    assert.equal(bits.setContiguous(1), null);
    assert.equal(bits.numFreeEntries, 0);
  });

  test("a zero-entry bitmap finds nothing", () => {
    const bits = new Bitmap(0);
    assert.equal(bits.setFirstFree(), null);
    assert.equal(bits.findContiguous(1), null);
  });

  test("a large bitmap finds a run after a long used prefix", () => {
    const size = 2 ** 20;
    const bits = new Bitmap(size);
    bits.setRange(0, size - 100);
    bits.set(size - 50);
    assert.equal(bits.setContiguous(50), size - 100);
    assert.equal(bits.setContiguous(49), size - 49);
    assert.equal(bits.setContiguous(1), null);
    assert.equal(bits.numFreeEntries, 0);
  });

  test("snapshot is an independent copy", () => {
    const bits = new Bitmap(40);
    const snap = bits.snapshot();
    bits.set(0);
    assert.equal(snap[0], 0);
    assert.notDeepEqual(bits.snapshot(), snap);
  });
});

type Op =
  | { kind: "set" | "clear"; index: number }
  | { kind: "setRange" | "clearRange"; index: number; count: number }
  | { kind: "setContiguous"; count: number; alignment: number }
  | { kind: "find"; count: number; alignment: number; from: number; phase: number }
  | { kind: "setFirstFree" };

function opArbitrary(size: number, maxCount = 80): fc.Arbitrary<Op> {
  const index = fc.integer({ min: 0, max: size - 1 });
  const count = fc.integer({ min: 0, max: Math.min(size, maxCount) });
  const alignment = fc.constantFrom(1, 1, 2, 3, 8, 32, 64);
  return fc.oneof(
    fc.record({ kind: fc.constantFrom("set" as const, "clear" as const), index }),
    fc.record({ kind: fc.constantFrom("setRange" as const, "clearRange" as const), index, count }).map((op) => ({ ...op, count: Math.min(op.count, size - op.index) })),
    fc.record({ kind: fc.constant("setContiguous" as const), count, alignment }),
    fc.record({ kind: fc.constant("find" as const), count, alignment, from: fc.integer({ min: 0, max: size }), phase: fc.integer({ min: 0, max: 200 }) }),
    fc.constant({ kind: "setFirstFree" as const }),
  );
}

describe("Bitmap against a boolean-array model", () => {
  for (const [size, maxCount] of [[1, 80], [31, 80], [32, 80], [33, 80], [95, 80], [160, 80], [200, 80], [513, 80], [1537, 600], [5000, 1200]] as const) {
    test(`random operations on ${size} entries match the naive model after every step`, () => {
      assertProperty(fc.property(fc.array(opArbitrary(size, maxCount), { maxLength: 80 }), (ops) => {
        const bits = new Bitmap(size);
        const model = new Array<boolean>(size).fill(false);
        for (const op of ops) {
          switch (op.kind) {
            case "set": bits.set(op.index); model[op.index] = true; break;
            case "clear": bits.clear(op.index); model[op.index] = false; break;
            case "setRange": bits.setRange(op.index, op.count); model.fill(true, op.index, op.index + op.count); break;
            case "clearRange": bits.clearRange(op.index, op.count); model.fill(false, op.index, op.index + op.count); break;
            case "setContiguous": {
              const expected = naiveFirstFit(model, op.count, op.alignment);
              assert.equal(bits.setContiguous(op.count, op.alignment), expected);
              if (expected !== null) model.fill(true, expected, expected + op.count);
              break;
            }
            case "find":
              assert.equal(bits.findContiguous(op.count, op.alignment, op.from, op.phase), naiveFirstFit(model, op.count, op.alignment, op.from, op.phase));
              break;
            case "setFirstFree": {
              const expected = naiveFirstFit(model, 1);
              assert.equal(bits.setFirstFree(), expected);
              if (expected !== null) model[expected] = true;
              break;
            }
          }
          assert.equal(bits.numFreeEntries, model.filter((b) => !b).length);
          for (let i = 0; i < size; i++) assert.equal(bits.isSet(i), model[i]);
          for (const n of [1, 2, 5, 33]) assert.equal(bits.findContiguous(n), naiveFirstFit(model, n));
          const runs = model.filter((used, i) => !used && (i === 0 || model[i - 1])).length;
          assert.equal(bits.countFreeRuns(), runs, "countFreeRuns");
          let longest = 0;
          for (let i = 0, run = 0; i < size; i++) longest = Math.max(longest, (run = model[i] ? 0 : run + 1));
          assert.equal(bits.largestFreeRun, longest, "largestFreeRun");
        }
      }), { seed: 0x5eed11, numRuns: 150 });
    });
  }
});
