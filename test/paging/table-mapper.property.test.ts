import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { x86Codec } from "../../src/arch/x86/codec.js";
import { X86Mmu } from "../../src/arch/x86/cpu.js";
import { CR0_PG, CR0_WP, CR4_LA57, CR4_PAE, CR4_PSE, EFER_LME, EFER_NXE } from "../../src/arch/x86/entry64.js";
import { MapperError } from "../../src/errors/mapper-error.js";
import { KIND_READ, KIND_USER } from "../../src/paging/access.js";
import type { EntryCodec } from "../../src/paging/mode.js";
import type { PagingMmu } from "../../src/paging/mmu.js";
import { TableMapper } from "../../src/paging/table-mapper.js";
import { PhysicalMemory } from "../../src/ram.js";
import type { Address, Attributes } from "../../src/types.js";
import { TestFrames } from "../arch/x86/support.js";
import { riscvCodec } from "../../src/arch/riscv/codec.js";
import { RiscvMmu } from "../../src/arch/riscv/cpu.js";
import { type Extent, type NaiveFormat, naiveWalk, normalise, riscvFormat, x86Format } from "./support.js";
import { assertProperty } from "../helpers/property.js";

const SEED = 0x5eed13;
const TABLE_BASE = 0x100000;
const TABLE_FRAMES = 3000;

/** One mode as the property test drives it. */
export interface ModeCase {
  readonly name: string;
  readonly vaBits: number;
  readonly signExtended: boolean;
  /** Pages per large page at each level that allows one (small first). */
  readonly units: readonly number[];
  /** Exclusive bound on physical page numbers the test may use. */
  readonly ppnLimit: number;
  codec(): EntryCodec;
  format(): NaiveFormat;
  mmu(ram: PhysicalMemory, root: number): PagingMmu;
  /** Whether entries can say "not executable" (else such a map is refused with InvalidAttributes). */
  readonly noExecute: boolean;
  /** The attribute key the naive walker reports for `attrs`. */
  key(attrs: Attributes): string;
}

const ATTRS: readonly Attributes[] = [
  { kernel: true, writable: true, cachable: true },
  { kernel: false, writable: false, cachable: true, executable: false },
  { kernel: true, writable: false, cachable: false, global: true },
  { kernel: false, writable: true, cachable: true, global: true, executable: false },
];

const x86Key = (a: Attributes): string => `w${a.writable ? 1 : 0}u${a.kernel ? 0 : 1}c${a.cachable ? 0 : 1}g${a.global === true ? 1 : 0}x${a.executable === false ? 1 : 0}`;

export const X86_CASES: readonly ModeCase[] = [
  {
    name: "x86-64",
    vaBits: 48,
    signExtended: true,
    units: [512, 512 * 512],
    ppnLimit: 2 ** 40,
    codec: () => x86Codec("x86-64"),
    format: () => x86Format("x86-64"),
    mmu: (ram, root) => new X86Mmu({ bus: ram, state: { cr0: CR0_PG | CR0_WP, cr3: root, cr4: CR4_PAE, efer: EFER_LME | EFER_NXE } }),
    key: x86Key,
    noExecute: true,
  },
  {
    name: "x86-64-la57",
    vaBits: 57,
    signExtended: true,
    units: [512, 512 * 512],
    ppnLimit: 2 ** 40,
    codec: () => x86Codec("x86-64-la57"),
    format: () => x86Format("x86-64-la57"),
    mmu: (ram, root) => new X86Mmu({ bus: ram, state: { cr0: CR0_PG | CR0_WP, cr3: root, cr4: CR4_PAE | CR4_LA57, efer: EFER_LME | EFER_NXE } }),
    key: x86Key,
    noExecute: true,
  },
  {
    name: "x86-pae",
    vaBits: 32,
    signExtended: false,
    units: [512],
    ppnLimit: 2 ** 40,
    codec: () => x86Codec("x86-pae"),
    format: () => x86Format("x86-pae"),
    mmu: (ram, root) => new X86Mmu({ bus: ram, state: { cr0: CR0_PG | CR0_WP, cr3: root, cr4: CR4_PAE, efer: EFER_NXE } }),
    key: x86Key,
    noExecute: true,
  },
  {
    name: "x86",
    vaBits: 32,
    signExtended: false,
    units: [1024],
    ppnLimit: 2 ** 20,
    codec: () => x86Codec("x86"),
    format: () => x86Format("x86"),
    mmu: (ram, root) => new X86Mmu({ bus: ram, state: { cr0: CR0_PG | CR0_WP, cr3: root, cr4: CR4_PSE } }),
    key: x86Key,
    noExecute: false,
  },
];

