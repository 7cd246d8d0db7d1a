import { spawnSync } from "node:child_process";
import { closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_PROFILE } from "../../src/boot/default-profile.js";
import { type Run, runProcess } from "../helpers/run-process.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "bin", "kmem.js");
const BUILT_MAIN = join(ROOT, "dist", "cli", "main.js");
const EXIT_OK = 0;
const EXIT_CHECK_FAILED = 1;
const EXIT_BAD_INPUT = 2;

/** How {@link kmemWith} runs the CLI: extra environment, a stdout closed before it writes, a shell prefix. */
interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Close the reading end of stdout at once, as `| head -0` would. */
  readonly closeStdout?: boolean;
  /** Run through `sh -c '<shell>; exec node kmem …'` (e.g. a `ulimit`). */
  readonly shell?: string;
}

/** A run that hangs is killed after this long (status `null`), so that a hang fails instead of stalling the suite. */
const HANG_MS = 30_000;

/** Runs the built CLI as a child process, as a user would. */
function kmem(...args: string[]): Promise<Run> {
  return kmemWith({}, ...args);
}

/** {@link kmem} with options. */
function kmemWith(options: RunOptions, ...args: string[]): Promise<Run> {
  const run = { cwd: ROOT, env: { ...process.env, ...options.env }, timeout: HANG_MS, closeStdout: options.closeStdout === true };
  return options.shell === undefined
    ? runProcess(process.execPath, [BIN, ...args], run)
    : runProcess("sh", ["-c", `${options.shell}; exec "$0" "$@"`, process.execPath, BIN, ...args], run);
}

/** Suites run their tests concurrently: each test is one or more independent child processes. */
const CONCURRENT = { concurrency: true } as const;

/** Asserts exit status 2 with exactly one line on stderr and no stack trace. */
function assertBadInput(run: Run, line: string): void {
  assert.equal(run.status, EXIT_BAD_INPUT, `stderr: ${run.stderr}`);
  assert.equal(run.stderr, `${line}\n`);
  assert.equal(run.stdout, "");
}

let scratch = "";

before(() => {
  assert.ok(existsSync(BUILT_MAIN), `${BUILT_MAIN} is missing: run \`npm run build\` first (npm test builds before testing)`);
  scratch = mkdtempSync(join(tmpdir(), "kmem-e2e-"));
});

