import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { EM_386, EM_RISCV, PF_R, PF_W, PF_X } from "../../src/process/elf.js";
import { buildElf } from "../process/elf-builder.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "bin", "kmem.js");

function kmem(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  assert.ok(existsSync(join(ROOT, "dist", "cli", "main.js")), "run `npm run build` first (npm test builds before testing)");
  const run = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: "utf8" });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

interface Report {
  arch: string;
  entry: string;
  regions: { virtStart: string; virtEnd: string; user: boolean; writable: boolean; executable: boolean; label: string }[];
}

function loadJson(...args: string[]): Report {
  const run = kmem("load-elf", ...args, "--json");
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as Report;
}

const DIR = mkdtempSync(join(tmpdir(), "kmem-load-elf-"));
after(() => rmSync(DIR, { recursive: true, force: true }));

/** A static program of that class and machine, written to DIR: text R X at 0x00400000, data+bss R W at 0x00402100. */
function program(name: string, bits: 32 | 64, machine: number): string {
  const file = join(DIR, name);
  const text = new Uint8Array(0x1800).fill(0x13);
  writeFileSync(file, buildElf({ bits, machine, entry: 0x40_0000, segments: [{ vaddr: 0x40_0000, flags: PF_R | PF_X, data: text }, { vaddr: 0x40_2100, flags: PF_R | PF_W, data: new Uint8Array(8), memSize: 0x2000 }] }));
  return file;
}

/** The regions of {@link program} in a space whose user half ends at `userEnd`, as --json prints them (`nx`: the mode can refuse execution). */
function programRegions(userEnd: bigint, nx: boolean): Report["regions"] {
  const h = (v: bigint): string => `0x${v.toString(16).toUpperCase().padStart(8, "0")}`;
  return [
    { virtStart: h(0x40_0000n), virtEnd: h(0x40_2000n), user: true, writable: false, executable: true, label: "PT_LOAD 0" },
    { virtStart: h(0x40_2000n), virtEnd: h(0x40_5000n), user: true, writable: true, executable: !nx, label: "PT_LOAD 1" },
    { virtStart: h(userEnd - 0x9000n), virtEnd: h(userEnd - 0x1000n), user: true, writable: true, executable: !nx, label: "stack" },
  ];
}

describe("kmem load-elf (built CLI)", () => {
  test("loads the system's /bin/ls and prints the documented JSON, exit 0", () => {
    const run = kmem("load-elf", "/bin/ls", "--json");
    assert.equal(run.status, 0, run.stderr);
    const json = JSON.parse(run.stdout) as { arch: string; entry: string; regions: { virtStart: string; virtEnd: string; user: boolean; writable: boolean; executable: boolean; label: string }[] };
    assert.equal(json.arch, "x86-64");
    assert.match(json.entry, /^0x[0-9A-F]+$/);
    assert.deepEqual(Object.keys(json.regions[0] ?? {}), ["virtStart", "virtEnd", "user", "writable", "executable", "label"]);
    assert.equal(json.regions.at(-1)?.label, "stack");
    assert.ok(json.regions.some((r) => r.executable && !r.writable), "a text segment");
  });

  for (const arch of ["x86-64", "x86-64-la57"]) {
    test(`--arch ${arch}: /bin/ls's every PT_LOAD appears with the flags readelf -l shows`, () => {
      const json = loadJson("/bin/ls", "--arch", arch);
      assert.equal(json.arch, arch);
      const listing = execFileSync("readelf", ["-lW", "/bin/ls"], { encoding: "utf8" });
      const entry = BigInt(/^Entry point (0x[0-9a-f]+)$/m.exec(listing)?.[1] ?? "NaN");
      const base = BigInt(json.entry) - entry;
      const rows = [...listing.matchAll(/^\s*LOAD\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+0x[0-9a-f]+\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+([RWE ]+?)\s+0x/gm)];
      assert.ok(rows.length >= 2, `readelf lists the LOAD segments:\n${listing}`);
      const h = (v: bigint): string => `0x${v.toString(16).toUpperCase()}`;
      const expected = rows.map((row, i) => {
        const vaddr = base + BigInt(`0x${row[1] ?? ""}`);
        const end = vaddr + BigInt(`0x${row[2] ?? ""}`);
        const flags = row[3] ?? "";
        return { virtStart: h((vaddr / 4096n) * 4096n), virtEnd: h(((end + 4095n) / 4096n) * 4096n), user: true, writable: flags.includes("W"), executable: flags.includes("E"), label: `PT_LOAD ${String(i)}` };
      });
      assert.deepEqual(json.regions.slice(0, -1), expected);
      assert.equal(json.regions.at(-1)?.label, "stack");
    });
  }

  test("the ELF header picks the machine: ELF32 x86 → x86 (no NX), ELF32 RISC-V → riscv-sv32, ELF64 RISC-V → riscv-sv39; RV64 also loads into Sv57 (demand-paged) and ELF32 x86 into PAE, with NX", () => {
    const rv32 = program("rv32", 32, EM_RISCV);
    const rv64 = program("rv64", 64, EM_RISCV);
    const x86 = program("x86", 32, EM_386);
    const cases: [string[], string, bigint, boolean][] = [
      [[x86], "x86", 0xc000_0000n, false],
      [[rv32], "riscv-sv32", 0xc040_0000n, true],
      [[rv64], "riscv-sv39", 0x40_0000_0000n, true],
      [[rv64, "--arch", "riscv-sv57", "--lazy"], "riscv-sv57", 0x8000_0000_0000n, true], // Linux's 2^47 window
      [[x86, "--arch", "x86-pae"], "x86-pae", 0xc000_0000n, true],
    ];
    for (const [args, arch, userEnd, nx] of cases) {
      const json = loadJson(...args);
      assert.equal(json.arch, arch, args.join(" "));
      assert.equal(json.entry, "0x00400000");
      assert.deepEqual(json.regions, programRegions(userEnd, nx), args.join(" "));
    }
  });

  test("a mode that cannot run the file is one line naming both, exit 2", () => {
    const x86 = program("x86-mismatch", 32, EM_386);
    const cases: [string[], string][] = [
      [[x86, "--arch", "x86-64"], "kmem: --arch x86-64 cannot run an ELF32 EM_386 file: x86-64 runs ELF64 EM_X86_64; use --arch x86 or x86-pae\n"],
      [["/bin/ls", "--profile", join(ROOT, "profiles", "riscv-sv39.json")], `kmem: --profile "${join(ROOT, "profiles", "riscv-sv39.json")}" (riscv-sv39) cannot run an ELF64 EM_X86_64 file: riscv-sv39 runs ELF64 EM_RISCV; use --arch x86-64 or x86-64-la57\n`],
    ];
    for (const [args, stderr] of cases) {
      const run = kmem("load-elf", ...args);
      assert.equal(run.status, 2, args.join(" "));
      assert.equal(run.stderr, stderr);
      assert.equal(run.stdout, "");
    }
  });

  test("a file that is not ELF is one line on stderr, exit 2", () => {
    const run = kmem("load-elf", join(ROOT, "package.json"));
    assert.equal(run.status, 2);
    assert.equal(run.stderr, "kmem: Cannot load the file: it does not start with \\x7fELF\n");
    assert.equal(run.stdout, "");
  });
});
