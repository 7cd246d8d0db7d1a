import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { boot, DEFAULT_PROFILE } from "../../src/boot/index.js";
import { bootMode } from "../../src/boot/mode-boot.js";
import { readModeProfile } from "../../src/boot/mode-profile.js";
import { PAGING_MODES } from "../../src/boot/modes.js";
import { hex } from "../../src/format.js";
import { kernelHalfOf } from "../../src/process/kernel-half.js";
import type { Address } from "../../src/types.js";
import { faultRows, faultText, frameRows, processRows } from "../../view/process-rows.js";
import { PROGRAM_IMAGE, ProcessTable, processTableOfMode } from "../../view/processes.js";

const DATA = 0x0060_0000;
const TEXT = 0x0040_0000;

function x86Table(): { table: ProcessTable<number>; cr3: () => number; kernelRoot: number } {
  const machine = boot(DEFAULT_PROFILE);
  return { table: new ProcessTable(kernelHalfOf(machine), machine.mmu), cr3: () => machine.mmu.cr3, kernelRoot: machine.cr3 };
}

/** Runs `check` on a process table of `mode`'s booted profile, in that mode's address type. */
function withModeTable(mode: string, check: <A extends Address>(table: ProcessTable<A>) => void): void {
  const machine = bootMode(readModeProfile(JSON.parse(readFileSync(`profiles/${mode}.json`, "utf8"))));
  const any = processTableOfMode(machine);
  if (any.wide) check(any.table);
  else check(any.table);
}

function kinds(table: ProcessTable<number>, pid: number, vaddr: number, op: "read" | "write" | "fetch", value = 0): string[] {
  return table.access(pid, vaddr, op, value).faults.map((f) => f.kind);
}

