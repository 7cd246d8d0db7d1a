import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { SeedBitmap } from "../../bench/seed/bitmap.js";
import { seedFillAlloc } from "../../bench/seed/fill.js";
import { SEED_BLOCK_SIZE, SeedPmm } from "../../bench/seed/pmm.js";
import { SeedVmm, type SeedMapper } from "../../bench/seed/vmm.js";

const ATTRS = { kernel: true, writable: true, cachable: true };

/** The seed's test mapper: records mapped blocks in a bitmap (vmm.zig `testMap`/`testUnmap`). */
function recordingMapper(entries: number): SeedMapper<number> & { mapped: SeedBitmap } {
  const mapped = new SeedBitmap(entries);
  return {
    mapped,
    mapFn(vStart, vEnd, _pStart, _pEnd, _attrs, payload) {
      assert.equal(payload, 39);
      for (let v = vStart; v < vEnd; v += SEED_BLOCK_SIZE) mapped.setEntry(v / SEED_BLOCK_SIZE);
    },
    unmapFn(vStart, vEnd, payload) {
      assert.equal(payload, 39);
      for (let v = vStart; v < vEnd; v += SEED_BLOCK_SIZE) mapped.clearEntry(v / SEED_BLOCK_SIZE);
    },
  };
}

describe("seed bitmap port", () => {
  test("setContiguous returns the first run of clear entries, scanning across words", () => {
    const bits = new SeedBitmap(96);
    for (const i of [0, 3, 31, 33]) bits.setEntry(i);
    assert.equal(bits.setContiguous(2), 1);
    assert.equal(bits.setContiguous(28), 34);
    assert.equal(bits.setContiguous(27), 4);
    assert.equal(bits.setContiguous(1), 32);
    assert.equal(bits.numFreeEntries, 96 - 4 - 2 - 28 - 27 - 1);
  });

  test("setContiguous returns null when no run is long enough, changing nothing", () => {
    const bits = new SeedBitmap(40);
    bits.setEntry(20);
    assert.equal(bits.setContiguous(21), null);
    assert.equal(bits.numFreeEntries, 39);
  });

  test("setFirstFree skips full words and sets the lowest clear entry", () => {
    const bits = new SeedBitmap(70);
    for (let i = 0; i < 40; i++) bits.setEntry(i);
    assert.equal(bits.setFirstFree(), 40);
    assert.equal(bits.isSet(40), true);
  });

  test("setEntry and clearEntry past the end throw OutOfBounds", () => {
    const bits = new SeedBitmap(10);
    assert.throws(() => bits.setEntry(10), { code: "OutOfBounds" });
    assert.throws(() => bits.clearEntry(10), { code: "OutOfBounds" });
  });
});

describe("seed PMM port", () => {
  test("alloc hands out blocks from address 0 upwards, then null (pmm.zig test alloc)", () => {
    const pmm = new SeedPmm(32 * SEED_BLOCK_SIZE);
    for (let i = 0; i < 32; i++) {
      assert.equal(pmm.alloc(), i * SEED_BLOCK_SIZE);
      assert.equal(pmm.blocksFree(), 31 - i);
    }
    assert.equal(pmm.alloc(), null);
  });

  test("free of a free block throws NotAllocated (pmm.zig test free)", () => {
    const pmm = new SeedPmm(32 * SEED_BLOCK_SIZE);
    const addr = pmm.alloc()!;
    pmm.free(addr);
    assert.throws(() => pmm.free(addr), { code: "NotAllocated" });
  });
});

describe("seed VMM port", () => {
  test("alloc and free follow the seed's own test (vmm.zig test alloc and free)", () => {
    const entries = 512;
    const mapper = recordingMapper(entries);
    const vmm = new SeedVmm(0, entries * SEED_BLOCK_SIZE, new SeedPmm(entries * SEED_BLOCK_SIZE), mapper, 39);
    const allocations: number[] = [];
    let entry = 0;
    while (entry < entries) {
      const num = entry > 400 ? 8 : entry > 320 ? 14 : entry > 270 ? 9 : entry > 150 ? 26 : 1;
      const result = vmm.alloc(num, ATTRS);
      if (entry + num > entries) {
        assert.equal(result, null);
      } else {
        assert.equal(result, entry * SEED_BLOCK_SIZE);
        allocations.push(result);
        for (let b = entry; b < entry + num; b++) assert.equal(mapper.mapped.isSet(b), true);
      }
      entry += num;
    }
    for (const addr of allocations) {
      const physical = [...vmm.allocations.get(addr)!.physical];
      for (const p of physical) assert.equal(vmm.pmm.isSet(p), true);
      vmm.free(addr);
      assert.equal(vmm.allocations.has(addr), false);
      assert.equal(vmm.isSet(addr), false);
      for (const p of physical) assert.equal(vmm.pmm.isSet(p), false);
    }
    assert.equal(mapper.mapped.numFreeEntries, entries);
  });

  test("free of an unallocated address throws NotAllocated", () => {
    const vmm = new SeedVmm(0, 64 * SEED_BLOCK_SIZE, new SeedPmm(64 * SEED_BLOCK_SIZE), recordingMapper(64), 39);
    assert.throws(() => vmm.free(0), { code: "NotAllocated" });
  });

  test("the fill fast path leaves the state the real alloc leaves", () => {
    const blocks = 256;
    const make = (): SeedVmm<number> => new SeedVmm(0, blocks * SEED_BLOCK_SIZE, new SeedPmm(blocks * SEED_BLOCK_SIZE), recordingMapper(blocks), 39);
    const fast = make();
    const real = make();
    for (const n of [3, 1, 17, 64, 5, 30]) {
      assert.equal(seedFillAlloc(fast, n, ATTRS), real.alloc(n, ATTRS));
    }
    assert.deepEqual(fast.bmp.bitmaps, real.bmp.bitmaps);
    assert.deepEqual(fast.pmm.bitmap.bitmaps, real.pmm.bitmap.bitmaps);
    assert.deepEqual([...fast.allocations], [...real.allocations]);
  });
});
