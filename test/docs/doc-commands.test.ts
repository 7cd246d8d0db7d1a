import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Command } from "commander";
import { commands } from "../../src/cli/commands/index.js";
import {
  type FencedBlock, fencedBlocks, isShellListing, kmemArguments, listedCommands, type ListedCommand, promptedCommands,
} from "./doc-blocks.js";
import { normalise } from "./normalise.js";
import { type Run, runProcess } from "../helpers/run-process.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "bin", "kmem.js");
const BUILT_MAIN = join(ROOT, "dist", "cli", "main.js");
const EXAMPLES = join(ROOT, "examples");
const DOCS = ["README.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).sort().map((f) => `docs/${f}`)];
const RUN_TIMEOUT_MS = 60_000;
const SERVER_URL = /http:\/\/127\.0\.0\.1:\d+\/\S*/;
const NOT_RUN = "not run: ";
/** tsx's loader by absolute URL: the examples run in a temporary directory, where `--import tsx` would not resolve. */
const TSX = import.meta.resolve("tsx");

/**
 * Commands the docs show that the harness does not run, each with why. A doc exempts one with
 * `<!-- doc-test: not run: COMMAND -->` right above its block; every entry here must be used.
 */
const EXEMPT: ReadonlyMap<string, string> = new Map([
  ["npm install", "installs the package; .ci/run does the same (npm ci) on a clean clone"],
  ["npm test", "the whole suite, which runs this test"],
  ["npm run bench", "a benchmark run of minutes; test/bench/bench-quick.test.ts runs the quick mode"],
  ["npm run docs", "writes the API reference; npm test runs the same TypeDoc check (npm run docs:check)"],
  ["bash .ci/run", "CI itself: apt-get install, npm ci, npm test"],
  ["apt-get install", "installs system packages as root; .ci/run does it"],
  ["qemu-system-x86_64", "boots a Linux kernel; scripts/linux-inspect-check.ts does the same, and .ci/run runs it"],
  ["kmem inspect vm.core", "reads the core of that Linux run; scripts/linux-inspect-check.ts checks inspect on it against QEMU"],
]);

/**
 * The files the docs' commands read, written into the temporary directory each command runs in:
 * the default profile under the names the docs use, `bad.json`, an invalid profile, and the
 * process scripts of examples/ (`examples/*.kmem`) for `kmem simulate`.
 */
const DEFAULT_PROFILE_COPIES = ["my.json", "my-pc.json"];
const BAD_PROFILE = "bad.json";
const BAD_KERNEL_END = "0x00000000";

/** Where each `<!-- doc-test: … -->` JSON marker finds the value the block must equal. */
const JSON_SOURCES: ReadonlyMap<string, (dir: string) => Promise<unknown>> = new Map([
  ["output of kmem boot --json", async (dir: string) => JSON.parse((await kmem(["boot", "--json"], dir)).stdout) as unknown],
  ["same as profiles/default.json", () => Promise.resolve(JSON.parse(readFileSync(join(ROOT, "profiles", "default.json"), "utf8")) as unknown)],
]);

function runCommand(command: string, args: readonly string[], cwd: string): Promise<Run> {
  return runProcess(command, args, { cwd, timeout: RUN_TIMEOUT_MS });
}

function kmem(args: readonly string[], cwd: string): Promise<Run> {
  return runCommand(process.execPath, [BIN, ...args], cwd);
}

/** The servers the docs start share port 4096: one at a time. */
let serving: Promise<unknown> = Promise.resolve();

/** Starts a `kmem view` server after any other, resolves with what it printed once it printed its URL, and stops it. */
function serve(args: readonly string[], cwd: string): Promise<string> {
  const next = serving.then(() => serveNow(args, cwd));
  serving = next.catch(() => undefined);
  return next;
}

function serveNow(args: readonly string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, timeout: RUN_TIMEOUT_MS });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
      if (SERVER_URL.test(out)) {
        child.removeAllListeners("close");
        child.on("close", () => resolve(out));
        child.kill("SIGTERM");
      }
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    child.on("error", reject);
    child.on("close", (status) => reject(new Error(`kmem ${args.join(" ")} exited with ${String(status)} before printing a URL: ${out}`)));
  });
}

