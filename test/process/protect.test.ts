import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { boot } from "../../src/boot/boot.js";
import { DEFAULT_PROFILE } from "../../src/boot/default-profile.js";
import { ProcessError } from "../../src/errors/process-error.js";
import { AccessDriver } from "../../src/process/access-driver.js";
import { AddressSpace } from "../../src/process/address-space.js";
import { kernelHalfOf } from "../../src/process/kernel-half.js";
import { tableMachine } from "../../src/process/machines.js";
import { translateAudited } from "../../src/process/tlb-audit.js";
import { assertProperty } from "../helpers/property.js";

const RW = { kernel: false, writable: true, cachable: true };
const RO = { kernel: false, writable: false, cachable: true };
const BASE = 0x1000_0000;

function setup(): { machine: ReturnType<typeof boot>; driver: AccessDriver; space: AddressSpace<number> } {
  const machine = boot(DEFAULT_PROFILE);
  const driver = new AccessDriver(machine.mmu, { audit: true });
  const space = AddressSpace.create(kernelHalfOf(machine));
  space.reserveLazy(BASE, 4, RW, { label: "heap" });
  for (let p = 0; p < 4; p++) driver.run({ task: space, vaddr: BASE + p * 4096, op: "write", value: p + 1 });
  return { machine, driver, space };
}

describe("protect and partial unmap", () => {
  test("protect of the middle splits the region in three, and a write there faults even with the old TLB entry warm", () => {
    const { driver, space } = setup();
    space.protect(BASE + 0x1000, BASE + 0x3000, RO);
    assert.deepEqual(
      space.regions().map((r) => [r.virtual.start, r.virtual.end, r.attrs.writable, r.label, r.frames]),
      [
        [BASE, BASE + 0x1000, true, "heap", 1],
        [BASE + 0x1000, BASE + 0x3000, false, "heap", 2],
        [BASE + 0x3000, BASE + 0x4000, true, "heap", 1],
      ],
    );
    const write = driver.run({ task: space, vaddr: BASE + 0x1000, op: "write", value: 9 });
    assert.deepEqual(write.faults.map((f) => (f.kind === "segfault" ? f.reason : f.kind)), ["read-only"]);
    assert.equal(driver.run({ task: space, vaddr: BASE + 0x1000, op: "read" }).value, 2, "the data stays");
    assert.equal(driver.run({ task: space, vaddr: BASE + 0x3000, op: "write", value: 7 }).faults.length, 0);
    space.protect(BASE + 0x1000, BASE + 0x2000, RW);
    assert.equal(driver.run({ task: space, vaddr: BASE + 0x1000, op: "write", value: 9 }).faults.length, 0, "writable again");
    assert.deepEqual(driver.stale, [], "every change was invalidated");
  });

  test("unmapRange of the middle frees its frames, faults there after, keeps both sides", () => {
    const { machine, driver, space } = setup();
    const free = machine.pmm.blocksFree();
    space.unmapRange(BASE + 0x1000, BASE + 0x3000);
    assert.equal(machine.pmm.blocksFree(), free + 2);
    assert.deepEqual(space.regions().map((r) => [r.virtual.start, r.virtual.end]), [[BASE, BASE + 0x1000], [BASE + 0x3000, BASE + 0x4000]]);
    const gone = driver.run({ task: space, vaddr: BASE + 0x2000, op: "read" });
    assert.deepEqual(gone.faults.map((f) => (f.kind === "segfault" ? f.reason : f.kind)), ["unmapped"]);
    assert.equal(driver.run({ task: space, vaddr: BASE + 0x3000, op: "read" }).value, 4);
    assert.deepEqual(driver.stale, []);
    space.destroy();
  });

  test("bad ranges are InvalidRange and change nothing", () => {
    const { machine, space } = setup();
    const free = machine.pmm.blocksFree();
    for (const [start, end] of [[BASE + 1, BASE + 0x1000], [BASE, BASE], [BASE + 0x3000, BASE + 0x5000], [0x2000_0000, 0x2000_1000]] as const) {
      assert.throws(() => space.protect(start, end, RO), (e: unknown) => e instanceof ProcessError && e.code === "InvalidRange", `${start}–${end}`);
      assert.throws(() => space.unmapRange(start, end), (e: unknown) => e instanceof ProcessError && e.code === "InvalidRange");
    }
    assert.throws(() => space.protect(BASE, BASE + 0x1000, { kernel: false, writable: "yes" } as never), { code: "InvalidAttributes" });
    assert.equal(machine.pmm.blocksFree(), free);
    assert.equal(space.regions().length, 1);
  });
});

