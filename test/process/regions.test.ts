import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { boot } from "../../src/boot/boot.js";
import { DEFAULT_PROFILE } from "../../src/boot/default-profile.js";
import { AccessDriver } from "../../src/process/access-driver.js";
import { AddressSpace } from "../../src/process/address-space.js";
import { frameRefsOf } from "../../src/process/frame-refs.js";
import { kernelHalfOf } from "../../src/process/kernel-half.js";
import { tableMachine } from "../../src/process/machines.js";
import { RegionList, type UserRegion } from "../../src/process/regions.js";
import { SwapDevice } from "../../src/process/swap.js";
import { SwapPool } from "../../src/process/swap-pool.js";
import { assertFrameAccounting } from "../helpers/frame-accounting.js";
import { assertProperty } from "../helpers/property.js";

const RW = { kernel: false, writable: true, cachable: true };
const RO = { kernel: false, writable: false, cachable: true };
const BASE = 0x1000_0000;

function setup(): { machine: ReturnType<typeof boot>; driver: AccessDriver; space: AddressSpace<number> } {
  const machine = boot(DEFAULT_PROFILE);
  return { machine, driver: new AccessDriver(machine.mmu, { audit: true }), space: AddressSpace.create(kernelHalfOf(machine)) };
}

function outcomes(record: { faults: readonly { kind: string; reason?: string }[] }): string[] {
  return record.faults.map((f) => (f.kind === "segfault" ? `segfault:${f.reason ?? ""}` : f.kind));
}

describe("RegionList", () => {
  const region = (startPage: number, endPage: number): UserRegion => ({ startPage, endPage, attrs: RW, backing: null, paging: "lazy", label: `r${startPage}` });

  test("finds the region holding a page by binary search, and the regions covering a range or a hole", () => {
    const list = new RegionList();
    for (const r of [region(10, 12), region(0, 4), region(4, 6), region(20, 30)]) list.add(r);
    assert.deepEqual(list.all().map((r) => r.startPage), [0, 4, 10, 20]);
    assert.deepEqual([0, 3, 4, 5, 6, 9, 10, 11, 12, 29, 30].map((p) => list.holding(p)?.startPage ?? null), [0, 0, 4, 4, null, null, 10, 10, null, 20, null]);
    assert.deepEqual(list.covering(2, 6)?.map((r) => r.startPage), [0, 4]);
    assert.equal(list.covering(2, 7), null, "page 6 is a hole");
    list.remove(4);
    assert.equal(list.holding(5), undefined);
    assert.equal(list.size, 3);
  });
});

