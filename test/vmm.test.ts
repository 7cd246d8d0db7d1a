import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { BitmapError } from "../src/errors/bitmap-error.js";
import { MapperError } from "../src/errors/mapper-error.js";
import { VmmError } from "../src/errors/vmm-error.js";
import { PhysicalMemoryManager } from "../src/pmm.js";
import { BLOCK_SIZE, type Attributes, type ByteStore, type Range } from "../src/types.js";
import { VirtualMemoryManager } from "../src/vmm.js";
import { RecordingMapper } from "./helpers/recording-mapper.js";
import { NOT_ATTRIBUTES, NOT_UNSIGNED } from "./helpers/hostile.js";
import { snapshotStack } from "./helpers/vmm-state.js";

const PAYLOAD = 39;
const ATTRS: Attributes = { kernel: true, writable: true, cachable: true };
const USER: Attributes = { kernel: false, writable: false, cachable: false };
const B = BLOCK_SIZE;

/** A `ByteStore` over a plain array, standing in for simulated RAM. */
class ArrayStore implements ByteStore {
  readonly bytes: Uint8Array;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }
  readBytes(address: number, length: number): Uint8Array {
    return this.bytes.slice(address, address + length);
  }
  writeBytes(address: number, data: Uint8Array): void {
    this.bytes.set(data, address);
  }
}

interface StackOptions {
  start?: number;
  blocks?: number;
  memoryBlocks?: number;
  reserved?: Range[];
  memory?: ByteStore;
}

function makeStack(options: StackOptions = {}) {
  const { start = 0, blocks = 64, memoryBlocks = 64, reserved = [] } = options;
  const pmm = new PhysicalMemoryManager({ memoryBytes: memoryBlocks * B, reserved });
  const mapper = new RecordingMapper({ payload: PAYLOAD });
  const vmm = new VirtualMemoryManager({ start, end: start + blocks * B, pmm, mapper, payload: PAYLOAD, ...(options.memory ? { memory: options.memory } : {}) });
  return { pmm, mapper, vmm };
}

/** Matches a `VmmError` with `code`, or for `OutOfBounds` (an address outside the space, as in the seed) a `BitmapError`. */
function vmmError(code: string, pattern?: RegExp): (error: unknown) => boolean {
  return (error: unknown) => {
    const expected = code === "OutOfBounds" ? BitmapError : VmmError;
    assert.ok(error instanceof expected, `expected a ${expected.name}, got ${String(error)}`);
    assert.equal(error.code, code);
    if (pattern) assert.match(error.message, pattern);
    return true;
  };
}

describe("VirtualMemoryManager construction", () => {
  test("exposes its range, block size, payload and PMM", () => {
    const { pmm, vmm } = makeStack({ start: B, blocks: 10 });
    assert.equal(vmm.start, B);
    assert.equal(vmm.end, 11 * B);
    assert.equal(vmm.blockSize, B);
    assert.equal(vmm.payload, PAYLOAD);
    assert.equal(vmm.pmm, pmm);
    assert.equal(vmm.numBlocks, 10);
    assert.equal(vmm.blocksUsed, 0);
  });

  for (const [start, end, why] of [[0, 100, "misaligned end"], [1, B, "misaligned start"], [B, B, "empty"], [2 * B, B, "inverted"]] as const) {
    test(`a ${why} range is rejected with InvalidVirtAddresses`, () => {
      const pmm = new PhysicalMemoryManager({ memoryBytes: B });
      const mapper = new RecordingMapper({ payload: PAYLOAD });
      assert.throws(() => new VirtualMemoryManager({ start, end, pmm, mapper, payload: PAYLOAD }), vmmError("InvalidVirtAddresses"));
    });
  }

  test("a range of more than 2^30 blocks is refused with the bitmap allocator and served by the extent tree by default", () => {
    const pmm = new PhysicalMemoryManager({ memoryBytes: 16 * B });
    const mapper = new RecordingMapper({ payload: PAYLOAD });
    assert.throws(() => new VirtualMemoryManager({ start: 0, end: 2 ** 45, pmm, mapper, payload: PAYLOAD, allocator: "bitmap" }), vmmError("InvalidVirtAddresses", /at most 2\^30 blocks/));
    const vmm = new VirtualMemoryManager({ start: 0, end: 2 ** 45, pmm, mapper, payload: PAYLOAD });
    assert.equal(vmm.numBlocks, 2 ** 33);
    assert.equal(vmm.alloc(2, ATTRS, 2 ** 45 - 2 * B), 2 ** 45 - 2 * B);
    assert.equal(vmm.alloc(3, ATTRS), 0);
    assert.deepEqual(vmm.stats(), { freeBlocks: 2 ** 33 - 5, freeExtents: 1, largestFreeExtent: 2 ** 33 - 5, fragmentationIndex: 0 });
  });

  test("the kernel space [0x1000, 2^32) works up to its last block without 32-bit overflow", () => {
    const pmm = new PhysicalMemoryManager({ memoryBytes: 16 * B });
    const mapper = new RecordingMapper({ payload: PAYLOAD });
    const vmm = new VirtualMemoryManager({ start: B, end: 2 ** 32, pmm, mapper, payload: PAYLOAD });
    assert.equal(vmm.numBlocks, 2 ** 20 - 1);
    const top = 2 ** 32 - 2 * B;
    assert.equal(vmm.alloc(2, ATTRS, top), top);
    assert.equal(vmm.isSet(2 ** 32 - 1), true);
    assert.equal(vmm.virtToPhys(2 ** 32 - 1), B + B - 1);
    assert.equal(vmm.physToVirt(B + 5), 2 ** 32 - B + 5);
    assert.deepEqual(vmm.allocations()[0]?.virtual, { start: top, end: 2 ** 32 });
    assert.throws(() => vmm.isSet(2 ** 32), vmmError("OutOfBounds", /0x100000000/));
    vmm.free(top);
    assert.equal(vmm.blocksUsed, 0);
  });
});

