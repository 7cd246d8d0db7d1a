import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { PmmError } from "../src/errors/pmm-error.js";
import { PhysicalMemoryManager } from "../src/pmm.js";
import { BLOCK_SIZE } from "../src/types.js";
import { NOT_UNSIGNED } from "./helpers/hostile.js";

const MIB = 1024 * 1024;

function expectPmmError(code: string, address: number): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof PmmError, `a PmmError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.equal(error.data.address, address);
    assert.match(error.message, new RegExp(`0x${address.toString(16).toUpperCase().padStart(8, "0")}`));
    return true;
  };
}

describe("PhysicalMemoryManager", () => {
  test("a fresh PMM has every block free and allocates from the lowest address up", () => {
    const pmm = new PhysicalMemoryManager({ memoryBytes: 16 * BLOCK_SIZE });
    assert.equal(pmm.numBlocks, 16);
    assert.equal(pmm.blockSize, BLOCK_SIZE);
    assert.equal(pmm.blocksFree(), 16);
    assert.equal(pmm.alloc(), 0);
    assert.equal(pmm.alloc(), BLOCK_SIZE);
    assert.equal(pmm.blocksFree(), 14);
    assert.equal(pmm.blocksUsed(), 2);
  });

  test("alloc returns null when memory is exhausted and reuses the lowest freed block", () => {
    const pmm = new PhysicalMemoryManager({ memoryBytes: 3 * BLOCK_SIZE });
    assert.deepEqual([pmm.alloc(), pmm.alloc(), pmm.alloc(), pmm.alloc()], [0, BLOCK_SIZE, 2 * BLOCK_SIZE, null]);
    pmm.free(2 * BLOCK_SIZE);
    pmm.free(BLOCK_SIZE);
    assert.equal(pmm.alloc(), BLOCK_SIZE);
  });

  test("reserved ranges are rounded outward to whole blocks", () => {
    const pmm = new PhysicalMemoryManager({ memoryBytes: 16 * BLOCK_SIZE, reserved: [{ start: BLOCK_SIZE + 1, end: 3 * BLOCK_SIZE - 1 }] });
    assert.equal(pmm.isSet(0), false);
    assert.equal(pmm.isSet(BLOCK_SIZE), true);
    assert.equal(pmm.isSet(2 * BLOCK_SIZE), true);
    assert.equal(pmm.isSet(3 * BLOCK_SIZE), false);
    assert.equal(pmm.blocksFree(), 14);
  });

  test("a reserved range past the end of memory is ignored and a straddling one reserves its inside part", () => {
    const pmm = new PhysicalMemoryManager({
      memoryBytes: 8 * BLOCK_SIZE,
      reserved: [{ start: 100 * BLOCK_SIZE, end: 200 * BLOCK_SIZE }, { start: 6 * BLOCK_SIZE, end: 12 * BLOCK_SIZE }],
    });
    assert.equal(pmm.blocksFree(), 6);
    assert.equal(pmm.isSet(6 * BLOCK_SIZE), true);
    assert.equal(pmm.isSet(7 * BLOCK_SIZE), true);
  });

  test("memory that is not a multiple of the block size is floored to whole blocks", () => {
    const pmm = new PhysicalMemoryManager({ memoryBytes: 5 * BLOCK_SIZE + 100 });
    assert.equal(pmm.numBlocks, 5);
    assert.equal(pmm.memoryBytes, 5 * BLOCK_SIZE + 100);
    assert.throws(() => pmm.isSet(5 * BLOCK_SIZE + 50), expectPmmError("OutOfBounds", 5 * BLOCK_SIZE + 50));
  });

  test("a custom block size is honoured", () => {
    const pmm = new PhysicalMemoryManager({ memoryBytes: MIB, blockSize: 64 * 1024, reserved: [{ start: 0, end: 1 }] });
    assert.equal(pmm.numBlocks, 16);
    assert.equal(pmm.alloc(), 64 * 1024);
  });

  test("free of a free block throws NotAllocated naming the address", () => {
    const pmm = new PhysicalMemoryManager({ memoryBytes: 4 * BLOCK_SIZE });
    assert.throws(() => pmm.free(2 * BLOCK_SIZE), expectPmmError("NotAllocated", 2 * BLOCK_SIZE));
  });

  test("misaligned block addresses throw Misaligned and change nothing", () => {
    const pmm = new PhysicalMemoryManager({ memoryBytes: 4 * BLOCK_SIZE });
    pmm.setAddr(0);
    const before = pmm.snapshot();
    assert.throws(() => pmm.free(123), expectPmmError("Misaligned", 123));
    assert.throws(() => pmm.setAddr(BLOCK_SIZE + 1), expectPmmError("Misaligned", BLOCK_SIZE + 1));
    assert.deepEqual(pmm.snapshot(), before);
  });

  test("addresses outside memory throw OutOfBounds naming the address", () => {
    const pmm = new PhysicalMemoryManager({ memoryBytes: 4 * BLOCK_SIZE });
    assert.throws(() => pmm.free(4 * BLOCK_SIZE), expectPmmError("OutOfBounds", 4 * BLOCK_SIZE));
    assert.throws(() => pmm.setAddr(0x100000000), expectPmmError("OutOfBounds", 0x100000000));
    assert.throws(() => pmm.isSet(-BLOCK_SIZE), { code: "OutOfBounds" });
  });

  test("isSet accepts any byte address of a block", () => {
    const pmm = new PhysicalMemoryManager({ memoryBytes: 4 * BLOCK_SIZE });
    pmm.setAddr(BLOCK_SIZE);
    assert.equal(pmm.isSet(BLOCK_SIZE + 4095), true);
    assert.equal(pmm.isSet(BLOCK_SIZE - 1), false);
  });

  test("setAddr of a used block changes nothing", () => {
    const pmm = new PhysicalMemoryManager({ memoryBytes: 4 * BLOCK_SIZE });
    pmm.setAddr(BLOCK_SIZE);
    pmm.setAddr(BLOCK_SIZE);
    assert.equal(pmm.blocksFree(), 3);
  });

  test("range operations mark, query and free whole blocks", () => {
    const pmm = new PhysicalMemoryManager({ memoryBytes: 64 * BLOCK_SIZE });
    pmm.setRange(8 * BLOCK_SIZE, 40 * BLOCK_SIZE);
    assert.equal(pmm.blocksUsed(), 32);
    assert.equal(pmm.isRangeFree(0, 8 * BLOCK_SIZE), true);
    assert.equal(pmm.isRangeFree(0, 9 * BLOCK_SIZE), false);
    assert.equal(pmm.firstUsedIn(0, 64 * BLOCK_SIZE), 8 * BLOCK_SIZE);
    assert.equal(pmm.firstUsedIn(40 * BLOCK_SIZE, 64 * BLOCK_SIZE), null);
    pmm.freeRange(8 * BLOCK_SIZE, 40 * BLOCK_SIZE);
    assert.equal(pmm.blocksUsed(), 0);
  });

  test("freeRange with a free block inside throws NotAllocated and frees nothing", () => {
    const pmm = new PhysicalMemoryManager({ memoryBytes: 8 * BLOCK_SIZE });
    pmm.setRange(0, 2 * BLOCK_SIZE);
    pmm.setAddr(3 * BLOCK_SIZE);
    const before = pmm.snapshot();
    assert.throws(() => pmm.freeRange(0, 4 * BLOCK_SIZE), expectPmmError("NotAllocated", 2 * BLOCK_SIZE));
    assert.deepEqual(pmm.snapshot(), before);
  });

  test("range operations reject misaligned, inverted and out-of-memory ranges", () => {
    const pmm = new PhysicalMemoryManager({ memoryBytes: 8 * BLOCK_SIZE });
    assert.throws(() => pmm.setRange(1, BLOCK_SIZE), expectPmmError("Misaligned", 1));
    assert.throws(() => pmm.setRange(2 * BLOCK_SIZE, BLOCK_SIZE), { code: "OutOfBounds" });
    assert.throws(() => pmm.isRangeFree(0, 9 * BLOCK_SIZE), expectPmmError("OutOfBounds", 9 * BLOCK_SIZE));
    assert.equal(pmm.blocksUsed(), 0);
  });

  test("invalid construction options are rejected", () => {
    assert.throws(() => new PhysicalMemoryManager({ memoryBytes: -1 }), { code: "OutOfBounds" });
    assert.throws(() => new PhysicalMemoryManager({ memoryBytes: BLOCK_SIZE, blockSize: 0 }), { code: "Misaligned" });
    assert.throws(() => new PhysicalMemoryManager({ memoryBytes: BLOCK_SIZE, reserved: [{ start: 10, end: 5 }] }), { code: "OutOfBounds" });
  });

  test("allocBlocks returns the same blocks as repeated alloc, a free run at a time", () => {
    const reserved = [{ start: 2 * BLOCK_SIZE, end: 3 * BLOCK_SIZE }, { start: 6 * BLOCK_SIZE, end: 9 * BLOCK_SIZE }];
    const many = new PhysicalMemoryManager({ memoryBytes: 16 * BLOCK_SIZE, reserved });
    const single = new PhysicalMemoryManager({ memoryBytes: 16 * BLOCK_SIZE, reserved });
    const expected = Array.from({ length: 7 }, () => single.alloc());
    assert.deepEqual(many.allocBlocks(7), expected);
    assert.deepEqual(many.snapshot(), single.snapshot());
    assert.equal(many.blocksFree(), 5);
  });

  test("allocBlocks of more blocks than are free returns null and changes nothing", () => {
    const pmm = new PhysicalMemoryManager({ memoryBytes: 4 * BLOCK_SIZE });
    pmm.alloc();
    assert.equal(pmm.allocBlocks(4), null);
    assert.equal(pmm.blocksFree(), 3);
    assert.deepEqual(pmm.allocBlocks(0), []);
    assert.throws(() => pmm.allocBlocks(-1), { name: "PmmError", code: "OutOfBounds", message: "Cannot allocate -1 blocks: the count must be a non-negative safe integer" });
  });

  test("two PMMs are independent", () => {
    const a = new PhysicalMemoryManager({ memoryBytes: 4 * BLOCK_SIZE });
    const b = new PhysicalMemoryManager({ memoryBytes: 4 * BLOCK_SIZE });
    a.alloc();
    assert.equal(a.blocksFree(), 3);
    assert.equal(b.blocksFree(), 4);
    assert.equal(b.alloc(), 0);
  });

  test("a 4 GiB PMM allocates past a large reserved prefix", () => {
    const pmm = new PhysicalMemoryManager({ memoryBytes: 2 ** 32, reserved: [{ start: 0, end: 2 ** 32 - 2 * BLOCK_SIZE }] });
    assert.equal(pmm.numBlocks, 2 ** 20);
    assert.equal(pmm.alloc(), 2 ** 32 - 2 * BLOCK_SIZE);
    assert.equal(pmm.alloc(), 2 ** 32 - BLOCK_SIZE);
    assert.equal(pmm.alloc(), null);
    pmm.free(2 ** 32 - BLOCK_SIZE);
    assert.equal(pmm.isSet(2 ** 32 - 1), false);
  });
});

describe("PhysicalMemoryManager reserved ranges", () => {
  const reserved = [
    { start: 0, end: 1 },
    { start: 5 * BLOCK_SIZE, end: 7 * BLOCK_SIZE },
    { start: 6 * BLOCK_SIZE, end: 8 * BLOCK_SIZE + 1 },
  ];

  test("free of a reserved block throws Reserved naming the range, and changes nothing", () => {
    const pmm = new PhysicalMemoryManager({ memoryBytes: 16 * BLOCK_SIZE, reserved });
    const before = [...pmm.snapshot()];
    assert.throws(() => pmm.free(0), {
      name: "PmmError",
      code: "Reserved",
      message: "Cannot free 0x00000000: block 0x00000000 is reserved (0x00000000–0x00001000 was reserved when the PMM was built)",
    });
    assert.throws(() => pmm.free(8 * BLOCK_SIZE), { code: "Reserved", message: /0x00005000–0x00009000/ });
    assert.deepEqual([...pmm.snapshot()], before, "nothing changed");
    assert.equal(pmm.isSet(0), true, "block 0 stays used");
  });

  test("freeRange touching a reserved block throws Reserved naming the first one, and frees nothing", () => {
    const pmm = new PhysicalMemoryManager({ memoryBytes: 16 * BLOCK_SIZE, reserved });
    pmm.setRange(3 * BLOCK_SIZE, 5 * BLOCK_SIZE);
    const before = [...pmm.snapshot()];
    assert.throws(() => pmm.freeRange(3 * BLOCK_SIZE, 6 * BLOCK_SIZE), { name: "PmmError", code: "Reserved", message: /block 0x00005000 is reserved/ });
    assert.deepEqual([...pmm.snapshot()], before, "nothing changed");
    pmm.freeRange(3 * BLOCK_SIZE, 5 * BLOCK_SIZE);
    assert.equal(pmm.blocksFree(), 11, "16 blocks less the 5 reserved ones");
  });

  test("setAddr and setRange over reserved blocks leave them reserved", () => {
    const pmm = new PhysicalMemoryManager({ memoryBytes: 16 * BLOCK_SIZE, reserved });
    pmm.setRange(4 * BLOCK_SIZE, 6 * BLOCK_SIZE);
    pmm.setAddr(0);
    assert.throws(() => pmm.free(5 * BLOCK_SIZE), { code: "Reserved" });
    pmm.free(4 * BLOCK_SIZE);
  });

  test("isReserved and reservedIn report the merged reserved runs, clipped to the question", () => {
    const pmm = new PhysicalMemoryManager({ memoryBytes: 16 * BLOCK_SIZE, reserved: [...reserved, { start: 14 * BLOCK_SIZE, end: 99 * BLOCK_SIZE }] });
    assert.deepEqual(
      [0, 1, 4, 5, 8, 9, 13, 14, 15].map((block) => pmm.isReserved(block * BLOCK_SIZE + 7)),
      [true, false, false, true, true, false, false, true, true],
    );
    assert.deepEqual(pmm.reservedIn(0, 16 * BLOCK_SIZE), [
      { start: 0, end: BLOCK_SIZE },
      { start: 5 * BLOCK_SIZE, end: 9 * BLOCK_SIZE },
      { start: 14 * BLOCK_SIZE, end: 16 * BLOCK_SIZE },
    ]);
    assert.deepEqual(pmm.reservedIn(6 * BLOCK_SIZE, 15 * BLOCK_SIZE), [
      { start: 6 * BLOCK_SIZE, end: 9 * BLOCK_SIZE },
      { start: 14 * BLOCK_SIZE, end: 15 * BLOCK_SIZE },
    ]);
    assert.deepEqual(pmm.reservedIn(BLOCK_SIZE, 5 * BLOCK_SIZE), []);
    assert.deepEqual(pmm.reservedIn(3 * BLOCK_SIZE, 3 * BLOCK_SIZE), []);
  });

  test("a PMM without reserved ranges frees every block it handed out", () => {
    const pmm = new PhysicalMemoryManager({ memoryBytes: 4 * BLOCK_SIZE });
    const blocks = pmm.allocBlocks(4)!;
    pmm.freeRange(0, 4 * BLOCK_SIZE);
    assert.equal(pmm.blocksFree(), 4);
    assert.equal(blocks.some((block) => pmm.isReserved(block)), false);
  });
});

describe("PhysicalMemoryManager refuses values that are not addresses, sizes or counts", () => {
  const calls: [string, (pmm: PhysicalMemoryManager, bad: number) => unknown][] = [
    ["free", (pmm, bad) => pmm.free(bad)],
    ["setAddr", (pmm, bad) => pmm.setAddr(bad)],
    ["isSet", (pmm, bad) => pmm.isSet(bad)],
    ["isReserved", (pmm, bad) => pmm.isReserved(bad)],
    ["isRangeFree start", (pmm, bad) => pmm.isRangeFree(bad, BLOCK_SIZE)],
    ["firstUsedIn end", (pmm, bad) => pmm.firstUsedIn(0, bad)],
    ["setRange start", (pmm, bad) => pmm.setRange(bad, BLOCK_SIZE)],
    ["freeRange end", (pmm, bad) => pmm.freeRange(0, bad)],
    ["reservedIn start", (pmm, bad) => pmm.reservedIn(bad, BLOCK_SIZE)],
    ["allocBlocks", (pmm, bad) => pmm.allocBlocks(bad)],
  ];
  for (const [name, call] of calls) {
    test(`${name} throws OutOfBounds showing each bad value as given, and changes nothing`, () => {
      const pmm = new PhysicalMemoryManager({ memoryBytes: 16 * BLOCK_SIZE, reserved: [{ start: 0, end: BLOCK_SIZE }] });
      pmm.setAddr(BLOCK_SIZE);
      const before = [...pmm.snapshot()];
      for (const [bad, shown] of NOT_UNSIGNED) {
        assert.throws(() => call(pmm, bad as number), { name: "PmmError", code: "OutOfBounds", message: shown }, `${name}(${shown})`);
      }
      assert.deepEqual([...pmm.snapshot()], before, "nothing changed");
    });
  }

  test("the constructor refuses a bad size, block size, reserved list or reserved range, showing the value", () => {
    for (const [bad, shown] of NOT_UNSIGNED) {
      // A bigint size is no error: it builds a bigint PMM (test/pmm.options.test.ts).
      if (typeof bad !== "bigint") assert.throws(() => new PhysicalMemoryManager({ memoryBytes: bad as number }), { name: "PmmError", code: "OutOfBounds", message: shown }, `memoryBytes ${shown}`);
      assert.throws(() => new PhysicalMemoryManager({ memoryBytes: BLOCK_SIZE, reserved: [{ start: 0, end: bad as number }] }), { code: "OutOfBounds", message: shown }, `reserved end ${shown}`);
    }
    assert.throws(() => new PhysicalMemoryManager({ memoryBytes: BLOCK_SIZE, blockSize: 0 }), { code: "Misaligned", message: /block size 0/ });
    assert.throws(() => new PhysicalMemoryManager({ memoryBytes: BLOCK_SIZE, blockSize: Number.NaN }), { code: "Misaligned", message: /block size NaN/ });
    const notRanges: [unknown, RegExp][] = [
      [null, /reserved null: it must be an array/],
      [{ start: 0, end: 1 }, /reserved an object: it must be an array/],
      [[null], /Cannot reserve null: not a range/],
      [[7], /Cannot reserve 7: not a range/],
    ];
    for (const [bad, message] of notRanges) {
      assert.throws(() => new PhysicalMemoryManager({ memoryBytes: BLOCK_SIZE, reserved: bad as never }), { name: "PmmError", code: "OutOfBounds", message }, String(message));
    }
  });
});