describe("missed-invalidation detector", () => {
  test("an unmap of the tables without invlpg is reported when the stale TLB entry serves the next access", () => {
    const { machine, driver, space } = setup();
    machine.paging.unmap(BASE + 0x2000, BASE + 0x3000, space.root);
    driver.run({ task: space, vaddr: BASE + 0x2000, op: "read" });
    assert.equal(driver.stale.length, 1);
    assert.equal(driver.stale[0]?.vaddr, BASE + 0x2000);
    assert.ok((driver.stale[0]?.cached ?? -1) >= 0 && (driver.stale[0]?.tables ?? 0) < 0, "the TLB answered a frame, the tables a fault");
  });

  test("x86-64: a write-protect done in RAM without invlpg is caught; the same after invlpg is not", () => {
    const machine = tableMachine("x86-64");
    const space = AddressSpace.create(machine.kernel);
    const at = space.map(1, RW, { at: 0x40_0000n });
    space.activate(machine.mmu);
    const access = { user: true, write: true };
    assert.equal(translateAudited(machine.mmu, machine.ram, at, access).stale, null);
    const leaf = machine.mapper.mappings(space.root).find((m) => m.virt === at);
    assert.ok(leaf !== undefined, "mapped");
    machine.mapper.unmap(at, at + 0x1000n, space.root);
    machine.mapper.map(at, at + 0x1000n, BigInt(leaf.phys), BigInt(leaf.phys) + 0x1000n, RO, space.root);
    const stale = translateAudited(machine.mmu, machine.ram, at, access).stale;
    assert.ok(stale !== null && stale.cached === leaf.phys && stale.tables < 0, "the TLB still allows the write");
    (machine.mmu as { invlpg(v: bigint): void }).invlpg(at);
    assert.equal(translateAudited(machine.mmu, machine.ram, at, access).stale, null);
  });

  test("property: random protect/unmapRange/access sequences never leave a stale translation or a leaked frame", () => {
    const op = fc.oneof(
      fc.record({ op: fc.constant("protect" as const), from: fc.integer({ min: 0, max: 7 }), len: fc.integer({ min: 1, max: 4 }), writable: fc.boolean() }),
      fc.record({ op: fc.constant("unmap" as const), from: fc.integer({ min: 0, max: 7 }), len: fc.integer({ min: 1, max: 3 }) }),
      fc.record({ op: fc.constantFrom("read" as const, "write" as const), page: fc.integer({ min: 0, max: 7 }) }),
    );
    assertProperty(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const machine = boot(DEFAULT_PROFILE);
        const before = machine.pmm.blocksFree();
        const driver = new AccessDriver(machine.mmu, { audit: true });
        const space = AddressSpace.create(kernelHalfOf(machine));
        space.reserveLazy(BASE, 8, RW);
        const model = new Map<number, boolean | null>(Array.from({ length: 8 }, (_, p) => [p, true]));
        for (const o of ops) {
          if ("page" in o) {
            const r = driver.run({ task: space, vaddr: BASE + o.page * 4096, op: o.op, value: 1 });
            const rights = model.get(o.page);
            const ok = rights === true || (rights === false && o.op === "read");
            assert.equal(r.physical !== null, ok, `page ${o.page} ${o.op} with rights ${String(rights)}`);
            continue;
          }
          const { from, len } = o;
          const pages = Array.from({ length: len }, (_, i) => from + i);
          try {
            if (o.op === "protect") space.protect(BASE + o.from * 4096, BASE + (o.from + o.len) * 4096, o.writable ? RW : RO);
            else space.unmapRange(BASE + o.from * 4096, BASE + (o.from + o.len) * 4096);
            for (const p of pages) model.set(p, o.op === "unmap" ? null : o.writable);
          } catch (error) {
            assert.equal((error as { code?: string }).code, "InvalidRange", String(error));
          }
        }
        assert.deepEqual(driver.stale, [], "no stale translation");
        space.destroy();
        assert.equal(machine.pmm.blocksFree(), before);
      }),
      { seed: 0x3b17, numRuns: 40 },
    );
  });
});