describe("VirtualMemoryManager.set", () => {
  test("a set with physical range maps it once, marks the PMM and records the blocks", () => {
    const { pmm, mapper, vmm } = makeStack();
    vmm.set({ start: 4 * B, end: 7 * B }, { start: 20 * B, end: 23 * B }, USER);
    assert.deepEqual(mapper.calls, [{ kind: "map", vStart: 4 * B, vEnd: 7 * B, pStart: 20 * B, pEnd: 23 * B }]);
    assert.deepEqual(vmm.allocations(), [{ virtual: { start: 4 * B, end: 7 * B }, physical: [20 * B, 21 * B, 22 * B], attrs: USER }]);
    assert.equal(pmm.blocksUsed(), 3);
    assert.equal(vmm.blocksUsed, 3);
    assert.equal(mapper.page(5 * B)?.attrs.writable, false);
  });

  test("a set without physical range reserves virtual blocks only and calls no mapper", () => {
    const { pmm, mapper, vmm } = makeStack();
    vmm.set({ start: 0, end: 2 * B }, null, ATTRS);
    assert.equal(vmm.isSet(B), true);
    assert.equal(mapper.calls.length, 0);
    assert.equal(pmm.blocksUsed(), 0);
    assert.deepEqual(vmm.allocations()[0]?.physical, []);
    assert.throws(() => vmm.virtToPhys(0), vmmError("NotAllocated"));
    vmm.free(0);
    assert.equal(vmm.blocksUsed, 0);
    assert.equal(mapper.calls.length, 0);
  });

  test("device memory past the end of RAM can be mapped; only blocks inside RAM are marked in the PMM", () => {
    const { pmm, mapper, vmm } = makeStack({ memoryBlocks: 16 });
    vmm.set({ start: 8 * B, end: 12 * B }, { start: 14 * B, end: 18 * B }, ATTRS);
    assert.equal(pmm.blocksUsed(), 2);
    assert.equal(vmm.virtToPhys(11 * B + 7), 17 * B + 7);
    assert.equal(vmm.physToVirt(17 * B), 11 * B);
    assert.throws(() => vmm.set({ start: 20 * B, end: 21 * B }, { start: 17 * B, end: 18 * B }, ATTRS), vmmError("PhysicalAlreadyAllocated", /0x00011000/));
    vmm.free(8 * B);
    assert.equal(pmm.blocksUsed(), 0);
    assert.deepEqual(mapper.snapshot(), []);
    assert.throws(() => vmm.physToVirt(17 * B), vmmError("NotAllocated"));
  });

  const invalid: Array<[string, Range, Range | null, string, RegExp]> = [
    ["misaligned virtual start", { start: 1, end: B }, null, "InvalidVirtAddresses", /0x00000001/],
    ["inverted virtual range", { start: 2 * B, end: B }, null, "InvalidVirtAddresses", /empty or inverted/],
    ["empty virtual range", { start: B, end: B }, null, "InvalidVirtAddresses", /empty/],
    ["virtual range past the end", { start: 60 * B, end: 65 * B }, null, "OutOfBounds", /outside the managed range/],
    ["misaligned physical range", { start: 0, end: B }, { start: 5, end: B + 5 }, "InvalidPhysAddresses", /0x00000005/],
    ["inverted physical range", { start: 0, end: B }, { start: 2 * B, end: B }, "InvalidPhysAddresses", /inverted/],
    ["negative physical range", { start: 0, end: B }, { start: -B, end: 0 }, "InvalidPhysAddresses", /-4096–0x00000000: its bounds must be addresses/],
    ["physical and virtual sizes differ", { start: 0, end: B }, { start: 0, end: 2 * B }, "PhysicalVirtualMismatch", /sizes differ/],
  ];
  for (const [name, virtual, physical, code, pattern] of invalid) {
    test(`set with a ${name} throws ${code} and changes nothing`, () => {
      const { pmm, mapper, vmm } = makeStack();
      const before = snapshotStack(vmm, pmm, mapper);
      assert.throws(() => vmm.set(virtual, physical, ATTRS), vmmError(code, pattern));
      assert.deepEqual(snapshotStack(vmm, pmm, mapper), before);
    });
  }

  test("set over a used virtual block throws AlreadyAllocated naming the block and its allocation", () => {
    const { vmm } = makeStack();
    vmm.set({ start: 4 * B, end: 8 * B }, null, ATTRS);
    assert.throws(() => vmm.set({ start: 0, end: 5 * B }, null, ATTRS), vmmError("AlreadyAllocated", /0x00004000 is already allocated \(in 0x00004000–0x00008000\)/));
  });

  test("set over a physical block used in the PMM throws PhysicalAlreadyAllocated", () => {
    const { vmm, pmm } = makeStack();
    pmm.setAddr(3 * B);
    assert.throws(() => vmm.set({ start: 0, end: 4 * B }, { start: 0, end: 4 * B }, ATTRS), vmmError("PhysicalAlreadyAllocated", /0x00003000 is already in use/));
  });
});

