import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type Run, runProcess } from "../helpers/run-process.js";
import { EM_386, PF_R, PF_X } from "../../src/process/elf.js";
import { buildElf } from "../process/elf-builder.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "bin", "kmem.js");
const BUILT_MAIN = join(ROOT, "dist", "cli", "main.js");

/** Runs the built CLI as a user would, with `input` on its standard input. */
function kmem(args: readonly string[], input = ""): Promise<Run> {
  return runProcess(process.execPath, [BIN, ...args], { cwd: ROOT, input });
}

/** The result column of the output line for script line `line`. */
function resultOf(stdout: string, line: number): string {
  const found = stdout.split("\n").find((l) => new RegExp(`^ *${String(line)}  `).test(l));
  assert.ok(found !== undefined, `an output line for script line ${String(line)}`);
  return found.replace(/^ *\d+  .*?  +/, "");
}

before(() => {
  assert.ok(existsSync(BUILT_MAIN), `${BUILT_MAIN} is missing: run \`npm run build\` first (npm test builds before testing)`);
});

describe("kmem simulate (built CLI)", { concurrency: true }, () => {
  test("examples/fork.kmem: minor, then no fault, cow-copy, cow-reuse; every frame back; exit 0", async () => {
    const run = await kmem(["simulate", "examples/fork.kmem"]);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stderr, "");
    assert.match(run.stdout, /^Simulating examples\/fork\.kmem on the default profile \(x86\)\n/);
    assert.deepEqual([4, 6, 7, 8].map((line) => resultOf(run.stdout, line).split(" → ")[0]), ["minor", "no fault", "cow-copy", "cow-reuse"]);
    assert.match(resultOf(run.stdout, 5), /^child: root 0x[0-9A-F]{8} \(CR3\), 1 frame shared copy-on-write; \+2 frames$/);
    assert.match(run.stdout, /\nTLB audit: 6 accesses, no missed invalidation\n/);
    assert.match(run.stdout, /\nPMM: (\d+) free blocks before, \1 at the end, \1 after every task exited: every frame came back\n$/);
  });

  test("--json: the documented object; a script on standard input", async () => {
    const run = await kmem(["simulate", "-", "--json"], "spawn A\nmap A 0x10000000 1 rw lazy\nwrite A 0x10000000 0x5a\nfork A B\n");
    assert.equal(run.status, 0, run.stderr);
    const json = JSON.parse(run.stdout) as {
      arch: string;
      lines: { line: number; command: string; kind: string; status: string; frames: number; faults?: { kind: string; vaddr: string; reason: string | null }[]; physical?: string; value?: number }[];
      tasks: { name: string; root: string; regions: { virtStart: string; rights: string; paging: string; frames: number }[] }[];
      shared: { frame: string; pages: { task: string; vaddr: string }[] }[];
      pmm: { freeBefore: number; freeAtEnd: number; freeAfterExit: number; restored: boolean };
    };
    assert.deepEqual(Object.keys(json), ["arch", "lines", "tasks", "shared", "accesses", "pmm"]);
    assert.equal(json.arch, "x86");
    const write = json.lines[2];
    assert.deepEqual(Object.keys(write ?? {}), ["line", "command", "kind", "status", "frames", "faults", "physical", "value", "evicted", "evictions", "stale"]);
    assert.deepEqual(write?.faults, [{ kind: "minor", vaddr: "0x10000000", reason: null }]);
    assert.equal(write?.value, 0x5a);
    assert.match(write?.physical ?? "", /^0x[0-9A-F]{8}$/);
    assert.deepEqual(json.tasks.map((t) => [t.name, t.regions[0]?.virtStart, t.regions[0]?.rights, t.regions[0]?.paging, t.regions[0]?.frames]), [["A", "0x10000000", "rwx", "lazy", 1], ["B", "0x10000000", "rwx", "lazy", 1]], "32-bit paging cannot refuse execution: rw is mapped rwx");
    assert.deepEqual(json.shared[0]?.pages, [{ task: "A", vaddr: "0x10000000" }, { task: "B", vaddr: "0x10000000" }]);
    assert.equal(json.pmm.restored, true);
    assert.ok(json.pmm.freeAtEnd < json.pmm.freeBefore, "the live tasks hold frames at the end");
  });

  test("a bad script is one line naming its line, exit 2, nothing on stdout", async () => {
    const run = await kmem(["simulate", "-"], "spawn A\n\nfrob A\n");
    assert.equal(run.status, 2);
    assert.equal(run.stdout, "");
    assert.equal(run.stderr, 'kmem simulate: line 3: unknown command "frob" (use spawn, load, map, guard, protect, unmap, fork, copy, exit, read, write, fetch, swap)\n');
    const wide = await kmem(["simulate", "-"], "spawn A\nread A 0x100000000\n");
    assert.equal(wide.status, 2);
    assert.equal(wide.stderr, "kmem simulate: line 2: address 0x100000000 is beyond 4 GiB: the x86 machine has 32-bit virtual addresses\n");
    const missing = await kmem(["simulate", "no-such.kmem"]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /^kmem: cannot read no-such\.kmem: ENOENT/);
  });

  test("load reads its FILE relative to the script's directory; a lazy load's first fetch is a major fault", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kmem-simulate-"));
    try {
      writeFileSync(join(dir, "prog.elf"), buildElf({ bits: 32, machine: EM_386, entry: 0x0804_8000, segments: [{ vaddr: 0x0804_8000, flags: PF_R | PF_X, data: new Uint8Array([0x90, 0xc3]) }] }));
      writeFileSync(join(dir, "run.kmem"), "load P prog.elf lazy\nfetch P 0x08048001\n");
      const run = await kmem(["simulate", join(dir, "run.kmem")]);
      assert.equal(run.status, 0, run.stderr);
      assert.match(resultOf(run.stdout, 1), /^P: root 0x[0-9A-F]{8} \(CR3\), entry 0x08048000; \+1 frame$/);
      assert.match(resultOf(run.stdout, 2), /^major → 0x[0-9A-F]{8} = 0xC3; \+2 frames$/);
      writeFileSync(join(dir, "missing.kmem"), "load P nothing.elf\n");
      const missing = await kmem(["simulate", join(dir, "missing.kmem")]);
      assert.equal(missing.status, 2);
      assert.match(missing.stderr, /^kmem simulate: line 1: cannot read nothing\.elf: ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const [arch, register] of [["x86-64", "CR3"], ["riscv-sv39", "satp.PPN × 4096"]] as const) {
    test(`--arch ${arch}: examples/demand.kmem, with NX the fetch segfaults, addresses above 4 GiB accepted`, async () => {
      const run = await kmem(["simulate", "--arch", arch, "examples/demand.kmem"]);
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`^Simulating examples/demand\\.kmem on the default ${arch} profile \\(${arch}\\)\\n`));
      assert.ok(run.stdout.includes(`(${register})`), "the root register");
      assert.equal(resultOf(run.stdout, 14), "segfault (no-execute)");
      assert.match(resultOf(run.stdout, 15), /^refused: InvalidRange: /);
      assert.match(run.stdout, /every frame came back\n$/);
      const high = await kmem(["simulate", "--arch", arch, "-"], "spawn A\nmap A 0x3F_0000_0000 1 rw lazy\nwrite A 0x3F_0000_0010 1\n");
      assert.equal(high.status, 0, high.stderr);
      assert.match(resultOf(high.stdout, 3), /^minor → 0x[0-9A-F]{8,} = 0x01; \+\d frames$/);
    });
  }
});
