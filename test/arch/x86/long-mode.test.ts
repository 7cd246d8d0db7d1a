import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { x86Codec } from "../../../src/arch/x86/codec.js";
import { CpuStateError, X86Mmu } from "../../../src/arch/x86/cpu.js";
import { CR0_PG, CR0_WP, CR4_LA57, CR4_PAE, CR4_PGE, CR4_PSE, EFER_LMA, EFER_LME, EFER_NXE, X86_GP_FAULT } from "../../../src/arch/x86/entry64.js";
import { MapperError } from "../../../src/errors/mapper-error.js";
import { KIND_READ, KIND_WRITE } from "../../../src/paging/access.js";
import { TranslationFault } from "../../../src/paging/fault.js";
import { TableMapper } from "../../../src/paging/table-mapper.js";
import { PhysicalMemory } from "../../../src/ram.js";
import type { Attributes } from "../../../src/types.js";
import { NOT_ATTRIBUTES } from "../../helpers/hostile.js";
import { TestFrames } from "./support.js";

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
const KW: Attributes = { kernel: true, writable: true, cachable: true };
const UW: Attributes = { kernel: false, writable: true, cachable: true };
const LONG = { cr0: CR0_PG | CR0_WP, cr4: CR4_PAE, efer: EFER_LME | EFER_NXE };

function setup(mode: "x86-64" | "x86-64-la57", largePages = false) {
  const ram = new PhysicalMemory(16 * MIB);
  const frames = new TestFrames(0x100000, 64);
  const mapper = new TableMapper({ codec: x86Codec(mode), bus: ram, frames, largePages });
  const root = mapper.createRoot();
  const cr4 = mode === "x86-64-la57" ? CR4_PAE | CR4_LA57 : CR4_PAE;
  const mmu = new X86Mmu({ bus: ram, state: { ...LONG, cr4, cr3: root } });
  return { ram, frames, mapper, root, mmu };
}

/** Little-endian bytes of the 8-byte entry at `address`, as hex (byte 0 first). */
function bytesAt(ram: PhysicalMemory, address: number): string {
  return Array.from(ram.readBytes(address, 8), (b) => b.toString(16).padStart(2, "0")).join(" ");
}

describe("x86-64 golden vectors (SDM vol. 3 §4.5, tables 4-15 to 4-20)", () => {
  // Frames come lowest first from 0x100000: root (PML4) 0x100000, then one table per level.
  test("a user 4 KiB page at the top of the lower half writes P|RW|US table entries and a P|RW|US PTE", () => {
    const { ram, mapper, root } = setup("x86-64");
    mapper.map(0x7ffffffff000n, 0x800000000000n, 0x12345000n, 0x12346000n, UW, root);
    // PML4 index 255, PDPT/PD/PT index 511.
    assert.equal(ram.read64(0x100000 + 255 * 8), 0x101007n, "PML4E → PDPT 0x101000, P|RW|US");
    assert.equal(ram.read64(0x101000 + 511 * 8), 0x102007n, "PDPTE → PD");
    assert.equal(ram.read64(0x102000 + 511 * 8), 0x103007n, "PDE → PT");
    assert.equal(bytesAt(ram, 0x103000 + 511 * 8), "07 50 34 12 00 00 00 00", "PTE 0x0000000012345007, little-endian");
  });

  test("a kernel read-only, uncachable, global, non-executable page above 4 GiB sets PCD, G and XD (bit 63)", () => {
    const { ram, mapper, root } = setup("x86-64");
    mapper.map(0xffffffff80000000n, 0xffffffff80001000n, 0x200000000n, 0x200001000n, { kernel: true, writable: false, cachable: false, global: true, executable: false }, root);
    // PML4 511, PDPT 510, PD 0, PT 0.
    assert.equal(ram.read64(0x100000 + 511 * 8), 0x101007n);
    assert.equal(ram.read64(0x101000 + 510 * 8), 0x102007n);
    assert.equal(ram.read64(0x103000), 0x8000000200000111n, "XD | address 0x2_0000_0000 | G | PCD | P");
  });

  test("an aligned 2 MiB run becomes a PS PDE and an aligned 1 GiB run a PS PDPTE", () => {
    const { ram, mapper, root, frames } = setup("x86-64", true);
    mapper.map(0xffff888000000000n, 0xffff888000200000n, 0x40000000n, 0x40200000n, KW, root);
    // 0xFFFF888000000000: PML4 index 273, PDPT 0, PD 0.
    assert.equal(ram.read64(0x102000), 0x40000083n, "PDE: address 0x40000000 | PS | RW | P");
    mapper.map(0xffff888040000000n, 0xffff888080000000n, 0x40000000n, 0x80000000n, KW, root);
    assert.equal(ram.read64(0x101000 + 8), 0x40000083n, "PDPTE: 1 GiB at 0x40000000 | PS | RW | P");
    assert.equal(frames.inUse, 3, "PML4, PDPT, PD: no page tables");
  });

  test("la57 adds a PML5 level indexed by bits 48–56", () => {
    const { ram, mapper, root } = setup("x86-64-la57");
    mapper.map(0xff00000000000000n, 0xff00000000001000n, 0x5000n, 0x6000n, KW, root);
    // Bits 48–56 of 0xFF00000000000000 = 0x100 (256).
    assert.equal(ram.read64(0x100000 + 256 * 8), 0x101007n, "PML5E");
    assert.equal(ram.read64(0x104000), 0x5003n, "PTE");
  });
});