describe("VirtualMemoryManager.alloc", () => {
  test("alloc of zero blocks returns null", () => {
    const { vmm, mapper } = makeStack();
    assert.equal(vmm.alloc(0, ATTRS), null);
    assert.equal(mapper.calls.length, 0);
  });

  test("alloc returns null when the PMM has too few free blocks", () => {
    const { vmm, pmm } = makeStack({ memoryBlocks: 4 });
    assert.equal(vmm.alloc(5, ATTRS), null);
    assert.equal(vmm.blocksUsed, 0);
    assert.equal(pmm.blocksFree(), 4);
  });

  test("alloc returns null when no contiguous virtual room is left", () => {
    const { vmm } = makeStack({ blocks: 8 });
    vmm.set({ start: 3 * B, end: 4 * B }, null, ATTRS);
    assert.equal(vmm.alloc(5, ATTRS), null);
    assert.equal(vmm.alloc(4, ATTRS), 4 * B);
  });

  test("alloc maps each physically contiguous run with one call", () => {
    const { vmm, mapper, pmm } = makeStack({ reserved: [{ start: 2 * B, end: 3 * B }, { start: 5 * B, end: 6 * B }] });
    const at = vmm.alloc(6, ATTRS);
    assert.equal(at, 0);
    assert.deepEqual(mapper.calls, [
      { kind: "map", vStart: 0, vEnd: 2 * B, pStart: 0, pEnd: 2 * B },
      { kind: "map", vStart: 2 * B, vEnd: 4 * B, pStart: 3 * B, pEnd: 5 * B },
      { kind: "map", vStart: 4 * B, vEnd: 6 * B, pStart: 6 * B, pEnd: 8 * B },
    ]);
    assert.deepEqual(vmm.allocations()[0]?.physical, [0, B, 3 * B, 4 * B, 6 * B, 7 * B]);
    assert.equal(pmm.blocksUsed(), 8);
  });

  test("alloc at a fixed address uses exactly that address", () => {
    const { vmm, mapper } = makeStack({ start: 16 * B });
    assert.equal(vmm.alloc(3, ATTRS, 20 * B), 20 * B);
    assert.equal(vmm.isSet(19 * B), false);
    assert.equal(vmm.isSet(22 * B), true);
    assert.equal(mapper.isMapped(22 * B), true);
    assert.equal(vmm.alloc(2, ATTRS), 16 * B);
  });

  const badAt: Array<[string, number, number, string]> = [
    ["misaligned", 20 * B + 8, 1, "InvalidVirtAddresses"],
    ["below the start", 15 * B, 1, "OutOfBounds"],
    ["at the end", 80 * B, 1, "OutOfBounds"],
    ["running past the end", 78 * B, 3, "OutOfBounds"],
  ];
  for (const [name, at, count, code] of badAt) {
    test(`alloc at a ${name} address throws ${code} and changes nothing`, () => {
      const { vmm, pmm, mapper } = makeStack({ start: 16 * B });
      const before = snapshotStack(vmm, pmm, mapper);
      assert.throws(() => vmm.alloc(count, ATTRS, at), vmmError(code, new RegExp(`0x${at.toString(16).toUpperCase().padStart(8, "0")}`)));
      assert.deepEqual(snapshotStack(vmm, pmm, mapper), before);
    });
  }

  test("alloc at a used address throws AlreadyAllocated and changes nothing", () => {
    const { vmm, pmm, mapper } = makeStack();
    vmm.alloc(4, ATTRS, 8 * B);
    const before = snapshotStack(vmm, pmm, mapper);
    assert.throws(() => vmm.alloc(4, ATTRS, 6 * B), vmmError("AlreadyAllocated", /0x00008000/));
    assert.deepEqual(snapshotStack(vmm, pmm, mapper), before);
  });

  test("a fractional or negative block count throws InvalidVirtAddresses", () => {
    const { vmm } = makeStack();
    assert.throws(() => vmm.alloc(1.5, ATTRS), vmmError("InvalidVirtAddresses"));
    assert.throws(() => vmm.alloc(-1, ATTRS), vmmError("InvalidVirtAddresses"));
  });
});

describe("VirtualMemoryManager.reserve", () => {
  test("reserve places the lowest fit (or at a given address) without frames or mapper calls; free releases it", () => {
    const { vmm, pmm, mapper } = makeStack({ blocks: 16, memoryBlocks: 4 });
    vmm.set({ start: 0, end: 2 * B }, null, ATTRS);
    assert.equal(vmm.reserve(8, USER), 2 * B, "more blocks than the PMM has: no frame is taken");
    assert.equal(vmm.reserve(2, USER, { at: 12 * B }), 12 * B);
    assert.equal(vmm.reserve(3, USER), null, "no room of 3 left (2 blocks at 10)");
    assert.equal(vmm.reserve(0, USER), null);
    assert.deepEqual([pmm.blocksFree(), mapper.calls.length, vmm.blocksUsed], [4, 0, 12]);
    assert.deepEqual(vmm.allocationAt(2 * B)?.physical, []);
    vmm.free(2 * B);
    assert.equal(vmm.reserve(3, USER, { align: 4 * B }), 4 * B);
  });

  test("reserve checks its arguments as alloc does and changes nothing", () => {
    const { vmm } = makeStack({ blocks: 8 });
    vmm.reserve(2, USER, { at: 2 * B });
    assert.throws(() => vmm.reserve(1, USER, { at: 3 * B }), vmmError("AlreadyAllocated"));
    assert.throws(() => vmm.reserve(1.5, USER), vmmError("InvalidVirtAddresses", /reserve 1\.5 blocks/));
    assert.throws(() => vmm.reserve(1, { kernel: false } as Attributes), vmmError("InvalidAttributes"));
    assert.equal(vmm.blocksUsed, 2);
  });
});

