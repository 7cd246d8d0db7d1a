import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { boot } from "../../src/boot/boot.js";
import { DEFAULT_PROFILE } from "../../src/boot/default-profile.js";
import { ProcessError } from "../../src/errors/process-error.js";
import { AccessDriver } from "../../src/process/access-driver.js";
import { AddressSpace } from "../../src/process/address-space.js";
import { frameRefsOf } from "../../src/process/frame-refs.js";
import { kernelHalfOf } from "../../src/process/kernel-half.js";
import { tableMachine } from "../../src/process/machines.js";
import { type ReplacementPolicyName, createReplacementPolicy } from "../../src/process/replacement.js";
import { SwapDevice } from "../../src/process/swap.js";
import { assertFrameAccounting } from "../helpers/frame-accounting.js";
import { assertProperty } from "../helpers/property.js";

const RW = { kernel: false, writable: true, cachable: true };
const BASE = 0x1000_0000;
const BELADY = [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5];

/** Runs reads of `trace` (page indices) through a fresh 32-bit task bounded to `frames`; returns the faults taken. */
function faultsOf(trace: readonly number[], frames: number, policy: ReplacementPolicyName): { faults: number; task: AddressSpace<number>; device: SwapDevice } {
  const machine = boot(DEFAULT_PROFILE);
  const driver = new AccessDriver(machine.mmu);
  const task = AddressSpace.create(kernelHalfOf(machine));
  const device = new SwapDevice(64);
  task.reserveLazy(BASE, 16, RW);
  task.enableSwap({ frames, policy, device, future: trace.map((p) => BASE / 4096 + p) });
  let faults = 0;
  for (const page of trace) faults += driver.run({ task, vaddr: BASE + page * 4096 + 4, op: "read" }).faults.length;
  return { faults, task, device };
}

/** The textbook count: the policy alone over the reference string (no MMU, no OS). */
function modelFaults(trace: readonly number[], frames: number, policy: ReplacementPolicyName): number {
  const p = createReplacementPolicy<number>(policy, { frames, future: trace });
  let faults = 0;
  for (const page of trace) {
    if (!p.has(page)) {
      faults++;
      if (p.size === frames) p.evict();
      p.admit(page);
    }
    p.reference(page);
  }
  return faults;
}

