import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_PROFILE } from "../../src/boot/default-profile.js";
import { ProfileError } from "../../src/boot/profile-error.js";
import { readProfileFile } from "../../src/node/profile-file.js";

const dir = mkdtempSync(join(tmpdir(), "kmem-profile-file-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("readProfileFile", () => {
  test("gives the built-in default profile without a file", () => {
    assert.equal(readProfileFile(undefined), DEFAULT_PROFILE);
  });

  test("reads and validates a profile file", () => {
    assert.deepEqual(readProfileFile(file("ok.json", JSON.stringify(DEFAULT_PROFILE))), DEFAULT_PROFILE);
  });

  test("prefixes validation messages with the file name, keeping the field path in data", () => {
    const path = file("bad.json", JSON.stringify({ ...DEFAULT_PROFILE, kernel: { ...DEFAULT_PROFILE.kernel, physEnd: 0 } }));
    assert.throws(
      () => readProfileFile(path),
      (e: unknown) =>
        e instanceof ProfileError &&
        e.message === `${path}: kernel.physEnd 0x00000000 is below kernel.physStart 0x00100000` &&
        e.data.path === "kernel.physEnd",
    );
  });

  test("reports malformed JSON with the file name on one line", () => {
    const path = file("broken.json", "{");
    assert.throws(() => readProfileFile(path), (e: unknown) => e instanceof ProfileError && e.message.startsWith(`${path}: profile is not valid JSON: `) && !e.message.includes("\n"));
  });

  test("reports a missing file and a directory in plain words", () => {
    const missing = join(dir, "missing.json");
    assert.throws(() => readProfileFile(missing), (e: unknown) => e instanceof ProfileError && e.message === `cannot read profile ${missing}: no such file`);
    assert.throws(() => readProfileFile(dir), (e: unknown) => e instanceof ProfileError && e.message === `cannot read profile ${dir}: it is a directory`);
  });
});