describe("VirtualMemoryManager.free", () => {
  test("free unmaps the whole allocation in one call and returns its blocks", () => {
    const { vmm, mapper, pmm } = makeStack();
    const at = vmm.alloc(3, ATTRS)!;
    vmm.free(at);
    assert.deepEqual(mapper.calls.at(-1), { kind: "unmap", vStart: 0, vEnd: 3 * B });
    assert.equal(pmm.blocksUsed(), 0);
    assert.equal(vmm.blocksUsed, 0);
    assert.deepEqual(vmm.allocations(), []);
  });

  test("free of an unallocated address throws NotAllocated saying nothing is there", () => {
    const { vmm } = makeStack();
    assert.throws(() => vmm.free(5 * B), vmmError("NotAllocated", /Cannot free 0x00005000: nothing is allocated there/));
  });

  test("free outside the managed range throws OutOfBounds, as the seed's free does", () => {
    const { vmm } = makeStack({ start: B });
    assert.throws(() => vmm.free(0), vmmError("OutOfBounds", /0x00000000/));
  });

  test("a freed range can be allocated again", () => {
    const { vmm } = makeStack({ blocks: 4, memoryBlocks: 4 });
    const at = vmm.alloc(4, ATTRS)!;
    assert.equal(vmm.alloc(1, ATTRS), null);
    vmm.free(at);
    assert.equal(vmm.alloc(4, ATTRS), at);
  });
});

describe("VirtualMemoryManager translation and listing", () => {
  test("virtToPhys preserves the offset inside any block of an allocation", () => {
    const { vmm } = makeStack({ start: 32 * B, reserved: [{ start: 0, end: 2 * B }] });
    const at = vmm.alloc(3, ATTRS)!;
    assert.equal(vmm.virtToPhys(at), 2 * B);
    assert.equal(vmm.virtToPhys(at + 2 * B + 0x123), 4 * B + 0x123);
    assert.equal(vmm.physToVirt(4 * B + 0x123), at + 2 * B + 0x123);
  });

  test("virtToPhys and physToVirt of unmapped addresses throw NotAllocated naming them", () => {
    const { vmm } = makeStack();
    vmm.alloc(1, ATTRS);
    assert.throws(() => vmm.virtToPhys(3 * B), vmmError("NotAllocated", /0x00003000/));
    assert.throws(() => vmm.physToVirt(9 * B), vmmError("NotAllocated", /0x00009000/));
    assert.throws(() => vmm.physToVirt(2 ** 40), vmmError("NotAllocated"));
  });

  test("allocations() lists regions in address order whatever the creation order", () => {
    const { vmm } = makeStack();
    vmm.set({ start: 40 * B, end: 41 * B }, null, ATTRS);
    vmm.alloc(2, ATTRS, 10 * B);
    vmm.alloc(1, ATTRS);
    vmm.set({ start: 33 * B, end: 35 * B }, { start: 50 * B, end: 52 * B }, USER);
    assert.deepEqual(vmm.allocations().map((a) => a.virtual.start), [0, 10 * B, 33 * B, 40 * B]);
  });

  test("allocations() stays in address order with many regions (marker walk)", () => {
    const { vmm } = makeStack({ blocks: 1024, memoryBlocks: 1024 });
    const starts: number[] = [];
    for (let i = 1000; i >= 0; i -= 7) {
      vmm.alloc(1, ATTRS, i * B);
      starts.push(i * B);
    }
    assert.deepEqual(vmm.allocations().map((a) => a.virtual.start), starts.reverse());
  });

  test("an address deep inside a long allocation is traced back to its start across marker words", () => {
    const { vmm } = makeStack({ blocks: 256, memoryBlocks: 256 });
    vmm.alloc(3, ATTRS);
    const at = vmm.alloc(100, ATTRS)!;
    assert.deepEqual(vmm.allocationAt(at + 99 * B + 1)?.virtual, { start: at, end: at + 100 * B });
    assert.equal(vmm.virtToPhys(at + 70 * B + 9), vmm.allocationAt(at)!.physical[70]! + 9);
    assert.throws(() => vmm.free(at + 70 * B), vmmError("NotAllocated", /lies in 0x00003000–0x00067000/));
  });

  test("physToVirt sees allocations made before and after its first use, and forgets freed ones", () => {
    const { vmm } = makeStack();
    const early = vmm.alloc(2, ATTRS)!;
    assert.equal(vmm.physToVirt(B), early + B);
    const late = vmm.alloc(2, ATTRS)!;
    assert.equal(vmm.physToVirt(3 * B + 1), late + B + 1);
    vmm.free(early);
    assert.throws(() => vmm.physToVirt(B), vmmError("NotAllocated"));
    assert.equal(vmm.physToVirt(2 * B), late);
  });

  test("allocationAt finds the allocation containing any address", () => {
    const { vmm } = makeStack();
    vmm.alloc(4, ATTRS, 8 * B);
    assert.deepEqual(vmm.allocationAt(11 * B + 5)?.virtual, { start: 8 * B, end: 12 * B });
    assert.equal(vmm.allocationAt(12 * B), null);
  });
});