describe("ProcessTable (the Processes panel's model)", () => {
  test("start lays out text, data/heap, a guard page and a stack ending at the top of the user half, none resident", () => {
    const { table } = x86Table();
    const p = table.start();
    const [row] = processRows(table.list(), table.active());
    assert.equal(p.pid, 1);
    assert.deepEqual(
      row?.regions.map((r) => `${hex(r.start)}-${hex(r.end)} ${r.rights} ${r.label} ${String(r.resident)}/${String(r.pages)}`),
      ["0x00400000-0x00402000 r-x text 0/2", "0x00600000-0x00610000 rwx data/heap 0/16", "0xBFFF7000-0xBFFF8000 --- stack guard 0/1", "0xBFFF8000-0xC0000000 rwx stack 0/8"],
      "32-bit x86 paging cannot refuse execution, so data and stack are executable there",
    );
    assert.equal(row?.resident, 0);
    assert.equal(row?.active, false, "a started process is not running until switched to or accessed");
  });

  test("a fetch of text is a major fault reading the program image; a data write a minor fault; each counted", () => {
    const { table } = x86Table();
    const { pid } = table.start();
    assert.deepEqual(kinds(table, pid, TEXT, "fetch"), ["major"]);
    assert.equal(table.access(pid, TEXT, "read").value, PROGRAM_IMAGE[0]);
    assert.deepEqual(kinds(table, pid, DATA + 5, "write", 0x41), ["minor"]);
    assert.equal(table.access(pid, DATA + 5, "read").value, 0x41);
    const [row] = processRows(table.list(), table.active());
    assert.deepEqual({ ...row?.faults }, { minor: 1, major: 1, cowCopies: 0, cowReuses: 0, segfaults: 0, evictions: 0 });
    assert.equal(row?.resident, 2);
    assert.equal(row?.active, true, "the driver switched CR3 to the process");
  });

  test("fork shares the written data frame copy-on-write; a write in the child copies it, leaving two private frames", () => {
    const { table } = x86Table();
    const parent = table.start();
    table.access(parent.pid, DATA, "write", 1);
    const child = table.fork(parent.pid);
    const dataFrames = (): ReturnType<typeof frameRows>[number][] =>
      frameRows(table.list(), (f) => table.references(f)).filter((r) => r.owners.some((o) => o.vaddr === BigInt(DATA)));
    const shared = dataFrames();
    assert.equal(shared.length, 1, "one frame behind 0x00600000 in both");
    assert.deepEqual(shared[0]?.owners.map((o) => [o.pid, o.cow, o.writable]), [[parent.pid, true, false], [child.pid, true, false]]);
    assert.equal(shared[0]?.references, 2);
    assert.equal(shared[0]?.cow, true);

    const record = table.access(child.pid, DATA, "write", 2);
    const rows = faultRows(child.pid, DATA, "write", record.faults);
    assert.deepEqual(rows.map((r) => faultText(r, (v) => hex(v))), ["pid 2 write 0x00600000: cow-copy"]);
    const split = dataFrames();
    assert.equal(split.length, 2, "the copy appeared");
    assert.deepEqual(split.map((r) => [r.references, r.cow, r.owners.length]), [[1, false, 1], [1, false, 1]]);
    assert.notEqual(split[0]?.frame, split[1]?.frame);
    assert.equal(table.access(parent.pid, DATA, "read").value, 1);
    assert.equal(table.access(child.pid, DATA, "read").value, 2);
  });

  test("switch moves CR3; exit of the running process loads the kernel's root; the free-frame count returns exactly", () => {
    const { table, cr3, kernelRoot } = x86Table();
    const before = table.freeFrames();
    const parent = table.start();
    table.access(parent.pid, DATA, "write", 1);
    const beforeFork = table.freeFrames();
    const child = table.fork(parent.pid);
    table.access(child.pid, DATA, "write", 2);
    assert.equal(cr3(), child.space.root);
    table.switchTo(parent.pid);
    assert.equal(cr3(), parent.space.root);
    assert.equal(table.active()?.pid, parent.pid);
    table.switchTo(child.pid);
    table.exit(child.pid);
    assert.equal(cr3(), kernelRoot, "the kernel's root is loaded when the running process exits");
    assert.equal(table.loadedRoot(), kernelRoot);
    assert.equal(table.freeFrames(), beforeFork, "the child's frame, tables and root are back");
    table.exit(parent.pid);
    assert.equal(table.freeFrames(), before);
    assert.deepEqual(table.list(), []);
  });

  test("segfaults carry their reason; unknown pids and kernel addresses are refused before anything runs", () => {
    const { table } = x86Table();
    const { pid, space } = table.start();
    const guard = table.layout.guard.start;
    const record = table.access(pid, TEXT, "write", 9);
    assert.equal(record.physical, null);
    assert.deepEqual(faultRows(pid, TEXT, "write", record.faults).map((r) => faultText(r, (v) => hex(v))), ["pid 1 write 0x00400000: segfault (read-only)"]);
    assert.deepEqual(faultRows(pid, guard, "read", table.access(pid, guard, "read").faults).map((r) => [r.kind, r.reason]), [["segfault", "unmapped"]]);
    assert.equal(space.faults.segfaults, 2);
    assert.throws(() => table.access(pid, 0xc010_0000, "read"), /Cannot access 0xC0100000 as a user: it is not in the user half 0x0–0xBFFFFFFF/);
    assert.throws(() => table.fork(7), /Cannot find process 7: live pids are 1/);
    table.exit(pid);
    assert.throws(() => table.switchTo(pid), /Cannot find process 1: no process is running/);
  });

  test("frameRows counts a frame's mappings when the frame table does not count it, and lists frames in address order", () => {
    const { table } = x86Table();
    const { pid } = table.start();
    table.access(pid, DATA + 0x1000, "write", 1);
    table.access(pid, DATA, "write", 1);
    const rows = frameRows(table.list(), () => 0);
    assert.deepEqual(rows.map((r) => r.references), [1, 1]);
    assert.ok((rows[0]?.frame ?? 0) < (rows[1]?.frame ?? 0), "ascending frames");
  });

  test("x86-64: data is non-executable (a fetch segfaults with no-execute), the stack ends at the top of the lower half", () => {
    withModeTable("x86-64", (table) => {
      const { pid } = table.start();
      assert.deepEqual(faultRows(pid, table.layout.data.start, "fetch", table.access(pid, table.layout.data.start, "fetch").faults).map((r) => faultText(r, (v) => hex(v, 16))), [
        "pid 1 fetch 0x0000000000600000: segfault (no-execute)",
      ]);
      const [row] = processRows(table.list(), table.active());
      assert.deepEqual(row?.regions.map((r) => `${hex(r.end, 16)} ${r.rights} ${r.label}`), [
        "0x0000000000402000 r-x text",
        "0x0000000000610000 rw- data/heap",
        "0x00007FFFFFFF8000 --- stack guard",
        "0x0000800000000000 rw- stack",
      ]);
    });
  });

  for (const mode of PAGING_MODES) {
    test(`${mode}: start, write, fork, write in the child (cow-copy), exit both: the free-frame count returns exactly`, () => {
      withModeTable(mode, (table) => {
      const data = table.layout.data.start;
      const before = table.freeFrames();
      const parent = table.start();
      assert.deepEqual(table.access(parent.pid, data, "write", 1).faults.map((f) => f.kind), ["minor"]);
      const child = table.fork(parent.pid);
      assert.deepEqual(table.access(child.pid, data, "write", 2).faults.map((f) => f.kind), ["cow-copy"]);
      assert.equal(table.loadedRoot(), child.space.root);
      assert.equal(table.access(parent.pid, data, "read").value, 1);
      table.exit(parent.pid);
      assert.equal(table.loadedRoot(), table.kernel.root);
      table.exit(child.pid);
      assert.equal(table.freeFrames(), before);
      });
    });
  }
});