describe("every region is page-managed", () => {
  test("fork shares the frames of an eagerly mapped region copy-on-write; a write copies, the PMM stays exact", () => {
    const { machine, driver, space } = setup();
    const before = machine.pmm.blocksFree();
    const at = space.map(2, RW, { at: BASE, label: "data" });
    space.write(at, new Uint8Array([1, 2, 3]));
    const child = driver.fork(space);
    const refs = frameRefsOf(machine.pmm);
    assert.deepEqual(
      child.pages().map((p) => [p.vaddr, p.frame, p.cow, p.writable]),
      space.pages().map((p) => [p.vaddr, p.frame, true, false]),
      "same frames, copy-on-write and read-only in both",
    );
    assert.deepEqual(space.pages().map((p) => [p.cow, refs.count(p.frame)]), [[true, 2], [true, 2]]);
    assert.deepEqual(outcomes(driver.run({ task: child, vaddr: at, op: "write", value: 9 })), ["cow-copy"]);
    assert.deepEqual(outcomes(driver.run({ task: space, vaddr: at, op: "write", value: 7 })), ["cow-reuse"]);
    assert.deepEqual([driver.run({ task: space, vaddr: at, op: "read" }).value, driver.run({ task: child, vaddr: at, op: "read" }).value], [7, 9]);
    assert.deepEqual([...child.read(at + 1, 2)], [2, 3], "the child's copy has the parent's bytes");
    assert.deepEqual(driver.stale, [], "no stale translation after the fork's CR3 reload and the fault invlpgs");
    child.destroy();
    space.destroy();
    assert.equal(machine.pmm.blocksFree(), before + 1, "everything back, the kernel's root's share too");
  });

  test("fork called directly (not through the driver) drops the running parent's writable TLB entries itself", () => {
    const { driver, space } = setup();
    space.map(1, RW, { at: BASE });
    driver.run({ task: space, vaddr: BASE, op: "write", value: 1 });
    const child = space.fork();
    assert.deepEqual(outcomes(driver.run({ task: space, vaddr: BASE, op: "write", value: 2 })), ["cow-copy"]);
    assert.equal(driver.run({ task: child, vaddr: BASE, op: "read" }).value, 1);
    assert.deepEqual(driver.stale, []);
  });

  test("protect and unmapRange work on eagerly mapped regions and across adjacent regions", () => {
    const { machine, driver, space } = setup();
    space.map(2, RW, { at: BASE, label: "data" });
    space.reserveLazy(BASE + 0x2000, 2, RW, { label: "heap" });
    for (let p = 0; p < 4; p++) driver.run({ task: space, vaddr: BASE + p * 0x1000, op: "write", value: p + 1 });
    space.protect(BASE + 0x1000, BASE + 0x3000, RO);
    assert.deepEqual(
      space.regions().map((r) => [r.virtual.start - BASE, r.virtual.end - BASE, r.attrs.writable, r.label, r.paging, r.frames]),
      [
        [0, 0x1000, true, "data", "eager", 1],
        [0x1000, 0x2000, false, "data", "eager", 1],
        [0x2000, 0x3000, false, "heap", "lazy", 1],
        [0x3000, 0x4000, true, "heap", "lazy", 1],
      ],
    );
    assert.deepEqual(outcomes(driver.run({ task: space, vaddr: BASE + 0x1000, op: "write", value: 9 })), ["segfault:read-only"]);
    assert.deepEqual(outcomes(driver.run({ task: space, vaddr: BASE + 0x2000, op: "write", value: 9 })), ["segfault:read-only"]);
    const free = machine.pmm.blocksFree();
    space.unmapRange(BASE + 0x1000, BASE + 0x3000);
    assert.equal(machine.pmm.blocksFree(), free + 2, "both frames freed");
    assert.deepEqual(space.regions().map((r) => r.label), ["data", "heap"]);
    assert.deepEqual(outcomes(driver.run({ task: space, vaddr: BASE + 0x2000, op: "read" })), ["segfault:unmapped"]);
    assert.deepEqual([BASE, BASE + 0x3000].map((v) => driver.run({ task: space, vaddr: v, op: "read" }).value), [1, 4]);
    assert.deepEqual(driver.stale, []);
    assert.equal(space.vmm.isSet(BASE + 0x1000), false, "the VMM's records follow: the hole is free for the next map");
    assert.equal(space.map(2, RW, { at: BASE + 0x1000 }), BASE + 0x1000);
  });

  test("a guard page given rights by protect becomes demand-paged", () => {
    const { driver, space } = setup();
    space.reserve(BASE, 1);
    assert.deepEqual(outcomes(driver.run({ task: space, vaddr: BASE, op: "read" })), ["segfault:unmapped"]);
    space.protect(BASE, BASE + 0x1000, RW);
    assert.deepEqual(outcomes(driver.run({ task: space, vaddr: BASE, op: "write", value: 5 })), ["minor"]);
    assert.equal(space.regions()[0]?.paging, "lazy");
  });

  test("map is all-or-nothing when frames run out midway", () => {
    const { machine, space } = setup();
    const free = machine.pmm.blocksFree();
    assert.throws(() => space.map(free + 10, RW), { code: "OutOfMemory" });
    assert.equal(machine.pmm.blocksFree(), free);
    assert.deepEqual(space.regions(), []);
    assert.equal(space.vmm.blocksUsed, 0);
  });

  test("syncKernelHalf copies a top-level kernel entry filled after the space was made", () => {
    const machine = tableMachine("x86-64");
    const space = AddressSpace.create(machine.kernel);
    const late = 0xffff_c000_0000_0000n;
    machine.vmm.set({ start: late, end: late + 0x1000n }, { start: 0x300_0000n, end: 0x300_1000n }, { kernel: true, writable: true, cachable: true });
    space.activate(machine.mmu);
    assert.ok(machine.mmu.tryTranslate(late, { user: false }) < 0, "the new PML4 entry is not in the space's root yet");
    space.syncKernelHalf();
    space.activate(machine.mmu);
    assert.equal(machine.mmu.tryTranslate(late, { user: false }), 0x300_0000);
  });
});

