import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { riscvCodec } from "../../../src/arch/riscv/codec.js";
import { RiscvMmu, RiscvStateError } from "../../../src/arch/riscv/cpu.js";
import { KIND_READ, KIND_USER } from "../../../src/paging/access.js";
import { TranslationFault } from "../../../src/paging/fault.js";
import { TableMapper } from "../../../src/paging/table-mapper.js";
import { PhysicalMemory } from "../../../src/ram.js";
import type { Attributes } from "../../../src/types.js";
import { TestFrames } from "../x86/support.js";

const MIB = 1024 * 1024;
const KRWX: Attributes = { kernel: true, writable: true, cachable: true };
const URO: Attributes = { kernel: false, writable: false, cachable: true, executable: false };
const SV39 = 8n << 60n;

function sv39(largePages = false, svade = false) {
  const ram = new PhysicalMemory(16 * MIB);
  const frames = new TestFrames(0x100000, 64);
  const mapper = new TableMapper({ codec: riscvCodec("riscv-sv39"), bus: ram, frames, largePages });
  const root = mapper.createRoot();
  const mmu = new RiscvMmu({ bus: ram, svade, state: { satp: SV39 | BigInt(root / 4096), priv: "S" } });
  return { ram, frames, mapper, root, mmu };
}

describe("RISC-V golden vectors (privileged spec §10.3.1, §10.4)", () => {
  test("Sv39: a kernel 4 KiB page at 0xFFFFFFFF80000000 (Linux's kernel map) writes V pointers and a V|R|W|X leaf", () => {
    const { ram, mapper, root } = sv39();
    mapper.map(0xffffffff80000000n, 0xffffffff80001000n, 0x80200000n, 0x80201000n, KRWX, root);
    // VPN[2] = 510, VPN[1] = VPN[0] = 0; tables at 0x101000 and 0x102000.
    assert.equal(ram.read64(0x100000 + 510 * 8), 0x40401n, "root: PPN 0x101 << 10 | V");
    assert.equal(ram.read64(0x101000), 0x40801n, "level 1: PPN 0x102 << 10 | V");
    assert.equal(ram.read64(0x102000), 0x2008000fn, "leaf: PPN 0x80200 << 10 | X | W | R | V");
  });

  test("Sv39: a 2 MiB megapage and a 1 GiB gigapage are leaves at levels 1 and 2", () => {
    const { ram, mapper, root, frames } = sv39(true);
    mapper.map(0xffffffffc0000000n, 0x10000000000000000n, 0x80000000n, 0xc0000000n, { ...KRWX, global: true }, root);
    assert.equal(ram.read64(0x100000 + 511 * 8), 0x2000002fn, "root: PPN 0x80000 | G | X | W | R | V");
    mapper.map(0x200000n, 0x400000n, 0x80200000n, 0x80400000n, URO, root);
    assert.equal(ram.read64(0x101000 + 8), 0x20080013n, "level 1: PPN 0x80200 | U | R | V");
    assert.equal(frames.inUse, 2, "root and one level-1 table");
  });

  test("Sv48 and Sv57 take 512 GiB and 256 TiB leaves", () => {
    const ram = new PhysicalMemory(4 * MIB);
    for (const [mode, levels] of [["riscv-sv48", 4], ["riscv-sv57", 5]] as const) {
      const frames = new TestFrames(0x100000, 16);
      const mapper = new TableMapper({ codec: riscvCodec(mode), bus: ram, frames, largePages: true });
      const root = mapper.createRoot();
      const span = 1n << BigInt(12 + 9 * (levels - 1));
      mapper.map(span, 2n * span, span, 2n * span, KRWX, root);
      const ppn = span >> 12n;
      assert.equal(ram.read64(root + 8), (ppn << 10n) | 0xfn, `${mode}: one leaf at the root`);
      assert.equal(frames.inUse, 1);
      const mmu = new RiscvMmu({ bus: ram, state: { satp: (BigInt(levels + 5) << 60n) | BigInt(root / 4096) } });
      assert.equal(mmu.translate(span + 0x1234n), Number(span) + 0x1234);
      mapper.destroyRoot(root);
      ram.fill(0x100000, 16 * 4096, 0);
    }
  });

  test("Sv32: PPN bits 10–31 reach 34-bit physical addresses; a 4 MiB megapage is a root leaf", () => {
    const ram = new PhysicalMemory(4 * MIB);
    const frames = new TestFrames(0x100000, 8);
    const mapper = new TableMapper({ codec: riscvCodec("riscv-sv32"), bus: ram, frames, largePages: true });
    const root = mapper.createRoot();
    mapper.map(0xc0000000, 0xc0001000, 0x200000000, 0x200001000, URO, root);
    assert.equal(ram.read32(root + 768 * 4), 0x40401, "root[768] → table 0x101000");
    assert.equal(ram.read32(0x101000), 0x80000013, "PPN 0x200000 << 10 | U | R | V");
    mapper.map(0xc0400000, 0xc0800000, 0x200400000, 0x200800000, KRWX, root);
    assert.equal(ram.read32(root + 769 * 4), 0x8010000f);
    const mmu = new RiscvMmu({ bus: ram, xlen: 32, state: { satp: 0x80000000 | (root / 4096), priv: "U" } });
    assert.equal(mmu.translate(0xc0000abc), 0x200000abc);
  });
});

