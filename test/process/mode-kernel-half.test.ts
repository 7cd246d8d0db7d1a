import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { PAGING_MODES } from "../../src/boot/modes.js";
import { bootMode } from "../../src/boot/mode-boot.js";
import { readModeProfile } from "../../src/boot/mode-profile.js";
import { RiscvMmu } from "../../src/arch/riscv/cpu.js";
import { AccessDriver } from "../../src/process/access-driver.js";
import { AddressSpace } from "../../src/process/address-space.js";
import { frameRefsOf } from "../../src/process/frame-refs.js";
import { kernelHalfOfMode } from "../../src/process/kernel-half.js";
import type { Address } from "../../src/types.js";

const RW = { kernel: false, writable: true, cachable: true };

function bootProfile(mode: string): ReturnType<typeof bootMode> {
  return bootMode(readModeProfile(JSON.parse(readFileSync(`profiles/${mode}.json`, "utf8"))));
}

describe("kernelHalfOfMode", () => {
  test("64-bit modes share the upper canonical half; 32-bit modes from the kernel's lowest mapping (PAE: 0xC0000000, Sv32: 0xC0400000)", () => {
    const expected: Record<string, [Address, number]> = {
      "x86-pae": [0xc000_0000, 3],
      "x86-64": [0xffff_8000_0000_0000n, 256],
      "x86-64-la57": [0xff00_0000_0000_0000n, 256],
      "riscv-sv32": [0xc040_0000, 769],
      "riscv-sv39": [0xffff_ffc0_0000_0000n, 256],
      "riscv-sv48": [0xffff_8000_0000_0000n, 256],
      "riscv-sv57": [0xff00_0000_0000_0000n, 256],
    };
    for (const mode of PAGING_MODES) {
      const kernel = kernelHalfOfMode(bootProfile(mode));
      assert.deepEqual([kernel.kernelStart, kernel.firstSharedEntry], expected[mode], mode);
    }
  });

  for (const mode of PAGING_MODES) {
    test(`${mode}: a booted profile runs processes: demand fill, copy-on-write fork, kernel still mapped, PMM exact after destroy`, () => {
      const machine = bootProfile(mode);
      const kernel = kernelHalfOfMode(machine) as unknown as Parameters<typeof AddressSpace.create<Address>>[0];
      const before = machine.pmm.blocksFree();
      const parent = AddressSpace.create(kernel);
      const at = typeof kernel.userStart === "bigint" ? 0x40_0000n : 0x40_0000;
      parent.reserveLazy(at, 2, RW, { label: "heap" });
      const driver = new AccessDriver(machine.mmu);
      assert.deepEqual(driver.run({ task: parent, vaddr: at, op: "write", value: 1 }).faults.map((f) => f.kind), ["minor"]);
      const child = driver.fork(parent);
      assert.deepEqual(driver.run({ task: child, vaddr: at, op: "write", value: 2 }).faults.map((f) => f.kind), ["cow-copy"]);
      assert.deepEqual(driver.run({ task: parent, vaddr: at, op: "write", value: 3 }).faults.map((f) => f.kind), ["cow-reuse"]);
      assert.equal(driver.run({ task: child, vaddr: at, op: "read" }).value, 2);
      assert.equal(driver.run({ task: parent, vaddr: at, op: "read" }).value, 3);
      const [page] = parent.pages();
      assert.equal(page?.cow, false);
      assert.equal(frameRefsOf(machine.pmm).count(page?.frame ?? -1), 1, "taken over, one reference");
      // The kernel half is the boot's: the kernel image translates the same through the child's root.
      const image = machine.profile.kernel.virtStart;
      assert.equal(child.isActive(machine.mmu), false);
      child.activate(machine.mmu);
      if (machine.mmu instanceof RiscvMmu) machine.mmu.setState({ priv: "S" });
      const viaChild = machine.mmu.tryTranslate(image, { user: false, write: false, fetch: false });
      assert.equal(viaChild, Number(machine.profile.kernel.physStart));
      child.destroy();
      parent.destroy();
      assert.equal(machine.pmm.blocksFree(), before);
    });
  }
});
