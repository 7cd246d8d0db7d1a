import assert from "node:assert/strict";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { riscvCodec } from "../../../src/arch/riscv/codec.js";
import { CR0_PG, CR4_PAE } from "../../../src/arch/x86/entry64.js";
import { boot } from "../../../src/boot/boot.js";
import { DEFAULT_PROFILE } from "../../../src/boot/default-profile.js";
import { exportMachine } from "../../../src/boot/export.js";
import { runInspect } from "../../../src/cli/commands/inspect.js";
import { UsageError } from "../../../src/cli/usage-error.js";
import { TableMapper } from "../../../src/paging/table-mapper.js";
import { PhysicalMemory } from "../../../src/ram.js";
import { TestFrames } from "../../arch/x86/support.js";
import { writeCore } from "../../helpers/elf-core.js";
import { KERNEL_RO_X, KERNEL_RW_NX, KERNEL_RW_X, USER_RW_NX, longModeMachine, scratch, writeLongModeCore } from "../../inspect/support.js";

const dir = scratch();
after(() => rmSync(dir, { recursive: true, force: true }));

/** A small Linux-like x86-64 kernel: text (one 2 MiB page), direct map, a user page, one W+X module page. */
function kernelCore(name = "vm.core"): { path: string; root: number; ram: Uint8Array } {
  const m = longModeMachine("x86-64", true);
  m.mapper.map(0xffff_ffff_8100_0000n, 0xffff_ffff_8120_0000n, 0x20_0000n, 0x40_0000n, KERNEL_RO_X, m.root);
  m.mapper.map(0xffff_8880_0000_0000n, 0xffff_8880_0000_4000n, 0n, 0x4000n, KERNEL_RW_NX, m.root);
  m.mapper.map(0x40_0000n, 0x40_2000n, 0x70_0000n, 0x70_2000n, USER_RW_NX, m.root);
  m.mapper.map(0xffff_ffff_a000_0000n, 0xffff_ffff_a000_1000n, 0x70_3000n, 0x70_4000n, KERNEL_RW_X, m.root);
  return { path: writeLongModeCore(dir, m.ram, m.root, m.cr4, name), root: m.root, ram: m.ram.bytes };
}

const core = kernelCore();

function usageError(message: RegExp) {
  return (e: unknown): boolean => e instanceof UsageError && message.test(e.message) && !e.message.includes("\n");
}