describe("X86Mmu in long mode", () => {
  test("translate, lookup (signed number) and lookupHalves agree on an upper-half address", () => {
    const { mapper, root, mmu } = setup("x86-64");
    mapper.map(0xffffffff80000000n, 0xffffffff80002000n, 0x300000n, 0x302000n, KW, root);
    assert.equal(mmu.translate(0xffffffff80001abcn), 0x301abc);
    assert.equal(mmu.lookup(-0x80000000 + 0x1abc, KIND_READ), 0x301abc);
    assert.equal(mmu.lookupHalves(0xffffffff, 0x80001abc, KIND_READ), 0x301abc);
    assert.equal(mmu.tryTranslate(-0x80000000 + 0x1abc), 0x301abc, "a signed number through tryTranslate");
  });

  test("a non-canonical address raises GeneralProtection (vector 13) without reading a table", () => {
    const { mmu } = setup("x86-64");
    const walks = mmu.walks;
    assert.throws(
      () => mmu.translate(0x0000800000000000n),
      (e: unknown) => e instanceof TranslationFault && e.code === "GeneralProtection" && e.data.vector === 13 && e.data.errorCode === 0 && e.data.reason === "nonCanonical",
    );
    assert.equal(mmu.tryTranslate(0xfff0000000000000n), -1 - X86_GP_FAULT);
    assert.equal(mmu.walks, walks, "no walk for a non-canonical address");
  });

  test("0x0000800000000000 is canonical under LA57, and a 57-bit hole starts at 0x0100000000000000", () => {
    const { mapper, root, mmu } = setup("x86-64-la57");
    mapper.map(0x800000000000n, 0x800000001000n, 0x7000n, 0x8000n, KW, root);
    assert.equal(mmu.translate(0x800000000010n), 0x7010);
    assert.equal(mmu.tryTranslate(0x0100000000000000n), -1 - X86_GP_FAULT);
  });

  test("A is set in every level on a read, D only in the leaf on a write; a read-then-write re-walks to set D", () => {
    const { ram, mapper, root, mmu } = setup("x86-64");
    mapper.map(0x1000n, 0x2000n, 0x9000n, 0xa000n, KW, root);
    mmu.translate(0x1000n);
    for (const address of [0x100000, 0x101000, 0x102000, 0x103008]) assert.equal(ram.read32(address) & 0x60, 0x20, `A only at ${address.toString(16)}`);
    const walks = mmu.walks;
    mmu.translate(0x1000n, { write: true });
    assert.equal(mmu.walks, walks + 1, "the write missed the TLB (D was clear) and walked");
    assert.equal(ram.read32(0x103008) & 0x60, 0x60, "A and D in the PTE");
    mmu.translate(0x1008n, { write: true });
    assert.equal(mmu.walks, walks + 1, "the second write hits");
  });

  test("a protection fault leaves A set in the table entries above the leaf but not in the leaf (QEMU mmu_translate)", () => {
    const { ram, mapper, root, mmu } = setup("x86-64");
    mapper.map(0x1000n, 0x2000n, 0x9000n, 0xa000n, KW, root);
    assert.throws(() => mmu.translate(0x1000n, { user: true }), (e: unknown) => e instanceof TranslationFault && e.data.errorCode === 0x5);
    assert.equal(ram.read32(0x102000) & 0x20, 0x20, "PDE A set");
    assert.equal(ram.read32(0x103008) & 0x20, 0, "PTE A clear");
  });

  test("XD without EFER.NXE is a reserved-bit fault (P|RSVD), and with it a fetch fault sets I/D", () => {
    const { mapper, root, mmu } = setup("x86-64");
    mapper.map(0x1000n, 0x2000n, 0x9000n, 0xa000n, { ...KW, executable: false }, root);
    assert.equal(mmu.tryTranslate(0x1000n, { fetch: true }), -1 - 0x11);
    assert.equal(mmu.tryTranslate(0x1000n), 0x9000);
    mmu.setState({ efer: EFER_LME });
    assert.equal(mmu.tryTranslate(0x1000n), -1 - 0x9, "read of an XD page without NXE: P|RSVD");
  });

  test("address bits above MAXPHYADDR are reserved", () => {
    const { ram, mapper, root } = setup("x86-64");
    mapper.map(0x1000n, 0x2000n, 0x9000n, 0xa000n, KW, root);
    const mmu = new X86Mmu({ bus: ram, physicalBits: 40, state: { ...LONG, cr3: root } });
    ram.write32(0x103008 + 4, 0x100); // address bit 40
    assert.equal(mmu.tryTranslate(0x1000n, { write: true }), -1 - 0xb, "P|W|RSVD");
    assert.equal(mmu.faultLevel, 0);
  });

  test("PS in a PML4E is reserved", () => {
    const { ram, mapper, root, mmu } = setup("x86-64");
    mapper.map(0x1000n, 0x2000n, 0x9000n, 0xa000n, KW, root);
    ram.write32(0x100000, ram.read32(0x100000) | 0x80);
    assert.equal(mmu.tryTranslate(0x1000n), -1 - 0x9);
    assert.equal(mmu.faultLevel, 3);
  });

  test("a 1 GiB page with a bit in 13–29 is reserved, and QEMU's early A in the PDPTE is kept", () => {
    const { ram, mapper, root, mmu } = setup("x86-64", true);
    mapper.map(0x40000000n, 0x80000000n, 0x40000000n, 0x80000000n, KW, root);
    ram.write32(0x101008, ram.read32(0x101008) | 0x2000);
    assert.equal(mmu.tryTranslate(0x40000000n), -1 - 0x9);
    assert.equal(ram.read32(0x101008) & 0x20, 0x20, "A set before the PS test");
  });

  test("a global page survives a CR3 load with CR4.PGE, not without, and invlpg drops it", () => {
    const { ram, mapper, root, mmu } = setup("x86-64");
    mapper.map(0x1000n, 0x2000n, 0x9000n, 0xa000n, { ...KW, global: true }, root);
    mapper.map(0x2000n, 0x3000n, 0xa000n, 0xb000n, KW, root);
    mmu.setState({ cr4: CR4_PAE | CR4_PGE });
    mmu.translate(0x1000n);
    mmu.translate(0x2000n);
    ram.write32(0x103008, 0); // unmap both behind the TLB's back
    ram.write32(0x103010, 0);
    mmu.setState({ cr3: root });
    assert.equal(mmu.tryTranslate(0x1000n), 0x9000, "global: stale translation kept across CR3");
    assert.equal(mmu.tryTranslate(0x2000n), -1 - 0, "non-global: flushed");
    mmu.invlpg(0x1000n);
    assert.equal(mmu.tryTranslate(0x1000n), -1 - 0);
  });

  test("without CR4.PGE a CR3 load flushes global entries too; a stale entry without invlpg is observable", () => {
    const { ram, mapper, root, mmu } = setup("x86-64");
    mapper.map(0x1000n, 0x2000n, 0x9000n, 0xa000n, { ...KW, global: true }, root);
    mmu.translate(0x1000n);
    mapper.unmap(0x1000n, 0x2000n, root);
    assert.equal(mmu.tryTranslate(0x1000n), 0x9000, "stale until invalidated");
    mmu.setState({ cr3: root });
    assert.equal(mmu.tryTranslate(0x1000n), -1 - 0);
    assert.equal(ram.read64(root), 0n, "the emptied tables were freed and the PML4E cleared");
  });

  test("hooks see TLB fills and A/D writes", () => {
    const ram = new PhysicalMemory(16 * MIB);
    const frames = new TestFrames(0x100000, 64);
    const mapper = new TableMapper({ codec: x86Codec("x86-64"), bus: ram, frames });
    const root = mapper.createRoot();
    mapper.map(0x1000n, 0x2000n, 0x9000n, 0xa000n, KW, root);
    const fills: number[][] = [];
    const updates: number[][] = [];
    const mmu = new X86Mmu({
      bus: ram,
      state: { ...LONG, cr3: root },
      hooks: { onTlbFill: (key, frame, kinds) => fills.push([key, frame, kinds]), onEntryUpdate: (address, before, after) => updates.push([address, before, after]) },
    });
    mmu.lookup(0x1004, KIND_WRITE);
    assert.deepEqual(fills, [[1, 0x9000, 0b000111]], "supervisor read, write and fetch kinds");
    assert.deepEqual(updates.at(-1), [0x103008, 0x9003, 0x9063], "the PTE got A and D");
    assert.equal(updates.length, 4, "one A write per table level plus the leaf");
  });

  test("paging off is identity; long mode without PAE is refused; EFER.LMA is reported", () => {
    const ram = new PhysicalMemory(MIB);
    const mmu = new X86Mmu({ bus: ram });
    assert.equal(mmu.translate(0x12345), 0x12345);
    assert.equal(mmu.mode, null);
    assert.throws(() => mmu.setState({ cr0: CR0_PG, efer: EFER_LME }), (e: unknown) => e instanceof CpuStateError && e.code === "InvalidCpuState");
    assert.equal(mmu.mode, null, "a refused state changes nothing");
    mmu.setState({ cr0: CR0_PG, cr4: CR4_PAE, efer: EFER_LME });
    assert.equal(mmu.state.efer & EFER_LMA, EFER_LMA);
    assert.equal(mmu.mode, "x86-64");
    mmu.setState({ efer: 0 });
    assert.equal(mmu.mode, "x86-pae");
    mmu.setState({ cr4: CR4_PSE });
    assert.equal(mmu.mode, "x86");
  });

  test("the mapper refuses non-canonical ranges, executable: false without nx, and changes nothing", () => {
    const ram = new PhysicalMemory(16 * MIB);
    const frames = new TestFrames(0x100000, 64);
    const mapper = new TableMapper({ codec: x86Codec("x86-64", { nx: false }), bus: ram, frames });
    const root = mapper.createRoot();
    const code = (f: () => void): string | undefined => {
      try {
        f();
      } catch (e) {
        return e instanceof MapperError ? e.code : "other";
      }
      return undefined;
    };
    assert.equal(code(() => mapper.map(0x7ffffffff000n, 0x800000001000n, 0n, 0x2000n, KW, root)), "InvalidVirtualAddress");
    assert.equal(code(() => mapper.map(0x1000n, 0x2000n, 0n, 0x1000n, { ...KW, executable: false }, root)), "InvalidAttributes");
    assert.equal(code(() => mapper.map(0x1000n, 0x2000n, 0n, 0x2000n, KW, root)), "AddressMismatch");
    assert.equal(code(() => mapper.map(0x1000n, 0x2000n, 0x10n, 0x1010n, KW, root)), "MisalignedPhysicalAddress");
    assert.equal(code(() => mapper.unmap(0x1000n, 0x2000n, root)), "NotMapped");
    assert.equal(frames.inUse, 1, "only the root");
    const untyped = mapper as unknown as TableMapper<number>;
    assert.equal(code(() => untyped.map(0, 0x1000, 0, 0x1000, KW, root)), "InvalidVirtualAddress", "numbers are refused in a bigint mode");
  });

  test("the mapper refuses attrs that are not Attributes with InvalidAttributes naming the field, taking no frame", () => {
    for (const [bad, field] of NOT_ATTRIBUTES) {
      const { frames, mapper, root } = setup("x86-64");
      assert.throws(() => mapper.map(0x1000n, 0x2000n, 0x9000n, 0xa000n, bad as Attributes, root), (error: unknown) => {
        assert.equal(error instanceof MapperError, true, `a MapperError for ${field}, got ${String(error)}`);
        assert.equal((error as MapperError).code, "InvalidAttributes", field);
        assert.equal((error as MapperError).data.field, field);
        assert.match((error as MapperError).message, new RegExp(`: ${field.replace(".", "\\.")} must be`), field);
        return true;
      });
      assert.equal(frames.inUse, 1, `${field}: only the root`);
    }
  });

  test("OutOfMemory part-way through a map takes no frame and writes nothing", () => {
    const ram = new PhysicalMemory(16 * MIB);
    const frames = new TestFrames(0x100000, 3);
    const mapper = new TableMapper({ codec: x86Codec("x86-64"), bus: ram, frames });
    const root = mapper.createRoot();
    assert.throws(() => mapper.map(0x1000n, 0x2000n, 0n, 0x1000n, KW, root), (e: unknown) => e instanceof MapperError && e.code === "OutOfMemory");
    assert.equal(frames.inUse, 1);
    assert.equal(ram.read64(root), 0n);
  });

  test("unmapping the middle of a 1 GiB page splits it twice and keeps every other translation", () => {
    const { mapper, root, mmu, frames } = setup("x86-64", true);
    mapper.map(0x40000000n, 0x80000000n, 0x40000000n, 0x80000000n, { ...KW, global: true }, root);
    mapper.unmap(0x40201000n, 0x40202000n, root);
    assert.equal(frames.inUse, 4, "PML4, PDPT, a PD of 2 MiB pages, a PT");
    assert.equal(mmu.tryTranslate(0x40201000n), -1 - 0);
    for (const v of [0x40000000n, 0x40200000n, 0x40202000n, 0x40400000n, 0x7ffff000n]) assert.equal(mmu.translate(v), Number(v));
    assert.equal(mmu.walk(0x40400000n).pageSize, 2 * MIB, "split into 2 MiB pages");
    mapper.map(0x40201000n, 0x40202000n, 0x40201000n, 0x40202000n, KW, root);
    mapper.unmap(0x40000000n, 0x80000000n, root);
    assert.equal(frames.inUse, 1);
    assert.equal(GIB, 2 ** 30);
  });
});

