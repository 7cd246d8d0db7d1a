import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

test("the README's quick-start example runs against the built package and prints what it promises", () => {
  assert.ok(existsSync(`${root}dist/index.js`), "dist/index.js is missing: run `npm run build` first");
  const out = execFileSync(process.execPath, ["--import", "tsx", "examples/quick-start.ts"], { cwd: root, encoding: "utf8" });
  assert.match(out, /^self-check ok: true$/m);
  assert.match(out, /^alloc 4 blocks -> 0x00001000 backed by 0x[0-9A-F]{8}$/m);
  assert.match(out, /^read back: 0xCAFEF00D$/m);
  assert.match(out, /^page fault at 0xC0100010 error code 5$/m);
});
