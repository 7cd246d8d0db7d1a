import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ENTRY_BYTES, ENTRY_FRAME_MASK, PTE_CACHE_DISABLE, PTE_USER, PTE_WRITABLE, pdIndex, ptIndex } from "../../src/arch/x86/entry.js";
import { boot, type Machine } from "../../src/boot/boot.js";
import { DEFAULT_PROFILE } from "../../src/boot/default-profile.js";
import { MAX_REPORTED_FAILURES, selfCheck } from "../../src/boot/self-check.js";

const KERNEL_ATTRS = { kernel: true, writable: true, cachable: true };
const ALL_KERNEL_VMM_BLOCKS = 0xf_ffff;
const DEFAULT_REQUIRED_BLOCKS = 660;

/** The physical address of the PTE that maps `vaddr` in the machine's kernel directory. */
function pteAddress(machine: Machine, vaddr: number): number {
  const pde = machine.ram.read32(machine.cr3 + pdIndex(vaddr) * ENTRY_BYTES);
  return ((pde & ENTRY_FRAME_MASK) >>> 0) + ptIndex(vaddr) * ENTRY_BYTES;
}

describe("selfCheck", () => {
  test("passes on the default profile, proving all 2^20 - 1 blocks and translating the 660 required ones", () => {
    const report = selfCheck(boot(DEFAULT_PROFILE));
    assert.deepEqual(report, {
      ok: true,
      blocksChecked: ALL_KERNEL_VMM_BLOCKS,
      blocksRequired: DEFAULT_REQUIRED_BLOCKS,
      failureCount: 0,
      failures: [],
    });
  });

  test("leaves RAM byte-identical (the accessed bits its walks set are restored)", () => {
    const machine = boot(DEFAULT_PROFILE);
    const before = Buffer.from(machine.ram.bytes);
    selfCheck(machine);
    assert.ok(before.equals(machine.ram.bytes), "RAM is unchanged");
  });

  test("fails when a block outside the profile is allocated, naming its address", () => {
    const machine = boot(DEFAULT_PROFILE);
    const extra = machine.vmm.alloc(1, KERNEL_ATTRS, 0xd000_0000);
    assert.equal(extra, 0xd000_0000);
    const report = selfCheck(machine);
    assert.equal(report.ok, false);
    assert.deepEqual(
      report.failures.map((f) => [f.problem, f.address]),
      [
        ["unexpected-set", 0xd000_0000],
        ["unexpected-mapping", 0xd000_0000],
      ],
    );
    assert.match(report.failures[0]?.message ?? "", /^0xD0000000 is set in the VMM, but the profile does not require it$/);
  });

  test("fails when a PTE points at another frame", () => {
    const machine = boot(DEFAULT_PROFILE);
    const entry = pteAddress(machine, 0xc010_5000);
    machine.ram.write32(entry, (machine.ram.read32(entry) + 0x1000) >>> 0);
    const report = selfCheck(machine);
    assert.equal(report.ok, false);
    assert.deepEqual(report.failures[0], {
      problem: "wrong-physical",
      address: 0xc010_5000,
      message: "0xC0105000 translates to 0x00106000, expected 0x00105000 (kernel)",
    });
  });

  test("fails when a page was unmapped behind the VMM's back", () => {
    const machine = boot(DEFAULT_PROFILE);
    machine.paging.unmap(0xc00b_8000, 0xc00b_9000, machine.cr3);
    const report = selfCheck(machine);
    assert.deepEqual(
      report.failures.map((f) => [f.problem, f.address]),
      [["fault", 0xc00b_8000]],
    );
    assert.match(report.failures[0]?.message ?? "", /faults \(error code 0x0\), expected 0x000B8000/);
  });

  test("fails when a required block is not set, e.g. after the kernel region was freed", () => {
    const machine = boot(DEFAULT_PROFILE);
    machine.vmm.free(0xc010_0000);
    const report = selfCheck(machine);
    assert.equal(report.ok, false);
    assert.equal(report.failures[0]?.problem, "not-set");
    assert.equal(report.failures[0]?.address, 0xc010_0000);
  });

  test("fails when a read-only kernel page was made writable", () => {
    const machine = boot(DEFAULT_PROFILE);
    const entry = pteAddress(machine, 0xc010_0000);
    machine.ram.write32(entry, (machine.ram.read32(entry) | PTE_WRITABLE) >>> 0);
    const report = selfCheck(machine);
    assert.deepEqual(report.failures[0], {
      problem: "wrong-attributes",
      address: 0xc010_0000,
      message: "0xC0100000 is mapped writable supervisor cached, expected read-only supervisor cached (kernel)",
    });
  });

  test("checks every page of a reservation against the attributes its profile entry gives", () => {
    const machine = boot({
      ...DEFAULT_PROFILE,
      virtualReserved: [
        { virtStart: 0xfee0_0000, virtEnd: 0xfee0_1000, physStart: 0xfee0_0000, label: "local APIC", cachable: false },
        { virtStart: 0xd000_0000, virtEnd: 0xd000_2000, physStart: 0x50_0000, label: "shared", writable: false, user: true },
      ],
    });
    assert.equal(selfCheck(machine).ok, true, "boot honours the attributes");
    const apic = pteAddress(machine, 0xfee0_0000);
    machine.ram.write32(apic, (machine.ram.read32(apic) & ~PTE_CACHE_DISABLE) >>> 0);
    const shared = pteAddress(machine, 0xd000_1000);
    machine.ram.write32(shared, (machine.ram.read32(shared) & ~PTE_USER) >>> 0);
    assert.deepEqual(
      selfCheck(machine).failures.map((f) => f.message),
      [
        "0xD0001000 is mapped read-only supervisor cached, expected read-only user cached (virtualReserved[1])",
        "0xFEE00000 is mapped writable supervisor cached, expected writable supervisor uncached (virtualReserved[0])",
      ],
    );
  });

  test("fails when a reserved-only range is mapped", () => {
    const machine = boot({ ...DEFAULT_PROFILE, virtualReserved: [{ virtStart: 0xd000_0000, virtEnd: 0xd000_1000, label: "guard" }] });
    machine.paging.map(0xd000_0000, 0xd000_1000, 0x50_0000, 0x50_1000, KERNEL_ATTRS, machine.cr3);
    const report = selfCheck(machine);
    assert.deepEqual(
      report.failures.map((f) => [f.problem, f.address]),
      [
        ["mapped-but-unbacked", 0xd000_0000],
        ["unexpected-mapping", 0xd000_0000],
      ],
    );
  });

  test(`counts every failure but lists only the first ${MAX_REPORTED_FAILURES}`, () => {
    const machine = boot(DEFAULT_PROFILE);
    machine.vmm.free(0xc034_0000);
    const report = selfCheck(machine);
    const moduleBlocks = (0xc039_d000 - 0xc034_0000) / 0x1000;
    assert.equal(report.failureCount, moduleBlocks * 2, "each block is neither set nor mapped");
    assert.equal(report.failures.length, MAX_REPORTED_FAILURES);
  });
});
