import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import assert from "node:assert/strict";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "bin", "kmem.js");

function kmem(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  assert.ok(existsSync(join(ROOT, "dist", "cli", "main.js")), "run `npm run build` first (npm test builds before testing)");
  const run = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: "utf8" });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
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

  test("a file that is not ELF is one line on stderr, exit 2", () => {
    const run = kmem("load-elf", join(ROOT, "package.json"));
    assert.equal(run.status, 2);
    assert.equal(run.stderr, "kmem: Cannot load the file: it does not start with \\x7fELF\n");
    assert.equal(run.stdout, "");
  });
});
