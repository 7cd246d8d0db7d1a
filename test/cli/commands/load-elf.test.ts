import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { loadElfReport } from "../../../src/cli/commands/load-elf.js";
import { UsageError } from "../../../src/cli/usage-error.js";
import { EM_386, EM_RISCV, EM_X86_64, ET_DYN, PF_R, PF_W, PF_X } from "../../../src/process/elf.js";
import { buildElf } from "../../process/elf-builder.js";

const page = new Uint8Array(0x1000).fill(0x90);

/** A 4 MiB PC: the kernel image and 2 MiB of free RAM. */
const SMALL_PC = join(mkdtempSync(join(tmpdir(), "kmem-load-elf-")), "small-pc.json");
writeFileSync(
  SMALL_PC,
  JSON.stringify({
    memoryBytes: "0x00400000",
    memoryMap: [{ start: "0x00000000", end: "0x00400000", type: "available" }],
    kernel: { physStart: "0x00100000", physEnd: "0x00200000", virtStart: "0xC0100000", virtEnd: "0xC0200000" },
  }),
);
after(() => rmSync(dirname(SMALL_PC), { recursive: true, force: true }));

describe("kmem load-elf", () => {
  test("/bin/ls: one region per PT_LOAD, page-rounded at the PIE base, with readelf -l's W and E, plus the stack", () => {
    const base = 0x7000_0000_0000n;
    const { report } = loadElfReport(readFileSync("/bin/ls"), { base: "0x7000_0000_0000", json: true });
    const listing = execFileSync("readelf", ["-lW", "/bin/ls"], { encoding: "utf8" });
    const rows = [...listing.matchAll(/^\s*LOAD\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+0x[0-9a-f]+\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+([RWE ]+?)\s+0x/gm)];
    const entry = /Entry point 0x([0-9a-f]+)/.exec(listing)?.[1] ?? "";
    assert.equal(report.arch, "x86-64");
    assert.equal(BigInt(report.entry), base + BigInt(`0x${entry}`));
    const expected = rows.map((row, i) => {
      const vaddr = base + BigInt(`0x${row[1] ?? ""}`);
      const end = vaddr + BigInt(`0x${row[2] ?? ""}`);
      const flags = row[3] ?? "";
      return { start: (vaddr / 4096n) * 4096n, end: ((end + 4095n) / 4096n) * 4096n, user: true, writable: flags.includes("W"), executable: flags.includes("E"), label: `PT_LOAD ${i}` };
    });
    const got = report.regions.map((r) => ({ start: BigInt(r.virtStart), end: BigInt(r.virtEnd), user: r.user, writable: r.writable, executable: r.executable, label: r.label }));
    assert.deepEqual(got.slice(0, -1), expected);
    assert.deepEqual(got.at(-1), { start: 0x7fff_ffff_7000n, end: 0x7fff_ffff_f000n, user: true, writable: true, executable: false, label: "stack" });
    assert.match(report.regions[0]?.virtStart ?? "", /^0x[0-9A-F]+$/);
  });

  test("an ELF32 x86 PIE loads into the 32-bit boot at --base; without NX every region is executable", () => {
    const bytes = buildElf({ bits: 32, machine: EM_386, type: ET_DYN, entry: 0x10, segments: [{ vaddr: 0, flags: PF_R | PF_X, data: page }, { vaddr: 0x1000, flags: PF_R | PF_W, data: page }] });
    const { report, text } = loadElfReport(bytes, { base: "0x08000000" });
    assert.equal(report.arch, "x86");
    assert.equal(report.entry, "0x08000010");
    assert.deepEqual(
      report.regions.map((r) => [r.virtStart, r.virtEnd, r.writable, r.executable, r.label]),
      [
        ["0x08000000", "0x08001000", false, true, "PT_LOAD 0"],
        ["0x08001000", "0x08002000", true, true, "PT_LOAD 1"],
        ["0xBFFF7000", "0xBFFFF000", true, true, "stack"],
      ],
    );
    assert.match(text, /^Loaded an ELF PIE at base 0x08000000 into a new x86 address space/);
    assert.match(text, /\n0xBFFF6000–0xBFFF7000 {2}---- {2}stack guard\n/);
  });

  test("--lazy lists the same regions with the same rights, demand-paged; an ELF32 RISC-V file boots Sv32 by default", () => {
    const bytes = buildElf({ bits: 32, machine: EM_RISCV, entry: 0x40_0000, segments: [{ vaddr: 0x40_0000, flags: PF_R | PF_X, data: page }, { vaddr: 0x40_1000, flags: PF_R | PF_W, data: page, memSize: 0x10_0000 }] });
    const eager = loadElfReport(bytes, {});
    const lazy = loadElfReport(bytes, { lazy: true });
    assert.equal(eager.report.arch, "riscv-sv32");
    assert.deepEqual(lazy.report, eager.report);
    assert.deepEqual(
      eager.report.regions.map((r) => [r.virtStart, r.virtEnd, r.writable, r.executable]),
      [
        ["0x00400000", "0x00401000", false, true],
        ["0x00401000", "0x00501000", true, false],
        ["0xC03F7000", "0xC03FF000", true, false],
      ],
    );
    assert.match(lazy.text, /^Loaded an ELF executable into a new riscv-sv32 address space \(root table 0x[0-9A-F]+\), demand-paged: no page has a frame until its first touch\n/);
    assert.equal(lazy.text.split("\n").slice(1).join("\n"), eager.text.split("\n").slice(1).join("\n"), "the same listing below the first line");
  });

  const bad: readonly [string, Uint8Array, { profile?: string; arch?: string; base?: string }, RegExp][] = [
    ["not an ELF file", new Uint8Array(100), {}, /^Cannot load the file: it does not start with/],
    ["a bad --base", buildElf({ bits: 64, machine: EM_X86_64, type: ET_DYN, entry: 0, segments: [{ vaddr: 0, flags: PF_R, data: page }] }), { base: "0x1234" }, /^Cannot load the PIE at 0x00001234: the base must be a page-aligned/],
    ["--base that is no number", buildElf({ bits: 64, machine: EM_X86_64, entry: 0, segments: [{ vaddr: 0x400000, flags: PF_R, data: page }] }), { base: "lots" }, /^--base "lots" is not an address/],
    ["--profile of a mode that cannot run the file", buildElf({ bits: 64, machine: EM_X86_64, entry: 0, segments: [{ vaddr: 0x400000, flags: PF_R, data: page }] }), { profile: "profiles/x86-pae.json" }, /^--profile "profiles\/x86-pae.json" \(x86-pae\) cannot run an ELF64 EM_X86_64 file: x86-pae runs ELF32 EM_386; use --arch x86-64 or x86-64-la57$/],
    ["--arch of a mode that cannot run the file", buildElf({ bits: 32, machine: EM_RISCV, entry: 0, segments: [{ vaddr: 0x400000, flags: PF_R, data: page }] }), { arch: "riscv-sv39" }, /^--arch riscv-sv39 cannot run an ELF32 EM_RISCV file: riscv-sv39 runs ELF64 EM_RISCV; use --arch riscv-sv32$/],
    ["--arch and --profile together", buildElf({ bits: 32, machine: EM_386, entry: 0, segments: [{ vaddr: 0x400000, flags: PF_R, data: page }] }), { arch: "x86", profile: "profiles/x86.json" }, /^--arch and --profile both name a profile/],
    ["an unreadable --profile", buildElf({ bits: 32, machine: EM_386, entry: 0, segments: [{ vaddr: 0x400000, flags: PF_R, data: page }] }), { profile: "no-such.json" }, /^cannot read profile no-such.json: no such file$/],
    ["a 32-bit --base beyond 4 GiB", buildElf({ bits: 32, machine: EM_RISCV, type: ET_DYN, entry: 0, segments: [{ vaddr: 0, flags: PF_R, data: page }] }), { base: "0x1_0000_0000" }, /^--base 0x1_0000_0000 is beyond 4 GiB/],
    ["a file too large for the machine's RAM", buildElf({ bits: 32, machine: EM_386, entry: 0, segments: [{ vaddr: 0x400000, flags: PF_R | PF_W, data: page, memSize: 0x80_0000 }] }), { profile: SMALL_PC }, /^Cannot map 2048 pages: \d+ frames are free$/],
    ["an ELF64 for another machine", buildElf({ bits: 64, machine: 183, entry: 0, segments: [{ vaddr: 0x400000, flags: PF_R, data: page }] }), {}, /e_machine 183/],
  ];
  for (const [name, bytes, flags, message] of bad) {
    test(`${name} is a UsageError (exit 2)`, () => {
      assert.throws(() => loadElfReport(bytes, flags), (e: unknown) => {
        assert.ok(e instanceof UsageError, `a UsageError, not ${String(e)}`);
        assert.match(e.message, message);
        return true;
      });
    });
  }
});
