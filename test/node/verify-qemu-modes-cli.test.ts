import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";

/** Runs the CLI from source (no build needed) and returns its exit status and output. */
function kmem(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const script = 'import { main } from "./src/cli/main.ts"; process.exitCode = await main(process.argv.slice(1));';
  const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script, ...args], { encoding: "utf8", timeout: 60_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

// The text report of both families is pinned by the README's verify-qemu commands (doc tests).
describe("kmem verify-qemu in other modes (--arch, a profile's arch)", () => {
  test("--arch x86-64 --random 2000 --json: pages and ring 0/3 accesses agree after the random operations", () => {
    const run = kmem(["verify-qemu", "--arch", "x86-64", "--random", "2000", "--seed", "1", "--json"]);
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout) as { ok: boolean; arch: string; compared: number; differences: unknown[]; probes: { count: number; faulted: number; differences: unknown[] }; random: { allocs: number; frees: number } };
    assert.equal(report.ok, true);
    assert.equal(report.arch, "x86-64");
    assert.deepEqual(report.differences, []);
    assert.deepEqual(report.probes.differences, []);
    assert.ok(report.compared > 2785 && report.probes.count > 200 && report.probes.faulted > 0, `pages ${String(report.compared)}, accesses ${JSON.stringify(report.probes)}`);
    assert.ok(report.random.allocs > 500 && report.random.frees > 500, `random operations ${JSON.stringify(report.random)}`);
  });

  test("--arch and --profile together exit 2 with one line", () => {
    const run = kmem(["verify-qemu", "--arch", "x86-64", "--profile", "profiles/x86-64.json"]);
    assert.equal(run.status, 2, run.stdout);
    assert.equal(run.stderr, "kmem: --arch and --profile both name a profile: give one\n");
  });
});
