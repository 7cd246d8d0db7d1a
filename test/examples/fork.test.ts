import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

test("the README's fork example runs against the built package: fault, share, copy, take over", () => {
  assert.ok(existsSync(`${root}dist/index.js`), "dist/index.js is missing: run `npm run build` first");
  const out = execFileSync(process.execPath, ["--import", "tsx", "examples/fork.ts"], { cwd: root, encoding: "utf8" });
  assert.equal(
    out,
    [
      "parent write: minor -> 0x00004000",
      "child read:   1 from the same frame 0x00004000",
      "child write:  cow-copy -> 0x00008000",
      "parent write: cow-reuse -> 0x00004000",
      "parent sees 3 and the child 2",
      "",
    ].join("\n"),
  );
});
