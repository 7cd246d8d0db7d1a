import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ENTRY_BYTES, ENTRY_FRAME_MASK, PTE_CACHE_DISABLE, PTE_USER, PTE_WRITABLE, pdIndex, ptIndex } from "../../src/arch/x86/entry.js";
import { boot, type Machine } from "../../src/boot/boot.js";
import { DEFAULT_PROFILE } from "../../src/boot/default-profile.js";
import type { MemoryProfile } from "../../src/boot/profile.js";
import { formatDifferences, kmemPages } from "../../src/node/qemu/compare.js";
import { expectedPages } from "../../src/node/qemu/expected.js";
import { checkMachineWithQemu, checkProfileWithQemu } from "../../src/node/qemu/machine-check.js";
import { withGuest } from "../../src/node/qemu/placement.js";
import { formatProbeDifferences } from "../../src/node/qemu/probes.js";
import { findQemuTools } from "../../src/node/qemu/tools.js";

const APIC = 0xfee0_0000;
const SHARED = 0xd000_0000;

/** The default PC plus an uncached local APIC (MMIO beyond RAM) and a read-only page shared with user mode. */
const PROFILE: MemoryProfile = {
  ...DEFAULT_PROFILE,
  virtualReserved: [
    ...DEFAULT_PROFILE.virtualReserved,
    { virtStart: APIC, virtEnd: APIC + 0x1000, physStart: APIC, label: "local APIC", cachable: false },
    { virtStart: SHARED, virtEnd: SHARED + 0x2000, physStart: 0x50_0000, label: "shared, read-only", writable: false, user: true },
  ],
};

function pteAddress(machine: Machine, vaddr: number): number {
  const pde = machine.ram.read32(machine.cr3 + pdIndex(vaddr) * ENTRY_BYTES);
  return ((pde & ENTRY_FRAME_MASK) >>> 0) + ptIndex(vaddr) * ENTRY_BYTES;
}

/** Flips `bits` in the PTE of `vaddr`, behind kmem's back. */
function flip(machine: Machine, vaddr: number, bits: number): void {
  const entry = pteAddress(machine, vaddr);
  machine.ram.write32(entry, (machine.ram.read32(entry) ^ bits) >>> 0);
}

describe("expectedPages", () => {
  test("takes frames, U/S, R/W and PCD from the profile where it maps a region, and lists pages the tables lack", () => {
    const machine = boot(PROFILE);
    const honest = expectedPages(machine);
    assert.deepEqual(honest, [...machine.paging.mappings(machine.cr3)].map(({ accessed: _a, dirty: _d, ...page }) => page), "boot honours the profile");
    flip(machine, APIC, PTE_CACHE_DISABLE);
    flip(machine, SHARED + 0x1000, PTE_USER | PTE_WRITABLE);
    machine.paging.unmap(0xc00b_8000, 0xc00b_9000, machine.cr3);
    const pages = expectedPages(machine);
    const at = (virt: number): unknown => {
      const page = pages.find((p) => p.virt === virt);
      return page === undefined ? undefined : [page.phys, page.user, page.writable, page.cacheDisable];
    };
    assert.deepEqual(at(APIC), [APIC, false, true, true], "the APIC stays uncached");
    assert.deepEqual(at(SHARED + 0x1000), [0x50_1000, true, false, false], "the shared page stays user read-only");
    assert.deepEqual(at(0xc00b_8000), [0xb_8000, false, true, false], "an unmapped VGA page is still expected");
    assert.equal(pages.length, honest.length);
  });
});

describe("verify-qemu on reservations with attributes", () => {
  test("an uncached local APIC at 0xFEE00000 and a read-only user reservation match QEMU page by page", async () => {
    const result = await checkProfileWithQemu(PROFILE, { tools: findQemuTools() });
    assert.equal(formatDifferences(result.differences), "");
    assert.equal(formatProbeDifferences(result.probes.differences, 20), "");
    const pages = kmemPages(expectedPages(result.machine));
    const apic = pages.find((p) => p.virt === APIC);
    assert.deepEqual(apic === undefined ? null : [apic.phys, apic.user, apic.writable, apic.cacheDisable], [APIC, false, true, true]);
    const shared = pages.filter((p) => p.virt >= SHARED && p.virt < SHARED + 0x2000).map((p) => [p.user, p.writable, p.cacheDisable]);
    assert.deepEqual(shared, [[true, false, false], [true, false, false]]);
  });

  test("a table entry that lost the profile's attributes is a difference, though kmem's tables and QEMU agree on it", async () => {
    const profile = withGuest(PROFILE);
    const guestBase = profile.virtualReserved.at(-1)?.virtStart ?? 0;
    const machine = boot(profile);
    flip(machine, APIC, PTE_CACHE_DISABLE);
    flip(machine, SHARED, PTE_USER);
    const result = await checkMachineWithQemu(machine, guestBase, { tools: findQemuTools() });
    assert.deepEqual(result.differences.map((d) => d.virt), [SHARED, APIC]);
    const lines = formatDifferences(result.differences).split("\n");
    assert.match(lines[0] ?? "", /^0xD0000000: kmem 0x00500000 4K user ro cached .*\| qemu 0x00500000 4K kernel ro cached/);
    assert.match(lines[1] ?? "", /^0xFEE00000: kmem 0xFEE00000 4K kernel rw PCD .*\| qemu 0xFEE00000 4K kernel rw cached/);
  });
});
