import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { boot } from "../../src/boot/boot.js";
import { DEFAULT_PROFILE } from "../../src/boot/default-profile.js";
import { ScriptError } from "../../src/errors/script-error.js";
import { AccessDriver } from "../../src/process/access-driver.js";
import { AddressSpace } from "../../src/process/address-space.js";
import { EM_386, PF_R, PF_X } from "../../src/process/elf.js";
import { kernelHalfOf } from "../../src/process/kernel-half.js";
import { parseScript } from "../../src/process/script.js";
import type { LineResult, ScriptRun } from "../../src/process/script-results.js";
import { type RunScriptOptions, type ScriptMachine, runScript } from "../../src/process/script-run.js";
import { buildElf } from "./elf-builder.js";

function x86(): ScriptMachine {
  const machine = boot(DEFAULT_PROFILE);
  return { kernel: kernelHalfOf(machine), mmu: machine.mmu };
}

function run(text: string, options: Partial<RunScriptOptions> = {}): ScriptRun {
  return runScript(parseScript(text), { boot: x86, ...options });
}

/** The access detail of result `line` (1-based script line). */
function access(result: ScriptRun, line: number): { faults: string[]; physical: number | null; value: number | null } {
  const d = detailOf(result, line);
  assert.equal(d?.type, "access", `line ${String(line)} is an access`);
  if (d?.type !== "access") return { faults: [], physical: null, value: null };
  return { faults: d.faults.map((f) => f.kind), physical: d.physical, value: d.value };
}

function detailOf(result: ScriptRun, line: number): LineResult["detail"] | undefined {
  return result.lines.find((l) => l.command.line === line)?.detail;
}

const RW = { kernel: false, writable: true, cachable: true };

