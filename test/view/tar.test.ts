import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { tarParts } from "../../view/tar.js";

const run = promisify(execFile);
const ODD_SIZE = 1000;
const MTIME = 1_700_000_000;

test("tarParts builds a ustar archive that tar extracts byte-exact", async () => {
  const dir = await mkdtemp(join(tmpdir(), "kmem-tar-"));
  try {
    const json = new TextEncoder().encode('{"cr3":4096}\n');
    const ram = Uint8Array.from({ length: ODD_SIZE }, (_, i) => i % 251);
    const parts = tarParts([{ name: "machine.json", data: json }, { name: "ram.bin", data: ram }], MTIME);
    await writeFile(join(dir, "machine.tar"), Buffer.concat(parts));
    await run("tar", ["-xf", "machine.tar"], { cwd: dir });
    assert.deepEqual(new Uint8Array(await readFile(join(dir, "machine.json"))), json);
    assert.deepEqual(new Uint8Array(await readFile(join(dir, "ram.bin"))), ram);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("tarParts pads every file to 512-byte blocks and ends with two zero blocks", () => {
  const parts = tarParts([{ name: "a", data: new Uint8Array(ODD_SIZE) }], MTIME);
  const total = parts.reduce((n, part) => n + part.length, 0);
  const block = 512;
  assert.equal(total, block + 2 * block + 2 * block);
});
