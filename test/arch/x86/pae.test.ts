import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { x86Codec } from "../../../src/arch/x86/codec.js";
import { X86Mmu } from "../../../src/arch/x86/cpu.js";
import { CR0_PG, CR0_WP, CR4_PAE, CR4_PSE, EFER_NXE } from "../../../src/arch/x86/entry64.js";
import { X86Paging } from "../../../src/arch/x86/paging.js";
import { TableMapper } from "../../../src/paging/table-mapper.js";
import { PhysicalMemory } from "../../../src/ram.js";
import type { Attributes } from "../../../src/types.js";
import { TestFrames } from "./support.js";

const MIB = 1024 * 1024;
const KW: Attributes = { kernel: true, writable: true, cachable: true };

function pae(largePages = false) {
  const ram = new PhysicalMemory(8 * MIB);
  const frames = new TestFrames(0x100000, 32);
  const mapper = new TableMapper({ codec: x86Codec("x86-pae"), bus: ram, frames, largePages });
  const root = mapper.createRoot();
  const mmu = new X86Mmu({ bus: ram, state: { cr0: CR0_PG | CR0_WP, cr3: root, cr4: CR4_PAE, efer: EFER_NXE } });
  return { ram, frames, mapper, root, mmu };
}

describe("x86 PAE (SDM vol. 3 §4.4)", () => {
  test("golden: a PDPTE holds only P; a PDE P|RW|US; a PTE above 4 GiB with XD", () => {
    const { ram, mapper, root } = pae();
    mapper.map(0xc0000000, 0xc0001000, 0x100000000, 0x100001000, { ...KW, executable: false }, root);
    assert.equal(ram.read64(root + 3 * 8), 0x101001n, "PDPTE 3: P only (bits 1, 2, 5–8 are reserved in a PDPTE)");
    assert.equal(ram.read64(0x101000), 0x102007n, "PDE 0");
    assert.equal(ram.read64(0x102000), 0x8000000100000003n, "PTE: XD | 0x1_0000_0000 | RW | P");
  });

  test("a 2 MiB page is a PS PDE and translates above 4 GiB", () => {
    const { ram, mapper, root, mmu } = pae(true);
    mapper.map(0x400000, 0x600000, 0x200000000, 0x200200000, KW, root);
    assert.equal(ram.read64(0x101000 + 2 * 8), 0x200000083n);
    assert.equal(mmu.translate(0x4abcde), 0x2000abcde);
    assert.equal(mmu.mode, "x86-pae");
  });

  test("PDPTE bits 52–62 and XD are reserved even with NXE; the error code has P|RSVD", () => {
    const { ram, mapper, root, mmu } = pae();
    mapper.map(0x1000, 0x2000, 0x5000, 0x6000, KW, root);
    ram.write32(root + 4, 0x00100000);
    assert.equal(mmu.tryTranslate(0x1000), -1 - 0x9);
    ram.write32(root + 4, 0x80000000);
    mmu.flushTlb();
    assert.equal(mmu.tryTranslate(0x1000, { write: true }), -1 - 0xb);
    assert.equal(mmu.faultLevel, 2);
  });

  test("a walk leaves the PDPTE as it is (bits 5–8 are reserved there: no A bit), and sets A in the PDE and PTE", () => {
    const { ram, mapper, root, mmu } = pae();
    mapper.map(0x1000, 0x2000, 0x5000, 0x6000, KW, root);
    assert.equal(mmu.translate(0x1010, { write: true }), 0x5010);
    assert.equal(ram.read64(root), 0x101001n, "PDPTE 0 unchanged, as QEMU's mmu_translate leaves it");
    assert.equal(ram.read64(0x101000), 0x102027n, "PDE 0: A set");
    assert.equal(ram.read64(0x102000 + 8), 0x5063n, "PTE 1: A and D set");
  });

  test("the PDPT may sit at any 32-byte boundary (CR3 bits 5–31)", () => {
    const { ram, mapper, root } = pae();
    mapper.map(0x1000, 0x2000, 0x5000, 0x6000, KW, root);
    ram.writeBytes(0x7000 + 0x20, ram.readBytes(root, 32));
    const mmu = new X86Mmu({ bus: ram, state: { cr0: CR0_PG, cr3: 0x7020, cr4: CR4_PAE } });
    assert.equal(mmu.translate(0x1010), 0x5010);
  });
});

describe("32-bit x86 as an engine mode", () => {
  test("the engine's x86 codec writes the same bytes as the stage-one X86Paging", () => {
    const ramA = new PhysicalMemory(8 * MIB);
    const ramB = new PhysicalMemory(8 * MIB);
    const mapper = new TableMapper({ codec: x86Codec("x86"), bus: ramA, frames: new TestFrames(0x100000, 32), largePages: true });
    const paging = new X86Paging({ ram: ramB, frames: new TestFrames(0x100000, 32), largePages: true });
    const rootA = mapper.createRoot();
    const rootB = paging.createDirectory();
    for (const [v, p, attrs] of [
      [0xc0000000, 0x100000, KW],
      [0x00400000, 0x00800000, { kernel: false, writable: false, cachable: false }],
      [0xd0000000, 0x01000000, { kernel: false, writable: true, cachable: true }],
    ] as const) {
      mapper.map(v, v + 0x3000, p, p + 0x3000, attrs, rootA);
      paging.map(v, v + 0x3000, p, p + 0x3000, attrs, rootB);
    }
    mapper.map(0x80000000, 0x80400000, 0x400000, 0x800000, KW, rootA);
    paging.map(0x80000000, 0x80400000, 0x400000, 0x800000, KW, rootB);
    assert.deepEqual(ramA.readBytes(0x100000, 6 * 4096), ramB.readBytes(0x100000, 6 * 4096));
  });

  test("PSE-36: bits 13–20 of a 4 MiB PDE give physical bits 32–39; bit 21 is reserved (QEMU)", () => {
    const ram = new PhysicalMemory(MIB);
    ram.write32(0, 0x00400000 | (0x3 << 13) | 0x83);
    const mmu = new X86Mmu({ bus: ram, state: { cr0: CR0_PG, cr3: 0, cr4: CR4_PSE } });
    assert.equal(mmu.translate(0x12345), 0x300412345);
    ram.write32(0, ram.read32(0) | (1 << 21));
    mmu.flushTlb();
    assert.equal(mmu.tryTranslate(0x12345), -1 - 0x9);
  });
});
