import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { boot } from "../../src/boot/boot.js";
import { DEFAULT_PROFILE } from "../../src/boot/default-profile.js";
import { describeMachine } from "../../src/boot/describe.js";
import { selfCheck } from "../../src/boot/self-check.js";

describe("describeMachine", () => {
  test("gives the documented --json object for the default profile, numbers as numbers", () => {
    const machine = boot(DEFAULT_PROFILE);
    const description = JSON.parse(JSON.stringify(describeMachine(machine, selfCheck(machine)))) as Record<string, unknown>;
    assert.deepEqual(Object.keys(description), ["memoryBytes", "cr3", "regions", "pmm", "vmm", "pageTables", "selfCheck"]);
    assert.equal(description.memoryBytes, 0x800_0000);
    assert.equal(description.cr3, 0x1000);
    assert.deepEqual(description.pmm, { blocks: 0x8000, free: machine.pmm.blocksFree(), fragmentation: machine.pmm.stats() });
    assert.deepEqual(description.vmm, { start: 0x1000, end: 0x1_0000_0000, blocksUsed: 660, fragmentation: machine.vmm.stats() });
    assert.equal(description.pageTables, 1);
    assert.deepEqual(description.selfCheck, { ok: true, blocksChecked: 0xf_ffff, blocksRequired: 660, failureCount: 0, failures: [] });
    assert.deepEqual((description.regions as unknown[])[0], {
      virtStart: 0xc00b_8000,
      virtEnd: 0xc00c_0000,
      physStart: 0xb_8000,
      kernel: true,
      writable: true,
      cachable: true,
      label: "VGA text buffer",
    });
  });

  test("reports the free space's fragmentation: the kernel VMM's four gaps around its regions", () => {
    const machine = boot(DEFAULT_PROFILE);
    const { vmm, pmm } = describeMachine(machine, selfCheck(machine));
    assert.equal(vmm.fragmentation.freeBlocks, 0xf_ffff - 660);
    assert.equal(vmm.fragmentation.freeExtents, 4, "below the VGA buffer, between it and the kernel, between the early area and the initrd, after the initrd");
    assert.equal(vmm.fragmentation.largestFreeExtent, (0xc00b_8000 - 0x1000) / 0x1000, "the largest: from the VMM's start to the VGA buffer");
    assert.equal(pmm.fragmentation.freeBlocks, pmm.free);
    assert.equal(pmm.fragmentation.fragmentationIndex, 1 - pmm.fragmentation.largestFreeExtent / pmm.free);
  });

  test("with the buddy PMM, adds its per-order figures, which add up to the free blocks", () => {
    const machine = boot(DEFAULT_PROFILE, { pmmPolicy: "buddy" });
    const { pmm } = JSON.parse(JSON.stringify(describeMachine(machine, selfCheck(machine)))) as ReturnType<typeof describeMachine>;
    assert.deepEqual(Object.keys(pmm), ["blocks", "free", "fragmentation", "buddy"]);
    assert.equal(pmm.buddy?.orders.reduce((sum, o) => sum + o.freeBlocks * 2 ** o.order, 0), pmm.free);
    assert.equal(pmm.buddy?.maxOrder, pmm.buddy!.orders.length - 1);
    assert.equal(describeMachine(boot(DEFAULT_PROFILE), selfCheck(machine)).pmm.buddy, undefined, "no buddy figures with the lowest-first PMM");
  });

  test("reports an unmapped reservation with physStart null", () => {
    const machine = boot({ ...DEFAULT_PROFILE, virtualReserved: [{ virtStart: 0xd000_0000, virtEnd: 0xd000_2000 }] });
    const region = describeMachine(machine, selfCheck(machine)).regions.find((r) => r.virtStart === 0xd000_0000);
    assert.deepEqual(region, {
      virtStart: 0xd000_0000,
      virtEnd: 0xd000_2000,
      physStart: null,
      kernel: true,
      writable: true,
      cachable: true,
      label: "virtualReserved[0]",
    });
  });
});