describe("VirtualMemoryManager physical lookups at run edges", () => {
  test("virtToPhys, physToVirt and allocationAt are exact at every block and byte edge of multi-run allocations", () => {
    const { vmm, pmm } = makeStack({ start: B });
    pmm.setAddr(2 * B);
    pmm.setAddr(5 * B);
    const first = vmm.alloc(5, ATTRS)!;
    const second = vmm.alloc(2, USER)!;
    const expected: [number, number[]][] = [
      [first, [0, 1, 3, 4, 6].map((block) => block * B)],
      [second, [7, 8].map((block) => block * B)],
    ];
    for (const [at, frames] of expected) {
      assert.deepEqual(vmm.allocationAt(at)!.physical, frames, `frames of ${at.toString(16)}`);
      frames.forEach((frame, i) => {
        for (const offset of [0, 1, B - 1]) {
          const vaddr = at + i * B + offset;
          assert.equal(vmm.virtToPhys(vaddr), frame + offset, `virtToPhys(0x${vaddr.toString(16)})`);
          assert.equal(vmm.physToVirt(frame + offset), vaddr, `physToVirt(0x${(frame + offset).toString(16)})`);
          assert.equal(vmm.allocationAt(vaddr)!.virtual.start, at, `allocationAt(0x${vaddr.toString(16)})`);
        }
      });
    }
    for (const hole of [2, 5, 9]) assert.throws(() => vmm.physToVirt(hole * B), vmmError("NotAllocated"), `block ${hole} is not mapped`);
    assert.throws(() => vmm.virtToPhys(second + 2 * B), vmmError("NotAllocated"));
    assert.equal(vmm.allocationAt(second + 2 * B), null);
  });

  test("a set mapping keeps its physical offset at every block", () => {
    const { vmm } = makeStack();
    vmm.set({ start: 10 * B, end: 13 * B }, { start: 40 * B, end: 43 * B }, ATTRS);
    for (let i = 0; i < 3; i++) {
      assert.equal(vmm.virtToPhys((10 + i) * B + B - 1), (40 + i) * B + B - 1, `block ${i}, last byte`);
      assert.equal(vmm.physToVirt((40 + i) * B), (10 + i) * B, `block ${i}, first byte`);
    }
    assert.throws(() => vmm.physToVirt(43 * B), vmmError("NotAllocated"));
    assert.throws(() => vmm.physToVirt(39 * B), vmmError("NotAllocated"));
  });
});

describe("VirtualMemoryManager.copyData", () => {
  function copyStack() {
    const memory = new ArrayStore(64 * B);
    const pmm = new PhysicalMemoryManager({ memoryBytes: 64 * B });
    const mapper = new RecordingMapper({ payload: PAYLOAD });
    const kernel = new VirtualMemoryManager({ start: 0x100 * B, end: 0x200 * B, pmm, mapper, payload: PAYLOAD, memory });
    const userMapper = new RecordingMapper({ payload: 7 });
    const user = new VirtualMemoryManager({ start: 0, end: 0x100 * B, pmm, mapper: userMapper, payload: 7 });
    return { memory, pmm, kernel, user };
  }

  test("copies into and back out of another space across a page boundary", () => {
    const { memory, kernel, user } = copyStack();
    user.alloc(1, USER, 4 * B);
    user.alloc(1, USER, 5 * B);
    const data = Uint8Array.from({ length: 100 }, (_, i) => i + 1);
    const vaddr = 5 * B - 40;
    kernel.copyData(user, "to", data, vaddr);
    assert.equal(memory.bytes[user.virtToPhys(vaddr)], 1);
    assert.equal(memory.bytes[user.virtToPhys(5 * B)], 41);
    const back = new Uint8Array(100);
    kernel.copyData(user, "from", back, vaddr);
    assert.deepEqual(back, data);
  });

  test("a copy touching an unbacked page throws NotAllocated and writes nothing", () => {
    const { memory, kernel, user } = copyStack();
    user.alloc(1, USER, 4 * B);
    assert.throws(() => kernel.copyData(user, "to", new Uint8Array(B).fill(9), 4 * B + 8), vmmError("NotAllocated", /0x00005000 is not backed/));
    assert.equal(memory.bytes.every((byte) => byte === 0), true);
  });

  test("a copy through a set without physical backing or device memory is refused", () => {
    const { kernel, user } = copyStack();
    user.set({ start: 8 * B, end: 9 * B }, null, USER);
    user.set({ start: 9 * B, end: 10 * B }, { start: 100 * B, end: 101 * B }, USER);
    assert.throws(() => kernel.copyData(user, "from", new Uint8Array(4), 8 * B), vmmError("NotAllocated"));
    assert.throws(() => kernel.copyData(user, "from", new Uint8Array(4), 9 * B), vmmError("InvalidPhysAddresses", /device memory/));
  });

  test("copyData without a memory ByteStore throws a TypeError", () => {
    const { kernel, user } = copyStack();
    assert.throws(() => user.copyData(kernel, "to", new Uint8Array(1), 0x100 * B), TypeError);
  });
});