describe("TableMapper.mappings", () => {
  test("lists leaves in address order with sign-extended addresses, sizes and combined attributes", () => {
    const { mapper, root } = setup("x86-64", true);
    mapper.map(0xffffffff80000000n, 0xffffffff80201000n, 0x200000n, 0x401000n, { ...KW, global: true, executable: false }, root);
    mapper.map(0x1000n, 0x2000n, 0x9000n, 0xa000n, UW, root);
    const list = mapper.mappings(root);
    assert.deepEqual(
      list.map((m) => [m.virt, m.phys, m.size, m.user, m.writable, m.executable, m.global]),
      [
        [0x1000n, 0x9000, 4096, true, true, true, false],
        [0xffffffff80000000n, 0x200000, 2 * MIB, false, true, false, true],
        [0xffffffff80200000n, 0x400000, 4096, false, true, false, true],
      ],
    );
  });
});

describe("X86Mmu.walk and large-page invalidation", () => {
  test("walk explains every level with the entries as RAM holds them after the access", () => {
    const { mapper, root, mmu } = setup("x86-64");
    mapper.map(0xffffffff80000000n, 0xffffffff80001000n, 0x300000n, 0x301000n, KW, root);
    const first = mmu.walk(0xffffffff80000010n, { write: true });
    assert.equal(first.tlbHit, false);
    assert.equal(first.physical, 0x300010);
    assert.deepEqual(
      first.steps.map((s) => [s.level, s.index, s.entryAddress, s.entry, s.role]),
      [
        [3, 511, 0x100000 + 511 * 8, 0x101027n, "table"],
        [2, 510, 0x101000 + 510 * 8, 0x102027n, "table"],
        [1, 0, 0x102000, 0x103027n, "table"],
        [0, 0, 0x103000, 0x300063n, "leaf"],
      ],
      "A in every table entry, A and D in the PTE",
    );
    assert.equal(mmu.walk(0xffffffff80000010n).tlbHit, true);
    const fault = mmu.walk(0xffffffff80001000n);
    assert.deepEqual([fault.physical, fault.faultCode, fault.faultLevel, fault.steps.at(-1)?.role], [null, 0, 0, "fault"]);
  });

  test("invlpg anywhere in a 2 MiB page drops every cached 4 KiB piece of it", () => {
    const { ram, mapper, root, mmu } = setup("x86-64", true);
    mapper.map(0x200000n, 0x400000n, 0x200000n, 0x400000n, KW, root);
    mmu.translate(0x200000n);
    mmu.translate(0x3ff000n);
    ram.write64(0x102008, 0n);
    assert.equal(mmu.tryTranslate(0x3ff000n), 0x3ff000, "stale");
    mmu.invlpg(0x234000n);
    assert.equal(mmu.tryTranslate(0x3ff000n), -1 - 0);
    assert.equal(mmu.tryTranslate(0x200000n), -1 - 0);
  });
});

