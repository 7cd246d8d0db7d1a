import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** The output docs/processes.md shows right after the block that is `examples/NAME`. */
function shownOutput(name: string): string {
  const doc = readFileSync(`${root}docs/processes.md`, "utf8");
  const after = doc.slice(doc.indexOf(`(this is \`examples/${name}\``));
  const block = /```\n([\s\S]*?)```/.exec(after);
  assert.ok(block !== null, `docs/processes.md shows the output of examples/${name}`);
  return block[1] ?? "";
}

for (const name of ["mprotect.ts", "swap-pool.ts"]) {
  test(`examples/${name} prints what docs/processes.md shows`, () => {
    const out = execFileSync(process.execPath, ["--import", "tsx", `examples/${name}`], { cwd: root, encoding: "utf8" });
    assert.equal(out, shownOutput(name));
  });
}
