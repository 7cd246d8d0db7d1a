import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { BuddyFrames } from "../../src/alloc/buddy.js";
import { extfragIndex, unusableIndex } from "../../src/alloc/buddy-stats.js";
import { assertProperty } from "../helpers/property.js";

const SEED = 0xb0dd;

function assertValid(frames: BuddyFrames): void {
  assert.equal(frames.checkInvariants(), null, "buddy invariants");
}

describe("BuddyFrames", () => {
  test("a fresh allocator holds its memory as maximal aligned blocks", () => {
    const frames = new BuddyFrames(1024 * 3 + 5);
    const { orders } = frames.buddyStats();
    assert.deepEqual(orders.map((o) => o.freeBlocks), [1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 3]);
    assert.equal(frames.freeBlocks, 3077);
    assertValid(frames);
  });

  test("allocRuns splits the lowest block of the smallest sufficient order and merges touching pieces", () => {
    const frames = new BuddyFrames(4096);
    assert.deepEqual(frames.allocRuns(5), [0, 5]);
    assert.equal(frames.allocContiguous(1024, 1024), 1024);
    assert.deepEqual(frames.buddyStats().orders[10]!.freeBlocks, 2);
    assert.equal(frames.allocOne(), 5);
    // 6–7 is a free order-1 block, 8–15 order 3: 3 blocks come as 2 + 1, from different places.
    assert.deepEqual(frames.allocRuns(3), [6, 3]);
    assertValid(frames);
  });

  test("allocRuns falls back to smaller blocks when memory is fragmented, and fails whole", () => {
    const frames = new BuddyFrames(16, { maxOrder: 4 });
    for (const b of [1, 5, 9, 13]) frames.reserve(b, 1);
    assert.equal(frames.buddyStats().orders[4]!.freeBlocks, 0);
    assert.equal(frames.allocRuns(13), null);
    assert.equal(frames.freeBlocks, 12, "a failed allocRuns takes nothing");
    assert.deepEqual(frames.allocRuns(12), [0, 1, 2, 3, 6, 3, 10, 3, 14, 2]);
    assert.equal(frames.freeBlocks, 0);
    assertValid(frames);
  });

  test("allocContiguous takes a naturally aligned block and frees its tail, or searches across buddies", () => {
    const frames = new BuddyFrames(64, { maxOrder: 3 });
    assert.equal(frames.allocContiguous(3, 4), 0);
    assert.equal(frames.isUsed(3), false, "the tail of the order-2 block went back");
    assert.equal(frames.allocContiguous(12, 4), 4, "12 blocks exceed the largest order: the lowest aligned run, across buddies");
    assert.equal(frames.firstUsedIn(3, 20), 4);
    assert.equal(frames.firstFreeIn(4, 30), 16);
    assert.equal(frames.allocContiguous(5, 3), 18, "a non-power-of-two alignment searches the bitmap");
    assert.equal(frames.allocContiguous(64, 1), null);
    assertValid(frames);
  });

  test("reserve of an arbitrary range splits the free blocks it cuts; release merges them back", () => {
    const frames = new BuddyFrames(1024);
    const before = frames.buddyStats();
    frames.reserve(3, 250);
    assert.equal(frames.freeBlocks, 1024 - 250);
    assert.equal(frames.isUsed(2), false);
    assert.equal(frames.isUsed(252), true);
    assert.equal(frames.isUsed(253), false);
    assertValid(frames);
    frames.reserve(100, 400);
    assertValid(frames);
    frames.release(3, 497);
    assertValid(frames);
    assert.deepEqual(frames.buddyStats(), before);
  });

  test("stats count maximal free runs across buddy boundaries", () => {
    const frames = new BuddyFrames(64);
    frames.reserve(10, 1);
    frames.reserve(40, 8);
    assert.deepEqual(frames.stats(), { freeBlocks: 55, freeExtents: 3, largestFreeExtent: 29, fragmentationIndex: 1 - 29 / 55 });
  });

  test("bad max orders are RangeErrors", () => {
    assert.throws(() => new BuddyFrames(16, { maxOrder: -1 }), RangeError);
    assert.throws(() => new BuddyFrames(16, { maxOrder: 31 }), RangeError);
  });
});

