import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { BitmapAllocator } from "../src/alloc/bitmap-allocator.js";
import type { VirtualAllocator } from "../src/alloc/policy.js";
import { X86Paging } from "../src/arch/x86/paging.js";
import { VmmError } from "../src/errors/vmm-error.js";
import { PhysicalMemoryManager } from "../src/pmm.js";
import { PhysicalMemory } from "../src/ram.js";
import { BLOCK_SIZE, type Attributes } from "../src/types.js";
import { VirtualMemoryManager } from "../src/vmm.js";
import { RecordingMapper } from "./helpers/recording-mapper.js";

const B = BLOCK_SIZE;
const MIB = 1024 * 1024;
const PAYLOAD = 7;
const ATTRS: Attributes = { kernel: true, writable: true, cachable: true };

function stack(blocks = 64, memoryBlocks = 64) {
  const pmm = new PhysicalMemoryManager({ memoryBytes: memoryBlocks * B });
  const mapper = new RecordingMapper({ payload: PAYLOAD });
  const vmm = new VirtualMemoryManager({ start: B, end: (blocks + 1) * B, pmm, mapper, payload: PAYLOAD });
  return { pmm, mapper, vmm };
}

function invalid(pattern: RegExp): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof VmmError, `expected a VmmError, got ${String(error)}`);
    assert.equal(error.code, "InvalidVirtAddresses");
    assert.match(error.message, pattern);
    return true;
  };
}

describe("VirtualMemoryManager.alloc options", () => {
  test("{ at } allocates at the address, as the bare address does", () => {
    const { vmm } = stack();
    assert.equal(vmm.alloc(2, ATTRS, { at: 10 * B }), 10 * B);
    assert.equal(vmm.alloc(2, ATTRS, 20 * B), 20 * B);
    assert.deepEqual(vmm.allocations().map((a) => a.virtual.start), [10 * B, 20 * B]);
  });

  test("{ align } gives the lowest aligned virtual start (the space starts at block 1) and an aligned physical run", () => {
    const { pmm, vmm } = stack();
    pmm.setAddr(0);
    assert.equal(vmm.alloc(1, ATTRS), B);
    const at = vmm.alloc(4, ATTRS, { align: 8 * B });
    assert.equal(at, 8 * B);
    assert.deepEqual(vmm.allocationAt(at!)?.physical, [8 * B, 9 * B, 10 * B, 11 * B], "the physical run starts at the lowest free 8-block boundary");
    assert.equal(vmm.alloc(1, ATTRS, { align: 16 * B }), 16 * B);
  });

  test("{ align } without a free aligned physical run falls back to the lowest free blocks, mapped run by run", () => {
    const { pmm, mapper, vmm } = stack(64, 12);
    pmm.setAddr(4 * B);
    pmm.setAddr(9 * B);
    const at = vmm.alloc(4, ATTRS, { align: 4 * B });
    assert.equal(at, 4 * B, "the virtual start is still aligned");
    assert.deepEqual(vmm.allocationAt(at!)?.physical, [0, B, 2 * B, 3 * B], "blocks 0–3: the lowest free, which happen to be aligned");
    const second = vmm.alloc(4, ATTRS, { align: 4 * B });
    assert.deepEqual(vmm.allocationAt(second!)?.physical, [5 * B, 6 * B, 7 * B, 8 * B], "no free aligned run of 4 is left: the lowest free blocks");
    assert.equal(mapper.mapCalls, 2);
  });

  test("{ at, align } rejects an address that is not a multiple of align", () => {
    const { vmm } = stack();
    assert.throws(() => vmm.alloc(1, ATTRS, { at: 3 * B, align: 2 * B }), invalid(/Cannot allocate at 0x00003000: not aligned to 0x00002000/));
    assert.equal(vmm.blocksUsed, 0);
    assert.equal(vmm.alloc(1, ATTRS, { at: 4 * B, align: 2 * B }), 4 * B);
  });

  test("an unknown option is refused, naming it", () => {
    const { vmm } = stack();
    assert.throws(() => vmm.alloc(1, ATTRS, { algn: 2 * B } as never), invalid(/Cannot allocate with option "algn": the options are at and align/));
    assert.equal(vmm.blocksUsed, 0);
  });

  for (const align of [0, 3 * B, B / 2, 1.5, -B, 2 ** 60, "4096"]) {
    test(`align ${String(align)} is rejected with InvalidVirtAddresses`, () => {
      const { vmm } = stack();
      assert.throws(() => vmm.alloc(1, ATTRS, { align: align as number }), invalid(/align .*: it must be a power of two of at least 4096 bytes/));
      assert.equal(vmm.blocksUsed, 0);
    });
  }

  test("1024 blocks at a 4 MiB boundary with large pages on are mapped by one 4 MiB PDE", () => {
    const ram = new PhysicalMemory(16 * MIB);
    const pmm = new PhysicalMemoryManager({ memoryBytes: 16 * MIB, reserved: [{ start: 0, end: MIB }] });
    const paging = new X86Paging({ ram, frames: pmm, largePages: true });
    const cr3 = paging.createDirectory();
    const vmm = new VirtualMemoryManager({ start: 0x1000, end: 2 ** 32, pmm, mapper: paging, payload: cr3 });
    const at = vmm.alloc(1024, ATTRS, { align: 4 * MIB });
    assert.equal(at, 4 * MIB);
    const mappings = paging.mappings(cr3);
    assert.equal(mappings.length, 1, "one mapping");
    assert.equal(mappings[0]!.large, true, "a 4 MiB page");
    assert.equal(mappings[0]!.virt, 4 * MIB);
    assert.equal(mappings[0]!.phys % (4 * MIB), 0, "physically 4 MiB-aligned");
    assert.equal(vmm.virtToPhys(at! + 0x12345), mappings[0]!.phys + 0x12345);
    vmm.free(at!);
    assert.equal(paging.mappings(cr3).length, 0);
  });

  test('with the "buddy" PMM, an aligned allocation gets a naturally aligned run even after the low memory is fragmented', () => {
    const ram = new PhysicalMemory(16 * MIB);
    const pmm = new PhysicalMemoryManager({ memoryBytes: 16 * MIB, reserved: [{ start: 0, end: MIB }], policy: "buddy" });
    const paging = new X86Paging({ ram, frames: pmm, largePages: true });
    const cr3 = paging.createDirectory();
    const vmm = new VirtualMemoryManager({ start: 0x1000, end: 2 ** 32, pmm, mapper: paging, payload: cr3 });
    for (let i = 0; i < 40; i++) vmm.alloc(1, ATTRS);
    const at = vmm.alloc(1024, ATTRS, { align: 4 * MIB });
    assert.equal(at, 4 * MIB);
    const large = paging.mappings(cr3).filter((m) => m.large);
    assert.equal(large.length, 1, "one 4 MiB mapping");
    assert.equal(large[0]!.virt, 4 * MIB);
    assert.equal(large[0]!.phys % (4 * MIB), 0, "physically 4 MiB-aligned");
    vmm.free(at!);
    assert.equal(paging.mappings(cr3).filter((m) => m.large).length, 0);
  });

  test("without align the same request is mapped by 4 KiB pages", () => {
    const ram = new PhysicalMemory(16 * MIB);
    const pmm = new PhysicalMemoryManager({ memoryBytes: 16 * MIB, reserved: [{ start: 0, end: MIB + B }] });
    const paging = new X86Paging({ ram, frames: pmm, largePages: true });
    const cr3 = paging.createDirectory();
    const vmm = new VirtualMemoryManager({ start: 0x1000, end: 2 ** 32, pmm, mapper: paging, payload: cr3 });
    vmm.alloc(1024, ATTRS, { at: 4 * MIB });
    assert.equal(paging.mappings(cr3).filter((m) => m.large).length, 0);
  });
});