const riscvKey = (a: Attributes): string => `r1w${a.writable ? 1 : 0}x${a.executable === false ? 0 : 1}u${a.kernel ? 0 : 1}g${a.global === true ? 1 : 0}`;

function riscvCase(levels: 2 | 3 | 4 | 5): ModeCase {
  const mode = levels === 2 ? "riscv-sv32" : levels === 3 ? "riscv-sv39" : levels === 4 ? "riscv-sv48" : "riscv-sv57";
  return {
    name: mode,
    vaBits: levels === 2 ? 32 : 12 + 9 * levels,
    signExtended: levels > 2,
    units: levels === 2 ? [1024] : [512, 512 * 512],
    ppnLimit: levels === 2 ? 2 ** 22 : 2 ** 40,
    codec: () => (mode === "riscv-sv32" ? riscvCodec(mode) : riscvCodec(mode)),
    format: () => riscvFormat(levels),
    mmu: (ram, root) =>
      levels === 2
        ? new RiscvMmu({ bus: ram, xlen: 32, state: { satp: (0x80000000 | (root / 4096)) >>> 0 } })
        : new RiscvMmu({ bus: ram, state: { satp: (BigInt(levels + 5) << 60n) | BigInt(root / 4096) } }),
    key: riscvKey,
    noExecute: true,
  };
}

export const RISCV_CASES: readonly ModeCase[] = [riscvCase(3), riscvCase(2), riscvCase(4), riscvCase(5)];

/** Page `page` of the mode's space as the mapper's address type (sign-extended bigint in 64-bit modes). */
function addressOf(c: ModeCase, page: number): Address {
  if (!c.signExtended) return page * 4096;
  const upper = page >= 2 ** (c.vaBits - 13);
  return BigInt(page) * 4096n + (upper ? (1n << 64n) - (1n << BigInt(c.vaBits)) : 0n);
}

/** Physical page `ppn` as the mapper's address type (never sign-extended). */
function physicalOf(c: ModeCase, ppn: number): Address {
  return c.signExtended ? BigInt(ppn) * 4096n : ppn * 4096;
}

const opArb = fc.record({
  unmap: fc.boolean(),
  unit: fc.integer({ min: 0, max: 2 }),
  slot: fc.integer({ min: 0, max: 7 }),
  offset: fc.constantFrom(0, 0, 1, 3),
  count: fc.integer({ min: 1, max: 3 }),
  extra: fc.constantFrom(0, 0, 1, 2),
  ppnSlot: fc.integer({ min: 0, max: 1000 }),
  attrs: fc.integer({ min: 0, max: ATTRS.length - 1 }),
});

