import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ExtentAllocator, MAX_EXTENT_BLOCKS } from "../../src/alloc/extent-tree.js";
import { ExtentBTree, NIL } from "../../src/alloc/extent-btree.js";
import type { VirtualAllocator } from "../../src/alloc/policy.js";
import { BitmapAllocator } from "../../src/alloc/bitmap-allocator.js";
import { UsedIntervals } from "../helpers/used-intervals.js";
import { assertProperty } from "../helpers/property.js";

const SEED = 0x3e7e;

function assertValid(space: ExtentAllocator): void {
  assert.equal(space.checkInvariants(), null, "tree invariants");
}

describe("ExtentBTree", () => {
  test("inserting and removing thousands of extents in scattered order keeps order, fill, keys and maxima", () => {
    const tree = new ExtentBTree();
    const starts: number[] = [];
    for (let i = 0; i < 3000; i++) {
      // A permutation of 0..2999 (1237 is coprime to 3000), spaced 10 apart, lengths 1..9.
      const start = ((i * 1237) % 3000) * 10;
      tree.insert(start, 1 + (i % 9));
      starts.push(start);
      if (i % 500 === 0) assert.equal(tree.check(), null, `after ${i + 1} inserts`);
    }
    assert.equal(tree.check(), null);
    assert.equal(tree.size, 3000);
    assert.equal(tree.maxLength, 9);
    for (let i = 0; i < starts.length; i += 2) tree.remove(starts[i]!);
    assert.equal(tree.check(), null);
    assert.equal(tree.size, 1500);
    const seen: number[] = [];
    tree.forEach((start) => seen.push(start));
    assert.deepEqual(seen, starts.filter((_, i) => i % 2 === 1).sort((a, b) => a - b));
    for (let i = 1; i < starts.length; i += 2) tree.remove(starts[i]!);
    assert.equal(tree.check(), null);
    assert.equal(tree.size, 0);
    assert.equal(tree.maxLength, 0);
  });

  test("floor finds the extent at or below a block and the one after it, across leaves", () => {
    const tree = new ExtentBTree();
    for (let i = 0; i < 100; i++) tree.insert(i * 10, 5);
    for (const block of [0, 4, 5, 9, 10, 155, 995, 2000]) {
      const node = tree.floor(block);
      const expected = Math.floor(block / 10) * 10;
      assert.equal(tree.startOf(node), Math.min(expected, 990), `floor(${block})`);
      const next = tree.next;
      if (expected + 10 < 1000) assert.equal(tree.startOf(next), expected + 10, `next after ${block}`);
      else assert.equal(next, NIL, `nothing after ${block}`);
    }
    assert.equal(new ExtentBTree().floor(5), NIL);
  });

  test("removed nodes are recycled instead of growing the array", () => {
    const tree = new ExtentBTree();
    for (let i = 0; i < 400; i++) tree.insert(i * 2, 1);
    const bytes = tree.byteLength;
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 400; i++) tree.remove(i * 2);
      for (let i = 0; i < 400; i++) tree.insert(i * 2, 1);
    }
    assert.equal(tree.byteLength, bytes);
    assert.equal(tree.check(), null);
  });
});

