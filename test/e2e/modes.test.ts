import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { MODE_NAMES } from "../../src/paging/geometry.js";
import { type Run, runProcess } from "../helpers/run-process.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "bin", "kmem.js");
const EXIT_OK = 0;
const EXIT_FAULT = 1;
const EXIT_BAD_INPUT = 2;

/** Runs the built CLI as a child process, as a user would. */
function kmem(...args: string[]): Promise<Run> {
  return runProcess(process.execPath, [BIN, ...args], { cwd: ROOT });
}

function assertBadInput(run: Run, line: string): void {
  assert.equal(run.status, EXIT_BAD_INPUT, `stderr: ${run.stderr}`);
  assert.equal(run.stderr, `${line}\n`);
  assert.equal(run.stdout, "");
}

const CONCURRENT = { concurrency: true } as const;
let scratch = "";

before(() => {
  assert.ok(existsSync(join(ROOT, "dist", "cli", "main.js")), "dist/ is missing: run `npm run build` first");
  scratch = mkdtempSync(join(tmpdir(), "kmem-modes-"));
});

after(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe("kmem with every paging mode", CONCURRENT, () => {
  for (const mode of MODE_NAMES) {
    test(`boot --arch ${mode} boots profiles/${mode}.json and its self-check passes`, async () => {
      const run = await kmem("boot", "--arch", mode);
      assert.equal(run.status, EXIT_OK, run.stderr);
      assert.match(run.stdout, new RegExp(`^Booted the default ${mode} profile: `));
      assert.match(run.stdout, /\nSelf-check: +ok: /);
      if (mode !== "x86") assert.match(run.stdout, new RegExp(`\\nMode ${mode}: `));
    });
  }

  test("boot --profile profiles/x86-64.json --json writes 64-bit addresses and registers as 0x… strings", async () => {
    const run = await kmem("boot", "--profile", "profiles/x86-64.json", "--json");
    assert.equal(run.status, EXIT_OK, run.stderr);
    const out = JSON.parse(run.stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(out), ["arch", "memoryBytes", "ramBase", "registers", "root", "regions", "pmm", "vmm", "pageTables", "selfCheck"]);
    assert.equal(out.arch, "x86-64");
    assert.deepEqual(out.registers, { cr0: "0x80010001", cr3: "0x00001000", cr4: "0x00000020", efer: "0x00000D00" });
    const regions = out.regions as Record<string, unknown>[];
    assert.deepEqual(
      regions.map((r) => [r.virtStart, r.physStart, r.label]),
      [
        ["0xFFFF888000000000", 0, "direct map"],
        ["0xFFFFFFFF81000000", 0x0100_0000, "kernel image"],
        ["0xFFFFFFFF81604000", 0x0160_4000, "kernel early allocations"],
        ["0xFFFFFFFF83000000", 0x0300_0000, "module initrd"],
      ],
    );
    assert.equal((out.selfCheck as Record<string, unknown>).ok, true);
  });

  test("translate explains every level of an x86-64 walk", async () => {
    const run = await kmem("translate", "--arch", "x86-64", "0xFFFF_FFFF_8100_0123");
    assert.equal(run.status, EXIT_OK, run.stderr);
    const lines = run.stdout.trimEnd().split("\n");
    assert.equal(lines[0], "0xFFFFFFFF81000123 -> 0x01000123 (x86-64, supervisor read, 4 KiB page)");
    assert.deepEqual(
      lines.slice(2, 6).map((l) => l.trim().split(" ")[0]),
      ["PML4", "PDPT", "PD", "PT"],
    );
    assert.match(lines[5] ?? "", /PT +\[0x000\] at 0x[0-9A-F]{8} = 0x0000000001000021 {2}present read-only supervisor accessed page 0x01000000$/);
  });

  test("translate --json of a Sv39 profile gives each level's entry as a 0x… string", async () => {
    const run = await kmem("translate", "--profile", "profiles/riscv-sv39.json", "--json", "0xFFFFFFFF80000000");
    assert.equal(run.status, EXIT_OK, run.stderr);
    const walk = JSON.parse(run.stdout) as { vaddr: string; physical: number; steps: { level: number; entry: string }[] };
    assert.equal(walk.vaddr, "0xFFFFFFFF80000000");
    assert.equal(walk.physical, 0x8020_0000);
    assert.deepEqual(walk.steps.map((s) => s.level), [2, 1, 0]);
    for (const step of walk.steps) assert.match(step.entry, /^0x[0-9A-F]{16}$/);
  });

  test("translate --write of a read-only kernel page faults with exit 1; a user access on RISC-V too", async () => {
    const [x86, riscv] = await Promise.all([kmem("translate", "--arch", "x86-64", "--write", "0xFFFFFFFF81000000"), kmem("translate", "--arch", "riscv-sv48", "--user", "0xFFFFFFFF80000000")]);
    assert.equal(x86.status, EXIT_FAULT, x86.stderr);
    assert.match(x86.stdout, /^0xFFFFFFFF81000000: page fault on a supervisor write \(x86-64\), error code 0x3: /);
    assert.equal(riscv.status, EXIT_FAULT, riscv.stderr);
    assert.match(riscv.stdout, /^0xFFFFFFFF80000000: page fault on a user read \(riscv-sv48\), scause 13: /);
  });

  test("export --arch riscv-sv39 writes machine.json with arch, registers and regions, and ram.bin from the RAM base", async () => {
    const out = join(scratch, "sv39");
    const run = await kmem("export", "--arch", "riscv-sv39", "--out", out);
    assert.equal(run.status, EXIT_OK, run.stderr);
    const machine = JSON.parse(readFileSync(join(out, "machine.json"), "utf8")) as Record<string, unknown>;
    assert.deepEqual(Object.keys(machine), ["arch", "memoryBytes", "ramBase", "registers", "root", "regions"]);
    assert.equal(machine.arch, "riscv-sv39");
    assert.equal(machine.ramBase, 0x8000_0000);
    const registers = machine.registers as Record<string, string>;
    assert.equal(registers.satp, `0x${((8n << 60n) | BigInt(Number(machine.root) / 4096)).toString(16).toUpperCase()}`);
    assert.equal(statSync(join(out, "ram.bin")).size, Number(machine.memoryBytes) - 0x8000_0000);
  });

  test("a control character in a mode profile's module name is escaped in the boot map, as for x86", async () => {
    const file = join(scratch, "escaped.json");
    const profile = JSON.parse(readFileSync(join(ROOT, "profiles", "x86-64.json"), "utf8")) as { modules: { name: string }[] };
    profile.modules[0]!.name = "in\nitrd\u001b";
    writeFileSync(file, JSON.stringify(profile));
    const run = await kmem("boot", "--profile", file);
    assert.equal(run.status, EXIT_OK, run.stderr);
    assert.match(run.stdout, /module in\\nitrd\\x1B\n/);
  });

  test("a profile with an unknown arch is one line, exit 2", async () => {
    const file = join(scratch, "arm.json");
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(join(ROOT, "profiles", "x86-64.json"), "utf8")), arch: "arm64" }));
    assertBadInput(await kmem("boot", "--profile", file), `kmem: ${file}: arch "arm64" is not a paging mode (expected one of ${MODE_NAMES.join(", ")})`);
  });

  test("--arch with an unknown mode, or with --profile, is one line, exit 2", async () => {
    const [unknown, both] = await Promise.all([kmem("boot", "--arch", "arm64"), kmem("boot", "--arch", "x86-64", "--profile", "profiles/x86.json")]);
    assertBadInput(unknown, `kmem: --arch "arm64" is not a paging mode (use ${MODE_NAMES.join(", ")})`);
    assertBadInput(both, "kmem: --arch and --profile both name a profile: give one");
  });

  test("view writes the page of a 64-bit profile (its profile embedded, addresses as \"0x…\" strings); a VADDR beyond 64 bits is one line, exit 2", async () => {
    const page = join(scratch, "v.html");
    const [view, wide] = await Promise.all([kmem("view", "--profile", "profiles/x86-64.json", "--static", page), kmem("translate", "--arch", "x86-64", "0x1_0000_0000_0000_0000")]);
    assert.equal(view.status, EXIT_OK, view.stderr);
    assert.equal(view.stdout, `kmem view: wrote ${page} (open it in a browser; works offline)\n`);
    const html = readFileSync(page, "utf8");
    assert.ok(html.includes('"arch":"x86-64"') && html.includes('"virtStart":"0xffffffff81000000"'), "the page embeds the x86-64 profile with its kernel address as a hex string");
    assertBadInput(wide, "kmem: VADDR 0x1_0000_0000_0000_0000 is beyond 64 bits (virtual addresses end at 0xFFFFFFFFFFFFFFFF)");
  });
});
