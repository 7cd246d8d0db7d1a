import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ENTRY_BYTES, ENTRY_FRAME_MASK, PTE_CACHE_DISABLE, PTE_PRESENT, PTE_USER, PTE_WRITABLE, pdIndex, ptIndex } from "../../src/arch/x86/entry.js";
import { PageFault } from "../../src/arch/x86/page-fault.js";
import { boot } from "../../src/boot/boot.js";
import { DEFAULT_PROFILE } from "../../src/boot/default-profile.js";
import { type MemoryProfile, parseProfile } from "../../src/boot/profile.js";
import { ProfileError } from "../../src/boot/profile-error.js";
import { selfCheck } from "../../src/boot/self-check.js";
import { BLOCK_SIZE } from "../../src/types.js";

const MiB = 0x10_0000;

/** The physical frames of the directory and every page table it points at. */
function tableFrames(machine: ReturnType<typeof boot>): number[] {
  const frames = [machine.cr3];
  for (let pdi = 0; pdi < 1024; pdi++) {
    const pde = machine.ram.read32(machine.cr3 + pdi * ENTRY_BYTES);
    if ((pde & PTE_PRESENT) !== 0) {
      frames.push((pde & ENTRY_FRAME_MASK) >>> 0);
    }
  }
  return frames;
}

