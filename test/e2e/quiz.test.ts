import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type Run, runProcess } from "../helpers/run-process.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "bin", "kmem.js");
const BUILT_MAIN = join(ROOT, "dist", "cli", "main.js");
const FIXTURES = new URL("../quiz/fixtures/", import.meta.url);
const EXIT_OK = 0;
const EXIT_BAD_INPUT = 2;

/** Runs the built CLI as a child process, as a user would. */
function kmem(...args: string[]): Promise<Run> {
  return runProcess(process.execPath, [BIN, ...args], { cwd: ROOT });
}

function assertBadInput(run: Run, pattern: RegExp): void {
  assert.equal(run.status, EXIT_BAD_INPUT, `stderr: ${run.stderr}`);
  assert.equal(run.stdout, "");
  assert.equal(run.stderr.split("\n").length, 2, `one line: ${run.stderr}`);
  assert.match(run.stderr, pattern);
}

before(() => {
  assert.ok(existsSync(BUILT_MAIN), `${BUILT_MAIN} is missing: run \`npm run build\` first (npm test builds before testing)`);
});

describe("the built kmem quiz", { concurrency: true }, () => {
  test("translate --seed 42 --answers prints the command that repeats it, then the golden exercise", async () => {
    const run = await kmem("quiz", "translate", "--seed", "42", "--count", "8", "--answers");
    assert.equal(run.status, EXIT_OK, run.stderr);
    const golden = readFileSync(new URL("translate-x86-seed-42.txt", FIXTURES), "utf8");
    assert.equal(run.stdout, `kmem quiz translate --arch x86 --seed 42 --count 8 --answers\n\n${golden}`);
  });

  test("translate --arch x86-64 walks four levels with 64-bit entries (the golden text)", async () => {
    const run = await kmem("quiz", "translate", "--arch", "x86-64", "--seed", "42", "--count", "6", "--answers");
    assert.equal(run.status, EXIT_OK, run.stderr);
    const golden = readFileSync(new URL("translate-x86-64-seed-42.txt", FIXTURES), "utf8");
    assert.equal(run.stdout, `kmem quiz translate --arch x86-64 --seed 42 --count 6 --answers\n\n${golden}`);
  });

  test("translate --arch riscv-sv39 answers faults with the exception cause (the golden text)", async () => {
    const run = await kmem("quiz", "translate", "--arch", "riscv-sv39", "--seed", "42", "--count", "6", "--answers");
    assert.equal(run.status, EXIT_OK, run.stderr);
    const golden = readFileSync(new URL("translate-riscv-sv39-seed-42.txt", FIXTURES), "utf8");
    assert.equal(run.stdout, `kmem quiz translate --arch riscv-sv39 --seed 42 --count 6 --answers\n\n${golden}`);
  });

  test("translate --json --answers is the golden JSON", async () => {
    const run = await kmem("quiz", "translate", "--seed", "7", "--count", "6", "--json", "--answers");
    assert.equal(run.status, EXIT_OK, run.stderr);
    assert.equal(run.stdout, readFileSync(new URL("translate-x86-seed-7.json", FIXTURES), "utf8"));
  });

  test("without --seed, a random seed is printed, and giving it back repeats the exercise", async () => {
    const first = await kmem("quiz", "translate", "--count", "3");
    assert.equal(first.status, EXIT_OK, first.stderr);
    const seed = /--seed (\d+) --count 3 {2}\(add --answers for the answers\)\n/.exec(first.stdout)?.[1];
    assert.ok(seed !== undefined, `the first line names the seed: ${first.stdout.split("\n")[0] ?? ""}`);
    const again = await kmem("quiz", "translate", "--seed", seed, "--count", "3");
    assert.equal(again.stdout, first.stdout);
  });

  test("--arch names the supported modes when it is not one of them", async () => {
    const supported = "supported: x86, x86-pae, x86-64, x86-64-la57, riscv-sv32, riscv-sv39, riscv-sv48, riscv-sv57";
    assertBadInput(await kmem("quiz", "translate", "--arch", "sparc"), new RegExp(`^kmem: Cannot generate a translation exercise for "sparc": not a paging mode \\(${supported}\\)$`, "m"));
  });

  test("policy reproduces Belady's anomaly with FIFO: 9 faults with 3 frames, 10 with 4", async () => {
    const trace = "1,2,3,4,1,2,5,1,2,3,4,5";
    const [three, four] = await Promise.all([3, 4].map((frames) => kmem("quiz", "policy", "--policy", "fifo", "--frames", String(frames), "--trace", trace, "--json", "--answers")));
    assert.equal((JSON.parse(three?.stdout ?? "") as { answers: { misses: number } }).answers.misses, 9);
    assert.equal((JSON.parse(four?.stdout ?? "") as { answers: { misses: number } }).answers.misses, 10);
  });

  test("alloc --json lists the requests; --answers adds the addresses", async () => {
    const run = await kmem("quiz", "alloc", "--seed", "3", "--count", "4", "--json", "--answers");
    assert.equal(run.status, EXIT_OK, run.stderr);
    const parsed = JSON.parse(run.stdout) as { quiz: string; requests: unknown[]; answers: { address: string | null; freeMap: string }[] };
    assert.equal(parsed.quiz, "alloc");
    assert.equal(parsed.requests.length, 4);
    assert.equal(parsed.answers[0]?.address, "0x00400000");
  });

  test("bad flags are one line and exit 2", async () => {
    assertBadInput(await kmem("quiz", "policy", "--policy", "random", "--frames", "3"), /argument 'random' is invalid\. Allowed choices are fifo, lru, clock, opt\./);
    assertBadInput(await kmem("quiz", "policy", "--policy", "lru", "--frames", "3", "--trace", "1,x"), /^kmem: --trace page "x" is not a whole number$/m);
    assertBadInput(await kmem("quiz", "policy", "--policy", "lru", "--frames", "3", "--trace", "1,2", "--seed", "4"), /use one or the other/);
    assertBadInput(await kmem("quiz", "policy", "--policy", "lru", "--frames", "99", "--seed", "4"), /^kmem: Cannot use 99 frames: use 1 to 16$/m);
    assertBadInput(await kmem("quiz", "translate", "--seed", "4294967296"), /^kmem: Cannot use seed 4294967296: use an integer from 0 to 4294967295$/m);
    assertBadInput(await kmem("quiz", "alloc", "--count", "x"), /^kmem: --count "x" is not a whole number$/m);
  });
});