describe("RiscvMmu", () => {
  test("faults carry the cause (12/13/15) and stval; the privilege comes from state.priv", () => {
    const { mapper, root, mmu } = sv39();
    mapper.map(0x1000n, 0x2000n, 0x80000000n, 0x80001000n, URO, root);
    assert.throws(() => mmu.translate(0x1234n), (e: unknown) => e instanceof TranslationFault && e.code === "LoadPageFault" && e.data.vector === 13 && e.data.address === 0x1234n && e.data.reason === "userPage");
    mmu.setState({ priv: "U" });
    assert.equal(mmu.translate(0x1234n), 0x80000234);
    assert.throws(() => mmu.translate(0x1234n, { write: true }), (e: unknown) => e instanceof TranslationFault && e.code === "StorePageFault" && e.data.vector === 15);
    assert.throws(() => mmu.translate(0x1234n, { fetch: true }), (e: unknown) => e instanceof TranslationFault && e.code === "InstructionPageFault" && e.data.vector === 12);
    mmu.setState({ priv: "M" });
    assert.equal(mmu.translate(0x1234n, { write: true }), 0x1234, "M-mode does not translate");
    assert.equal(mmu.lookup(0x1234, KIND_READ + KIND_USER), 0x80000234, "lookup takes the privilege from the kind");
  });

  test("a non-canonical Sv39 address is a page fault of the access's cause; Sv48 accepts it", () => {
    const { mmu } = sv39();
    assert.equal(mmu.tryTranslate(0x4000000000n), -1 - 13);
    assert.equal(mmu.faultLevel, -1);
    assert.throws(() => mmu.translate(0x4000000000n, { write: true }), (e: unknown) => e instanceof TranslationFault && e.data.reason === "nonCanonical" && e.code === "StorePageFault");
  });

  test("hardware A/D (QEMU default): a load sets A, a store sets D; with Svade they fault until software sets them", () => {
    const { ram, mapper, root, mmu } = sv39();
    mapper.map(0x1000n, 0x2000n, 0x80000000n, 0x80001000n, KRWX, root);
    const leaf = 0x102008;
    mmu.translate(0x1000n);
    assert.equal(ram.read32(leaf) & 0xc0, 0x40);
    assert.equal(ram.read32(0x101000) & 0x40, 0, "pointer A untouched (reserved)");
    mmu.translate(0x1000n, { write: true });
    assert.equal(ram.read32(leaf) & 0xc0, 0xc0);
    const strict = new RiscvMmu({ bus: ram, svade: true, state: { satp: SV39 | BigInt(root / 4096) } });
    ram.write32(leaf, ram.read32(leaf) & ~0xc0);
    assert.equal(strict.tryTranslate(0x1000n), -1 - 13);
    ram.write32(leaf, ram.read32(leaf) | 0x40);
    assert.equal(strict.tryTranslate(0x1000n), 0x80000000);
    assert.equal(strict.tryTranslate(0x1000n, { write: true }), -1 - 15, "D clear on a store");
  });

  test("a misaligned superpage faults; W without R is reserved; A in a pointer is reserved", () => {
    const { ram, mapper, root, mmu } = sv39();
    mapper.map(0x200000n, 0x201000n, 0x80000000n, 0x80001000n, KRWX, root);
    const pointer = 0x101008;
    ram.write64(pointer, (0x80001n << 10n) | 0xfn);
    assert.equal(mmu.tryTranslate(0x200000n), -1 - 13);
    assert.equal(mmu.walk(0x200000n).faultReason, 8, "misaligned");
    ram.write64(pointer, (0x80000n << 10n) | 0x5n);
    mmu.flushTlb();
    assert.equal(mmu.tryTranslate(0x200000n), -1 - 13);
    ram.write64(pointer, (0x102n << 10n) | 0x41n);
    assert.equal(mmu.tryTranslate(0x200000n), -1 - 13);
  });

  test("sfence.vma: by address drops globals too; by ASID keeps globals; a satp write keeps globals", () => {
    const { ram, mapper, root, mmu } = sv39();
    mapper.map(0x1000n, 0x2000n, 0x80000000n, 0x80001000n, { ...KRWX, global: true }, root);
    mapper.map(0x2000n, 0x3000n, 0x80001000n, 0x80002000n, KRWX, root);
    mmu.setState({ satp: SV39 | (5n << 44n) | BigInt(root / 4096) });
    assert.equal(mmu.asid, 5);
    mmu.translate(0x1000n);
    mmu.translate(0x2000n);
    ram.write64(0x102008, 0n);
    ram.write64(0x102010, 0n);
    mmu.sfenceVma(undefined, 6);
    assert.equal(mmu.tryTranslate(0x2000n), 0x80001000, "another ASID: nothing dropped (stale)");
    mmu.sfenceVma(undefined, 5);
    assert.equal(mmu.tryTranslate(0x2000n), -1 - 13, "ASID 5's non-global entry dropped");
    assert.equal(mmu.tryTranslate(0x1000n), 0x80000000, "the global entry kept");
    mmu.setState({ satp: SV39 | (6n << 44n) | BigInt(root / 4096) });
    assert.equal(mmu.tryTranslate(0x1000n), 0x80000000, "kept across a satp write");
    mmu.sfenceVma(0x1000n);
    assert.equal(mmu.tryTranslate(0x1000n), -1 - 13, "dropped by address");
  });

  test("SUM and MXR take effect at once; an unsupported satp MODE is refused and changes nothing", () => {
    const { mapper, root, mmu } = sv39();
    mapper.map(0x1000n, 0x2000n, 0x80000000n, 0x80001000n, URO, root);
    mapper.map(0x2000n, 0x3000n, 0x80001000n, 0x80002000n, { kernel: true, writable: false, cachable: true }, root);
    assert.equal(mmu.tryTranslate(0x1000n), -1 - 13);
    mmu.setState({ sstatus: 1 << 18 });
    assert.equal(mmu.tryTranslate(0x1000n), 0x80000000, "SUM");
    assert.throws(() => mmu.setState({ satp: 3n << 60n }), (e: unknown) => e instanceof RiscvStateError && e.code === "InvalidCpuState");
    assert.equal(mmu.mode, "riscv-sv39");
    assert.equal(mmu.state.sstatus, 1 << 18);
  });

  test("unmap of part of a gigapage splits it into megapages and pages, and frees everything at the end", () => {
    const { mapper, root, mmu, frames } = sv39(true);
    mapper.map(0x40000000n, 0x80000000n, 0x80000000n, 0xc0000000n, KRWX, root);
    mapper.unmap(0x40201000n, 0x40202000n, root);
    assert.equal(frames.inUse, 3);
    assert.equal(mmu.translate(0x40202010n), 0x80202010);
    assert.equal(mmu.tryTranslate(0x40201000n), -1 - 13);
    mapper.unmap(0x40000000n, 0x40201000n, root);
    mapper.unmap(0x40202000n, 0x80000000n, root);
    assert.equal(frames.inUse, 1);
  });
});
