import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { MemoryError } from "../../../src/errors/memory-error.js";
import { KmemError } from "../../../src/errors/kmem-error.js";
import { PTE_USER, PTE_WRITABLE, pdIndex, ptIndex } from "../../../src/arch/x86/entry.js";
import { Mmu } from "../../../src/arch/x86/mmu.js";
import { PageFault, formatErrorCode } from "../../../src/arch/x86/page-fault.js";
import { X86Paging } from "../../../src/arch/x86/paging.js";
import { PhysicalMemory } from "../../../src/ram.js";
import type { Attributes } from "../../../src/types.js";
import { NOT_UNSIGNED } from "../../helpers/hostile.js";
import { type FaultRow, TestFrames, renderFaultMatrix, runFaultMatrix } from "./support.js";
import { assertProperty } from "../../helpers/property.js";

const MIB = 1024 * 1024;
const KWC: Attributes = { kernel: true, writable: true, cachable: true };
const KRC: Attributes = { kernel: true, writable: false, cachable: true };
const UWC: Attributes = { kernel: false, writable: true, cachable: true };

function setup(options: { tlbEntries?: number; wp?: boolean; pse?: boolean; largePages?: boolean } = {}) {
  const ram = new PhysicalMemory(8 * MIB);
  const frames = new TestFrames(0x00100000, 64);
  const paging = new X86Paging({ ram, frames, largePages: options.largePages ?? false });
  const dir = paging.createDirectory();
  const mmu = new Mmu({ ram, cr3: dir, tlbEntries: options.tlbEntries ?? 64, wp: options.wp ?? true, pse: options.pse ?? false });
  const pteAddress = (vaddr: number): number => (ram.read32(dir + pdIndex(vaddr) * 4) & ~0xfff) + ptIndex(vaddr) * 4;
  return { ram, frames, paging, dir, mmu, pteAddress };
}

/** Expected outcomes from Intel SDM vol. 3 §4.6 (page, writable, present, mode, op → WP=1, WP=0). */
const FAULT_MATRIX: FaultRow[] = [
  ["kernel", false, true, "supervisor", "read", "ok", "ok"],
  ["kernel", false, true, "supervisor", "write", "#PF 0x3", "ok"],
  ["kernel", false, true, "user", "read", "#PF 0x5", "#PF 0x5"],
  ["kernel", false, true, "user", "write", "#PF 0x7", "#PF 0x7"],
  ["kernel", false, false, "supervisor", "read", "#PF 0x0", "#PF 0x0"],
  ["kernel", false, false, "supervisor", "write", "#PF 0x2", "#PF 0x2"],
  ["kernel", false, false, "user", "read", "#PF 0x4", "#PF 0x4"],
  ["kernel", false, false, "user", "write", "#PF 0x6", "#PF 0x6"],
  ["kernel", true, true, "supervisor", "read", "ok", "ok"],
  ["kernel", true, true, "supervisor", "write", "ok", "ok"],
  ["kernel", true, true, "user", "read", "#PF 0x5", "#PF 0x5"],
  ["kernel", true, true, "user", "write", "#PF 0x7", "#PF 0x7"],
  ["kernel", true, false, "supervisor", "read", "#PF 0x0", "#PF 0x0"],
  ["kernel", true, false, "supervisor", "write", "#PF 0x2", "#PF 0x2"],
  ["kernel", true, false, "user", "read", "#PF 0x4", "#PF 0x4"],
  ["kernel", true, false, "user", "write", "#PF 0x6", "#PF 0x6"],
  ["user", false, true, "supervisor", "read", "ok", "ok"],
  ["user", false, true, "supervisor", "write", "#PF 0x3", "ok"],
  ["user", false, true, "user", "read", "ok", "ok"],
  ["user", false, true, "user", "write", "#PF 0x7", "#PF 0x7"],
  ["user", false, false, "supervisor", "read", "#PF 0x0", "#PF 0x0"],
  ["user", false, false, "supervisor", "write", "#PF 0x2", "#PF 0x2"],
  ["user", false, false, "user", "read", "#PF 0x4", "#PF 0x4"],
  ["user", false, false, "user", "write", "#PF 0x6", "#PF 0x6"],
  ["user", true, true, "supervisor", "read", "ok", "ok"],
  ["user", true, true, "supervisor", "write", "ok", "ok"],
  ["user", true, true, "user", "read", "ok", "ok"],
  ["user", true, true, "user", "write", "ok", "ok"],
  ["user", true, false, "supervisor", "read", "#PF 0x0", "#PF 0x0"],
  ["user", true, false, "supervisor", "write", "#PF 0x2", "#PF 0x2"],
  ["user", true, false, "user", "read", "#PF 0x4", "#PF 0x4"],
  ["user", true, false, "user", "write", "#PF 0x6", "#PF 0x6"],
];

