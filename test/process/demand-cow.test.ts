import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { boot } from "../../src/boot/boot.js";
import { DEFAULT_PROFILE } from "../../src/boot/default-profile.js";
import { AccessDriver } from "../../src/process/access-driver.js";
import { AddressSpace } from "../../src/process/address-space.js";
import { EM_X86_64, PF_R, PF_W, PF_X } from "../../src/process/elf.js";
import { frameRefsOf } from "../../src/process/frame-refs.js";
import { kernelHalfOf } from "../../src/process/kernel-half.js";
import { loadElf } from "../../src/process/loader.js";
import { tableMachine } from "../../src/process/machines.js";
import { assertFrameAccounting } from "../helpers/frame-accounting.js";
import { assertProperty } from "../helpers/property.js";
import { buildElf } from "./elf-builder.js";

const RW = { kernel: false, writable: true, cachable: true };
const RO = { kernel: false, writable: false, cachable: true };

function boot32(): { machine: ReturnType<typeof boot>; driver: AccessDriver; space: AddressSpace<number> } {
  const machine = boot(DEFAULT_PROFILE);
  return { machine, driver: new AccessDriver(machine.mmu), space: AddressSpace.create(kernelHalfOf(machine)) };
}

describe("demand paging", () => {
  test("a lazy region takes no frame until touched; the first touch is a minor zero-fill fault, later ones none", () => {
    const { machine, driver, space } = boot32();
    const before = machine.pmm.blocksFree();
    space.reserveLazy(0x1000_0000, 4, RW, { label: "heap" });
    assert.equal(machine.pmm.blocksFree(), before, "no frame, no table");
    const first = driver.run({ task: space, vaddr: 0x1000_0010, op: "read" });
    assert.deepEqual(first.faults.map((f) => f.kind), ["minor"]);
    assert.equal(first.value, 0);
    assert.equal(machine.pmm.blocksFree(), before - 2, "one frame and one page table");
    const write = driver.run({ task: space, vaddr: 0x1000_0010, op: "write", value: 0x5a });
    assert.deepEqual(write.faults, []);
    assert.equal(driver.run({ task: space, vaddr: 0x1000_0010, op: "read" }).value, 0x5a);
    assert.deepEqual({ ...space.faults }, { minor: 1, major: 0, cowCopies: 0, cowReuses: 0, segfaults: 0, evictions: 0 });
    assert.equal(space.regions()[0]?.frames, 1);
    space.destroy();
    assert.equal(machine.pmm.blocksFree(), before + 1, "the root returned too");
  });

  test("file-backed pages are major faults that read the image; pages past the file bytes are zero (minor)", () => {
    const { driver, space } = boot32();
    const data = new Uint8Array(0x1800).map((_, i) => (i % 251) + 1);
    space.reserveLazy(0x0804_8000, 3, RO, { backing: { data, at: 0x100 } });
    const a = driver.run({ task: space, vaddr: 0x0804_8100, op: "read" });
    assert.deepEqual([a.faults.map((f) => f.kind), a.value], [["major"], 1]);
    const b = driver.run({ task: space, vaddr: 0x0804_9000 + 0x8ff, op: "read" });
    assert.deepEqual([b.faults.map((f) => f.kind), b.value], [["major"], data[0x17ff]]);
    assert.equal(driver.run({ task: space, vaddr: 0x0804_9900, op: "read" }).value, 0, "after the file bytes, in a file page");
    const c = driver.run({ task: space, vaddr: 0x0804_a000, op: "read" });
    assert.deepEqual([c.faults.map((f) => f.kind), c.value], [["minor"], 0]);
    assert.deepEqual([space.faults.major, space.faults.minor], [2, 1]);
  });

  test("segfaults: no region, a write to a read-only region, a fetch from an NX region (x86-64); nothing changes", () => {
    const machine = tableMachine("x86-64");
    const driver = new AccessDriver(machine.mmu);
    const space = AddressSpace.create(machine.kernel);
    space.reserveLazy(0x40_0000n, 1, RO);
    space.reserveLazy(0x50_0000n, 1, { ...RW, executable: false });
    const free = machine.pmm.blocksFree();
    const reasons = [
      driver.run({ task: space, vaddr: 0x60_0000n, op: "read" }),
      driver.run({ task: space, vaddr: 0x40_0000n, op: "write" }),
      driver.run({ task: space, vaddr: 0x50_0000n, op: "fetch" }),
    ].map((r) => [r.physical, r.faults.map((f) => (f.kind === "segfault" ? f.reason : f.kind))]);
    assert.deepEqual(reasons, [
      [null, ["unmapped"]],
      [null, ["read-only"]],
      [null, ["no-execute"]],
    ]);
    assert.equal(machine.pmm.blocksFree(), free);
    assert.equal(space.faults.segfaults, 3);
  });

  test("a lazily loaded ELF faults its text in from the file and its stack as zeros", () => {
    const machine = tableMachine("x86-64");
    const driver = new AccessDriver(machine.mmu);
    const space = AddressSpace.create(machine.kernel);
    const text = new Uint8Array(0x2000).map((_, i) => i & 0xff);
    const bytes = buildElf({ bits: 64, machine: EM_X86_64, entry: 0x40_0000, segments: [{ vaddr: 0x40_0000, flags: PF_R | PF_X, data: text }, { vaddr: 0x60_0000, flags: PF_R | PF_W, data: text.subarray(0, 16), memSize: 0x3000 }] });
    const free = machine.pmm.blocksFree();
    const loaded = loadElf(space, bytes, { lazy: true });
    assert.equal(machine.pmm.blocksFree(), free, "nothing allocated yet");
    const fetch = driver.run({ task: space, vaddr: 0x40_1005n, op: "fetch" });
    assert.deepEqual([fetch.faults.map((f) => f.kind), fetch.value], [["major"], 5]);
    assert.equal(driver.run({ task: space, vaddr: 0x60_2000n, op: "write", value: 1 }).faults[0]?.kind, "minor", ".bss");
    assert.equal(driver.run({ task: space, vaddr: loaded.stack.end - 8n, op: "write", value: 1 }).faults[0]?.kind, "minor");
    assert.equal(driver.run({ task: space, vaddr: 0x40_0000n, op: "write" }).faults[0]?.kind, "segfault");
  });
});