describe("ExtentAllocator", () => {
  test("a new allocator is one free extent of every block", () => {
    const space = new ExtentAllocator(1000);
    assert.equal(space.freeBlocks, 1000);
    assert.deepEqual(space.stats(), { freeBlocks: 1000, freeExtents: 1, largestFreeExtent: 1000, fragmentationIndex: 0 });
    assert.equal(space.findFree(1000, 1, 0), 0);
    assert.equal(space.findFree(1001, 1, 0), null);
    assert.equal(space.isUsed(999), false);
    assert.equal(space.firstUsedIn(0, 1000), null);
  });

  test("an empty allocator finds nothing and reports nothing free", () => {
    const space = new ExtentAllocator(0);
    assert.equal(space.findFree(1, 1, 0), null);
    assert.deepEqual(space.stats(), { freeBlocks: 0, freeExtents: 0, largestFreeExtent: 0, fragmentationIndex: 0 });
  });

  test("reserve splits an extent and release merges it back with both neighbours", () => {
    const space = new ExtentAllocator(100);
    space.reserve(10, 5);
    space.reserve(20, 5);
    assert.deepEqual(space.freeRuns(), [0, 10, 15, 5, 25, 75]);
    assert.deepEqual(space.stats(), { freeBlocks: 90, freeExtents: 3, largestFreeExtent: 75, fragmentationIndex: 1 - 75 / 90 });
    assert.equal(space.isUsed(10), true);
    assert.equal(space.isUsed(15), false);
    assert.equal(space.firstUsedIn(0, 10), null);
    assert.equal(space.firstUsedIn(0, 11), 10);
    assert.equal(space.firstUsedIn(12, 50), 12);
    assert.equal(space.firstUsedIn(15, 10), 20);
    space.release(20, 5);
    assert.deepEqual(space.freeRuns(), [0, 10, 15, 85]);
    space.release(10, 5);
    assert.deepEqual(space.freeRuns(), [0, 100]);
    assertValid(space);
  });

  test("release merges with only the neighbour that touches it", () => {
    const space = new ExtentAllocator(30);
    space.reserve(0, 30);
    space.release(10, 5);
    assert.deepEqual(space.freeRuns(), [10, 5]);
    space.release(15, 2);
    assert.deepEqual(space.freeRuns(), [10, 7]);
    space.release(8, 2);
    assert.deepEqual(space.freeRuns(), [8, 9]);
    space.release(20, 10);
    assert.deepEqual(space.freeRuns(), [8, 9, 20, 10]);
    assertValid(space);
  });

  test("findFree honours alignment and phase, skipping extents whose aligned start does not fit", () => {
    const space = new ExtentAllocator(256);
    space.reserve(0, 3);
    space.reserve(12, 4);
    // Free: [3, 12), [16, 256). An aligned 8 at phase 0 does not fit in [3, 12).
    assert.equal(space.findFree(8, 8, 0), 16);
    assert.equal(space.findFree(8, 1, 0), 3);
    // Phase 5: b + 5 ≡ 0 (mod 8) at b = 3, 11, 19, …; [3, 12) holds 9 blocks from 3, not 10.
    assert.equal(space.findFree(9, 8, 5), 3);
    assert.equal(space.findFree(10, 8, 5), 19);
    assert.equal(space.findFree(4, 8, 5), 3);
    assert.equal(space.findFree(2, 8, 2 ** 40 + 5), 3);
  });

  test("a 2^52-block space allocates, aligns and frees at its top end exactly", () => {
    const n = MAX_EXTENT_BLOCKS;
    const space = new ExtentAllocator(n);
    space.reserve(0, n - 100);
    assert.equal(space.findFree(100, 1, 0), n - 100);
    assert.equal(space.findFree(1, 2 ** 51, 0), null);
    assert.equal(space.findFree(1, 2 ** 51, 2 ** 51 - 1), null);
    space.release(2 ** 51, 2 ** 50);
    assert.equal(space.findFree(1, 2 ** 51, 0), 2 ** 51);
    assert.equal(space.findFree(3, 2 ** 40, 1), 2 ** 51 + 2 ** 40 - 1);
    assert.equal(space.firstUsedIn(2 ** 51 - 1, 3), 2 ** 51 - 1);
    assert.equal(space.firstUsedIn(2 ** 51, 2 ** 50 + 1), 2 ** 51 + 2 ** 50);
    assert.equal(space.isUsed(n - 1), false);
    assert.equal(space.isUsed(n - 101), true);
    space.reserve(n - 1, 1);
    assert.equal(space.isUsed(n - 1), true);
    assert.equal(space.freeBlocks, 2 ** 50 + 99);
    assertValid(space);
  });

  test("sizes outside [0, 2^52] are RangeErrors", () => {
    assert.throws(() => new ExtentAllocator(-1), RangeError);
    assert.throws(() => new ExtentAllocator(2 ** 52 + 1), RangeError);
    assert.throws(() => new ExtentAllocator(1.5), RangeError);
  });
});

type Op =
  | { kind: "alloc"; count: number; alignment: number; phase: number }
  | { kind: "free"; pick: number; trim: number }
  | { kind: "reserveAt"; block: number; count: number }
  | { kind: "query"; block: number; count: number };

function opArbitrary(blockRange: number, maxCount: number): fc.Arbitrary<Op> {
  const count = fc.integer({ min: 1, max: maxCount });
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant("alloc" as const), count, alignment: fc.constantFrom(1, 1, 1, 2, 4, 16, 64, 1024), phase: fc.integer({ min: 0, max: 5000 }) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("free" as const), pick: fc.nat(), trim: fc.nat({ max: 3 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("reserveAt" as const), block: fc.integer({ min: 0, max: blockRange - 1 }), count }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("query" as const), block: fc.integer({ min: 0, max: blockRange - 1 }), count }) },
  );
}