after(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** Writes `text` into a fresh profile file and returns its path. */
function profileFile(name: string, text: string): string {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
}

/** A mutable copy of the default profile, as JSON-like data a test may break freely. */
type Draft = Record<string, unknown> & {
  kernel: Record<string, unknown>;
  memoryMap: Record<string, unknown>[];
  virtualReserved: Record<string, unknown>[];
};

/** The default profile with `change` applied, as a JSON file. */
function changedProfile(name: string, change: (p: Draft) => void): string {
  const copy = structuredClone(DEFAULT_PROFILE) as unknown as Draft;
  change(copy);
  return profileFile(`${name}.json`, JSON.stringify(copy));
}

describe("the built kmem CLI", CONCURRENT, () => {
  describe("kmem boot", CONCURRENT, () => {
    test("boots the default profile, prints the address-space map and a passing self-check, exit 0", async () => {
      const run = await kmem("boot");
      assert.equal(run.status, EXIT_OK, run.stderr);
      assert.equal(run.stderr, "");
      assert.match(run.stdout, /^Booted the default profile: 128 MiB PC/);
      assert.match(run.stdout, /0xC0100000–0xC022F000 {2}0x00100000–0x0022F000 {2}1\.2 MiB {2}kernel ro cached {2}kernel image/);
      assert.match(run.stdout, /0xC00B8000–0xC00C0000 {2}0x000B8000–0x000C0000 {3}32 KiB {2}kernel rw cached {2}VGA text buffer/);
      assert.match(run.stdout, /\nSelf-check: +ok: 1048575 virtual blocks checked, 660 required blocks translated through the MMU\n/);
      assert.match(run.stdout, /\nPage tables: +1 /);
      assert.match(run.stdout, /\nBoot time: +[0-9.]+ ms/);
    });

    test("--json prints one object with the documented schema, numbers as JSON numbers", async () => {
      const run = await kmem("boot", "--json");
      assert.equal(run.status, EXIT_OK, run.stderr);
      const out = JSON.parse(run.stdout) as Record<string, unknown>;
      assert.deepEqual(Object.keys(out), ["memoryBytes", "cr3", "regions", "pmm", "vmm", "pageTables", "selfCheck"]);
      assert.equal(out.memoryBytes, 134_217_728);
      assert.equal(typeof out.cr3, "number");
      assert.equal(typeof out.pageTables, "number");
      const pmm = out.pmm as Record<string, unknown>;
      assert.deepEqual(Object.keys(pmm), ["blocks", "free", "fragmentation"]);
      assert.equal(pmm.blocks, 32_768);
      const fragmentationKeys = ["freeBlocks", "freeExtents", "largestFreeExtent", "fragmentationIndex"];
      assert.deepEqual(Object.keys(pmm.fragmentation as object), fragmentationKeys);
      const { fragmentation: vmmFragmentation, ...vmm } = out.vmm as Record<string, unknown>;
      assert.deepEqual(vmm, { start: 4096, end: 4_294_967_296, blocksUsed: 660 });
      assert.deepEqual(Object.keys(vmmFragmentation as object), fragmentationKeys);
      const check = out.selfCheck as Record<string, unknown>;
      assert.equal(check.ok, true);
      assert.equal(check.blocksChecked, 1_048_575);
      const regions = out.regions as Record<string, unknown>[];
      assert.equal(regions.length, 4);
      for (const region of regions) {
        assert.deepEqual(Object.keys(region), ["virtStart", "virtEnd", "physStart", "kernel", "writable", "cachable", "label"]);
        assert.equal(typeof region.virtStart, "number");
        assert.equal(typeof region.physStart, "number");
        assert.equal(typeof region.kernel, "boolean");
        assert.equal(typeof region.label, "string");
      }
    });

    test("boots the shipped profiles/default.json exactly like the built-in profile", async () => {
      const builtIn = await kmem("boot", "--json");
      const fromFile = await kmem("boot", "--json", "--profile", "profiles/default.json");
      assert.equal(fromFile.status, EXIT_OK, fromFile.stderr);
      assert.equal(fromFile.stdout, builtIn.stdout);
    });

    test("reports an unreadable profile file on one line, exit 2", async () => {
      const missing = join(scratch, "nope.json");
      assertBadInput(await kmem("boot", "--profile", missing), `kmem: cannot read profile ${missing}: no such file`);
    });

    const failures: readonly [string, (p: Draft) => void, string][] = [
      ["missing field", (p) => Reflect.deleteProperty(p, "kernel"), "kernel is missing"],
      ["non-integer address", (p) => (p.kernel.physStart = 1.5), "kernel.physStart 1.5 is not an integer"],
      ["negative address", (p) => (p.memoryMap[0]!.end = -4096), "memoryMap[0].end -4096 is negative"],
      ["end below start", (p) => (p.kernel.physEnd = 0), "kernel.physEnd 0x00000000 is below kernel.physStart 0x00100000"],
      ["region beyond 4 GiB", (p) => (p.virtualReserved[0]!.virtEnd = "0x100001000"), "virtualReserved[0].virtEnd 0x100001000 is beyond 4 GiB (0x100000000)"],
      [
        "kernel outside available memory",
        (p) => (p.kernel = { physStart: "0x80000", physEnd: "0x100000", virtStart: "0xC0080000", virtEnd: "0xC0100000" }),
        "kernel.physStart 0x00080000 puts the kernel image 0x00080000–0x00100000 outside available memory (0x0009F000–0x00100000 is not available)",
      ],
      [
        "overlapping virtual reservations with different physical targets",
        (p) => p.virtualReserved.push({ virtStart: "0xC00B8000", virtEnd: "0xC00B9000", physStart: "0xB9000", label: "other" }),
        "virtualReserved[1].virtStart 0xC00B8000 overlaps virtualReserved[0] (VGA text buffer) 0xC00B8000–0xC00C0000 with a different physical target (at 0xC00B8000: 0x000B9000, not 0x000B8000)",
      ],
    ];

    test("rejects malformed JSON with one line naming the file, exit 2", async () => {
      const file = profileFile("malformed.json", "{ \"memoryBytes\": ");
      const run = await kmem("boot", "--profile", file);
      assert.equal(run.status, EXIT_BAD_INPUT);
      assert.match(run.stderr, new RegExp(`^kmem: ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: profile is not valid JSON: [^\\n]+\\n$`));
    });

    for (const [what, change, message] of failures) {
      test(`rejects a profile with ${what}: exit 2 and "${message.slice(0, 40)}…"`, async () => {
        const file = changedProfile(what.replaceAll(" ", "-"), change);
        assertBadInput(await kmem("boot", "--profile", file), `kmem: ${file}: ${message}`);
      });
    }

    test("rejects an unknown flag on one line, exit 2", async () => {
      assertBadInput(await kmem("boot", "--nope"), "kmem: unknown option '--nope' (run `kmem help` for usage)");
    });
  });

  describe("kmem translate", CONCURRENT, () => {
    test("translates a kernel address and shows the entries it used", async () => {
      const run = await kmem("translate", "0xC0100010");
      assert.equal(run.status, EXIT_OK, run.stderr);
      const lines = run.stdout.split("\n");
      assert.equal(lines[0], "0xC0100010 -> 0x00100010 (supervisor read)");
      assert.match(lines[2] ?? "", /^ {2}PDE\[0x300\] at 0x00001C00 = 0x0000202[57] {2}present writable user (accessed )?table 0x00002000$/);
      assert.match(lines[3] ?? "", /^ {2}PTE\[0x100\] at 0x00002400 = 0x0010002[01] {2}present read-only supervisor (accessed )?frame 0x00100000$/);
    });

    test("--json gives the walk with the physical address as a number", async () => {
      const run = await kmem("translate", "0xC0100010", "--json");
      assert.equal(run.status, EXIT_OK, run.stderr);
      const walk = JSON.parse(run.stdout) as Record<string, unknown>;
      assert.equal(walk.physical, 0x10_0010);
      assert.equal(walk.errorCode, null);
      assert.equal(walk.pdIndex, 0x300);
    });

    test("reports a page fault with its error code for an unmapped address, exit 1", async () => {
      const run = await kmem("translate", "0x00000000");
      assert.equal(run.status, EXIT_CHECK_FAILED);
      assert.match(run.stdout, /^0x00000000: page fault on a supervisor read, error code 0x0 \(P=0 W=0 U=0\): the page-directory entry is not present\n/);
      assert.match(run.stdout, /\n {2}CR2 0x00000000\n$/);
    });

    test("reports protection faults: a user read (0x5) and a supervisor write (0x3) of the read-only kernel", async () => {
      const user = JSON.parse((await kmem("translate", "0xC0100000", "--user", "--json")).stdout) as Record<string, unknown>;
      assert.equal(user.errorCode, 0x5);
      const write = JSON.parse((await kmem("translate", "0xC0100000", "--write", "--json")).stdout) as Record<string, unknown>;
      assert.equal(write.errorCode, 0x3);
    });

    test("rejects an address beyond 4 GiB and a non-address on one line, exit 2", async () => {
      assertBadInput(await kmem("translate", "0x100000000"), "kmem: VADDR 0x100000000 is beyond 4 GiB (32-bit virtual addresses end at 0xFFFFFFFF)");
      assertBadInput(await kmem("translate", "kernel"), 'kmem: VADDR "kernel" is not an address (use 0x… hex or decimal)');
    });
  });

  describe("kmem export", CONCURRENT, () => {
    test("writes ram.bin of memoryBytes bytes whose directory at CR3 maps every region as machine.json says", async () => {
      const out = join(scratch, "export");
      const run = await kmem("export", "--out", out);
      assert.equal(run.status, EXIT_OK, run.stderr);
      const machine = JSON.parse(readFileSync(join(out, "machine.json"), "utf8")) as {
        memoryBytes: number;
        cr3: number;
        cr4Pse: boolean;
        regions: { virtStart: number; virtEnd: number; physStart: number | null; writable: boolean; kernel: boolean }[];
      };
      assert.deepEqual(Object.keys(machine), ["memoryBytes", "cr3", "cr4Pse", "regions"]);
      const ram = readFileSync(join(out, "ram.bin"));
      assert.equal(ram.length, machine.memoryBytes);
      assert.equal(machine.cr4Pse, false);
      const FRAME = 0xffff_f000;
      for (const region of machine.regions) {
        for (let v = region.virtStart; v < region.virtEnd; v += 0x1000) {
          const pde = ram.readUInt32LE(machine.cr3 + Math.floor(v / 0x40_0000) * 4);
          assert.equal(pde & 1, 1, `PDE for 0x${v.toString(16)} not present`);
          const pte = ram.readUInt32LE(((pde & FRAME) >>> 0) + (Math.floor(v / 0x1000) % 1024) * 4);
          assert.equal(pte & 1, 1, `PTE for 0x${v.toString(16)} not present`);
          assert.equal((pte & FRAME) >>> 0, (region.physStart ?? -1) + (v - region.virtStart));
          assert.equal((pte & 2) !== 0, region.writable);
          assert.equal((pte & 4) !== 0, !region.kernel);
        }
      }
    });

    test("requires --out, exit 2", async () => {
      assertBadInput(await kmem("export"), "kmem: required option '--out <DIR>' not specified (run `kmem help` for usage)");
    });
  });

  describe("kmem help", CONCURRENT, () => {
    test("--help lists every verb", async () => {
      const run = await kmem("--help");
      assert.equal(run.status, EXIT_OK);
      for (const verb of ["boot", "translate", "export", "help"]) {
        assert.match(run.stdout, new RegExp(`\\n {2}${verb} `));
      }
    });

    test("help VERB describes each flag and the exit statuses", async () => {
      const run = await kmem("help", "translate");
      assert.equal(run.status, EXIT_OK);
      for (const flag of ["--profile <FILE>", "--user", "--write", "--json", "<VADDR>", "Exit status"]) {
        assert.ok(run.stdout.includes(flag), `help translate should mention ${flag}`);
      }
      assert.ok((await kmem("help", "boot")).stdout.includes("--json"), "help boot lists --json");
      assert.ok((await kmem("help", "export")).stdout.includes("--out <DIR>"), "help export lists --out <DIR>");
    });

    test("help says where the docs/ and profiles/ it names are, and they are there", async () => {
      const packageDir = join(ROOT, ".");
      for (const args of [["--help"], ["help", "boot"]]) {
        const run = await kmem(...args);
        assert.ok(run.stdout.includes(`kmem's files are in ${packageDir}: docs/cli.md`), `kmem ${args.join(" ")} names the package directory:\n${run.stdout}`);
      }
      for (const file of ["docs/cli.md", "docs/profile.md", "profiles/default.json"]) {
        assert.equal(existsSync(join(packageDir, file)), true, `${file} exists in ${packageDir}`);
      }
    });
  });

  describe("hostile input: one line, exit 2, in bounded time", CONCURRENT, () => {
    /** Asserts exit 2 and one line on stderr matching `pattern`, at most `maxChars` long. */
    function assertOneLine(run: Run, pattern: RegExp, maxChars = 400): void {
      assert.equal(run.status, EXIT_BAD_INPUT, `stderr: ${run.stderr.slice(0, 2000)}`);
      assert.equal(run.stderr.split("\n").length, 2, `not one line: ${run.stderr.slice(0, 2000)}`);
      assert.match(run.stderr, pattern);
      assert.equal(run.stderr.length <= maxChars, true, `${run.stderr.length} characters on stderr`);
    }

    test("a field 20,000 arrays deep is echoed by its shape", async () => {
      const deep = `${"[".repeat(20_000)}${"]".repeat(20_000)}`;
      const file = profileFile("deep.json", JSON.stringify({ ...DEFAULT_PROFILE, description: "@" }).replace('"@"', deep));
      assertOneLine(await kmem("boot", "--profile", file), /: description \(an array of 1 item\) is not a string\n$/);
    });

    test("a 1 MB memoryBytes string is echoed as at most 60 characters", async () => {
      const file = profileFile("long.json", JSON.stringify({ ...DEFAULT_PROFILE, memoryBytes: "9".repeat(1_000_000) }));
      assertOneLine(await kmem("boot", "--profile", file), /: memoryBytes "9{58}… is not an address/);
    });

    test("a profile over 16 MiB, /dev/zero and a sparse 17 MiB file are refused without reading them whole", async () => {
      const sparse = join(scratch, "sparse.json");
      writeFileSync(sparse, "");
      truncateSync(sparse, 17 * 0x10_0000);
      for (const file of ["/dev/zero", sparse]) {
        assertOneLine(await kmem("boot", "--profile", file), new RegExp(`^kmem: cannot read profile ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: it is larger than 16 MiB, the most a profile may be\n$`));
      }
    });

    test("a profile read from a FIFO boots", async () => {
      const fifo = join(scratch, "profile.fifo");
      assert.equal(spawnSync("mkfifo", [fifo]).status, 0, "mkfifo failed");
      const run = kmem("boot", "--profile", fifo);
      const writing = writeFile(fifo, JSON.stringify(DEFAULT_PROFILE)).catch(() => undefined);
      const result = await run;
      // Frees the writer (blocked in open) should kmem have exited without opening the FIFO.
      closeSync(openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK));
      await writing;
      assert.equal(result.status, EXIT_OK, result.stderr);
      assert.match(result.stdout, /^Booted .*profile\.fifo: 128 MiB PC/);
    });

    test("RAM the host cannot allocate is one line naming the size", async () => {
      const file = changedProfile("4gib", (p) => {
        p.memoryBytes = "0x100000000";
        p.memoryMap = [{ start: 0, end: "0x9fc00", type: "available" }, { start: "0x100000", end: "0x100000000", type: "available" }];
      });
      // Little address space for this process: the 4 GiB ArrayBuffer cannot be had.
      const run = await kmemWith({ shell: "ulimit -v 2000000" }, "boot", "--profile", file);
      assertOneLine(run, /: memoryBytes 0x100000000 \(4096 MiB\) cannot be allocated on this host: Array buffer allocation failed\n$/);
    });

    test("export into procfs, onto a device, or over a FIFO fails at once", async () => {
      const fifoDir = join(scratch, "fifo-out");
      mkdirSync(fifoDir);
      assert.equal(spawnSync("mkfifo", [join(fifoDir, "ram.bin")]).status, 0, "mkfifo failed");
      const cases: [string, RegExp][] = [
        ["/proc/kmem-x/y", /^kmem: --out \/proc\/kmem-x\/y: cannot write ram\.bin: ENOENT: .*mkdir '\/proc\/kmem-x'\n$/],
        ["/dev/null", /^kmem: --out \/dev\/null: cannot write ram\.bin: \/dev\/null exists and is not a directory\n$/],
        [fifoDir, /: cannot write ram\.bin: ENXIO/],
      ];
      const runs = await Promise.all(cases.map(([out]) => kmem("export", "--out", out)));
      runs.forEach((run, i) => assertOneLine(run, cases[i]?.[1] ?? /never/));
    });

    test("a reader closing the pipe early is a normal exit, for help and for output", async () => {
      const cases = [["help", "boot"], ["boot", "--help"], ["help", "translate"], ["boot"], ["boot", "--json"]];
      const runs = await Promise.all(cases.map((args) => kmemWith({ closeStdout: true }, ...args)));
      runs.forEach((run, i) => {
        assert.equal(run.status, EXIT_OK, `kmem ${cases[i]?.join(" ")}: ${run.stderr}`);
        assert.equal(run.stderr, "", `kmem ${cases[i]?.join(" ")}`);
      });
    });

    test("a typo's suggestion is on the same line; help for an unknown verb is one line", async () => {
      assertBadInput(await kmem("boot", "--jsn"), "kmem: unknown option '--jsn' (Did you mean --json?) (run `kmem help` for usage)");
      assertBadInput(await kmem("help", "frobnicate"), "kmem: unknown verb 'frobnicate' (run `kmem help` for the verbs)");
      assertBadInput(await kmem("help", "fr\nob"), "kmem: unknown verb 'fr\\nob' (run `kmem help` for the verbs)");
    });

    test("newlines and control characters in a file name, a description or a label are escaped", async () => {
      const missing = join(scratch, "a\nb.json");
      assertBadInput(await kmem("boot", "--profile", missing), `kmem: cannot read profile ${scratch}/a\\nb.json: no such file`);
      const file = changedProfile("labels", (p) => {
        p.description = "two\nlines";
        p.virtualReserved[0]!.label = "VGA\r\n\u001b[2Jtext";
      });
      const run = await kmem("boot", "--profile", file);
      assert.equal(run.status, EXIT_OK, run.stderr);
      assert.match(run.stdout, /^Booted .*labels\.json: two\\nlines\n/);
      assert.match(run.stdout, /kernel rw cached {2}VGA\\r\\n\\x1B\[2Jtext\n/);
    });

    test("a reservation's cachable, writable and user are shown in the map and in --json", async () => {
      const file = changedProfile("attributes", (p) => {
        p.virtualReserved.push({ virtStart: "0xFEE00000", virtEnd: "0xFEE01000", physStart: "0xFEE00000", label: "local APIC", cachable: false });
        p.virtualReserved.push({ virtStart: "0xD0000000", virtEnd: "0xD0002000", physStart: "0x500000", label: "shared", writable: false, user: true });
      });
      const text = await kmem("boot", "--profile", file);
      assert.equal(text.status, EXIT_OK, text.stderr);
      assert.match(text.stdout, /0xFEE00000–0xFEE01000 {2}0xFEE00000–0xFEE01000 {4}4 KiB {2}kernel rw uncached {2}local APIC\n/);
      assert.match(text.stdout, /0xD0000000–0xD0002000 {2}0x00500000–0x00502000 {4}8 KiB {2}user ro cached {6}shared\n/);
      const json = JSON.parse((await kmem("boot", "--profile", file, "--json")).stdout) as { regions: { label: string; kernel: boolean; writable: boolean; cachable: boolean }[]; selfCheck: { ok: boolean } };
      const rows = json.regions.filter((r) => r.label === "local APIC" || r.label === "shared").map((r) => [r.label, r.kernel, r.writable, r.cachable]);
      assert.deepEqual(rows, [["shared", false, false, true], ["local APIC", true, true, false]]);
      assert.equal(json.selfCheck.ok, true);
    });

    test("verify-qemu with KMEM_QEMU naming no file exits 2 on one line", async () => {
      assertOneLine(await kmemWith({ env: { KMEM_QEMU: "/nonexistent" } }, "verify-qemu"), /^kmem: Cannot run the QEMU check: KMEM_QEMU=\/nonexistent cannot be run \(no such file\)/);
    });
  });
});
