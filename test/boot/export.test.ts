import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ENTRY_FRAME_MASK, PTE_PRESENT, PTE_USER, PTE_WRITABLE, pdIndex, ptIndex } from "../../src/arch/x86/entry.js";
import { boot } from "../../src/boot/boot.js";
import { DEFAULT_PROFILE } from "../../src/boot/default-profile.js";
import { exportMachine } from "../../src/boot/export.js";

const BLOCK = 0x1000;

describe("exportMachine", () => {
  test("exports all of RAM and the machine description", () => {
    const machine = boot(DEFAULT_PROFILE);
    const { ram, machine: json } = exportMachine(machine);
    assert.equal(ram.length, DEFAULT_PROFILE.memoryBytes);
    assert.deepEqual(Object.keys(json), ["memoryBytes", "cr3", "cr4Pse", "regions"]);
    assert.equal(json.cr3, machine.cr3);
    assert.equal(json.cr4Pse, false);
    assert.deepEqual(json.regions, machine.regions);
  });

  test("the image walked by hand from CR3 maps every region page to its physical page with its rights", () => {
    const { ram, machine } = exportMachine(boot(DEFAULT_PROFILE));
    const view = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
    const read = (address: number): number => view.getUint32(address, true);
    for (const region of machine.regions) {
      for (let v = region.virtStart; v < region.virtEnd; v += BLOCK) {
        const pde = read(machine.cr3 + pdIndex(v) * 4);
        assert.equal(pde & PTE_PRESENT, PTE_PRESENT);
        const pte = read(((pde & ENTRY_FRAME_MASK) >>> 0) + ptIndex(v) * 4);
        assert.equal(pte & PTE_PRESENT, PTE_PRESENT);
        assert.equal((pte & ENTRY_FRAME_MASK) >>> 0, (region.physStart ?? 0) + (v - region.virtStart));
        assert.equal((pte & PTE_WRITABLE) !== 0, region.writable);
        assert.equal((pte & PTE_USER) !== 0, !region.kernel);
      }
    }
  });
});
