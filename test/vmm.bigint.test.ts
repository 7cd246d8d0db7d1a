import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { BitmapError } from "../src/errors/bitmap-error.js";
import { VmmError } from "../src/errors/vmm-error.js";
import { PhysicalMemoryManager } from "../src/pmm.js";
import { PhysicalMemory } from "../src/ram.js";
import type { Attributes } from "../src/types.js";
import { VirtualMemoryManager } from "../src/vmm.js";
import { RecordingMapper } from "./helpers/recording-mapper.js";

const B = 4096n;
const KERNEL_HALF = 0xffff_8000_0000_0000n;
const TOP = 2n ** 64n;
const ATTRS: Attributes = { kernel: true, writable: true, cachable: true };

function stack(start = KERNEL_HALF, end = TOP) {
  const ram = new PhysicalMemory(64 * 4096);
  const pmm = new PhysicalMemoryManager({ memoryBytes: 64 * 4096 });
  const mapper = new RecordingMapper<string, bigint>({ payload: "root" });
  const vmm = new VirtualMemoryManager({ start, end, pmm, mapper, payload: "root", memory: ram });
  return { ram, pmm, mapper, vmm };
}

function vmmError(code: string, pattern: RegExp): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof VmmError || error instanceof BitmapError, `expected a VmmError or BitmapError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    return true;
  };
}

describe("a bigint VirtualMemoryManager", () => {
  test("maps the x86-64 kernel half's last page and names it exactly", () => {
    const { vmm, mapper } = stack();
    const last = TOP - B;
    assert.equal(vmm.alloc(1, ATTRS, last), last);
    assert.deepEqual(mapper.calls.at(-1), { kind: "map", vStart: last, vEnd: TOP, pStart: 0n, pEnd: B });
    assert.equal(vmm.virtToPhys(last + 0xfffn), 0xfffn);
    assert.equal(vmm.physToVirt(0x10n), last + 0x10n);
    assert.deepEqual(vmm.allocationAt(last)?.virtual, { start: last, end: TOP });
    assert.throws(() => vmm.free(last + 0x800n), vmmError("NotAllocated", /Cannot free 0xFFFFFFFFFFFFF800: not the start of an allocation \(it lies in 0xFFFFFFFFFFFFF000–0x10000000000000000\)/));
    vmm.free(last);
    assert.equal(vmm.blocksUsed, 0);
  });

  test("refuses numbers, negative bigints and addresses outside the space, naming them", () => {
    const { vmm } = stack();
    assert.throws(() => vmm.isSet(4096 as unknown as bigint), vmmError("InvalidVirtAddresses", /Cannot query 4096: not an address \(a non-negative bigint\)/));
    assert.throws(() => vmm.free(-1n), vmmError("InvalidVirtAddresses", /-1n/));
    assert.throws(() => vmm.isSet(KERNEL_HALF - 1n), vmmError("OutOfBounds", /0xFFFF7FFFFFFFFFFF: outside the managed range 0xFFFF800000000000–0x10000000000000000/));
    assert.throws(() => vmm.alloc(2, ATTRS, TOP - B), vmmError("OutOfBounds", /Cannot allocate 0xFFFFFFFFFFFFF000–0x10000000000001000/));
    assert.throws(() => vmm.physToVirt(1 as unknown as bigint), vmmError("InvalidPhysAddresses", /not an address \(a non-negative bigint\)/));
    assert.throws(() => new VirtualMemoryManager({ start: 0n, end: 4096 as unknown as bigint, pmm: stack().pmm, mapper: new RecordingMapper<number, bigint>({ payload: 0 }), payload: 0 }), vmmError("InvalidVirtAddresses", /Cannot manage/));
  });

  test("set maps a bigint physical range, device memory past RAM included, and free gives back only RAM blocks", () => {
    const { vmm, pmm, mapper } = stack();
    const device = 2n ** 40n;
    vmm.set({ start: KERNEL_HALF, end: KERNEL_HALF + 2n * B }, { start: device, end: device + 2n * B }, ATTRS);
    assert.equal(pmm.blocksFree(), 64, "device memory is not taken from the PMM");
    assert.equal(vmm.physToVirt(device + B + 8n), KERNEL_HALF + B + 8n);
    assert.throws(() => vmm.set({ start: KERNEL_HALF + 4n * B, end: KERNEL_HALF + 5n * B }, { start: device + B, end: device + 2n * B }, ATTRS), vmmError("PhysicalAlreadyAllocated", /0x10000001000 is already mapped in this address space/));
    vmm.set({ start: KERNEL_HALF + 8n * B, end: KERNEL_HALF + 9n * B }, { start: 63n * B, end: 64n * B }, ATTRS);
    assert.equal(pmm.isSet(63 * 4096), true, "a number PMM behind a bigint VMM");
    vmm.free(KERNEL_HALF + 8n * B);
    assert.equal(pmm.isSet(63 * 4096), false);
    assert.equal(mapper.snapshot().length, 2);
  });

  test("copyData copies across a page boundary between bigint and number spaces", () => {
    const { vmm: kernel, pmm, ram } = stack();
    const user = new VirtualMemoryManager({ start: 0x1000, end: 0x10_0000, pmm, mapper: new RecordingMapper({ payload: 1 }), payload: 1, memory: ram });
    const at = kernel.alloc(2, ATTRS)!;
    const bytes = new Uint8Array(300).map((_, i) => i);
    user.copyData(kernel, "to", bytes, at + B - 100n);
    const back = new Uint8Array(300);
    kernel.copyData(kernel, "from", back, at + B - 100n);
    assert.deepEqual(back, bytes);
    assert.throws(() => user.copyData(kernel, "to", bytes, at + 2n * B - 10n), vmmError("NotAllocated", /0xFFFF800000002000 is not backed/));
    assert.throws(() => user.copyData(kernel, "to", bytes, 5 as unknown as bigint), vmmError("InvalidVirtAddresses", /not an address \(a non-negative bigint\)/));
  });
});
