import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { BootFrameAllocator } from "../../src/boot/boot-frames.js";
import { PhysicalMemoryManager } from "../../src/pmm.js";

const BLOCK = 0x1000;

describe("BootFrameAllocator", () => {
  test("hands out the lowest free block outside the claimed ranges and leaves the claimed ones free", () => {
    const pmm = new PhysicalMemoryManager({ memoryBytes: 16 * BLOCK, reserved: [{ start: 0, end: BLOCK }] });
    const frames = new BootFrameAllocator(pmm, [{ start: BLOCK, end: 4 * BLOCK }]);
    assert.equal(frames.alloc(), 4 * BLOCK);
    assert.equal(frames.alloc(), 5 * BLOCK);
    assert.equal(pmm.isRangeFree(BLOCK, 4 * BLOCK), true);
    assert.equal(pmm.blocksUsed(), 3);
  });

  test("returns null without taking anything when only claimed blocks are free", () => {
    const pmm = new PhysicalMemoryManager({ memoryBytes: 4 * BLOCK, reserved: [{ start: 0, end: 2 * BLOCK }] });
    const frames = new BootFrameAllocator(pmm, [{ start: 2 * BLOCK, end: 4 * BLOCK }]);
    assert.equal(frames.alloc(), null);
    assert.equal(pmm.blocksFree(), 2);
  });

  test("after release it hands out claimed blocks like the PMM, and frees through the PMM", () => {
    const pmm = new PhysicalMemoryManager({ memoryBytes: 4 * BLOCK });
    const frames = new BootFrameAllocator(pmm, [{ start: 0, end: 2 * BLOCK }]);
    assert.equal(frames.alloc(), 2 * BLOCK);
    frames.release();
    assert.equal(frames.alloc(), 0);
    frames.free(0);
    assert.equal(pmm.isSet(0), false);
    assert.equal(frames.blockSize, BLOCK);
  });
});