describe("VirtualMemoryManager allocator option and stats", () => {
  test("stats report the free virtual space's fragmentation", () => {
    const { vmm } = stack(64);
    const first = vmm.alloc(4, ATTRS)!;
    vmm.alloc(4, ATTRS);
    vmm.free(first);
    assert.deepEqual(vmm.stats(), { freeBlocks: 60, freeExtents: 2, largestFreeExtent: 56, fragmentationIndex: 1 - 56 / 60 });
  });

  test("a VirtualAllocator of one's own is used for every decision", () => {
    const inner = new BitmapAllocator(32);
    const calls: string[] = [];
    const allocator: VirtualAllocator = {
      get numBlocks() { return inner.numBlocks; },
      get freeBlocks() { return inner.freeBlocks; },
      findFree: (count, alignment, phase) => {
        calls.push(`findFree ${count} ${alignment} ${phase}`);
        return inner.findFree(count, alignment, phase);
      },
      reserve: (first, count) => inner.reserve(first, count),
      release: (first, count) => inner.release(first, count),
      isUsed: (block) => inner.isUsed(block),
      firstUsedIn: (first, count) => inner.firstUsedIn(first, count),
      stats: () => inner.stats(),
    };
    const pmm = new PhysicalMemoryManager({ memoryBytes: 32 * B });
    const mapper = new RecordingMapper({ payload: PAYLOAD });
    const vmm = new VirtualMemoryManager({ start: 0x10000, end: 0x10000 + 32 * B, pmm, mapper, payload: PAYLOAD, allocator });
    assert.equal(vmm.alloc(3, ATTRS, { align: 2 * B }), 0x10000);
    assert.deepEqual(calls, ["findFree 3 2 16"]);
    assert.equal(inner.isUsed(2), true);
  });

  test("an allocator of the wrong size or an unknown name is a RangeError", () => {
    const pmm = new PhysicalMemoryManager({ memoryBytes: 32 * B });
    const mapper = new RecordingMapper({ payload: PAYLOAD });
    assert.throws(() => new VirtualMemoryManager({ start: 0, end: 16 * B, pmm, mapper, payload: PAYLOAD, allocator: new BitmapAllocator(8) }), /must manage 16 blocks, all free/);
    assert.throws(() => new VirtualMemoryManager({ start: 0, end: 16 * B, pmm, mapper, payload: PAYLOAD, allocator: "tree" as "bitmap" }), /Cannot use allocator "tree"/);
  });
});