describe("kmem inspect on an x86-64 core", () => {
  test("prints one ptdump line per run under Linux's region names, with size, flags and level", () => {
    const run = runInspect(core.path, {});
    assert.equal(run.status, 0);
    assert.equal(run.stderr, "");
    const lines = run.stdout.split("\n");
    assert.match(lines[0] ?? "", /^# .*vm\.core \(ELF core\): x86-64 tables at 0x00100000 \(mode from the QEMU note: CR0 0x80010000 CR4 0x00000020, ELF machine x86-64 \(long mode\)\); 8 leaf entries in \d+ tables$/);
    assert.deepEqual(lines.slice(1), [
      "---[ User space ]---",
      "0x0000000000400000-0x0000000000402000 0x0000000700000      8K  USR RW                     NX  pte",
      "---[ Direct map (physmap) ]---",
      "0xFFFF888000000000-0xFFFF888000004000 0x0000000000000     16K      RW                 GLB NX  pte",
      "---[ Kernel text mapping ]---",
      "0xFFFFFFFF81000000-0xFFFFFFFF81200000 0x0000000200000      2M      ro         PSE     GLB x   pmd",
      "---[ Modules ]---",
      "0xFFFFFFFFA0000000-0xFFFFFFFFA0001000 0x0000000703000      4K      RW                     x   pte",
      "",
    ]);
  });

  test("--json lists one entry per leaf, in virtual order, addresses as 0x strings", () => {
    const json = JSON.parse(runInspect(core.path, { json: true }).stdout) as { arch: string; root: string; mappings: Record<string, unknown>[] };
    assert.equal(json.arch, "x86-64");
    assert.equal(json.root, "0x100000");
    assert.deepEqual(json.mappings.map((m) => [m["virt"], m["phys"], m["size"], m["user"], m["writable"], m["executable"], m["global"]]), [
      ["0x0000000000400000", "0x700000", "0x1000", true, true, false, false],
      ["0x0000000000401000", "0x701000", "0x1000", true, true, false, false],
      ["0xFFFF888000000000", "0x0", "0x1000", false, true, false, true],
      ["0xFFFF888000001000", "0x1000", "0x1000", false, true, false, true],
      ["0xFFFF888000002000", "0x2000", "0x1000", false, true, false, true],
      ["0xFFFF888000003000", "0x3000", "0x1000", false, true, false, true],
      ["0xFFFFFFFF81000000", "0x200000", "0x200000", false, false, true, true],
      ["0xFFFFFFFFA0000000", "0x703000", "0x1000", false, true, true, false],
    ]);
    assert.deepEqual(Object.keys(json.mappings[0] ?? {}), ["virt", "phys", "size", "level", "user", "writable", "executable", "global", "accessed", "dirty", "pwt", "pcd", "pat"]);
  });

  test("--user, --kernel, --writable, --executable and --range select mappings", () => {
    const virts = (flags: Parameters<typeof runInspect>[1]): unknown[] => (JSON.parse(runInspect(core.path, { ...flags, json: true }).stdout) as { mappings: { virt: string }[] }).mappings.map((m) => m.virt);
    assert.deepEqual(virts({ user: true }), ["0x0000000000400000", "0x0000000000401000"]);
    assert.equal(virts({ kernel: true }).length, 6);
    assert.deepEqual(virts({ executable: true }), ["0xFFFFFFFF81000000", "0xFFFFFFFFA0000000"]);
    assert.deepEqual(virts({ writable: true, executable: true }), ["0xFFFFFFFFA0000000"]);
    assert.deepEqual(virts({ range: "0xffff888000001000-0xffff888000003000" }), ["0xFFFF888000001000", "0xFFFF888000002000"]);
    assert.deepEqual(virts({ range: "0xffffffff81100000-0" }), ["0xFFFFFFFF81000000", "0xFFFFFFFFA0000000"], "a large page overlapping the range is listed; END 0 is the top");
  });

  test("--translate prints every level's entry decoded; an unmapped address exits 1", () => {
    const hit = runInspect(core.path, { translate: "0xffffffff81012345" });
    assert.equal(hit.status, 0);
    assert.deepEqual(hit.stdout.split("\n"), [
      "0xFFFFFFFF81012345 -> 0x00212345 (2048 KiB page; supervisor, read-only, executable, global)",
      "  root 0x00100000 (x86-64)",
      "  PGD[0x1FF] at 0x00100FF8 = 0x0000000000101007  present writable user table 0x00101000",
      "  PUD[0x1FE] at 0x00101FF0 = 0x0000000000102007  present writable user table 0x00102000",
      "  PMD[0x008] at 0x00102040 = 0x0000000000200181  present read-only supervisor large-page global frame 0x00200000",
      "",
    ]);
    const miss = runInspect(core.path, { translate: "0x0000800000000000" });
    assert.equal(miss.status, 1);
    assert.equal(miss.stdout, "0x0000800000000000: not mapped: the address is not canonical\n  root 0x00100000 (x86-64)\n");
  });

  test("--audit lists findings and exits 1; --json --audit carries them", () => {
    const run = runInspect(core.path, { audit: true });
    assert.equal(run.status, 1);
    assert.deepEqual(run.stdout.split("\n").slice(1), ["finding: Found insecure W+X mapping at address 0xFFFFFFFFA0000000 (1 page)", "Audit failed: 1 finding", ""]);
    const json = JSON.parse(runInspect(core.path, { audit: true, json: true }).stdout) as { findings: { kind: string }[] };
    assert.deepEqual(json.findings.map((f) => f.kind), ["writableExecutable"]);
  });
});

describe("kmem inspect on raw images and exports", () => {
  test("a raw image needs --mode and --cr3; --base places its first byte", () => {
    const raw = join(dir, "ram.raw");
    writeFileSync(raw, core.ram.subarray(0x10_0000));
    assert.throws(() => runInspect(raw, {}), usageError(/^Cannot inspect a raw image without its root table: give --mode and --cr3$/));
    const run = runInspect(raw, { mode: "x86-64", cr3: "0x100000", base: "0x100000", json: true, translate: "0xffffffff81000000" });
    assert.equal((JSON.parse(run.stdout) as { physical: number }).physical, 0x20_0000);
  });

  test("a kmem export directory is read from machine.json and ram.bin", () => {
    const exported = exportMachine(boot(DEFAULT_PROFILE));
    const out = join(dir, "export");
    mkdirSync(out);
    writeFileSync(join(out, "ram.bin"), exported.ram);
    writeFileSync(join(out, "machine.json"), JSON.stringify(exported.machine));
    const run = runInspect(out, { translate: "0xc0100000" });
    assert.match(run.stdout, /^0xC0100000 -> 0x00100000 \(4 KiB page; supervisor, read-only, executable\)\n {2}root 0x00001000 \(x86\)\n/);
    const beyond = runInspect(out, { translate: "0x100000000" });
    assert.deepEqual([beyond.status, beyond.stdout.split("\n")[0]], [1, "0x100000000: not mapped: the address is beyond the 32 bits x86 translates"]);
  });
});

describe("kmem inspect on broken input: one line, exit 2, never a crash", () => {
  test("a truncated core", () => {
    const bytes = readFileSync(core.path);
    const truncated = join(dir, "truncated.core");
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 4096));
    assert.throws(() => runInspect(truncated, {}), usageError(/^Cannot read the ELF core: segment 1 .* the core is truncated$/));
  });

  test("a core without a QEMU note", () => {
    const path = join(dir, "nonote.core");
    writeFileSync(path, writeCore({ elfClass: 64, machine: 62, registers: null, segments: [{ physical: 0, bytes: new Uint8Array(4096) }] }));
    assert.throws(() => runInspect(path, {}), usageError(/no QEMU note with CR3/));
  });

  test("CR3 outside the dump", () => {
    const path = join(dir, "badcr3.core");
    writeFileSync(path, writeCore({ elfClass: 64, machine: 62, registers: { cr0: CR0_PG, cr3: 0x4000_0000, cr4: CR4_PAE }, segments: [{ physical: 0, bytes: new Uint8Array(4096) }] }));
    assert.throws(() => runInspect(path, {}), usageError(/^Cannot inspect the tables at 0x40000000: the root table lies outside the dump's RAM/));
  });

  test("a missing file and bad flags", () => {
    assert.throws(() => runInspect(join(dir, "missing"), {}), usageError(/^Cannot read .*missing: no such file or directory$/));
    assert.throws(() => runInspect(core.path, { range: "0x1000" }), usageError(/^--range "0x1000" must be START-END/));
    assert.throws(() => runInspect(core.path, { translate: "zz" }), usageError(/^--translate "zz" is not a number/));
  });
});

describe("kmem inspect in other modes", () => {
  test("an Sv39 raw image read with --satp: Linux's RISC-V regions and D A G U X W R V columns", () => {
    const ram = new PhysicalMemory(4 * 1024 * 1024);
    const mapper = new TableMapper({ codec: riscvCodec("riscv-sv39"), bus: ram, frames: new TestFrames(0x10_0000, 32), largePages: true });
    const root = mapper.createRoot();
    mapper.map(0xffff_ffff_8000_0000n, 0xffff_ffff_8020_0000n, 0x20_0000n, 0x40_0000n, KERNEL_RO_X, root);
    mapper.map(0x1_0000n, 0x1_2000n, 0x30_0000n, 0x30_2000n, USER_RW_NX, root);
    const path = join(dir, "sv39.raw");
    writeFileSync(path, ram.bytes);
    const satp = `0x${((8n << 60n) | BigInt(root / 4096)).toString(16)}`;
    const run = runInspect(path, { satp });
    assert.deepEqual(run.stdout.split("\n").slice(1), [
      "---[ User space ]---",
      "0x0000000000010000-0x0000000000012000 0x0000000300000      8K  . . . U . W R V  pte",
      "---[ Kernel ]---",
      "0xFFFFFFFF80000000-0xFFFFFFFF80200000 0x0000000200000      2M  . . G . X . R V  pmd",
      "",
    ]);
    assert.match(run.stdout, /^# .*: riscv-sv39 tables at 0x00100000 \(mode from satp 0x8000000000000100\)/);
    assert.throws(() => runInspect(path, { mode: "riscv-sv39" }), usageError(/^Cannot inspect a RISC-V dump without satp/));
  });

  test("an LA57 core: 57-bit sign-extended addresses, a 5-level walk", () => {
    const m = longModeMachine("x86-64-la57");
    m.mapper.map(0xff00_0000_0000_0000n, 0xff00_0000_0000_1000n, 0x30_0000n, 0x30_1000n, KERNEL_RW_NX, m.root);
    const path = writeLongModeCore(dir, m.ram, m.root, m.cr4, "la57.core");
    const json = JSON.parse(runInspect(path, { json: true }).stdout) as { arch: string; mappings: { virt: string }[] };
    assert.deepEqual([json.arch, json.mappings.map((x) => x.virt)], ["x86-64-la57", ["0xFF00000000000000"]]);
    const walk = runInspect(path, { translate: "0xff00000000000123" }).stdout.split("\n").map((l) => l.trim().split(" ")[0]);
    assert.deepEqual(walk.slice(2, 7), ["PGD[0x100]", "P4D[0x000]", "PUD[0x000]", "PMD[0x000]", "PTE[0x000]"]);
  });
});