describe("Mmu fault matrix", () => {
  const expected = FAULT_MATRIX.map(([page, writable, present, mode, op, wp1, wp0]) => ({ page, writable, present, mode, op, wp1, wp0 }));

  test("every cell matches the SDM without a TLB, under CR0.WP=1 and CR0.WP=0", () => {
    assert.deepEqual(runFaultMatrix(FAULT_MATRIX, 0, 1), expected);
  });

  test("every cell still matches on a warm TLB (second pass of the same accesses)", () => {
    assert.deepEqual(runFaultMatrix(FAULT_MATRIX, 64, 2), expected);
  });

  test("the matrix renders as a text table with one line per cell", () => {
    const table = renderFaultMatrix(runFaultMatrix(FAULT_MATRIX, 0, 1));
    const lines = table.split("\n");
    assert.equal(lines.length, 2 + FAULT_MATRIX.length);
    assert.match(lines[0] ?? "", /^\| page +\| page R\/W +\| present \| mode +\| access \| CR0\.WP=1 \| CR0\.WP=0 \|$/);
    assert.match(lines[3] ?? "", /^\| kernel \| read-only +\| yes +\| supervisor \| write +\| #PF 0x3 +\| ok +\|$/);
  });
});

describe("Mmu", () => {
  test("translate walks RAM and sets accessed on both levels, dirty on the PTE only for writes", () => {
    const { ram, paging, dir, mmu, pteAddress } = setup();
    paging.map(0xc0000000, 0xc0002000, 0x00300000, 0x00302000, KWC, dir);
    const pdeAddress = dir + 0x300 * 4;
    assert.equal(mmu.translate(0xc0000abc), 0x00300abc);
    assert.equal(ram.read32(pdeAddress), 0x00101027);
    assert.equal(ram.read32(pteAddress(0xc0000000)), 0x00300023);
    assert.equal(mmu.translate(0xc0001004, { write: true }), 0x00301004);
    assert.equal(ram.read32(pteAddress(0xc0001000)), 0x00301063);
    assert.equal(ram.read32(pdeAddress), 0x00101027, "a PDE pointing at a table never gets D");
  });

  test("a PDE without U or without W restricts every page of its table, whatever the PTE allows", () => {
    for (const tlbEntries of [0, 64]) {
      const { ram, paging, dir, mmu } = setup({ tlbEntries });
      paging.map(0x1000, 0x2000, 0x00300000, 0x00301000, UWC, dir);
      const pdeAddress = dir + pdIndex(0x1000) * 4;
      const pde = ram.read32(pdeAddress);
      const at = `with ${String(tlbEntries)} TLB entries`;
      ram.write32(pdeAddress, pde & ~PTE_USER);
      mmu.flushTlb();
      assert.equal(mmu.tryTranslate(0x1000), 0x00300000, `supervisor read ${at}`);
      assert.equal(mmu.tryTranslate(0x1000, { user: true }), -1 - 0x5, `user read of a supervisor PDE faults P|U ${at}`);
      assert.equal(mmu.tryTranslate(0x1000, { user: true, write: true }), -1 - 0x7, `user write of a supervisor PDE faults P|W|U ${at}`);
      ram.write32(pdeAddress, pde & ~PTE_WRITABLE);
      mmu.flushTlb();
      assert.equal(mmu.tryTranslate(0x1000, { user: true }), 0x00300000, `user read of a read-only PDE ${at}`);
      assert.equal(mmu.tryTranslate(0x1000, { user: true, write: true }), -1 - 0x7, `user write of a read-only PDE faults P|W|U ${at}`);
      assert.equal(mmu.tryTranslate(0x1000, { write: true }), -1 - 0x3, `supervisor write of a read-only PDE faults P|W under CR0.WP ${at}`);
      mmu.wp = false;
      assert.equal(mmu.tryTranslate(0x1000, { write: true }), 0x00300000, `supervisor write of a read-only PDE without CR0.WP ${at}`);
    }
  });

  test("a fault at the PTE leaves the PDE's accessed bit set, as QEMU's walk does, and the PTE untouched", () => {
    const { ram, paging, dir, mmu, pteAddress } = setup();
    paging.map(0x1000, 0x2000, 0x5000, 0x6000, KRC, dir);
    const pte = ram.read32(pteAddress(0x1000));
    assert.equal(ram.read32(dir), 0x00101007, "kmem writes table PDEs with A clear");
    assert.equal(mmu.tryTranslate(0x3000), -1 - 0x0, "PTE not present");
    assert.equal(ram.read32(dir), 0x00101027, "the not-present PTE's walk set the PDE's A");
    ram.write32(dir, 0x00101007);
    assert.equal(mmu.tryTranslate(0x1000, { write: true }), -1 - 0x3, "write to a read-only page");
    assert.throws(() => mmu.translate(0x1000, { user: true }), PageFault);
    assert.equal(ram.read32(dir), 0x00101027, "the protection fault's walk set the PDE's A");
    assert.equal(ram.read32(pteAddress(0x1000)), pte, "a faulting access sets no A or D in the PTE");
  });

  test("a fault at the PDE (not present, reserved bit, rights of a 4 MiB page) changes no entry", () => {
    const { ram, dir, mmu } = setup({ pse: true });
    ram.write32(dir + 4, 0x00c00081 | (1 << 21));
    ram.write32(dir + 8, 0x00c00081);
    const before = ram.readBytes(dir, 4096);
    assert.equal(mmu.tryTranslate(0x0000_1000), -1 - 0x0);
    assert.equal(mmu.tryTranslate(0x0040_0000), -1 - 0x9);
    assert.equal(mmu.tryTranslate(0x0080_0000, { user: true }), -1 - 0x5);
    assert.equal(mmu.tryTranslate(0x0080_0000, { write: true }), -1 - 0x3);
    assert.deepEqual(ram.readBytes(dir, 4096), before);
  });

  test("PageFault carries code, CR2, error code and a message naming the address", () => {
    const { mmu } = setup();
    assert.throws(
      () => mmu.translate(0xdeadbeef, { write: true, user: true }),
      (e: unknown) => {
        assert.ok(e instanceof PageFault && e instanceof KmemError, `a PageFault and a KmemError, got ${String(e)}`);
        assert.equal(e.code, "PageFault");
        assert.deepEqual(e.data, { address: 0xdeadbeef, errorCode: 6 });
        assert.equal(e.reason, "pde-not-present");
        assert.equal(e.message, "Cannot write 0xDEADBEEF in user mode: the page-directory entry is not present (page fault, error code 0x6)");
        assert.equal(formatErrorCode(e.errorCode), "P=0 W=1 U=1");
        return true;
      },
    );
  });

  test("an instruction fetch is checked like a read and never sets error-code bit 4 (no NX)", () => {
    const { paging, dir, mmu } = setup();
    paging.map(0x1000, 0x2000, 0x5000, 0x6000, KRC, dir);
    assert.equal(mmu.translate(0x1000, { fetch: true }), 0x5000);
    assert.equal(mmu.tryTranslate(0x1000, { fetch: true, user: true }), -1 - 0x5);
    assert.throws(() => mmu.translate(0x9000, { fetch: true }), /Cannot fetch 0x00009000 in supervisor mode/);
  });

  test("with CR4.PSE a 4 MiB PDE translates and gets accessed and dirty bits", () => {
    const { ram, paging, dir, mmu } = setup({ pse: true, largePages: true });
    paging.map(0x00400000, 0x00800000, 0x00c00000, 0x01000000, UWC, dir);
    assert.equal(mmu.translate(0x00654321, { user: true }), 0x00e54321);
    assert.equal(ram.read32(dir + 4), 0x00c000a7);
    mmu.translate(0x00400000, { write: true });
    assert.equal(ram.read32(dir + 4), 0x00c000e7);
  });

  test("without CR4.PSE the PS bit is ignored and the PDE is walked as a table pointer", () => {
    const { paging, dir, mmu } = setup({ pse: false, largePages: true });
    paging.map(0x00400000, 0x00800000, 0x00400000, 0x00800000, KWC, dir);
    const result = mmu.walk(0x00400000);
    assert.equal(result.large, false);
    assert.equal(result.pteAddress, 0x00400000);
    assert.equal(result.reason, "pte-not-present");
    mmu.pse = true;
    assert.equal(mmu.translate(0x00400010), 0x00400010);
  });

  test("with CR4.PSE, bits 13–20 of a 4 MiB PDE are physical bits 32–39 (PSE-36): exact addresses up to 2^40, past RAM on access", () => {
    const { ram, dir, mmu } = setup({ pse: true });
    ram.write32(dir + 4, 0x00c00083 | (0x01 << 13));
    ram.write32(dir + 8, 0xffc00083 | (0xff << 13));
    assert.equal(mmu.translate(0x0054_3210), 0x1_00d4_3210);
    assert.equal(mmu.translate(0x0054_3214), 0x1_00d4_3214, "the TLB hit keeps the high bits");
    assert.equal(mmu.tlbHits, 1);
    assert.equal(mmu.translate(0x00bf_fffc, { write: true }), 0xff_ffff_fffc);
    assert.equal(ram.read32(dir + 8), (0xffc000e3 | (0xff << 13)) >>> 0, "A and D set, the high bits kept");
    assert.equal(mmu.walk(0x0040_0000).physical, 0x1_00c0_0000);
    assert.throws(() => mmu.read32(0x0040_0000), (e: unknown) => e instanceof MemoryError && e.code === "OutOfBounds");
    assert.throws(() => mmu.write8(0x0040_0000, 1), (e: unknown) => e instanceof MemoryError && e.code === "OutOfBounds");
  });

  test("with CR4.PSE, bit 21 of a 4 MiB PDE is reserved: every access faults with RSVD and P, before the rights, and sets nothing", () => {
    const { ram, dir, mmu } = setup({ pse: true });
    const pde = 0x00c00081 | (1 << 21);
    ram.write32(dir + 4, pde);
    const codes = [{}, { write: true }, { user: true }, { write: true, user: true }].map((access) => -1 - mmu.tryTranslate(0x0040_1000, access));
    assert.deepEqual(codes, [0x9, 0xb, 0xd, 0xf]);
    assert.equal(ram.read32(dir + 4), pde);
    assert.equal(mmu.tlbOccupancy(), 0);
    assert.throws(
      () => mmu.read8(0x0040_1000, { user: true }),
      (e: unknown) => {
        assert.ok(e instanceof PageFault, "a PageFault");
        assert.equal(e.reason, "reserved-bit");
        assert.equal(e.message, "Cannot read 0x00401000 in user mode: a reserved bit is set in the page-directory entry (page fault, error code 0xD)");
        assert.equal(formatErrorCode(e.errorCode), "P=1 W=0 U=1 RSVD=1");
        return true;
      },
    );
    assert.equal(mmu.walk(0x0040_1000).reason, "reserved-bit");
    assert.equal(new PageFault(0x1000, 0xb).reason, "reserved-bit", "the reason follows from the RSVD bit alone");
  });

  test("without CR4.PSE, bits 13–21 of a PS PDE are table-address bits like any other", () => {
    const { ram, dir, mmu } = setup({ pse: false });
    ram.write32(dir + 4, 0x0020_0083 | (1 << 13));
    ram.write32(0x0020_2000 + 4 * 1, 0x0030_0003);
    assert.equal(mmu.translate(0x0040_1abc), 0x0030_0abc);
    assert.equal(ram.read32(dir + 4), 0x0020_20a3);
  });

  test("non-32-bit virtual addresses throw MemoryError InvalidAddress", () => {
    const { mmu } = setup();
    for (const bad of [-1, 2 ** 32, 1.5]) {
      assert.throws(() => mmu.tryTranslate(bad), (e: unknown) => e instanceof MemoryError && e.code === "InvalidAddress");
    }
    assert.throws(() => mmu.readBytes(0xfffffffe, 4), (e: unknown) => e instanceof MemoryError && e.code === "InvalidAddress");
  });

  test("every address-taking method refuses a value that is not an address with InvalidAddress, showing it as given", () => {
    const { mmu, paging, dir } = setup();
    paging.map(0x1000, 0x2000, 0x0020_0000, 0x0020_1000, KWC, dir);
    mmu.translate(0x1000);
    for (const [bad, shown] of NOT_UNSIGNED) {
      const value = bad as number;
      const calls: [string, () => unknown][] = [
        ["translate", () => mmu.translate(value)],
        ["tryTranslate", () => mmu.tryTranslate(value)],
        ["walk", () => mmu.walk(value)],
        ["read8", () => mmu.read8(value)],
        ["read16", () => mmu.read16(value)],
        ["read32", () => mmu.read32(value)],
        ["write8", () => mmu.write8(value, 1)],
        ["write16", () => mmu.write16(value, 1)],
        ["write32", () => mmu.write32(value, 1)],
        ["readBytes vaddr", () => mmu.readBytes(value, 4)],
        ["readBytes length", () => mmu.readBytes(0x1000, value)],
        ["writeBytes", () => mmu.writeBytes(value, new Uint8Array(4))],
        ["invlpg", () => mmu.invlpg(value)],
        ["loadCr3", () => mmu.loadCr3(value)],
      ];
      for (const [name, call] of calls) {
        assert.throws(call, { name: "MemoryError", code: "InvalidAddress", message: shown }, `${name}(${String(shown)})`);
      }
      // An undefined option is an omitted one (the default).
      if (bad === undefined) continue;
      assert.throws(() => new Mmu({ ram: new PhysicalMemory(MIB), tlbEntries: value }), { name: "MemoryError", code: "InvalidSize", message: shown }, `tlbEntries ${String(shown)}`);
      assert.throws(() => new Mmu({ ram: new PhysicalMemory(MIB), cr3: value }), { name: "MemoryError", code: "InvalidAddress", message: shown }, `cr3 ${String(shown)}`);
    }
    assert.throws(() => mmu.translate(1n as never), { code: "InvalidAddress", message: /^Cannot translate 1n: / }, "a bigint shows as one");
    assert.equal(mmu.cr3, dir, "CR3 unchanged");
    assert.equal(mmu.tlbOccupancy(), 1, "the TLB was not flushed");
  });
});

describe("Mmu TLB", () => {
  test("after unmap without invlpg the stale translation still succeeds; invlpg makes it fault", () => {
    const { paging, dir, mmu } = setup();
    paging.map(0x00401000, 0x00402000, 0x00300000, 0x00301000, KWC, dir);
    assert.equal(mmu.translate(0x00401010), 0x00300010);
    paging.unmap(0x00401000, 0x00402000, dir);
    assert.equal(mmu.translate(0x00401010), 0x00300010, "stale TLB entry, as on hardware");
    assert.equal(mmu.walk(0x00401010).tlbHit, true);
    mmu.invlpg(0x00401fff);
    assert.equal(mmu.tryTranslate(0x00401010), -1);
  });

  test("invlpg of one page drops only that page: every other cached translation keeps hitting", () => {
    const { paging, dir, mmu } = setup();
    paging.map(0x1000, 0x4000, 0x00300000, 0x00303000, KWC, dir);
    for (const vaddr of [0x1000, 0x2000, 0x3000]) mmu.translate(vaddr);
    paging.unmap(0x1000, 0x4000, dir);
    mmu.invlpg(0x2abc);
    assert.equal(mmu.tlbOccupancy(), 2, "one entry dropped");
    const hits = mmu.tlbHits;
    assert.equal(mmu.tryTranslate(0x1010), 0x00300010, "0x1000 still answered by its (stale) TLB entry");
    assert.equal(mmu.tryTranslate(0x3010), 0x00302010, "0x3000 still answered by its (stale) TLB entry");
    assert.equal(mmu.tlbHits, hits + 2, "both were TLB hits");
    assert.equal(mmu.tryTranslate(0x2010), -1, "the invalidated page walks the tables and faults");
  });

  test("invlpg of a 4 KiB page keeps a cached 4 MiB page elsewhere, and invlpg in a 4 MiB page keeps 4 KiB pages elsewhere", () => {
    const { paging, dir, mmu } = setup({ pse: true, largePages: true });
    paging.map(0x1000, 0x3000, 0x00300000, 0x00302000, KWC, dir);
    paging.map(0x0080_0000, 0x00c0_0000, 0x0040_0000, 0x0080_0000, KWC, dir);
    for (const vaddr of [0x1000, 0x2000, 0x0080_0000, 0x0080_1000]) mmu.translate(vaddr);
    paging.unmap(0x1000, 0x3000, dir);
    paging.unmap(0x0080_0000, 0x00c0_0000, dir);
    mmu.invlpg(0x1000);
    assert.deepEqual([mmu.tryTranslate(0x2000), mmu.tryTranslate(0x0080_0000), mmu.tryTranslate(0x0080_1000)], [0x00301000, 0x0040_0000, 0x0040_1000], "the rest still hit");
    mmu.invlpg(0x0080_0000);
    assert.deepEqual([mmu.tryTranslate(0x2000), mmu.tryTranslate(0x0080_1000)], [0x00301000, -1], "the 4 KiB page at 0x2000 still hits; the whole 4 MiB page is gone");
  });

  test("a faulting walk caches nothing: the next access walks the entries as RAM holds them now", () => {
    const { ram, paging, dir, mmu, pteAddress } = setup();
    paging.map(0x1000, 0x3000, 0x00300000, 0x00302000, KRC, dir);
    assert.equal(mmu.tryTranslate(0x1000, { user: true }), -1 - 0x5, "user read of a kernel page");
    assert.equal(mmu.tryTranslate(0x2000, { write: true }), -1 - 0x3, "supervisor write of a read-only page");
    assert.equal(mmu.tlbOccupancy(), 0, "neither fault left a TLB entry");
    ram.write32(pteAddress(0x1000), 0x00500001);
    ram.write32(pteAddress(0x2000), 0x00600003);
    const misses = mmu.tlbMisses;
    assert.equal(mmu.tryTranslate(0x1000), 0x00500000, "the supervisor read sees the PTE rewritten after the fault");
    assert.equal(mmu.tryTranslate(0x2000, { write: true }), 0x00600000, "the write sees the PTE made writable after the fault");
    assert.equal(mmu.tlbMisses, misses + 2, "both walked");
    paging.unmap(0x1000, 0x2000, dir);
    assert.equal(mmu.tryTranslate(0x1000), 0x00500000, "a successful walk is cached (stale after unmap)");
    mmu.invlpg(0x1000);
    assert.equal(mmu.tryTranslate(0x1000), -1, "not present");
    ram.write32(pteAddress(0x2000) - 4, 0x00700001);
    assert.equal(mmu.tryTranslate(0x1000), 0x00700000, "a not-present fault is not cached either");
  });

  test("loadCr3 flushes the TLB and switches address space", () => {
    const { ram, paging, dir, mmu } = setup();
    paging.map(0x1000, 0x2000, 0x00300000, 0x00301000, KWC, dir);
    const other = paging.createDirectory();
    paging.map(0x1000, 0x2000, 0x00500000, 0x00501000, KWC, other);
    assert.equal(mmu.translate(0x1000), 0x00300000);
    paging.unmap(0x1000, 0x2000, dir);
    assert.equal(mmu.translate(0x1000), 0x00300000, "stale before the CR3 load");
    mmu.loadCr3(dir);
    assert.equal(mmu.tryTranslate(0x1000), -1);
    mmu.loadCr3(other);
    assert.equal(mmu.cr3, other);
    assert.equal(mmu.translate(0x1000), 0x00500000);
    assert.ok(ram.read32(other) !== 0, "the other directory holds its PDE");
  });

  test("stale rights are used until invlpg: a PTE made read-only in RAM still takes writes", () => {
    const { ram, paging, dir, mmu, pteAddress } = setup();
    paging.map(0x1000, 0x2000, 0x00300000, 0x00301000, KWC, dir);
    mmu.translate(0x1000, { write: true });
    ram.write32(pteAddress(0x1000), 0x00300061);
    assert.equal(mmu.translate(0x1000, { write: true }), 0x00300000);
    mmu.invlpg(0x1000);
    assert.equal(mmu.tryTranslate(0x1000, { write: true }), -1 - 0x3);
  });

  test("a write hit on an entry cached by a read re-walks to set the dirty bit", () => {
    const { ram, paging, dir, mmu, pteAddress } = setup();
    paging.map(0x1000, 0x2000, 0x00300000, 0x00301000, KWC, dir);
    mmu.translate(0x1000);
    mmu.translate(0x1000);
    assert.deepEqual([mmu.tlbHits, mmu.tlbMisses], [1, 1]);
    assert.equal(ram.read32(pteAddress(0x1000)), 0x00300023);
    mmu.translate(0x1000, { write: true });
    assert.equal(mmu.tlbMisses, 2);
    assert.equal(ram.read32(pteAddress(0x1000)), 0x00300063);
    mmu.translate(0x1000, { write: true });
    assert.deepEqual([mmu.tlbHits, mmu.tlbMisses], [2, 2]);
  });

  test("the TLB holds at most tlbEntries pages: one page more evicts the oldest colliding slot", () => {
    const { paging, dir, mmu } = setup({ tlbEntries: 4 });
    paging.map(0x1000, 0x6000, 0x00300000, 0x00305000, KWC, dir);
    for (let page = 1; page <= 4; page++) {
      mmu.translate(page * 0x1000);
    }
    assert.equal(mmu.tlbOccupancy(), 4);
    paging.unmap(0x1000, 0x5000, dir);
    for (let page = 1; page <= 4; page++) {
      assert.equal(mmu.tryTranslate(page * 0x1000), 0x002ff000 + page * 0x1000, `page ${String(page)} still cached`);
    }
    mmu.translate(0x5000);
    assert.equal(mmu.tlbOccupancy(), 4);
    assert.equal(mmu.tryTranslate(0x1000), -1, "page 1 shared slot 1 with page 5 and was evicted");
    for (const page of [2, 3, 4]) {
      assert.equal(mmu.tryTranslate(page * 0x1000), 0x002ff000 + page * 0x1000);
    }
  });

  test("a TLB size that is no power of two still places page n in slot n mod size", () => {
    const { paging, dir, mmu } = setup({ tlbEntries: 3 });
    paging.map(0x1000, 0x5000, 0x00300000, 0x00304000, KWC, dir);
    for (const page of [1, 2, 3]) {
      mmu.translate(page * 0x1000);
    }
    paging.unmap(0x1000, 0x5000, dir);
    paging.map(0x4000, 0x5000, 0x00400000, 0x00401000, KWC, dir);
    mmu.translate(0x4000);
    assert.equal(mmu.tryTranslate(0x1000), -1, "page 4 took slot 1 from page 1");
    assert.equal(mmu.tryTranslate(0x2000), 0x00301000, "slot 2 still holds page 2");
    assert.equal(mmu.tryTranslate(0x3000), 0x00302000, "slot 0 still holds page 3");
    assert.equal(mmu.tryTranslate(0x4000), 0x00400000);
  });

  test("invlpg anywhere in a 4 MiB page drops every cached piece of it", () => {
    const { paging, dir, mmu } = setup({ pse: true, largePages: true });
    paging.map(0x00400000, 0x00800000, 0x00400000, 0x00800000, KWC, dir);
    mmu.translate(0x00400000);
    mmu.translate(0x00500000);
    paging.unmap(0x00400000, 0x00800000, dir);
    assert.equal(mmu.tryTranslate(0x00500000), 0x00500000);
    mmu.invlpg(0x007ff000);
    assert.equal(mmu.tryTranslate(0x00400000), -1);
    assert.equal(mmu.tryTranslate(0x00500000), -1);
  });

  test("with tlbEntries 0 nothing is cached and unmaps are seen at once", () => {
    const { paging, dir, mmu } = setup({ tlbEntries: 0 });
    paging.map(0x1000, 0x2000, 0x00300000, 0x00301000, KWC, dir);
    mmu.translate(0x1000);
    paging.unmap(0x1000, 0x2000, dir);
    assert.equal(mmu.tryTranslate(0x1000), -1);
    assert.equal(mmu.tlbHits, 0);
  });
});

describe("Mmu walk", () => {
  test("explains a 4 KiB translation: indices, entries after the access, TLB hit on repeat", () => {
    const { paging, dir, mmu } = setup();
    paging.map(0xc0401000, 0xc0402000, 0x00300000, 0x00301000, KWC, dir);
    const first = mmu.walk(0xc0401abc, { write: true });
    assert.deepEqual(first, {
      vaddr: 0xc0401abc,
      access: { write: true, user: false, fetch: false },
      cr3: dir,
      pdIndex: 0x301,
      ptIndex: 0x001,
      offset: 0xabc,
      pdeAddress: dir + 0x301 * 4,
      pde: 0x00101027,
      pteAddress: 0x00101004,
      pte: 0x00300063,
      large: false,
      tlbHit: false,
      physical: 0x00300abc,
      errorCode: null,
      reason: null,
    });
    assert.equal(mmu.walk(0xc0401abc).tlbHit, true);
  });

  test("explains a fault and a 4 MiB translation", () => {
    const { paging, dir, mmu } = setup({ pse: true, largePages: true });
    paging.map(0x00400000, 0x00800000, 0x00c00000, 0x01000000, KWC, dir);
    const fault = mmu.walk(0x00400000, { user: true });
    assert.equal(fault.errorCode, 0x5);
    assert.equal(fault.reason, "user-supervisor");
    assert.equal(fault.physical, null);
    const large = mmu.walk(0x00512345);
    assert.equal(large.large, true);
    assert.equal(large.offset, 0x112345);
    assert.equal(large.pteAddress, null);
    assert.equal(large.physical, 0x00d12345);
    const absent = mmu.walk(0x00c00000);
    assert.equal(absent.reason, "pde-not-present");
    assert.equal(absent.pte, null);
  });
});

describe("Mmu virtual accessors", () => {
  test("32- and 16-bit accesses crossing a page go to each page's own frame", () => {
    const { ram, paging, dir, mmu } = setup();
    paging.map(0x1000, 0x2000, 0x00300000, 0x00301000, KWC, dir);
    paging.map(0x2000, 0x3000, 0x00200000, 0x00201000, KWC, dir);
    mmu.write32(0x1ffe, 0x11223344);
    assert.deepEqual([...ram.readBytes(0x00300ffe, 2)], [0x44, 0x33]);
    assert.deepEqual([...ram.readBytes(0x00200000, 2)], [0x22, 0x11]);
    assert.equal(mmu.read32(0x1ffe), 0x11223344);
    mmu.write16(0x1fff, 0xbeef);
    assert.equal(ram.read8(0x00300fff), 0xef);
    assert.equal(ram.read8(0x00200000), 0xbe);
    assert.equal(mmu.read16(0x1fff), 0xbeef);
    mmu.write8(0x2005, 0x7f);
    assert.equal(mmu.read8(0x2005), 0x7f);
    assert.equal(mmu.read32(0x2004), 0x00007f00);
  });

  test("readBytes and writeBytes span pages; a fault on a later page writes nothing", () => {
    const { ram, paging, dir, mmu } = setup();
    paging.map(0x1000, 0x2000, 0x00300000, 0x00301000, UWC, dir);
    paging.map(0x2000, 0x3000, 0x00200000, 0x00201000, KWC, dir);
    const data = Uint8Array.from({ length: 0x20 }, (_, i) => i + 1);
    mmu.writeBytes(0x1ff0, data);
    assert.deepEqual(mmu.readBytes(0x1ff0, 0x20), data);
    assert.deepEqual(ram.readBytes(0x00200000, 0x10), data.subarray(0x10));
    const before = ram.readBytes(0x00300ff0, 0x10);
    assert.throws(
      () => mmu.writeBytes(0x1ff0, new Uint8Array(0x20), { user: true }),
      (e: unknown) => e instanceof PageFault && e.address === 0x2000 && e.errorCode === 0x7,
    );
    assert.deepEqual(ram.readBytes(0x00300ff0, 0x10), before);
    assert.throws(() => mmu.read32(0x2000, { user: true }), (e: unknown) => e instanceof PageFault && e.errorCode === 0x5);
  });
});

describe("Mmu against a reference walk (property)", () => {
  const bit = (value: number, n: number): boolean => Math.floor(value / 2 ** n) % 2 === 1;
  const withBit = (value: number, n: number): number => (bit(value, n) ? value : value + 2 ** n);

  /**
   * Intel SDM §4.3/§4.6/§4.7 by arithmetic, with QEMU's choices (PDE A set before the PTE is read;
   * only bit 21 of a 4 MiB PDE reserved): the physical address or -1 - errorCode, and the entries after the access.
   */
  function reference(pde: number, pte: number | null, vaddr: number, access: { write: boolean; user: boolean }, wp: boolean, pse: boolean) {
    const code = (access.write ? 2 : 0) + (access.user ? 4 : 0);
    if (!bit(pde, 0)) return { result: -1 - code, pde, pte };
    const large = pse && bit(pde, 7);
    if (large && bit(pde, 21)) return { result: -1 - code - 1 - 8, pde, pte };
    const walkedPde = large ? pde : withBit(pde, 5);
    const fault = (present: boolean) => ({ result: -1 - code - (present ? 1 : 0), pde: walkedPde, pte });
    if (!large && (pte === null || !bit(pte, 0))) return fault(false);
    const leaf = large ? pde : (pte ?? 0);
    const user = bit(pde, 2) && bit(leaf, 2);
    const writable = bit(pde, 1) && bit(leaf, 1);
    if (access.user && !user) return fault(true);
    if (access.write && !writable && (access.user || wp)) return fault(true);
    if (large) {
      const newPde = access.write ? withBit(withBit(pde, 5), 6) : withBit(pde, 5);
      const high = Math.floor((pde % 2 ** 21) / 2 ** 13);
      return { result: pde - (pde % 0x400000) + high * 2 ** 32 + (vaddr % 0x400000), pde: newPde, pte };
    }
    const newPte = access.write ? withBit(withBit(leaf, 5), 6) : withBit(leaf, 5);
    return { result: leaf - (leaf % 0x1000) + (vaddr % 0x1000), pde: walkedPde, pte: newPte };
  }

  const entryArb = fc.record({ present: fc.boolean(), writable: fc.boolean(), user: fc.boolean(), accessed: fc.boolean(), dirty: fc.boolean(), ps: fc.boolean(), frame: fc.integer({ min: 0, max: 0xfffff }) });
  const toEntry = (e: { present: boolean; writable: boolean; user: boolean; accessed: boolean; dirty: boolean; ps: boolean; frame: number }, frameOverride?: number): number =>
    (frameOverride ?? e.frame) * 0x1000 + (e.present ? 1 : 0) + (e.writable ? 2 : 0) + (e.user ? 4 : 0) + (e.accessed ? 0x20 : 0) + (e.dirty ? 0x40 : 0) + (e.ps ? 0x80 : 0);

  test("random entries (PSE-36 and reserved bits included) and accesses: result, error code and accessed/dirty write-back match the SDM rules", () => {
    assertProperty(
      fc.property(
        fc.array(entryArb, { minLength: 4, maxLength: 4 }),
        fc.array(entryArb, { minLength: 32, maxLength: 32 }),
        fc.array(fc.record({ pdi: fc.integer({ min: 0, max: 3 }), pti: fc.integer({ min: 0, max: 7 }), offset: fc.integer({ min: 0, max: 0xfff }), write: fc.boolean(), user: fc.boolean() }), { minLength: 1, maxLength: 20 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 0, max: 8 }),
        (pdes, ptes, accesses, wp, pse, tlbEntries) => {
          const ram = new PhysicalMemory(MIB);
          pdes.forEach((e, pdi) => ram.write32(pdi * 4, toEntry(e, e.ps && pse ? e.frame : 1 + pdi)));
          ptes.forEach((e, i) => ram.write32(0x1000 * (1 + Math.floor(i / 8)) + (i % 8) * 4, toEntry(e)));
          const mmu = new Mmu({ ram, cr3: 0, wp, pse, tlbEntries });
          for (const a of accesses) {
            const vaddr = a.pdi * 0x400000 + a.pti * 0x1000 + a.offset;
            const pdeAddress = a.pdi * 4;
            const pde = ram.read32(pdeAddress);
            const pteAddress = pse && bit(pde, 7) ? null : (1 + a.pdi) * 0x1000 + a.pti * 4;
            const expected = reference(pde, pteAddress === null ? null : ram.read32(pteAddress), vaddr, a, wp, pse);
            assert.equal(mmu.tryTranslate(vaddr, a), expected.result);
            assert.equal(ram.read32(pdeAddress), expected.pde);
            if (pteAddress !== null) {
              assert.equal(ram.read32(pteAddress), expected.pte);
            }
          }
        },
      ),
      { seed: 0x5eed50, numRuns: 150 },
    );
  });
});