describe("PagingMmu.tlbProbe", () => {
  test("an inlined probe hits exactly when lookup would answer from the TLB, and sees flushes", () => {
    const { mapper, root, mmu } = setup("x86-64");
    mapper.map(0xffffffff80000000n, 0xffffffff80002000n, 0x300000n, 0x302000n, KW, root);
    const { entries, mask } = mmu.tlbProbe();
    const probe = (vaddr: number, kind: number): number | null => {
      const i = ((vaddr >>> 8) & mask) | (kind << 1);
      return entries[i] === vaddr - (vaddr & 4095) ? vaddr + (entries[i + 1] ?? 0) : null;
    };
    const vaddr = -0x80000000 + 0x1234;
    assert.equal(probe(vaddr, KIND_READ), null, "cold");
    assert.equal(mmu.lookup(vaddr, KIND_READ), 0x301234);
    assert.equal(probe(vaddr, KIND_READ), 0x301234, "filled by the walk");
    assert.equal(probe(vaddr, KIND_WRITE), null, "no write tag until D is set");
    mmu.lookup(vaddr, KIND_WRITE);
    assert.equal(probe(vaddr, KIND_WRITE), 0x301234);
    mmu.invlpg(0xffffffff80001000n);
    assert.equal(probe(vaddr, KIND_READ), null, "invlpg clears the live arrays");
  });

  test("only a safe integer of the mode hits: a fraction or a number past 2^53 of a cached page goes to the validating miss path", () => {
    const { mapper, root, mmu } = setup("x86-64");
    mapper.map(0xffffffff80000000n, 0xffffffff80001000n, 0x300000n, 0x301000n, KW, root);
    const vaddr = -0x80000000 + 0x234;
    assert.equal(mmu.lookup(vaddr, KIND_READ), 0x300234);
    assert.equal(mmu.lookupHalves(0xffffffff, 0x80000234, KIND_READ), 0x300234, "the halves hit the same entry");
    const walks = mmu.walks;
    assert.equal(mmu.lookup(vaddr + 0x10, KIND_READ), 0x300244, "same page: a hit");
    assert.equal(mmu.walks, walks, "no walk for a hit");
    assert.throws(() => mmu.lookup(vaddr + 0.5, KIND_READ), (e: unknown) => e instanceof Error && "code" in e && e.code === "InvalidAddress");
    assert.throws(() => mmu.lookup(2 ** 60 - 0x80000000, KIND_READ), (e: unknown) => e instanceof Error && "code" in e && e.code === "InvalidAddress");
    assert.throws(() => mmu.lookup(Number.NaN, KIND_READ), (e: unknown) => e instanceof Error && "code" in e && e.code === "InvalidAddress");
  });
});
