import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

function run(example: string): string {
  assert.ok(existsSync(`${root}dist/index.js`), "dist/index.js is missing: run `npm run build` first");
  return execFileSync(process.execPath, ["--import", "tsx", `examples/${example}`], { cwd: root, encoding: "utf8" });
}

test("examples/kernel-half.ts allocates in the x86-64 kernel half with bigint addresses, up to the last page", () => {
  const out = run("kernel-half.ts");
  assert.match(out, /^alloc 4 blocks -> 0xFFFF800000000000 backed by 0x00101000$/m);
  assert.match(out, /^last page: 0xFFFFFFFFFFFFF000$/m);
  assert.match(out, /^blocks: 34359738368 free extents: 1$/m);
});

test("examples/aligned-alloc.ts maps an aligned allocation from the buddy PMM with one 4 MiB page", () => {
  const out = run("aligned-alloc.ts");
  assert.match(out, /^alloc 1024 blocks -> 0x00400000 mapped by 1 4 MiB page at 0x00400000$/m);
  assert.match(out, /^physical free: \d+ blocks in \d+ extents, the largest \d+$/m);
});
