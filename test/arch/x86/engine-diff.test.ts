import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { X86Mmu } from "../../../src/arch/x86/cpu.js";
import { CR0_PG, CR0_WP, CR4_PSE } from "../../../src/arch/x86/entry64.js";
import { Mmu } from "../../../src/arch/x86/mmu.js";
import { PhysicalMemory } from "../../../src/ram.js";
import { assertProperty } from "../../helpers/property.js";

const SEED = 0x13a;
const MIB = 1024 * 1024;
/** The 8 PDEs and the 8 PTEs of each of their tables that the property writes (and the walks may set A/D in). */
const ENTRY_ADDRESSES = [...Array.from({ length: 8 }, (_, i) => i * 4), ...Array.from({ length: 64 }, (_, i) => 0x1000 * (1 + Math.floor(i / 8)) + (i % 8) * 4)];

/**
 * The engine describes 32-bit x86 as one mode among eight; the stage-one `Mmu` is a
 * hand-written walker of that mode. On random directories and tables both must give the
 * same physical address or the same error code for every access, and leave the same
 * accessed/dirty bits in their (separate, identical) RAMs. 4 MiB PDEs take any frame bits,
 * PSE-36 bits 13–20 and the reserved bit 21 included. The TLB-less run compares walks, the
 * TLB run compares hits and misses.
 */
describe("the engine's x86 mode against the stage-one Mmu", () => {
  const entry = fc.record({ present: fc.boolean(), writable: fc.boolean(), user: fc.boolean(), low: fc.integer({ min: 0, max: 0xfff }), ps: fc.boolean(), frame: fc.integer({ min: 0, max: 0xfffff }) });
  type Entry = { present: boolean; writable: boolean; user: boolean; low: number; ps: boolean; frame: number };
  const encode = (e: Entry, frame: number): number => (frame * 0x1000 + (e.low & 0xf78) + (e.present ? 1 : 0) + (e.writable ? 2 : 0) + (e.user ? 4 : 0) + (e.ps ? 0x80 : 0)) >>> 0;

  test(`random tables and accesses agree, walk for walk and through a TLB (fast-check seed ${String(SEED)})`, () => {
    assertProperty(
      fc.property(
        fc.array(entry, { minLength: 8, maxLength: 8 }),
        fc.array(entry, { minLength: 64, maxLength: 64 }),
        fc.array(fc.record({ pdi: fc.integer({ min: 0, max: 7 }), pti: fc.integer({ min: 0, max: 7 }), offset: fc.integer({ min: 0, max: 0xfff }), kind: fc.integer({ min: 0, max: 5 }) }), { minLength: 1, maxLength: 40 }),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom(0, 4, 64),
        (pdes, ptes, accesses, wp, pse, tlbEntries) => {
          const ram = new PhysicalMemory(MIB);
          pdes.forEach((e, pdi) => ram.write32(pdi * 4, encode(e, e.ps && pse ? e.frame : 1 + pdi)));
          ptes.forEach((e, i) => ram.write32(0x1000 * (1 + Math.floor(i / 8)) + (i % 8) * 4, encode(e, e.frame)));
          const engineRam = new PhysicalMemory(MIB);
          engineRam.writeBytes(0, ram.bytes);
          const legacy = new Mmu({ ram, cr3: 0, wp, pse, tlbEntries });
          const engine = new X86Mmu({ bus: engineRam, tlbEntries, state: { cr0: CR0_PG | (wp ? CR0_WP : 0), cr3: 0, cr4: pse ? CR4_PSE : 0 } });
          for (const a of accesses) {
            const vaddr = a.pdi * 0x400000 + a.pti * 0x1000 + a.offset;
            const op = a.kind % 3;
            const access = { write: op === 1, fetch: op === 2, user: a.kind >= 3 };
            assert.equal(engine.lookup(vaddr, a.kind), legacy.tryTranslate(vaddr, access), `vaddr 0x${vaddr.toString(16)} kind ${String(a.kind)}`);
            assert.deepEqual(ENTRY_ADDRESSES.map((at) => engineRam.read32(at)), ENTRY_ADDRESSES.map((at) => ram.read32(at)), `the same A/D bits after vaddr 0x${vaddr.toString(16)} kind ${String(a.kind)}`);
          }
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });
});