/** The commands a block's markers exempt (`not run: COMMAND`). */
function exemptions(block: FencedBlock): string[] {
  return block.markers.filter((m) => m.startsWith(NOT_RUN)).map((m) => m.slice(NOT_RUN.length).trim());
}

function isExempt(block: FencedBlock, command: string): boolean {
  return exemptions(block).some((prefix) => command.startsWith(prefix));
}

function where(item: { readonly file: string; readonly line: number }): string {
  return `${item.file}:${item.line}`;
}

/** The `--flags` named in `text`. */
function flagsIn(text: string): string[] {
  return [...new Set(text.match(/--[a-z][a-z0-9-]*/g) ?? [])].sort();
}

const blocks = DOCS.flatMap((file) => fencedBlocks(file, readFileSync(join(ROOT, file), "utf8")));
let dir = "";

before(async () => {
  assert.ok(existsSync(BUILT_MAIN), `${BUILT_MAIN} is missing: run \`npm run build\` first (npm test builds before testing)`);
  dir = await mkdtemp(join(tmpdir(), "kmem-doc-test-"));
  const profile = join(ROOT, "profiles", "default.json");
  await Promise.all(DEFAULT_PROFILE_COPIES.map((name) => copyFile(profile, join(dir, name))));
  const bad = JSON.parse(readFileSync(profile, "utf8")) as { kernel: Record<string, string> };
  bad.kernel["physEnd"] = BAD_KERNEL_END;
  await writeFile(join(dir, BAD_PROFILE), JSON.stringify(bad, null, 2));
  await mkdir(join(dir, "examples"));
  await Promise.all(readdirSync(EXAMPLES).filter((f) => f.endsWith(".kmem")).map((f) => copyFile(join(EXAMPLES, f), join(dir, "examples", f))));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("every command in the README and docs/ prints what the doc shows", { concurrency: 2 }, () => {
  for (const shown of blocks.flatMap(promptedCommands)) {
    test(`${where(shown)}: ${shown.command}`, async () => {
      const args = kmemArguments(shown.command);
      assert.ok(args !== null, `${where(shown)}: only kmem commands can be shown with their output (${shown.command})`);
      const run = await kmem(args, dir);
      assert.equal(normalise(run.stdout + run.stderr), normalise(shown.output), `${where(shown)}: the output differs from the doc`);
      assert.equal(run.status, shown.status, `${where(shown)}: exit status (state it with "# exit status N")`);
    });
  }
});

describe("every command of a shell listing runs, or is exempted with a reason", { concurrency: 2 }, () => {
  const listed = blocks.filter(isShellListing).flatMap((block) => listedCommands(block).map((c): [FencedBlock, ListedCommand] => [block, c]));
  for (const [block, listing] of listed) {
    const args = kmemArguments(listing.command);
    if (isExempt(block, listing.command)) {
      const reason = [...EXEMPT].find(([prefix]) => listing.command.startsWith(prefix))?.[1] ?? "no reason listed in EXEMPT";
      test(`${where(listing)}: ${listing.command} (not run: ${reason})`, () => {
        assert.ok([...EXEMPT.keys()].some((prefix) => listing.command.startsWith(prefix)), `${where(listing)}: add a reason to EXEMPT`);
      });
    } else if (args === null) {
      test(`${where(listing)}: ${listing.command}`, () => {
        assert.fail(`${where(listing)}: not a kmem command; run it here or mark the block <!-- doc-test: not run: ${listing.command} --> with a reason in EXEMPT`);
      });
    } else if (args[0] === "view" && !args.includes("--static")) {
      test(`${where(listing)}: ${listing.command} serves the page and prints its URL`, async () => {
        assert.match(await serve(args, dir), SERVER_URL);
      });
    } else {
      test(`${where(listing)}: ${listing.command} exits with status 0`, async () => {
        const run = await kmem(args, dir);
        assert.equal(run.stderr, "", `${where(listing)}: stderr`);
        assert.equal(run.status, 0, `${where(listing)}: exit status`);
      });
    }
  }

  test("every exemption a doc makes is listed in EXEMPT, and every entry of EXEMPT is used", () => {
    const used = blocks.flatMap(exemptions);
    for (const command of used) {
      assert.ok(EXEMPT.has(command), `"not run: ${command}" has no reason in EXEMPT`);
    }
    assert.deepEqual([...new Set(used)].sort(), [...EXEMPT.keys()].sort(), "EXEMPT lists exactly the exemptions the docs use");
  });
});

describe("every TypeScript example in the docs is a file of examples/ that runs", { concurrency: 2 }, () => {
  const examples = new Map(readdirSync(EXAMPLES).filter((f) => f.endsWith(".ts")).map((f) => [readFileSync(join(EXAMPLES, f), "utf8"), f]));
  const shown = blocks.filter((b) => b.tag === "ts");
  const files = new Set<string>();
  for (const block of shown) {
    const file = examples.get(`${block.lines.join("\n")}\n`);
    test(`${where(block)}: the block is examples/${file ?? "?"}`, () => {
      assert.ok(file !== undefined, `${where(block)}: the block matches no file in examples/ (copy it there, byte for byte)`);
    });
    if (file !== undefined) {
      files.add(file);
    }
  }
  const ownTests = join(ROOT, "test", "examples");
  for (const file of [...files].sort().filter((f) => !existsSync(join(ownTests, f.replace(/\.ts$/, ".test.ts"))))) {
    test(`examples/${file} runs without an error`, async () => {
      const run = await runCommand(process.execPath, ["--import", TSX, join(EXAMPLES, file)], dir);
      assert.equal(run.stderr, "", `examples/${file}: stderr`);
      assert.equal(run.status, 0, `examples/${file}: exit status`);
    });
  }
});

describe("every JSON block says what it shows, and equals it, field order included", () => {
  for (const block of blocks.filter((b) => b.tag === "json")) {
    test(`${where(block)}: ${block.markers.join("; ")}`, async () => {
      const source = block.markers.map((m) => JSON_SOURCES.get(m)).find((s) => s !== undefined);
      assert.ok(source !== undefined, `${where(block)}: put one of <!-- doc-test: ${[...JSON_SOURCES.keys()].join(" | ")} --> above the block`);
      const shown = JSON.stringify(JSON.parse(block.lines.join("\n")), null, 1);
      assert.equal(shown, JSON.stringify(await source(dir), null, 1), `${where(block)}: the JSON differs`);
    });
  }
});

describe("the command tables name every flag kmem help lists", () => {
  const program = new Command("kmem");
  for (const register of commands) {
    register(program, () => undefined);
  }
  // Verbs and their subcommands (`quiz translate`), each with its own flags.
  const verbs = program.commands.flatMap((c) => [{ name: c.name(), command: c }, ...c.commands.map((sub) => ({ name: `${c.name()} ${sub.name()}`, command: sub }))]);
  const flagsOf = new Map(verbs.map(({ name, command }) => [name, command.options.map((o) => o.long ?? "").filter((f) => f !== "").sort()]));
  const synopses = [
    ...blocks.filter((b) => b.file === "docs/cli.md" && b.tag === "").flatMap((b) => b.lines).filter((l) => /^kmem [a-z]/.test(l)),
    ...readFileSync(join(ROOT, "README.md"), "utf8").split("\n").filter((l) => l.startsWith("| `kmem ")).map((l) => l.split("|")[1] ?? ""),
  ];
  for (const line of synopses) {
    const words = /kmem ([a-z-]+)(?: ([a-z-]+))?/.exec(line);
    const verb = flagsOf.has(`${words?.[1] ?? ""} ${words?.[2] ?? ""}`) ? `${words?.[1] ?? ""} ${words?.[2] ?? ""}` : (words?.[1] ?? "");
    if (verb === "help") {
      continue;
    }
    test(`${line.trim()}`, () => {
      assert.deepEqual(flagsIn(line), flagsOf.get(verb), `the flags of kmem ${verb}, as kmem help ${verb} lists them`);
    });
  }
});