/** Runs random map/unmap sequences on `c` and checks tables, translations and frame counts after every step. */
export function checkModeProperty(c: ModeCase): void {
  assertProperty(
    fc.property(fc.array(opArb, { minLength: 1, maxLength: 20 }), fc.boolean(), (ops, largePages) => {
      const ram = new PhysicalMemory(TABLE_BASE + TABLE_FRAMES * 4096);
      const frames = new TestFrames(TABLE_BASE, TABLE_FRAMES);
      const mapper = new TableMapper<Address>({ codec: c.codec() as EntryCodec<Address>, bus: ram, frames, largePages });
      const root = mapper.createRoot();
      const mmu = c.mmu(ram, root);
      // A window of 8 largest units at the top of the space (the upper half in 64-bit modes).
      const biggest = largePages ? (c.units[c.units.length - 1] as number) : (c.units[0] as number);
      const windowStart = 2 ** (c.vaBits - 12) - 8 * biggest;
      let model: Extent[] = [];
      for (const op of ops) {
        const unit = Math.min([1, c.units[0] as number, biggest][op.unit] as number, biggest);
        const from = windowStart + op.slot * unit + op.offset;
        const to = Math.min(windowStart + 8 * biggest, from + op.count * unit + op.extra);
        const overlaps = model.filter((e) => e.from < to && from < e.to);
        const covered = overlaps.reduce((n, e) => n + Math.min(e.to, to) - Math.max(e.from, from), 0);
        const attrs = ATTRS[op.attrs] as Attributes;
        const ppn = ((op.ppnSlot * unit) % c.ppnLimit) + (op.offset === 0 ? 0 : op.offset);
        let error: unknown = null;
        try {
          if (op.unmap) mapper.unmap(addressOf(c, from), addressOf(c, to), root);
          else if (ppn + (to - from) <= c.ppnLimit) mapper.map(addressOf(c, from), addressOf(c, to), physicalOf(c, ppn), physicalOf(c, ppn + (to - from)), attrs, root);
          else continue;
        } catch (e) {
          error = e;
        }
        if (op.unmap) {
          const ok = covered === to - from;
          assert.equal(error === null, ok, `unmap ${from}–${to}: ${String(error)}`);
          if (!ok) assert.ok(error instanceof MapperError && error.code === "NotMapped", String(error));
          if (ok) {
            model = model.flatMap((e) => {
              const parts: Extent[] = [];
              if (e.from < from) parts.push({ ...e, to: Math.min(e.to, from) });
              if (e.to > to) parts.push({ ...e, from: Math.max(e.from, to), ppn: e.ppn + (Math.max(e.from, to) - e.from) });
              return e.to <= from || e.from >= to ? [e] : parts;
            });
          }
        } else if (attrs.executable === false && !c.noExecute) {
          assert.ok(error instanceof MapperError && error.code === "InvalidAttributes", String(error));
        } else {
          const ok = overlaps.length === 0;
          assert.equal(error === null, ok, `map ${from}–${to}: ${String(error)}`);
          if (!ok) assert.ok(error instanceof MapperError && error.code === "AlreadyMapped", String(error));
          if (ok) model.push({ from, to, ppn, attrs: c.key(attrs) });
        }
        const walked = naiveWalk(ram, root, c.format());
        assert.deepEqual(walked.extents, normalise(model), "tables in RAM match the model");
        assert.equal(frames.inUse, walked.tables, "every frame taken is a reachable table: nothing leaked");
        for (const e of model.slice(0, 4)) {
          const page = e.from + Math.floor((e.to - e.from) / 2);
          const expect = (e.ppn + (page - e.from)) * 4096 + 0x18;
          const address = BigInt(addressOf(c, page)) + 0x18n;
          // A user page is read from user mode (RISC-V S-mode may not read it without SUM).
          const kind = e.attrs.includes("u1") ? KIND_READ + KIND_USER : KIND_READ;
          const physical = mmu.lookupHalves(Number(address >> 32n), Number(address & 0xffffffffn), kind);
          assert.equal(physical, expect, `MMU translation of page ${String(page)}`);
        }
        flushTlb(mmu);
      }
      for (const e of model) mapper.unmap(addressOf(c, e.from), addressOf(c, e.to), root);
      assert.equal(frames.inUse, 1, "only the root is left after unmapping everything");
      mapper.destroyRoot(root);
      assert.equal(frames.inUse, 0, "the allocator's count is back where it started");
    }),
    { seed: SEED, numRuns: 12 },
  );
}

function flushTlb(mmu: PagingMmu): void {
  (mmu as unknown as { flushTlb(): void }).flushTlb();
}

describe("TableMapper: random map/unmap against a naive walk", () => {
  for (const c of [...X86_CASES, ...RISCV_CASES]) {
    test(`${c.name}: tables, translations and frame counts match the model after every step (fast-check seed ${String(SEED)})`, () => {
      checkModeProperty(c);
    });
  }
});
