import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { BuddyFrames } from "../src/alloc/buddy.js";
import { LowestFirstFrames } from "../src/alloc/lowest-first.js";
import { PmmError } from "../src/errors/pmm-error.js";
import { PhysicalMemoryManager } from "../src/pmm.js";
import { BLOCK_SIZE } from "../src/types.js";

const B = BigInt(BLOCK_SIZE);
const GIB = 2n ** 30n;

function pmmError(code: string, address: bigint, pattern: RegExp): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof PmmError, `expected a PmmError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.equal(error.data.address, address);
    assert.match(error.message, pattern);
    return true;
  };
}

describe("a bigint PhysicalMemoryManager", () => {
  test("takes and returns bigint addresses above 4 GiB", () => {
    const pmm = new PhysicalMemoryManager({ memoryBytes: 8n * GIB, reserved: [{ start: 0n, end: 4n * GIB + 1n }] });
    assert.equal(pmm.memoryBytes, 8n * GIB);
    assert.equal(pmm.numBlocks, 2 ** 21);
    assert.equal(pmm.blocksFree(), 2 ** 20 - 1);
    const first = pmm.alloc();
    assert.equal(first, 4n * GIB + B, "the lowest free block, past the rounded-out reservation");
    assert.equal(pmm.isSet(first! + 17n), true);
    assert.deepEqual(pmm.allocBlocks(2), [4n * GIB + 2n * B, 4n * GIB + 3n * B]);
    pmm.free(first!);
    assert.equal(pmm.isRangeFree(first!, first! + B), true);
    pmm.setRange(6n * GIB, 6n * GIB + 4n * B);
    assert.equal(pmm.firstUsedIn(5n * GIB, 7n * GIB), 6n * GIB);
    pmm.freeRange(6n * GIB, 6n * GIB + 4n * B);
    pmm.setAddr(7n * GIB);
    assert.equal(pmm.isSet(7n * GIB), true);
    assert.equal(pmm.blocksUsed(), 2 ** 20 + 1 + 2 + 1);
  });

  test("errors name bigint addresses exactly", () => {
    const pmm = new PhysicalMemoryManager({ memoryBytes: 8n * GIB });
    assert.throws(() => pmm.free(5n * GIB), pmmError("NotAllocated", 5n * GIB, /Cannot free 0x140000000: the block is not allocated/));
    assert.throws(() => pmm.free(5n * GIB + 1n), pmmError("Misaligned", 5n * GIB + 1n, /0x140000001: not aligned/));
    assert.throws(() => pmm.isSet(8n * GIB), pmmError("OutOfBounds", 8n * GIB, /0x200000000: outside physical memory 0x00000000–0x200000000/));
    assert.throws(() => pmm.isSet(4096 as unknown as bigint), (error: unknown) => error instanceof PmmError && error.code === "OutOfBounds", "a number in a bigint PMM is not an address");
    assert.throws(() => pmm.freeRange(0n, 2n * B), pmmError("NotAllocated", 0n, /block 0x00000000 is not allocated/));
  });

  test("a memory size of the wrong type or a negative one is rejected", () => {
    assert.throws(() => new PhysicalMemoryManager({ memoryBytes: -1n }), /Cannot create a PMM of -1n bytes: the size must be a non-negative bigint/);
    assert.throws(() => new PhysicalMemoryManager({ memoryBytes: GIB, reserved: [{ start: 0 as unknown as bigint, end: B }] }), /Cannot reserve/);
  });

  test("snapshot and stats describe the used blocks", () => {
    const pmm = new PhysicalMemoryManager({ memoryBytes: 40n * B, reserved: [{ start: 3n * B, end: 5n * B }] });
    assert.deepEqual([...pmm.snapshot()], [0b11000, 0xffffff00], "blocks 3–4 used; bits past block 39 read as set");
    assert.deepEqual(pmm.stats(), { freeBlocks: 38, freeExtents: 2, largestFreeExtent: 35, fragmentationIndex: 1 - 35 / 38 });
  });
});

describe("PhysicalMemoryManager policy option", () => {
  test("a FramePolicy of one's own keeps the blocks", () => {
    const policy = new LowestFirstFrames(16);
    const pmm = new PhysicalMemoryManager({ memoryBytes: 16 * BLOCK_SIZE, reserved: [{ start: 0, end: BLOCK_SIZE }], policy });
    assert.equal(pmm.policy, policy);
    assert.equal(policy.isUsed(0), true, "reservations go to the given policy");
    assert.equal(pmm.alloc(), BLOCK_SIZE);
  });

  test('"buddy" hands out naturally aligned power-of-two runs and reports per-order figures', () => {
    const pmm = new PhysicalMemoryManager({ memoryBytes: 64 * BLOCK_SIZE, reserved: [{ start: 0, end: BLOCK_SIZE }], policy: "buddy" });
    assert.ok(pmm.policy instanceof BuddyFrames, "the buddy policy");
    assert.equal(pmm.policy.allocContiguous(8, 8), 8, "the first free naturally aligned 8-block run");
    assert.equal(pmm.blocksFree(), 64 - 1 - 8);
    const orders = pmm.policy.buddyStats().orders;
    assert.equal(orders.reduce((sum, o) => sum + o.freeBlocks * 2 ** o.order, 0), pmm.blocksFree(), "the per-order free blocks add up");
    assert.equal(pmm.stats().freeBlocks, pmm.blocksFree());
  });

  test("an unknown policy or one of the wrong size is a RangeError", () => {
    assert.throws(() => new PhysicalMemoryManager({ memoryBytes: 16 * BLOCK_SIZE, policy: "best" as "lowest" }), /Cannot use policy "best"/);
    assert.throws(() => new PhysicalMemoryManager({ memoryBytes: 16 * BLOCK_SIZE, policy: new LowestFirstFrames(8) }), /must manage 16 blocks, all free/);
  });
});