describe("a system-wide swap pool", () => {
  test("bounds the resident pages of every member together and evicts across spaces; forks join the pool", () => {
    const machine = tableMachine("x86-64", { memoryBytes: 8 * 0x10_0000 });
    const driver = new AccessDriver(machine.mmu, { audit: true });
    const device = new SwapDevice(64);
    const pool = new SwapPool({ frames: 3, policy: "fifo", device });
    const a = AddressSpace.create(machine.kernel);
    const b = AddressSpace.create(machine.kernel);
    for (const s of [a, b]) {
      s.reserveLazy(0x40_0000n, 4, RW);
      s.joinSwap(pool);
    }
    for (let p = 0; p < 3; p++) driver.run({ task: a, vaddr: 0x40_0000n + BigInt(p * 0x1000), op: "write", value: 10 + p });
    assert.equal(pool.resident, 3);
    driver.run({ task: b, vaddr: 0x40_0000n, op: "write", value: 20 });
    assert.deepEqual([a.swappedPages, a.faults.evictions, b.swappedPages, pool.resident], [1, 1, 0, 3], "b's fault evicted a's oldest page");
    const child = driver.fork(b);
    assert.equal(pool.members, 3);
    assert.ok(pool.resident <= 3, "the fork's shared pages count against the same bound");
    for (let p = 0; p < 3; p++) assert.equal(driver.run({ task: a, vaddr: 0x40_0000n + BigInt(p * 0x1000), op: "read" }).value, 10 + p, `a's page ${p} came back`);
    assert.equal(driver.run({ task: child, vaddr: 0x40_0000n, op: "read" }).value, 20);
    assert.equal(driver.run({ task: b, vaddr: 0x40_0000n, op: "read" }).value, 20);
    assert.ok(pool.resident <= 3, "still within the bound");
    assert.deepEqual(driver.stale, []);
    for (const s of [a, b, child]) s.destroy();
    assert.deepEqual([pool.members, pool.resident, device.used], [0, 0, 0]);
  });

  test("a fork of an OPT-bounded space has no bound, and gets the parent's swapped-out pages resident with their bytes", () => {
    const { machine, driver, space } = setup();
    space.reserveLazy(BASE, 2, RW);
    space.enableSwap({ frames: 1, policy: "opt", device: new SwapDevice(4), future: [BASE / 4096, BASE / 4096 + 1] });
    driver.run({ task: space, vaddr: BASE, op: "write", value: 0x77 });
    driver.run({ task: space, vaddr: BASE + 0x1000, op: "read" });
    assert.deepEqual(space.swappedOut(), [BASE], "the written page is on swap");
    const free = machine.pmm.blocksFree();
    const child = driver.fork(space);
    assert.equal(child.swapPool, null);
    assert.deepEqual(outcomes(driver.run({ task: child, vaddr: BASE, op: "read" })), [], "resident in the child, no fault");
    assert.equal(driver.run({ task: child, vaddr: BASE, op: "read" }).value, 0x77);
    driver.exit(child);
    assert.equal(machine.pmm.blocksFree(), free, "the child's frames, tables and root come back");
  });

  test("OPT takes one member", () => {
    const machine = tableMachine("x86-64");
    const pool = new SwapPool({ frames: 2, policy: "opt", device: new SwapDevice(4), future: [] });
    AddressSpace.create(machine.kernel).joinSwap(pool);
    assert.throws(() => AddressSpace.create(machine.kernel).joinSwap(pool), { code: "TraceMismatch" });
  });

  test("property: tasks under one pool keep their bytes; frames, tables, slots and the bound stay exact", () => {
    const op = fc.oneof(
      fc.record({ op: fc.constant("fork" as const), task: fc.nat() }),
      fc.record({ op: fc.constant("exit" as const), task: fc.nat() }),
      fc.record({ op: fc.constant("protect" as const), task: fc.nat(), page: fc.integer({ min: 0, max: 4 }), writable: fc.boolean() }),
      fc.record({ op: fc.constantFrom("write" as const, "read" as const), task: fc.nat(), page: fc.integer({ min: 0, max: 5 }), value: fc.integer({ min: 1, max: 255 }) }),
    );
    assertProperty(
      fc.property(fc.constantFrom("fifo" as const, "lru" as const, "clock" as const), fc.integer({ min: 1, max: 6 }), fc.array(op, { maxLength: 40 }), (policy, frames, ops) => {
        const machine = tableMachine("x86-64", { memoryBytes: 8 * 0x10_0000 });
        const driver = new AccessDriver(machine.mmu, { audit: true });
        const device = new SwapDevice(256);
        const pool = new SwapPool({ frames, policy, device });
        const refs = frameRefsOf(machine.pmm);
        const kernelTables = new Set(machine.mapper.tables(machine.kernel.root));
        const before = machine.pmm.blocksFree();
        const first = AddressSpace.create(machine.kernel);
        first.map(2, RW, { at: 0x40_0000n, label: "data" });
        first.reserveLazy(0x40_2000n, 4, RW, { label: "heap" });
        first.joinSwap(pool);
        const tasks = [{ space: first, data: new Map<number, number>(), writable: new Map<number, boolean>() }];
        for (const o of ops) {
          const t = tasks[o.task % Math.max(1, tasks.length)];
          if (t === undefined) continue;
          if (o.op === "fork") tasks.push({ space: driver.fork(t.space), data: new Map(t.data), writable: new Map(t.writable) });
          else if (o.op === "exit") {
            t.space.destroy();
            tasks.splice(tasks.indexOf(t), 1);
          } else if (o.op === "protect") {
            const at = 0x40_0000n + BigInt(o.page * 4096);
            t.space.protect(at, at + 0x2000n, o.writable ? RW : RO);
            t.writable.set(o.page, o.writable).set(o.page + 1, o.writable);
          } else {
            const r = driver.run({ task: t.space, vaddr: 0x40_0000n + BigInt(o.page * 4096 + 8), op: o.op, value: o.value });
            const allowed = o.op === "read" || t.writable.get(o.page) !== false;
            assert.equal(r.physical !== null, allowed, `${o.op} of page ${o.page}`);
            if (o.op === "write" && allowed) t.data.set(o.page, o.value);
            else if (o.op === "read") assert.equal(r.value, t.data.get(o.page) ?? 0, `page ${o.page} reads back`);
          }
          const { mapped } = assertFrameAccounting(machine, refs, kernelTables, tasks.map((t) => t.space), before, device);
          assert.equal(pool.resident, mapped, "the pool counts every resident page");
          assert.ok(mapped <= frames, `at most ${frames} pages resident, not ${mapped}`);
        }
        assert.deepEqual(driver.stale, [], "no missed invalidation");
        for (const { space } of tasks) space.destroy();
        assert.deepEqual([machine.pmm.blocksFree(), device.used, pool.members], [before, 0, 0]);
      }),
      { seed: 0x9001, numRuns: 40 },
    );
  });
});