describe("copy-on-write fork", () => {
  test("after fork + writes in both, each sees its own data; the last writer takes the frame over; accounting is exact", () => {
    const { machine, driver, space: parent } = boot32();
    const before = machine.pmm.blocksFree();
    parent.reserveLazy(0x1000_0000, 2, RW);
    driver.run({ task: parent, vaddr: 0x1000_0000, op: "write", value: 0xaa });
    driver.run({ task: parent, vaddr: 0x1000_1000, op: "write", value: 0xbb });
    const used = before - machine.pmm.blocksFree();
    const child = driver.fork(parent);
    assert.equal(before - machine.pmm.blocksFree(), used + 2, "fork took only the child's root and page table, no data frame");
    const read = driver.run({ task: child, vaddr: 0x1000_0000, op: "read" });
    assert.deepEqual([read.value, read.faults], [0xaa, []], "the child reads the shared frame without a fault");
    const parentPhys = driver.run({ task: parent, vaddr: 0x1000_0000, op: "read" }).physical;
    assert.equal(read.physical, parentPhys, "one frame for both");
    assert.equal(frameRefsOf(machine.pmm).count((parentPhys ?? 0) - (parentPhys ?? 0) % 4096), 2);
    const childWrite = driver.run({ task: child, vaddr: 0x1000_0000, op: "write", value: 0xcc });
    assert.deepEqual(childWrite.faults.map((f) => f.kind), ["cow-copy"]);
    assert.equal(before - machine.pmm.blocksFree(), used + 3, "one new frame for the child's copy");
    const parentWrite = driver.run({ task: parent, vaddr: 0x1000_0000, op: "write", value: 0xdd });
    assert.deepEqual(parentWrite.faults.map((f) => f.kind), ["cow-reuse"], "the parent holds the last reference");
    assert.equal(parentWrite.physical, parentPhys);
    assert.equal(driver.run({ task: child, vaddr: 0x1000_0000, op: "read" }).value, 0xcc);
    assert.equal(driver.run({ task: parent, vaddr: 0x1000_0000, op: "read" }).value, 0xdd);
    assert.equal(driver.run({ task: child, vaddr: 0x1000_1000, op: "read" }).value, 0xbb);
    parent.destroy();
    assert.equal(driver.run({ task: child, vaddr: 0x1000_1000, op: "read" }).value, 0xbb, "the child keeps the shared page after the parent exits");
    child.destroy();
    assert.equal(machine.pmm.blocksFree(), before + 1, "everything back, and the parent's root");
  });

  test("fork through the driver drops the parent's writable TLB entry, so its next write faults instead of writing the shared frame", () => {
    const machine = tableMachine("x86-64");
    const driver = new AccessDriver(machine.mmu);
    const parent = AddressSpace.create(machine.kernel);
    parent.reserveLazy(0x40_0000n, 1, RW);
    driver.run({ task: parent, vaddr: 0x40_0000n, op: "write", value: 1 });
    driver.run({ task: parent, vaddr: 0x40_0000n, op: "write", value: 2 });
    const child = driver.fork(parent);
    assert.deepEqual(driver.run({ task: parent, vaddr: 0x40_0000n, op: "write", value: 3 }).faults.map((f) => f.kind), ["cow-copy"]);
    assert.equal(driver.run({ task: child, vaddr: 0x40_0000n, op: "read" }).value, 2);
  });

  test("property: any sequence of fork/exec/write/read/exit keeps every task's data and frames exact (x86-64, lazy ELF)", () => {
    const text = new Uint8Array(0x1000).fill(0x90);
    const elf = buildElf({ bits: 64, machine: EM_X86_64, entry: 0x40_0000, segments: [{ vaddr: 0x40_0000, flags: PF_R | PF_X, data: text }, { vaddr: 0x60_0000, flags: PF_R | PF_W, data: new Uint8Array([7, 7]), memSize: 0x4000 }] });
    const op = fc.oneof(
      fc.record({ op: fc.constant("fork" as const), task: fc.nat() }),
      fc.record({ op: fc.constant("exec" as const), task: fc.nat() }),
      fc.record({ op: fc.constant("exit" as const), task: fc.nat() }),
      fc.record({ op: fc.constantFrom("write" as const, "read" as const), task: fc.nat(), page: fc.integer({ min: 0, max: 3 }), value: fc.integer({ min: 1, max: 255 }) }),
    );
    assertProperty(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const machine = tableMachine("x86-64", { memoryBytes: 8 * 0x10_0000 });
        const driver = new AccessDriver(machine.mmu);
        const refs = frameRefsOf(machine.pmm);
        const kernelTables = new Set(machine.mapper.tables(machine.kernel.root));
        const before = machine.pmm.blocksFree();
        const exec = (): AddressSpace<bigint> => {
          const s = AddressSpace.create(machine.kernel);
          loadElf(s, elf, { lazy: true });
          return s;
        };
        const tasks: { space: AddressSpace<bigint>; data: Map<number, number> }[] = [{ space: exec(), data: new Map() }];
        for (const o of ops) {
          const t = tasks[o.task % Math.max(1, tasks.length)];
          if (o.op === "fork" && t !== undefined) tasks.push({ space: driver.fork(t.space), data: new Map(t.data) });
          else if (o.op === "exec" && t !== undefined) {
            t.space.destroy();
            t.space = exec();
            t.data = new Map();
          } else if (o.op === "exit" && t !== undefined) {
            t.space.destroy();
            tasks.splice(tasks.indexOf(t), 1);
          } else if ((o.op === "write" || o.op === "read") && t !== undefined) {
            const vaddr = 0x60_0000n + BigInt(o.page * 0x1000 + 8);
            const r = driver.run({ task: t.space, vaddr, op: o.op, value: o.value });
            if (o.op === "write") t.data.set(o.page, o.value);
            else assert.equal(r.value, t.data.get(o.page) ?? 0, `task reads its own byte of page ${o.page}`);
          }
          assertFrameAccounting(machine, refs, kernelTables, tasks.map((t) => t.space), before);
        }
        for (const { space } of tasks) space.destroy();
        assert.equal(machine.pmm.blocksFree(), before);
      }),
      { seed: 0xc0f0, numRuns: 40 },
    );
  });
});