describe("Linux's fragmentation indices", () => {
  test("extfrag_index follows __fragmentation_index: -1000 when a block fits, else 1000 − (1000 + pages·1000/requested) / blocks", () => {
    // 8 free order-0 blocks and 2 order-1 blocks: 12 pages in 10 blocks.
    const free = [8, 2, 0, 0];
    assert.equal(extfragIndex(free, 0), -1000);
    assert.equal(extfragIndex(free, 1), -1000);
    // order 2: 1000 − (1000 + 12000/4) / 10 = 1000 − 400 = 600.
    assert.equal(extfragIndex(free, 2), 600);
    // order 3: 1000 − (1000 + 1500) / 10 = 750.
    assert.equal(extfragIndex(free, 3), 750);
    assert.equal(extfragIndex([0, 0, 0], 2), 0);
    // One order-0 page: lack of memory, not fragmentation: 1000 − (1000 + 500) / 1 → negative, as Linux computes it.
    assert.equal(extfragIndex([1, 0], 1), 1000 - 1500);
  });

  test("unusable_index is the share of free pages in blocks smaller than the order", () => {
    const free = [8, 2, 0, 0];
    assert.equal(unusableIndex(free, 0), 0);
    assert.equal(unusableIndex(free, 1), Math.floor((8 * 1000) / 12));
    assert.equal(unusableIndex(free, 2), 1000);
  });

  test("buddyStats reports per-order counts and both indices in thousandths", () => {
    const frames = new BuddyFrames(16, { maxOrder: 2 });
    frames.reserve(1, 1);
    frames.reserve(6, 1);
    frames.reserve(9, 1);
    frames.reserve(14, 1);
    const { maxOrder, orders } = frames.buddyStats();
    assert.equal(maxOrder, 2);
    assert.deepEqual(orders.map((o) => o.freeBlocks), [4, 4, 0]);
    assert.equal(orders[1]!.extfragIndex, -1);
    assert.equal(orders[2]!.extfragIndex, (1000 - Math.floor((1000 + (12 * 1000) / 4) / 8)) / 1000);
    assert.equal(orders[2]!.unusableIndex, 1);
  });
});

type Op =
  | { kind: "one" }
  | { kind: "runs"; count: number }
  | { kind: "contiguous"; count: number; alignment: number }
  | { kind: "reserve"; first: number; count: number }
  | { kind: "release"; pick: number; trim: number };

describe(`BuddyFrames against a boolean-array model (fast-check seed ${SEED})`, () => {
  const size = 200;
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.constant({ kind: "one" as const }),
    fc.record({ kind: fc.constant("runs" as const), count: fc.integer({ min: 0, max: 70 }) }),
    fc.record({ kind: fc.constant("contiguous" as const), count: fc.integer({ min: 1, max: 40 }), alignment: fc.constantFrom(1, 2, 3, 4, 16, 32, 64) }),
    fc.record({ kind: fc.constant("reserve" as const), first: fc.integer({ min: 0, max: size - 1 }), count: fc.integer({ min: 1, max: 50 }) }),
    fc.record({ kind: fc.constant("release" as const), pick: fc.nat(), trim: fc.nat({ max: 2 }) }),
  );

  test("no block is handed out twice, counts are exact, and freeing everything restores the initial free lists", () => {
    assertProperty(fc.property(fc.array(op, { maxLength: 60 }), fc.integer({ min: 1, max: 6 }), (ops, maxOrder) => {
      const frames = new BuddyFrames(size, { maxOrder });
      const initial = frames.buddyStats();
      const used = new Array<boolean>(size).fill(false);
      const owned: Array<[number, number]> = [];
      const take = (first: number, count: number): void => {
        for (let b = first; b < first + count; b++) {
          assert.equal(used[b], false, `block ${b} handed out twice`);
          used[b] = true;
        }
        owned.push([first, count]);
      };
      for (const o of ops) {
        const freeBefore = used.filter((u) => !u).length;
        switch (o.kind) {
          case "one": {
            const block = frames.allocOne();
            assert.equal(block === null, freeBefore === 0);
            if (block !== null) take(block, 1);
            break;
          }
          case "runs": {
            const runs = frames.allocRuns(o.count);
            assert.equal(runs === null, o.count > freeBefore);
            if (runs === null) break;
            let total = 0;
            for (let i = 0; i < runs.length; i += 2) {
              if (i > 0) assert.ok(runs[i - 2]! + runs[i - 1]! < runs[i]!, "runs ascend and do not touch");
              take(runs[i]!, runs[i + 1]!);
              total += runs[i + 1]!;
            }
            assert.equal(total, o.count);
            break;
          }
          case "contiguous": {
            const first = frames.allocContiguous(o.count, o.alignment);
            if (first === null) {
              for (let b = 0; b + o.count <= size; b += o.alignment) {
                assert.ok(used.slice(b, b + o.count).includes(true), `a free aligned run at ${b} was missed`);
              }
              break;
            }
            assert.equal(first % o.alignment, 0);
            take(first, o.count);
            break;
          }
          case "reserve": {
            const count = Math.min(o.count, size - o.first);
            frames.reserve(o.first, count);
            for (let b = o.first; b < o.first + count; b++) used[b] = true;
            break;
          }
          case "release": {
            if (owned.length === 0) break;
            const i = o.pick % owned.length;
            const [first, count] = owned[i]!;
            const trim = Math.min(o.trim, count - 1);
            frames.release(first + trim, count - trim);
            for (let b = first + trim; b < first + count; b++) used[b] = false;
            if (trim === 0) owned.splice(i, 1);
            else owned[i] = [first, trim];
            break;
          }
        }
        assert.equal(frames.freeBlocks, used.filter((u) => !u).length);
        for (let b = 0; b < size; b++) assert.equal(frames.isUsed(b), used[b]);
        assertValid(frames);
      }
      for (let b = 0; b < size; b++) if (used[b]) frames.release(b, 1);
      assert.deepEqual(frames.buddyStats(), initial);
      assertValid(frames);
    }), { seed: SEED, numRuns: 150 });
  });
});