describe("page replacement with a swap device", () => {
  test("Belady's anomaly: FIFO takes 9 faults with 3 frames and 10 with 4 on 1 2 3 4 1 2 5 1 2 3 4 5", () => {
    assert.equal(faultsOf(BELADY, 3, "fifo").faults, 9);
    assert.equal(faultsOf(BELADY, 4, "fifo").faults, 10);
  });

  test("every policy faults as the textbook simulation does (Clock through the MMU's accessed bits)", () => {
    const trace = [0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1, 5, 6, 5, 2, 1];
    for (const policy of ["fifo", "lru", "clock", "opt"] as const) {
      for (const frames of [2, 3, 4]) {
        assert.equal(faultsOf(trace, frames, policy).faults, modelFaults(trace, frames, policy), `${policy} with ${frames} frames`);
      }
    }
  });

  test("pages written to swap come back with their bytes; resident frames stay within the bound", () => {
    const machine = boot(DEFAULT_PROFILE);
    const driver = new AccessDriver(machine.mmu);
    const task = AddressSpace.create(kernelHalfOf(machine));
    const device = new SwapDevice(8);
    task.reserveLazy(BASE, 6, RW);
    task.enableSwap({ frames: 2, policy: "lru", device });
    const before = machine.pmm.blocksFree();
    for (let p = 0; p < 6; p++) driver.run({ task, vaddr: BASE + p * 4096 + 100, op: "write", value: 10 + p });
    assert.equal(task.regions()[0]?.frames, 2, "two resident pages");
    assert.equal(task.swappedPages, 4);
    assert.equal(machine.pmm.blocksFree(), before - 3, "two frames and the page table in use");
    for (let p = 0; p < 6; p++) assert.equal(driver.run({ task, vaddr: BASE + p * 4096 + 100, op: "read" }).value, 10 + p, `page ${p}`);
    assert.ok(device.writes >= 8 && device.reads >= 4, `swap I/O: ${device.writes} writes, ${device.reads} reads`);
    assert.equal(task.faults.major, device.reads, "every swap-in is a major fault");
    task.destroy();
    assert.equal(device.used, 0, "destroy frees the swap slots");
  });

  test("a full swap device makes the fault OutOfMemory and changes nothing", () => {
    const machine = boot(DEFAULT_PROFILE);
    const driver = new AccessDriver(machine.mmu);
    const task = AddressSpace.create(kernelHalfOf(machine));
    task.reserveLazy(BASE, 4, RW);
    task.enableSwap({ frames: 1, policy: "fifo", device: new SwapDevice(1) });
    driver.run({ task, vaddr: BASE, op: "write", value: 1 });
    driver.run({ task, vaddr: BASE + 4096, op: "write", value: 2 });
    const free = machine.pmm.blocksFree();
    assert.throws(() => driver.run({ task, vaddr: BASE + 8192, op: "read" }), (e: unknown) => e instanceof ProcessError && e.code === "OutOfMemory");
    assert.equal(machine.pmm.blocksFree(), free);
    assert.equal(driver.run({ task, vaddr: BASE + 4096, op: "read" }).value, 2, "the resident page is still there");
    assert.equal(driver.run({ task, vaddr: BASE + 4096, op: "read" }).faults.length, 0);
  });

  test("property: fork/exec/write/read/exit with swap keeps every task's bytes, every frame and every swap slot exact", () => {
    const op = fc.oneof(
      fc.record({ op: fc.constant("fork" as const), task: fc.nat() }),
      fc.record({ op: fc.constant("exec" as const), task: fc.nat(), policy: fc.constantFrom("fifo" as const, "lru" as const, "clock" as const), frames: fc.integer({ min: 1, max: 4 }) }),
      fc.record({ op: fc.constant("exit" as const), task: fc.nat() }),
      fc.record({ op: fc.constantFrom("write" as const, "read" as const), task: fc.nat(), page: fc.integer({ min: 0, max: 5 }), value: fc.integer({ min: 1, max: 255 }) }),
    );
    assertProperty(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const machine = tableMachine("x86-64", { memoryBytes: 8 * 0x10_0000 });
        const driver = new AccessDriver(machine.mmu);
        const device = new SwapDevice(256);
        const refs = frameRefsOf(machine.pmm);
        const kernelTables = new Set(machine.mapper.tables(machine.kernel.root));
        const before = machine.pmm.blocksFree();
        const exec = (policy: ReplacementPolicyName, frames: number): AddressSpace<bigint> => {
          const s = AddressSpace.create(machine.kernel);
          s.reserveLazy(0x40_0000n, 6, RW);
          s.enableSwap({ frames, policy, device });
          return s;
        };
        const tasks = [{ space: exec("clock", 2), data: new Map<number, number>() }];
        for (const o of ops) {
          const t = tasks[o.task % Math.max(1, tasks.length)];
          if (t === undefined) continue;
          if (o.op === "fork") tasks.push({ space: driver.fork(t.space), data: new Map(t.data) });
          else if (o.op === "exec") {
            t.space.destroy();
            t.space = exec(o.policy, o.frames);
            t.data = new Map();
          } else if (o.op === "exit") {
            t.space.destroy();
            tasks.splice(tasks.indexOf(t), 1);
          } else {
            const r = driver.run({ task: t.space, vaddr: 0x40_0000n + BigInt(o.page * 4096 + 8), op: o.op, value: o.value });
            if (o.op === "write") t.data.set(o.page, o.value);
            else assert.equal(r.value, t.data.get(o.page) ?? 0, `page ${o.page} reads back`);
          }
          for (const { space } of tasks) {
            const resident = machine.mapper.mappings(space.root).filter((m) => m.user).length;
            assert.ok(resident <= 4, `within the resident bound, not ${resident}`);
          }
          assertFrameAccounting(machine, refs, kernelTables, tasks.map((t) => t.space), before, device);
        }
        for (const { space } of tasks) space.destroy();
        assert.equal(machine.pmm.blocksFree(), before);
        assert.equal(device.used, 0);
      }),
      { seed: 0x5a4b, numRuns: 30 },
    );
  });
});
