import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { MapperError } from "../../../src/errors/mapper-error.js";
import { Mmu } from "../../../src/arch/x86/mmu.js";
import { PageFault } from "../../../src/arch/x86/page-fault.js";
import { X86Paging } from "../../../src/arch/x86/paging.js";
import { PhysicalMemoryManager } from "../../../src/pmm.js";
import { PhysicalMemory } from "../../../src/ram.js";
import type { Attributes } from "../../../src/types.js";
import { VirtualMemoryManager } from "../../../src/vmm.js";
import { naiveWalk } from "./support.js";

const MIB = 1024 * 1024;
const KWC: Attributes = { kernel: true, writable: true, cachable: true };
const UWC: Attributes = { kernel: false, writable: true, cachable: true };

function machine(memoryBytes = 8 * MIB) {
  const ram = new PhysicalMemory(memoryBytes);
  const pmm = new PhysicalMemoryManager({ memoryBytes, reserved: [{ start: 0, end: MIB }] });
  const paging = new X86Paging({ ram, frames: pmm });
  const kernelDir = paging.createDirectory();
  const kernel = new VirtualMemoryManager({ start: 0xc0000000, end: 2 ** 32, pmm, mapper: paging, payload: kernelDir, memory: ram });
  return { ram, pmm, paging, kernelDir, kernel };
}

describe("VirtualMemoryManager over X86Paging, end to end", () => {
  test("alloc writes real PDE/PTE bytes for its PMM blocks; free clears them and returns the table", () => {
    const { ram, pmm, paging, kernelDir, kernel } = machine();
    assert.equal(kernelDir, 0x00100000);
    const baseline = pmm.blocksFree();
    const at = kernel.alloc(2, KWC);
    assert.equal(at, 0xc0000000);
    assert.deepEqual(kernel.allocations()[0]?.physical, [0x00101000, 0x00102000]);
    assert.equal(ram.read32(kernelDir + 0x300 * 4), 0x00103007, "PDE → table in the next PMM block");
    assert.equal(ram.read32(0x00103000), 0x00101003);
    assert.equal(ram.read32(0x00103004), 0x00102003);
    assert.equal(ram.read32(0x00103008), 0);
    assert.equal(pmm.blocksFree(), baseline - 3);
    const mmu = new Mmu({ ram, cr3: kernelDir });
    mmu.write32(0xc0001ffc, 0x600dcafe);
    assert.equal(ram.read32(kernel.virtToPhys(0xc0001ffc)), 0x600dcafe);
    kernel.free(0xc0000000);
    assert.equal(ram.read32(kernelDir + 0x300 * 4), 0);
    assert.equal(ram.read32(0x00103000), 0);
    assert.equal(paging.tablesInUse(kernelDir), 0);
    assert.equal(pmm.isSet(0x00103000), false);
    assert.equal(pmm.blocksFree(), baseline);
  });

  test("set maps a device range beyond RAM with PCD, and the walk sees it", () => {
    const { ram, kernel, kernelDir } = machine();
    kernel.set({ start: 0xc00b8000, end: 0xc00b9000 }, { start: 0xfd000000, end: 0xfd001000 }, { kernel: true, writable: true, cachable: false });
    const pages = naiveWalk(ram.bytes, kernelDir);
    assert.deepEqual(pages.get(0xc00b8), { phys: 0xfd000000, user: false, writable: true, cacheDisable: true });
  });

  test("when the PMM has room for the pages but not their table, alloc throws OutOfMemory and changes nothing", () => {
    const { ram, pmm, kernel } = machine(MIB + 3 * 0x1000);
    assert.equal(pmm.blocksFree(), 2);
    const before = { free: pmm.blocksFree(), ram: ram.bytes.slice(), used: kernel.blocksUsed };
    assert.throws(() => kernel.alloc(2, KWC), (e: unknown) => e instanceof MapperError && e.code === "OutOfMemory");
    assert.deepEqual({ free: pmm.blocksFree(), ram: ram.bytes.slice(), used: kernel.blocksUsed }, before);
    assert.equal(kernel.alloc(1, KWC), 0xc0000000);
  });

  test("copyData moves bytes between the kernel and a user address space with its own directory", () => {
    const { ram, pmm, paging, kernelDir, kernel } = machine();
    const userDir = paging.createDirectory();
    const user = new VirtualMemoryManager({ start: 0x00400000, end: 0xc0000000, pmm, mapper: paging, payload: userDir, memory: ram });
    assert.equal(user.alloc(2, UWC), 0x00400000);
    const message = Uint8Array.from({ length: 0x1000 }, (_, i) => (i * 7) & 0xff);
    kernel.copyData(user, "to", message, 0x00400800);
    const userMmu = new Mmu({ ram, cr3: userDir });
    assert.deepEqual(userMmu.readBytes(0x00400800, message.length, { user: true }), message, "the user sees the bytes through its own tables");
    userMmu.write32(0x00401ff0, 0x12345678, { user: true });
    const back = new Uint8Array(4);
    kernel.copyData(user, "from", back, 0x00401ff0);
    assert.deepEqual([...back], [0x78, 0x56, 0x34, 0x12]);
    const kernelMmu = new Mmu({ ram, cr3: kernelDir });
    assert.throws(() => kernelMmu.read8(0x00400800), (e: unknown) => e instanceof PageFault && e.errorCode === 0);
  });
});