describe("seed defects (regressions)", () => {
  test("defect 1: a set region is stored under its start and free(start) releases it", () => {
    const { vmm, pmm, mapper } = makeStack();
    vmm.set({ start: 4 * B, end: 9 * B }, { start: 4 * B, end: 9 * B }, ATTRS);
    vmm.free(4 * B);
    assert.equal(vmm.blocksUsed, 0);
    assert.equal(pmm.blocksUsed(), 0);
    assert.deepEqual(mapper.snapshot(), []);
    assert.throws(() => vmm.free(9 * B), vmmError("NotAllocated"));
  });

  test("defect 2: a VMM whose start is not 0 indexes isSet and free relative to its start", () => {
    const { vmm } = makeStack({ start: B, blocks: 8 });
    vmm.set({ start: B, end: 2 * B }, null, ATTRS);
    assert.equal(vmm.isSet(B), true);
    assert.equal(vmm.isSet(2 * B), false);
    assert.equal(vmm.alloc(1, ATTRS), 2 * B);
    vmm.free(2 * B);
    assert.equal(vmm.isSet(2 * B), false);
    assert.equal(vmm.isSet(B), true);
  });

  test("defect 3: a set failing on its last block leaves no virtual bits set", () => {
    const { vmm, pmm, mapper } = makeStack();
    vmm.set({ start: 10 * B, end: 11 * B }, null, ATTRS);
    const before = snapshotStack(vmm, pmm, mapper);
    assert.throws(() => vmm.set({ start: 5 * B, end: 11 * B }, { start: 5 * B, end: 11 * B }, ATTRS), vmmError("AlreadyAllocated"));
    assert.deepEqual(snapshotStack(vmm, pmm, mapper), before);
  });

  test("defect 4: free of a mid-allocation address throws NotAllocated naming the allocation and changes nothing", () => {
    const { vmm, pmm, mapper } = makeStack({ start: 0x400 * B });
    const at = vmm.alloc(4, ATTRS, 0x402 * B)!;
    const before = snapshotStack(vmm, pmm, mapper);
    assert.throws(() => vmm.free(at + B), vmmError("NotAllocated", /Cannot free 0x00403000: not the start of an allocation \(it lies in 0x00402000–0x00406000\)/));
    assert.throws(() => vmm.free(at + 12), vmmError("NotAllocated", /lies in 0x00402000/));
    assert.deepEqual(snapshotStack(vmm, pmm, mapper), before);
  });

  test("defect 5: unaligned and overflowing ranges are errors, not silently truncated", () => {
    const { vmm } = makeStack();
    assert.throws(() => vmm.set({ start: 0, end: B + 1 }, null, ATTRS), vmmError("InvalidVirtAddresses"));
    assert.throws(() => vmm.set({ start: 0, end: 2 ** 53 }, null, ATTRS), vmmError("InvalidVirtAddresses"));
    assert.throws(() => vmm.alloc(2 ** 52, ATTRS, 0), vmmError("InvalidVirtAddresses"));
    assert.equal(vmm.blocksUsed, 0);
  });
});

describe("all-or-nothing when the mapper throws", () => {
  for (const k of [1, 2, 3]) {
    test(`alloc whose mapper throws on call ${k} restores the full state and rethrows the mapper's error`, () => {
      const { vmm, pmm, mapper } = makeStack({ reserved: [{ start: 2 * B, end: 3 * B }, { start: 5 * B, end: 6 * B }] });
      vmm.alloc(1, ATTRS, 40 * B);
      const before = snapshotStack(vmm, pmm, mapper);
      mapper.failOnCall(k);
      assert.throws(() => vmm.alloc(6, ATTRS), (error: unknown) => error instanceof MapperError && error.code === "OutOfMemory");
      assert.deepEqual(snapshotStack(vmm, pmm, mapper), before);
      assert.equal(vmm.alloc(6, ATTRS), 0);
    });

    test(`fixed-address alloc whose mapper throws on call ${k} restores the full state`, () => {
      const { vmm, pmm, mapper } = makeStack({ reserved: [{ start: 1 * B, end: 2 * B }, { start: 3 * B, end: 4 * B }] });
      const before = snapshotStack(vmm, pmm, mapper);
      mapper.failOnCall(k);
      assert.throws(() => vmm.alloc(4, ATTRS, 20 * B), MapperError);
      assert.deepEqual(snapshotStack(vmm, pmm, mapper), before);
    });

    test(`set whose mapper throws on call ${k} restores the full state`, () => {
      const { vmm, pmm, mapper } = makeStack();
      vmm.alloc(2, ATTRS);
      vmm.set({ start: 30 * B, end: 31 * B }, { start: 30 * B, end: 31 * B }, ATTRS);
      const before = snapshotStack(vmm, pmm, mapper);
      mapper.failOnCall(1);
      assert.throws(() => vmm.set({ start: 10 * B, end: (10 + k) * B }, { start: 10 * B, end: (10 + k) * B }, ATTRS), MapperError);
      assert.deepEqual(snapshotStack(vmm, pmm, mapper), before);
    });

    test(`free whose unmap throws (call ${k} after ${k - 1} good frees) leaves that allocation intact`, () => {
      const { vmm, pmm, mapper } = makeStack();
      const starts = [vmm.alloc(2, ATTRS)!, vmm.alloc(3, ATTRS)!, vmm.alloc(1, ATTRS)!];
      mapper.failOnCall(k);
      for (let i = 0; i < k - 1; i++) vmm.free(starts[i]!);
      const before = snapshotStack(vmm, pmm, mapper);
      assert.throws(() => vmm.free(starts[k - 1]!), MapperError);
      assert.deepEqual(snapshotStack(vmm, pmm, mapper), before);
      vmm.free(starts[k - 1]!);
    });
  }

  test("a failing PMM-exhausted alloc and a failing free change nothing", () => {
    const { vmm, pmm, mapper } = makeStack({ memoryBlocks: 8 });
    vmm.alloc(6, ATTRS);
    const before = snapshotStack(vmm, pmm, mapper);
    assert.equal(vmm.alloc(3, ATTRS), null);
    assert.throws(() => vmm.free(B), vmmError("NotAllocated"));
    assert.deepEqual(snapshotStack(vmm, pmm, mapper), before);
  });
});

