import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { QemuError } from "../../src/node/qemu/qemu-error.js";
import { QmpSession } from "../../src/node/qemu/qmp.js";
import { findQemuTools } from "../../src/node/qemu/tools.js";

const dir = mkdtempSync(join(tmpdir(), "kmem-qemu-tools-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A file that exists but has no execute bit. */
const notExecutable = join(dir, "qemu-system-i386");
writeFileSync(notExecutable, "not a program\n");
chmodSync(notExecutable, 0o644);

function isMissing(pattern: RegExp): (error: unknown) => boolean {
  return (error: unknown) => error instanceof QemuError && error.code === "QemuMissing" && pattern.test(error.message) && !error.message.includes("\n");
}

describe("findQemuTools", () => {
  test("KMEM_QEMU or KMEM_NASM naming no file is QemuMissing naming the variable, not a later start failure", () => {
    assert.throws(() => findQemuTools({ PATH: process.env["PATH"] ?? "", KMEM_QEMU: "/nonexistent" }), isMissing(/^Cannot run the QEMU check: KMEM_QEMU=\/nonexistent cannot be run \(no such file\)/));
    assert.throws(() => findQemuTools({ PATH: process.env["PATH"] ?? "", KMEM_NASM: "/nonexistent/nasm" }), isMissing(/KMEM_NASM=\/nonexistent\/nasm cannot be run \(no such file\)/));
  });

  test("KMEM_QEMU naming a directory or a file without an execute bit is QemuMissing", () => {
    assert.throws(() => findQemuTools({ KMEM_QEMU: dir }), isMissing(/cannot be run \(it is not a file\)/));
    assert.throws(() => findQemuTools({ KMEM_QEMU: notExecutable, KMEM_NASM: "/bin/sh" }), (error: unknown) => {
      // root may run anything with an execute bit only; the file has none, so even root is refused.
      return isMissing(/cannot be run \(it is not executable\)/)(error);
    });
  });
});

describe("QmpSession.start", () => {
  test("a program that cannot be started is QemuMissing (exit 2 in the CLI), not GuestFailed", async () => {
    await assert.rejects(QmpSession.start(join(dir, "no-such-qemu"), []), isMissing(/^Cannot start QEMU .*no-such-qemu: spawn .* ENOENT; install them/));
    await assert.rejects(QmpSession.start(notExecutable, []), isMissing(/^Cannot start QEMU .*: spawn .* EACCES/));
  });
});
