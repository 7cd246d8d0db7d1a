import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { LowestFirstFrames } from "../../src/alloc/lowest-first.js";
import { PhysicalMemoryManager } from "../../src/pmm.js";
import { BLOCK_SIZE } from "../../src/types.js";
import { assertProperty } from "../helpers/property.js";

const SEED = 0x10f1;

/** Expands ascending `(first, length)` runs into their block numbers. */
function blocksOf(runs: readonly number[]): number[] {
  const blocks: number[] = [];
  for (let i = 0; i < runs.length; i += 2) {
    for (let b = runs[i]!; b < runs[i]! + runs[i + 1]!; b++) blocks.push(b);
  }
  return blocks;
}

describe("LowestFirstFrames", () => {
  test("allocRuns takes the lowest free blocks as maximal runs", () => {
    const frames = new LowestFirstFrames(64);
    frames.reserve(2, 3);
    frames.reserve(8, 1);
    assert.deepEqual(frames.allocRuns(6), [0, 2, 5, 3, 9, 1]);
    assert.equal(frames.freeBlocks, 64 - 10);
    assert.equal(frames.allocRuns(55), null);
    assert.equal(frames.freeBlocks, 54, "a failed allocRuns takes nothing");
    assert.deepEqual(frames.allocRuns(0), []);
  });

  test("allocOne, allocContiguous and the queries follow the bitmap", () => {
    const frames = new LowestFirstFrames(64);
    assert.equal(frames.allocOne(), 0);
    assert.equal(frames.allocContiguous(4, 8), 8);
    assert.equal(frames.allocOne(), 1);
    assert.equal(frames.isUsed(9), true);
    assert.equal(frames.firstUsedIn(2, 10), 8);
    assert.equal(frames.firstFreeIn(8, 10), 12);
    frames.release(8, 4);
    assert.equal(frames.firstUsedIn(2, 62), null);
    assert.deepEqual(frames.stats(), { freeBlocks: 62, freeExtents: 1, largestFreeExtent: 62, fragmentationIndex: 0 });
    frames.reserve(10, 2);
    assert.deepEqual(frames.stats(), { freeBlocks: 60, freeExtents: 2, largestFreeExtent: 52, fragmentationIndex: 1 - 52 / 60 });
  });

  test(`allocRuns gives exactly the blocks PhysicalMemoryManager.allocBlocks gives (fast-check seed ${SEED})`, () => {
    const size = 300;
    const op = fc.oneof(
      fc.record({ kind: fc.constant("alloc" as const), count: fc.integer({ min: 0, max: 40 }) }),
      fc.record({ kind: fc.constant("reserve" as const), first: fc.integer({ min: 0, max: size - 1 }), count: fc.integer({ min: 1, max: 30 }) }),
      fc.record({ kind: fc.constant("release" as const), pick: fc.nat() }),
    );
    assertProperty(fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
      const frames = new LowestFirstFrames(size);
      const pmm = new PhysicalMemoryManager({ memoryBytes: size * BLOCK_SIZE });
      const owned: number[] = [];
      for (const o of ops) {
        if (o.kind === "alloc") {
          const runs = frames.allocRuns(o.count);
          const addresses = pmm.allocBlocks(o.count);
          assert.deepEqual(runs === null ? null : blocksOf(runs), addresses === null ? null : addresses.map((a) => a / BLOCK_SIZE));
          if (runs !== null) owned.push(...blocksOf(runs));
        } else if (o.kind === "reserve") {
          const count = Math.min(o.count, size - o.first);
          frames.reserve(o.first, count);
          pmm.setRange(o.first * BLOCK_SIZE, (o.first + count) * BLOCK_SIZE);
        } else if (owned.length > 0) {
          const [block] = owned.splice(o.pick % owned.length, 1);
          frames.release(block!, 1);
          pmm.free(block! * BLOCK_SIZE);
        }
        assert.equal(frames.freeBlocks, pmm.blocksFree());
      }
    }), { seed: SEED, numRuns: 150 });
  });
});