describe("VirtualMemoryManager validates every argument before changing anything", () => {
  for (const [bad, field] of NOT_ATTRIBUTES) {
    test(`alloc and set with attrs ${JSON.stringify(bad) ?? String(bad)} throw InvalidAttributes naming ${field}, and change nothing`, () => {
      const { vmm, pmm, mapper } = makeStack();
      vmm.alloc(2, ATTRS);
      const before = snapshotStack(vmm, pmm, mapper);
      const calls: [string, () => unknown][] = [
        ["alloc", () => vmm.alloc(1, bad as Attributes)],
        ["alloc at", () => vmm.alloc(1, bad as Attributes, 8 * B)],
        ["alloc of 0 blocks", () => vmm.alloc(0, bad as Attributes)],
        ["set mapped", () => vmm.set({ start: 8 * B, end: 9 * B }, { start: 9 * B, end: 10 * B }, bad as Attributes)],
        ["set unmapped", () => vmm.set({ start: 8 * B, end: 9 * B }, null, bad as Attributes)],
      ];
      for (const [name, call] of calls) {
        assert.throws(call, (error: unknown) => {
          assert.equal(error instanceof VmmError, true, `${name}: a VmmError, got ${String(error)}`);
          const { code, data, message } = error as VmmError;
          assert.equal(code, "InvalidAttributes", name);
          assert.equal(data.field, field, name);
          assert.match(message, new RegExp(`^Cannot .*: ${field.replace(".", "\\.")} must be`), name);
          return true;
        });
      }
      assert.deepEqual(snapshotStack(vmm, pmm, mapper), before, "nothing changed");
    });
  }

  test("attributes with the optional executable and global booleans are accepted", () => {
    const { vmm } = makeStack();
    assert.equal(vmm.alloc(1, { ...USER, executable: false, global: true }), 0);
  });

  const virtualCalls: [string, (vmm: VirtualMemoryManager<number>, bad: number) => unknown][] = [
    ["isSet", (vmm, bad) => vmm.isSet(bad)],
    ["free", (vmm, bad) => vmm.free(bad)],
    ["virtToPhys", (vmm, bad) => vmm.virtToPhys(bad)],
    ["allocationAt", (vmm, bad) => vmm.allocationAt(bad)],
    ["alloc count", (vmm, bad) => vmm.alloc(bad, ATTRS)],
    ["alloc at", (vmm, bad) => vmm.alloc(1, ATTRS, bad)],
    ["set virtual start", (vmm, bad) => vmm.set({ start: bad, end: 9 * B }, null, ATTRS)],
    ["set virtual end", (vmm, bad) => vmm.set({ start: 8 * B, end: bad }, null, ATTRS)],
    ["copyData vaddr", (vmm, bad) => vmm.copyData(vmm, "to", new Uint8Array(4), bad)],
  ];
  const physicalCalls: [string, (vmm: VirtualMemoryManager<number>, bad: number) => unknown][] = [
    ["physToVirt", (vmm, bad) => vmm.physToVirt(bad)],
    ["set physical start", (vmm, bad) => vmm.set({ start: 8 * B, end: 9 * B }, { start: bad, end: 10 * B }, ATTRS)],
    ["set physical end", (vmm, bad) => vmm.set({ start: 8 * B, end: 9 * B }, { start: 9 * B, end: bad }, ATTRS)],
  ];
  for (const [calls, code] of [[virtualCalls, "InvalidVirtAddresses"], [physicalCalls, "InvalidPhysAddresses"]] as const) {
    for (const [name, call] of calls) {
      test(`${name} throws ${code} showing each bad value as given, and changes nothing`, () => {
        const { vmm, pmm, mapper } = makeStack({ start: B, memory: new ArrayStore(64 * B) });
        vmm.alloc(2, ATTRS);
        const before = snapshotStack(vmm, pmm, mapper);
        for (const [bad, shown] of NOT_UNSIGNED) {
          // An `at` of undefined is an omitted `at`, and an object is the options form (an empty one asks for nothing): allocate anywhere.
          if (name === "alloc at" && (bad === undefined || (typeof bad === "object" && bad !== null))) continue;
          assert.throws(() => call(vmm, bad as number), (error: unknown) => {
            assert.equal(error instanceof VmmError, true, `${name}(${String(shown)}): a VmmError, got ${String(error)}`);
            assert.equal((error as VmmError).code, code, `${name}(${String(shown)})`);
            assert.match((error as VmmError).message, shown, `${name}(${String(shown)})`);
            return true;
          });
        }
        assert.deepEqual(snapshotStack(vmm, pmm, mapper), before, "nothing changed");
      });
    }
  }

  test("set with a range that is not an object throws InvalidVirtAddresses / InvalidPhysAddresses", () => {
    const { vmm, pmm, mapper } = makeStack();
    const before = snapshotStack(vmm, pmm, mapper);
    assert.throws(() => vmm.set(null as unknown as Range, null, ATTRS), vmmError("InvalidVirtAddresses", /^Cannot set null: not a range/));
    assert.throws(() => vmm.set(undefined as unknown as Range, null, ATTRS), vmmError("InvalidVirtAddresses", /^Cannot set undefined: not a range/));
    assert.throws(() => vmm.set({ start: 0, end: B }, undefined as unknown as Range, ATTRS), vmmError("InvalidPhysAddresses", /to physical undefined: not a range/));
    assert.throws(() => vmm.set({ start: 0, end: B }, 4096 as unknown as Range, ATTRS), vmmError("InvalidPhysAddresses", /to physical 4096: not a range/));
    assert.deepEqual(snapshotStack(vmm, pmm, mapper), before, "nothing changed");
  });

  test("the constructor shows a bad start or end as given", () => {
    const pmm = new PhysicalMemoryManager({ memoryBytes: 4 * B });
    const mapper = new RecordingMapper({ payload: PAYLOAD });
    for (const [bad, shown] of NOT_UNSIGNED) {
      assert.throws(() => new VirtualMemoryManager({ start: bad as number, end: 4 * B, pmm, mapper, payload: PAYLOAD }), vmmError("InvalidVirtAddresses", shown));
      assert.throws(() => new VirtualMemoryManager({ start: 0, end: bad as number, pmm, mapper, payload: PAYLOAD }), vmmError("InvalidVirtAddresses", shown));
    }
  });

  test("copyData refuses data that is not a Uint8Array with a TypeError naming it", () => {
    const { vmm } = makeStack({ memory: new ArrayStore(64 * B) });
    assert.throws(() => vmm.copyData(vmm, "to", [1, 2] as unknown as Uint8Array, 0), { name: "TypeError", message: /data must be a Uint8Array, not an array of 2 items/ });
  });
});