describe("boot", () => {
  test("maps the default profile's kernel, early area, module and VGA buffer where the profile says", () => {
    const machine = boot(DEFAULT_PROFILE);
    assert.equal(machine.mmu.translate(0xc010_0010), 0x0010_0010);
    assert.equal(machine.mmu.translate(0xc032_efff), 0x0032_efff);
    assert.equal(machine.mmu.translate(0xc00b_8000, { write: true }), 0x000b_8000);
    assert.equal(machine.mmu.translate(0xc034_0000), 0x0034_0000);
    assert.deepEqual(
      machine.regions.map((r) => [r.label, r.virtStart, r.virtEnd, r.physStart, r.writable]),
      [
        ["VGA text buffer", 0xc00b_8000, 0xc00c_0000, 0x000b_8000, true],
        ["kernel image", 0xc010_0000, 0xc022_f000, 0x0010_0000, false],
        ["kernel early allocations", 0xc022_f000, 0xc032_f000, 0x0022_f000, false],
        ["module initrd", 0xc034_0000, 0xc039_d000, 0x0034_0000, true],
      ],
    );
  });

  test("maps the kernel read-only and supervisor-only, as the seed does", () => {
    const machine = boot(DEFAULT_PROFILE);
    assert.throws(() => machine.mmu.translate(0xc010_0000, { write: true }), (e: unknown) => e instanceof PageFault && e.errorCode === 0x3);
    assert.throws(() => machine.mmu.translate(0xc010_0000, { user: true }), (e: unknown) => e instanceof PageFault && e.errorCode === 0x5);
  });

  test("leaves the null page and everything outside the profile unmapped", () => {
    const machine = boot(DEFAULT_PROFILE);
    assert.equal(machine.vmm.start, BLOCK_SIZE);
    assert.equal(machine.vmm.end, 0x1_0000_0000);
    assert.throws(() => machine.mmu.translate(0x0), (e: unknown) => e instanceof PageFault && e.errorCode === 0);
    assert.throws(() => machine.mmu.translate(0xffff_f000), (e: unknown) => e instanceof PageFault && e.errorCode === 0);
    assert.equal(machine.vmm.isSet(0xffff_f000), false);
  });

  test("marks firmware holes, kernel, early area, module, VGA pages and page tables used in the PMM, and nothing else", () => {
    const machine = boot(DEFAULT_PROFILE);
    const { pmm } = machine;
    for (const address of [0x0, 0x9_f000, 0xb_8000, 0xc_0000, 0x10_0000, 0x32_e000, 0x34_0000, 0x39_c000, 0x7fe_0000, 0x7ff_f000]) {
      assert.equal(pmm.isSet(address), true, `0x${address.toString(16)} should be used`);
    }
    for (const address of [0x3000, 0x32_f000, 0x39_d000, 0x7fd_f000]) {
      assert.equal(pmm.isSet(address), false, `0x${address.toString(16)} should be free`);
    }
    const firmware = 1 + (0x10_0000 - 0x9_f000) / BLOCK_SIZE + (0x800_0000 - 0x7fe_0000) / BLOCK_SIZE - (0xc_0000 - 0xb_8000) / BLOCK_SIZE;
    const mapped = (0xc_0000 - 0xb_8000 + 0x32_f000 - 0x10_0000 + 0x39_d000 - 0x34_0000) / BLOCK_SIZE;
    assert.equal(pmm.blocksUsed(), firmware + mapped + tableFrames(machine).length);
  });

  test("never hands out physical block 0, so CR3 is not 0", () => {
    assert.equal(boot(DEFAULT_PROFILE).cr3, BLOCK_SIZE);
  });

  test("keeps page tables off the pages the profile maps even when those are the lowest free ones", () => {
    const profile: MemoryProfile = {
      ...DEFAULT_PROFILE,
      memoryMap: [
        { start: 0, end: MiB, type: "reserved" },
        { start: MiB, end: 0x800_0000, type: "available" },
      ],
    };
    const machine = boot(profile);
    const claimed = machine.layout.claimed;
    for (const frame of tableFrames(machine)) {
      assert.ok(!claimed.some((r) => frame >= r.start && frame < r.end), `table frame 0x${frame.toString(16)} lies on a mapped page`);
    }
    assert.equal(selfCheck(machine).ok, true);
    assert.deepEqual(tableFrames(machine), [0x32_f000, 0x33_0000], "directory and table come right after the early area");
    assert.equal(machine.pmm.alloc(), 0x33_1000);
  });

  test("maps a reservation beyond RAM (MMIO) without touching the PMM", () => {
    const machine = boot({
      ...DEFAULT_PROFILE,
      virtualReserved: [...DEFAULT_PROFILE.virtualReserved, { virtStart: 0xfee0_0000, virtEnd: 0xfee0_1000, physStart: 0xfee0_0000, label: "local APIC" }],
    });
    assert.equal(machine.mmu.translate(0xfee0_0020, { write: true }), 0xfee0_0020);
    assert.equal(selfCheck(machine).ok, true);
  });

  test("reserves a range without physStart in the VMM but leaves it unmapped", () => {
    const machine = boot({ ...DEFAULT_PROFILE, virtualReserved: [{ virtStart: 0xd000_0000, virtEnd: 0xd000_4000, label: "heap" }] });
    assert.equal(machine.vmm.isSet(0xd000_3000), true);
    assert.throws(() => machine.mmu.translate(0xd000_3000), (e: unknown) => e instanceof PageFault && e.errorCode === 0);
    assert.deepEqual(machine.regions.find((r) => r.label === "heap")?.physStart, null);
  });

  test("maps overlapping reservations with the same physical target once", () => {
    const machine = boot({
      ...DEFAULT_PROFILE,
      virtualReserved: [
        { virtStart: 0xc00b_8000, virtEnd: 0xc00c_0000, physStart: 0xb_8000, label: "VGA" },
        { virtStart: 0xc00b_c000, virtEnd: 0xc00c_4000, physStart: 0xb_c000, label: "VGA and beyond" },
        { virtStart: 0xc010_0000, virtEnd: 0xc010_2000, physStart: 0x10_0000, label: "kernel again" },
      ],
    });
    assert.deepEqual(
      machine.regions.filter((r) => r.virtStart < 0xc010_0000).map((r) => [r.label, r.virtStart, r.virtEnd]),
      [
        ["VGA", 0xc00b_8000, 0xc00c_0000],
        ["VGA and beyond", 0xc00c_0000, 0xc00c_4000],
      ],
    );
    assert.equal(machine.mmu.translate(0xc00c_3000), 0xc_3000);
    assert.equal(selfCheck(machine).ok, true);
  });

  test("uses 4 MiB pages for 4 MiB-aligned regions when asked, with CR4.PSE on", () => {
    const machine = boot(
      { ...DEFAULT_PROFILE, virtualReserved: [{ virtStart: 0xd000_0000, virtEnd: 0xd040_0000, physStart: 0x40_0000, label: "big" }] },
      { largePages: true },
    );
    assert.equal(machine.cr4Pse, true);
    assert.ok(machine.paging.mappings(machine.cr3).some((m) => m.large && m.virt === 0xd000_0000), "0xD0000000 is mapped by a 4 MiB page");
    assert.equal(machine.mmu.translate(0xd03f_fff0), 0x7f_fff0);
    assert.equal(selfCheck(machine).ok, true);
  });

  test("boots a 4 GiB profile", () => {
    const profile: MemoryProfile = {
      ...DEFAULT_PROFILE,
      memoryBytes: 0x1_0000_0000,
      memoryMap: [
        { start: 0, end: 0x9_fc00, type: "available" },
        { start: 0x9_fc00, end: MiB, type: "reserved" },
        { start: MiB, end: 0xfffc_0000, type: "available" },
        { start: 0xfffc_0000, end: 0x1_0000_0000, type: "reserved" },
      ],
    };
    const machine = boot(profile);
    assert.equal(machine.pmm.numBlocks, 0x10_0000);
    assert.equal(selfCheck(machine).ok, true);
  });

  test("explains a machine too small for its page directory as an InvalidProfile error naming memoryBytes", () => {
    const profile: MemoryProfile = {
      memoryBytes: 0x30_0000,
      memoryMap: [{ start: MiB, end: 0x30_0000, type: "available" }],
      kernel: { physStart: MiB, physEnd: 0x20_0000, virtStart: 0xc010_0000, virtEnd: 0xc020_0000 },
      modules: [],
      virtualReserved: [],
    };
    assert.throws(
      () => boot(profile),
      (e: unknown) => e instanceof ProfileError && e.data.path === "memoryBytes" && /^memoryBytes cannot hold the kernel page directory: /.test(e.message),
    );
  });

  test("explains a machine with no frame for a page table as an InvalidProfile error naming the region", () => {
    const profile: MemoryProfile = {
      memoryBytes: 0x30_1000,
      memoryMap: [{ start: MiB, end: 0x30_1000, type: "available" }],
      kernel: { physStart: MiB, physEnd: 0x20_0000, virtStart: 0xc010_0000, virtEnd: 0xc020_0000 },
      modules: [],
      virtualReserved: [],
    };
    assert.throws(
      () => boot(profile),
      (e: unknown) => e instanceof ProfileError && e.data.path === "kernel" && /^kernel 0xC0100000–0xC0300000 cannot be mapped: /.test(e.message),
    );
  });

  test("validates a hand-built profile before building anything", () => {
    const broken = { ...DEFAULT_PROFILE, kernel: { ...DEFAULT_PROFILE.kernel, physEnd: 0 } };
    assert.throws(() => boot(broken), (e: unknown) => e instanceof ProfileError && e.data.path === "kernel.physEnd");
  });

  test("freeing the VGA reservation gives no firmware frame to the PMM: the next user allocation never lands there", () => {
    const machine = boot(DEFAULT_PROFILE);
    const { pmm, vmm } = machine;
    const vga = { start: 0xb_8000, end: 0xc_0000 };
    const free = pmm.blocksFree();
    vmm.free(0xc00b_8000);
    assert.equal(pmm.blocksFree(), free, "the VGA frames were never the PMM's to give back");
    for (let frame = vga.start; frame < vga.end; frame += BLOCK_SIZE) {
      assert.equal(pmm.isSet(frame), true, `0x${frame.toString(16)} stays used`);
      assert.equal(pmm.isReserved(frame), true, `0x${frame.toString(16)} stays reserved`);
    }
    const at = vmm.alloc(200, { kernel: false, writable: true, cachable: true });
    assert.notEqual(at, null, "the allocation fits");
    const frames = vmm.allocationAt(at!)!.physical;
    assert.equal(frames.some((frame) => frame >= vga.start && frame < vga.end), false, "no frame of the allocation is a VGA frame");
    assert.equal(frames.some((frame) => pmm.isReserved(frame)), false, "no frame of the allocation is reserved");
  });

  test("alloc and set with missing or malformed attrs on a booted machine take no table frame and write no PDE", () => {
    const machine = boot(DEFAULT_PROFILE);
    const { pmm, vmm, paging, cr3, ram } = machine;
    const free = pmm.blocksFree();
    const tables = paging.tablesInUse(cr3);
    const directory = ram.readBytes(cr3, BLOCK_SIZE);
    const user = { kernel: false, writable: true, cachable: true };
    assert.throws(() => vmm.alloc(1, undefined as never, 0x2000_0000), { name: "VmmError", code: "InvalidAttributes", message: /attrs must be an object/ });
    assert.throws(() => vmm.alloc(1, {} as never), { name: "VmmError", code: "InvalidAttributes", message: /attrs\.kernel must be a boolean, not undefined/ });
    assert.throws(() => vmm.alloc(1, "kernel" as never), { name: "VmmError", code: "InvalidAttributes", message: /not "kernel"/ });
    assert.throws(() => vmm.set({ start: 0x2000_0000, end: 0x2000_1000 }, { start: 0x50_0000, end: 0x50_1000 }, null as never), { name: "VmmError", code: "InvalidAttributes" });
    assert.throws(() => paging.map(0x2000_0000, 0x2000_1000, 0x50_0000, 0x50_1000, null as never, cr3), { name: "MapperError", code: "InvalidAttributes" });
    assert.equal(pmm.blocksFree(), free, "no frame taken");
    assert.equal(paging.tablesInUse(cr3), tables, "no table added");
    assert.deepEqual(ram.readBytes(cr3, BLOCK_SIZE), directory, "the directory is unchanged");
    assert.notEqual(vmm.alloc(1, user, 0x2000_0000), null, "a valid alloc at the same place then works");
  });

  test("the PMM refuses to free a frame the firmware map reserves, or the null page", () => {
    const { pmm } = boot(DEFAULT_PROFILE);
    assert.throws(() => pmm.free(0), { name: "PmmError", code: "Reserved", message: /^Cannot free 0x00000000: block 0x00000000 is reserved/ });
    assert.throws(() => pmm.free(0xb_8000), { name: "PmmError", code: "Reserved" });
    assert.throws(() => pmm.freeRange(0x7fe_0000, 0x800_0000), { name: "PmmError", code: "Reserved" });
  });

  test("a reservation mapping usable RAM takes it from the PMM and its free gives it back", () => {
    const machine = boot({ ...DEFAULT_PROFILE, virtualReserved: [{ virtStart: 0xd000_0000, virtEnd: 0xd000_2000, physStart: 0x50_0000, label: "frame buffer in RAM" }] });
    assert.deepEqual([machine.pmm.isSet(0x50_0000), machine.pmm.isSet(0x50_1000)], [true, true], "taken by boot's set");
    machine.vmm.free(0xd000_0000);
    assert.deepEqual([machine.pmm.isSet(0x50_0000), machine.pmm.isSet(0x50_1000)], [false, false], "both frames are back");
  });

  test("page directory slot of the kernel points at a table in RAM", () => {
    const machine = boot(DEFAULT_PROFILE);
    const pde = machine.ram.read32(machine.cr3 + pdIndex(0xc010_0000) * ENTRY_BYTES);
    assert.equal(pde & PTE_PRESENT, PTE_PRESENT);
  });

  test("boots a profile parseProfile returned without validating and planning it again", () => {
    const profile = parseProfile(structuredClone(DEFAULT_PROFILE));
    const first = boot(profile);
    const second = boot(profile);
    assert.equal(first.profile, profile, "the validated profile is used as it is");
    assert.equal(second.layout, first.layout, "the layout planned by parseProfile is reused");
    assert.notEqual(boot(structuredClone(DEFAULT_PROFILE)).layout, first.layout, "another value is planned afresh");
  });

  test("maps a reservation with the cachable, writable and user it gives (PCD, R/W, U/S), the rest by default", () => {
    const machine = boot({
      ...DEFAULT_PROFILE,
      virtualReserved: [
        ...DEFAULT_PROFILE.virtualReserved,
        { virtStart: 0xfee0_0000, virtEnd: 0xfee0_1000, physStart: 0xfee0_0000, label: "local APIC", cachable: false },
        { virtStart: 0xd000_0000, virtEnd: 0xd000_2000, physStart: 0x50_0000, label: "shared page", writable: false, user: true },
      ],
    });
    const pte = (vaddr: number): number => {
      const pde = machine.ram.read32(machine.cr3 + pdIndex(vaddr) * ENTRY_BYTES);
      return machine.ram.read32(((pde & ENTRY_FRAME_MASK) >>> 0) + ptIndex(vaddr) * ENTRY_BYTES);
    };
    const [W, U, PCD] = [PTE_WRITABLE, PTE_USER, PTE_CACHE_DISABLE];
    assert.equal(pte(0xfee0_0000) & (W | U | PCD), W | PCD, "the APIC: writable, supervisor, cache-disabled");
    assert.equal(pte(0xd000_1000) & (W | U | PCD), U, "the shared page: read-only, user, cached");
    assert.equal(pte(0xc00b_8000) & (W | U | PCD), W, "VGA keeps the defaults");
    const rows = machine.regions.filter((r) => r.label === "local APIC" || r.label === "shared page").map((r) => [r.label, r.kernel, r.writable, r.cachable]);
    assert.deepEqual(rows, [
      ["shared page", false, false, true],
      ["local APIC", true, true, false],
    ]);
    assert.equal(selfCheck(machine).ok, true);
  });
});