describe("runScript", () => {
  test("every access gives what the library gives for the same operations on a fresh machine", () => {
    const result = run("spawn A\nmap A 0x10000000 2 rw lazy\nwrite A 0x10000010 0x5a\nfork A B\nread B 0x10000010\nwrite B 0x10000010 7\nwrite A 0x10001000 1\nread A 0x10000010\n");
    const machine = boot(DEFAULT_PROFILE);
    const driver = new AccessDriver(machine.mmu, { audit: true });
    const a = AddressSpace.create(kernelHalfOf(machine));
    a.reserveLazy(0x1000_0000, 2, RW);
    const want = [driver.run({ task: a, vaddr: 0x1000_0010, op: "write", value: 0x5a })];
    const b = driver.fork(a);
    want.push(driver.run({ task: b, vaddr: 0x1000_0010, op: "read" }), driver.run({ task: b, vaddr: 0x1000_0010, op: "write", value: 7 }));
    want.push(driver.run({ task: a, vaddr: 0x1000_1000, op: "write", value: 1 }), driver.run({ task: a, vaddr: 0x1000_0010, op: "read" }));
    const got = [3, 5, 6, 7, 8].map((line) => access(result, line));
    assert.deepEqual(got, want.map((w) => ({ faults: w.faults.map((f) => f.kind), physical: w.physical, value: w.value })));
    assert.deepEqual(driver.stale, []);
  });

  test("fork then a write in the child: cow-copy into a second frame, each task keeps its byte", () => {
    const result = run("spawn A\nmap A 0x10000000 1 rw lazy\nwrite A 0x10000000 1\nfork A B\nwrite B 0x10000000 2\nread A 0x10000000\nread B 0x10000000\n");
    const fork = detailOf(result, 4);
    assert.equal(fork?.type === "created" ? fork.shared : null, 1, "one frame shared at fork");
    const copy = access(result, 5);
    assert.deepEqual(copy.faults, ["cow-copy"]);
    assert.equal(result.lines[4]?.frames, 1, "the copy takes one frame");
    const parent = access(result, 6);
    const child = access(result, 7);
    assert.deepEqual([parent.value, child.value], [1, 2]);
    assert.notEqual(parent.physical, child.physical, "two frames");
    assert.deepEqual(result.shared, [], "nothing shared after the copy");
    assert.deepEqual(result.tasks.map((t) => [t.name, t.faults.cowCopies, t.resident]), [["A", 0, 1], ["B", 1, 1]]);
  });

  test("frames still shared at the end are listed with the pages mapping them", () => {
    const result = run("spawn A\nmap A 0x10000000 2 rw\nfork A B\nwrite A 0x10001000 1\n");
    assert.equal(result.shared.length, 1);
    assert.deepEqual(result.shared[0]?.pages.map((p) => [p.task, p.vaddr]), [["A", 0x1000_0000], ["B", 0x1000_0000]]);
  });

  test("exit returns every frame: at the end when all tasks exited, and after the runner exits the live ones", () => {
    const all = run("spawn A\nmap A 0x10000000 3 rw\nfork A B\nwrite B 0x10000000 1\nexit A\nexit B\n");
    assert.equal(all.pmm.freeAtEnd, all.pmm.freeBefore);
    assert.equal(all.pmm.freeAfterExit, all.pmm.freeBefore);
    const live = run("spawn A\nmap A 0x10000000 3 rw\nfork A B\n");
    assert.ok(live.pmm.freeAtEnd < live.pmm.freeBefore, "the live tasks hold frames at the end");
    assert.equal(live.pmm.freeAfterExit, live.pmm.freeBefore);
    assert.deepEqual(live.tasks.map((t) => t.exitedAt), [null, null]);
    assert.equal(live.lines.reduce((n, l) => n + l.frames, 0), live.pmm.freeBefore - live.pmm.freeAtEnd, "the lines' frames add up");
  });

  test("a system-wide bound holds over every task; a per-task bound over each", () => {
    const touches = (task: string): string => [0, 1, 2, 3].map((i) => `write ${task} 0x1000${String(i)}000 ${String(i)}`).join("\n");
    const system = run(`swap 3 lru\nspawn A\nmap A 0x10000000 4 rw lazy\nspawn B\nmap B 0x10000000 4 rw lazy\n${touches("A")}\n${touches("B")}\nread A 0x10003000\n${touches("A")}\n`);
    assert.ok(system.tasks.reduce((n, t) => n + t.resident, 0) <= 3, "at most 3 resident in all");
    assert.equal(system.tasks.reduce((n, t) => n + t.resident + t.swapped, 0), 8, "every page resident or on swap");
    assert.ok(system.lines.some((l) => l.evicted.some((e) => e.task === "A")) && system.lines.some((l) => l.evicted.some((e) => e.task === "B")), "both tasks lose pages");
    assert.deepEqual(access(system, 14), { faults: ["major"], physical: access(system, 14).physical, value: 3 }, "A's page comes back from swap with its byte");
    const perTask = run(`swap 2 fifo per-task\nspawn A\nmap A 0x10000000 4 rw lazy\nspawn B\nmap B 0x10000000 4 rw lazy\n${touches("A")}\n${touches("B")}\n`);
    assert.deepEqual(perTask.tasks.map((t) => [t.resident, t.swapped]), [[2, 2], [2, 2]]);
    assert.deepEqual(perTask.lines.flatMap((l) => l.evicted.map((e) => e.task)), ["A", "A", "B", "B"], "each task evicts its own pages");
    const eager = run("swap 2 fifo\nspawn A\nmap A 0x10000000 4 rw\nread A 0x10000000\n");
    assert.deepEqual(eager.lines.map((l) => [l.evictions, l.evicted.length]), [[0, 0], [0, 0], [2, 0], [1, 1]], "an eager map beyond the bound evicts pages it made resident");
    assert.deepEqual(eager.lines[3]?.evicted.map((e) => e.vaddr), [0x1000_2000]);
  });

  test("Belady's anomaly: examples/belady.kmem faults 9 times with 3 FIFO frames, 10 with 4; OPT 7 and 6", () => {
    const text = readFileSync(new URL("../../examples/belady.kmem", import.meta.url), "utf8");
    const faults = (r: ScriptRun): number[] => r.tasks.map((t) => t.faults.minor + t.faults.major);
    assert.deepEqual(faults(run(text)), [9, 10]);
    assert.deepEqual(faults(run(text.replaceAll("fifo", "opt per-task"))), [7, 6]);
    assert.deepEqual(faults(run(text.replaceAll("fifo", "opt"))), [7, 6], "a system-wide OPT pool with one member");
  });

  test("OPT boots a machine for a rehearsal run, then runs with each task's future", () => {
    let boots = 0;
    const counted = (): ScriptMachine => {
      boots++;
      return x86();
    };
    run("swap 1 opt\nspawn A\nmap A 0x10000000 2 rw lazy\nread A 0x10000000\nread A 0x10001000\n", { boot: counted });
    assert.equal(boots, 2);
    boots = 0;
    run("swap 1 lru\nspawn A\n", { boot: counted });
    assert.equal(boots, 1);
  });

  test("a refusal is a result and the script goes on; lines naming a task whose creation was refused are skipped", () => {
    const result = run("spawn A\nmap A 0x10000000 1 rw\nmap A 0x10000000 1 rw\nunmap A 0x10000000 0x10003000\nload B x.elf\nread B 0x1000\nread A 0x10000000\n", { readFile: () => new Uint8Array([1, 2, 3]) });
    assert.deepEqual(result.lines.map((l) => l.detail.type), ["created", "range", "refused", "refused", "refused", "skipped", "access"]);
    const refused = result.lines[3]?.detail;
    assert.equal(refused?.type === "refused" ? refused.code : null, "InvalidRange");
    const skipped = result.lines[5]?.detail;
    assert.equal(skipped?.type === "skipped" ? skipped.reason : null, "task B does not exist: line 5, which creates it, was refused");
    assert.deepEqual(result.lines.slice(2, 6).map((l) => l.frames), [0, 0, 0, 0], "refusals change nothing");
    assert.equal(result.pmm.freeAfterExit, result.pmm.freeBefore);
  });

  test("a segfault is a normal result with its reason", () => {
    const result = run("spawn A\nmap A 0x10000000 1 r\nwrite A 0x10000000 1\nread A 0x20000000\nguard A 0x10001000 1\nread A 0x10001000\n");
    const reasons = [3, 4, 6].map((line) => {
      const d = detailOf(result, line);
      return d?.type === "access" ? d.faults.map((f) => (f.kind === "segfault" ? f.reason : f.kind)) : [];
    });
    assert.deepEqual(reasons, [["read-only"], ["unmapped"], ["unmapped"]]);
    assert.equal(result.tasks[0]?.faults.segfaults, 3);
  });

  test("a new task on the root frame of one that exited reads its own zeroed page, with no stale translation", () => {
    const result = run("spawn A\nmap A 0x10000000 1 rw\nwrite A 0x10000000 9\nexit A\nspawn B\nmap B 0x10000000 1 rw\nread B 0x10000000\n");
    const a = detailOf(result, 1);
    const b = detailOf(result, 5);
    assert.equal(a?.type === "created" && b?.type === "created" && a.root === b.root, true, "B reuses A's root frame");
    assert.equal(access(result, 7).value, 0, "B reads its own zeroed page");
    assert.deepEqual(result.lines.flatMap((l) => l.stale), []);
  });

  test("load maps an ELF file (lazy: the first fetch reads the file image, a major fault)", () => {
    const code = new Uint8Array([0x90, 0xc3]);
    const elf = buildElf({ bits: 32, machine: EM_386, entry: 0x0804_8000, segments: [{ vaddr: 0x0804_8000, flags: PF_R | PF_X, data: code }] });
    const files: string[] = [];
    const result = run("load P prog.elf lazy\nfetch P 0x08048001\n", { readFile: (path) => (files.push(path), elf) });
    assert.deepEqual(files, ["prog.elf"]);
    const created = detailOf(result, 1);
    assert.equal(created?.type === "created" ? created.entry : null, 0x0804_8000);
    assert.deepEqual(access(result, 2), { faults: ["major"], physical: access(result, 2).physical, value: 0xc3 });
    assert.deepEqual(result.tasks[0]?.regions.map((r) => [r.label, r.paging]), [["PT_LOAD 0", "lazy"], ["stack guard", "guard"], ["stack", "lazy"]]);
  });

  test("before anything runs: an address beyond 4 GiB on a 32-bit machine, an unreadable file (ScriptError with the line)", () => {
    let booted = 0;
    const boot32 = (): ScriptMachine => {
      booted++;
      return x86();
    };
    assert.throws(() => run("spawn A\nread A 0x1_0000_0000\n", { boot: boot32 }), (e: unknown) => e instanceof ScriptError && e.code === "BadArgument" && e.data.line === 2 && /beyond 4 GiB/.test(e.message));
    assert.throws(
      () => run("spawn A\nload B missing.elf\n", { readFile: () => { throw new Error("ENOENT"); } }),
      (e: unknown) => e instanceof ScriptError && e.code === "UnreadableFile" && e.message === "line 2: cannot read missing.elf: ENOENT",
    );
    assert.equal(booted, 1);
  });
});