describe("VirtualMemoryManager over reserved and device memory", () => {
  const reserved: Range[] = [{ start: 4 * B, end: 6 * B }];

  test("set over reserved blocks maps them without taking them, and free gives back only what set took", () => {
    const { vmm, pmm, mapper } = makeStack({ memoryBlocks: 8, reserved });
    const free = pmm.blocksFree();
    vmm.set({ start: 16 * B, end: 22 * B }, { start: 3 * B, end: 9 * B }, ATTRS);
    assert.equal(pmm.blocksFree(), free - 3, "only blocks 3, 6 and 7 (usable RAM) are taken; 4–5 are reserved, 8 is past RAM");
    assert.equal(mapper.snapshot().length, 6, "all six pages are mapped");
    assert.equal(vmm.physToVirt(4 * B + 12), 17 * B + 12);
    assert.equal(vmm.physToVirt(8 * B + 12), 21 * B + 12);
    vmm.free(16 * B);
    assert.equal(pmm.blocksFree(), free, "free gave back blocks 3, 6 and 7");
    assert.deepEqual([4, 5].map((block) => pmm.isSet(block * B)), [true, true], "the reserved blocks stay used");
    assert.deepEqual(pmm.allocBlocks(free), [0, B, 2 * B, 3 * B, 6 * B, 7 * B], "the allocator never sees a reserved block");
  });

  test("set of a reserved block this VMM already maps throws PhysicalAlreadyAllocated; another VMM may map it", () => {
    const { vmm, pmm, mapper } = makeStack({ memoryBlocks: 8, reserved });
    vmm.set({ start: 16 * B, end: 17 * B }, { start: 5 * B, end: 6 * B }, ATTRS);
    const before = snapshotStack(vmm, pmm, mapper);
    assert.throws(() => vmm.set({ start: 20 * B, end: 22 * B }, { start: 4 * B, end: 6 * B }, ATTRS), vmmError("PhysicalAlreadyAllocated", /0x00005000 is already mapped in this address space/));
    assert.deepEqual(snapshotStack(vmm, pmm, mapper), before, "nothing changed");
    const other = new VirtualMemoryManager({ start: 0, end: 64 * B, pmm, mapper: new RecordingMapper({ payload: PAYLOAD }), payload: PAYLOAD });
    other.set({ start: 0, end: 2 * B }, { start: 4 * B, end: 6 * B }, ATTRS);
    other.free(0);
    assert.equal(pmm.isSet(5 * B), true, "still reserved after both frees");
  });

  test("a mapper failure during set over reserved blocks gives back only the blocks set took", () => {
    const pmm = new PhysicalMemoryManager({ memoryBytes: 8 * B, reserved });
    const mapper = new RecordingMapper({ payload: PAYLOAD });
    const vmm = new VirtualMemoryManager({ start: 0, end: 64 * B, pmm, mapper, payload: PAYLOAD });
    const before = snapshotStack(vmm, pmm, mapper);
    mapper.failOnCall(1);
    assert.throws(() => vmm.set({ start: 0, end: 4 * B }, { start: 3 * B, end: 7 * B }, ATTRS), MapperError);
    assert.deepEqual(snapshotStack(vmm, pmm, mapper), before, "nothing changed");
  });
});