/**
 * Drives every allocator with the same operations (allocations by first fit, frees of live
 * allocations or parts of them, fixed-address reserves where free, queries) and demands the
 * same answers from all; `base` offsets every block (to test near the top of a huge space).
 */
function runOps(allocators: readonly VirtualAllocator[], ops: readonly Op[], base: number, check: () => void): void {
  const [reference, ...others] = allocators;
  const live: Array<[number, number]> = [];
  const numBlocks = reference!.numBlocks;
  for (const op of ops) {
    switch (op.kind) {
      case "alloc": {
        const found = reference!.findFree(op.count, op.alignment, op.phase);
        for (const other of others) assert.equal(other.findFree(op.count, op.alignment, op.phase), found, `findFree(${op.count}, ${op.alignment}, ${op.phase})`);
        if (found !== null) {
          for (const a of allocators) a.reserve(found, op.count);
          live.push([found, op.count]);
        }
        break;
      }
      case "free": {
        if (live.length === 0) break;
        const i = op.pick % live.length;
        const [first, count] = live[i]!;
        // Release a whole allocation, or all but its first `trim` blocks (a partial free).
        const trim = Math.min(op.trim, count - 1);
        for (const a of allocators) a.release(first + trim, count - trim);
        if (trim === 0) live.splice(i, 1);
        else live[i] = [first, trim];
        break;
      }
      case "reserveAt": {
        const first = base + op.block;
        const count = Math.min(op.count, numBlocks - first);
        const used = reference!.firstUsedIn(first, count);
        for (const other of others) assert.equal(other.firstUsedIn(first, count), used, `firstUsedIn(${first}, ${count})`);
        if (used === null) {
          for (const a of allocators) a.reserve(first, count);
          live.push([first, count]);
        }
        break;
      }
      case "query": {
        const block = base + op.block;
        const count = Math.min(op.count, numBlocks - block);
        const used = reference!.isUsed(block);
        const firstUsed = reference!.firstUsedIn(block, count);
        for (const other of others) {
          assert.equal(other.isUsed(block), used, `isUsed(${block})`);
          assert.equal(other.firstUsedIn(block, count), firstUsed, `firstUsedIn(${block}, ${count})`);
        }
        break;
      }
    }
    for (const other of others) assert.equal(other.freeBlocks, reference!.freeBlocks, "freeBlocks");
    check();
  }
}

describe(`ExtentAllocator property tests (fast-check seed ${SEED})`, () => {
  test("random operations on 300 blocks match the interval model, with invariants after every step", () => {
    assertProperty(fc.property(fc.array(opArbitrary(300, 40), { maxLength: 120 }), (ops) => {
      const model = new UsedIntervals(300);
      const space = new ExtentAllocator(300);
      runOps([model, space], ops, 0, () => {
        assertValid(space);
        assert.deepEqual(space.stats(), model.stats());
      });
    }), { seed: SEED, numRuns: 200 });
  });

  test("a Bitmap-backed allocator and the ExtentAllocator give identical results on 2^20 blocks", () => {
    const size = 2 ** 20;
    assertProperty(fc.property(fc.array(opArbitrary(size, 5000), { minLength: 50, maxLength: 400 }), (ops) => {
      const bitmap = new BitmapAllocator(size);
      const space = new ExtentAllocator(size);
      runOps([bitmap, space], ops, 0, () => undefined);
      assert.deepEqual(space.stats(), bitmap.stats());
      assertValid(space);
    }), { seed: SEED, numRuns: 40 });
  });

  test("near 2^52 blocks the ExtentAllocator matches the interval model exactly", () => {
    const size = MAX_EXTENT_BLOCKS;
    const base = size - 2 ** 20;
    assertProperty(fc.property(fc.array(opArbitrary(2 ** 20, 2 ** 18), { maxLength: 60 }), (ops) => {
      const model = new UsedIntervals(size);
      const space = new ExtentAllocator(size);
      // Everything below the top 2^20 blocks is used, except a few scattered holes.
      model.reserve(0, base);
      space.reserve(0, base);
      for (const hole of [7, 2 ** 30 + 3, 2 ** 51 - 5]) {
        model.release(hole, 4);
        space.release(hole, 4);
      }
      runOps([model, space], ops, base, () => {
        assertValid(space);
        assert.deepEqual(space.stats(), model.stats());
      });
    }), { seed: SEED, numRuns: 60 });
  });
});
