import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLI = `${ROOT}bin/kmem.js`;
const run = promisify(execFile);

/** Runs the built CLI; resolves with its exit status and output (no throw on a non-zero status). */
async function kmem(args: readonly string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { cwd: ROOT });
    return { status: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { status: failed.code ?? -1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

describe("kmem view (CLI)", () => {
  test("--static writes one self-contained page embedding the validated profile", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kmem-view-"));
    try {
      const file = join(dir, "view.html");
      const result = await kmem(["view", "--static", file]);
      assert.equal(result.status, 0, result.stderr);
      const html = await readFile(file, "utf8");
      assert.doesNotMatch(html, /KMEM_(DATA|STYLE|SCRIPT)/);
      assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+stylesheet/);
      const json = /<script type="application\/json" id="kmem-data">(.*?)<\/script>/s.exec(html)?.[1] ?? "";
      const data = JSON.parse(json) as { profile: { kernel: { virtStart: number } }; source: string };
      assert.equal(data.profile.kernel.virtStart, 0xc0100000);
      assert.equal(data.source, "the default profile");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("an invalid profile exits 2 with one line naming the field, before serving", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kmem-view-"));
    try {
      const file = join(dir, "bad.json");
      await writeFile(file, JSON.stringify({ memoryBytes: "0x100000", memoryMap: [], kernel: { physStart: 0x100000, physEnd: 0, virtStart: 0, virtEnd: 0 } }));
      const result = await kmem(["view", "--profile", file, "--port", "0"]);
      assert.equal(result.status, 2);
      assert.equal(result.stderr.trim().split("\n").length, 1);
      assert.match(result.stderr, /kernel\./);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("a bad --port exits 2 naming the value", async () => {
    const result = await kmem(["view", "--port", "http"]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /--port http is not a port number/);
  });

  test("--static into a missing directory exits 2 naming the file", async () => {
    const file = join(tmpdir(), "kmem-view-missing-dir", "deeper", "view.html");
    const result = await kmem(["view", "--static", file]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /^kmem: Cannot write .*view\.html: /);
  });
});
