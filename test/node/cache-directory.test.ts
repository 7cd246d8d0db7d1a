import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { guestCacheDirectory } from "../../src/node/qemu/cache-directory.js";
import { buildGuest, qemuDirectory } from "../../src/node/qemu/guest.js";
import { QemuError } from "../../src/node/qemu/qemu-error.js";
import { findQemuTools } from "../../src/node/qemu/tools.js";

const root = mkdtempSync(join(tmpdir(), "kmem-cache-test-"));
after(() => rmSync(root, { recursive: true, force: true }));

let serial = 0;
/** A fresh directory under the test's root. */
function fresh(): string {
  const dir = join(root, String(serial++));
  mkdirSync(dir);
  return dir;
}

/** A path no one (not even root) can create a directory under: its parent is a regular file. */
function uncreatable(): string {
  const file = join(fresh(), "a-file");
  writeFileSync(file, "");
  return join(file, "cache");
}

const uid = process.getuid?.() ?? "user";

describe("guestCacheDirectory", () => {
  test("uses $XDG_CACHE_HOME/kmem first, creating it", () => {
    const xdg = join(fresh(), "xdg");
    const dir = guestCacheDirectory({ env: { XDG_CACHE_HOME: xdg, HOME: fresh() }, temp: fresh() });
    assert.equal(dir, join(xdg, "kmem"));
    assert.equal(statSync(dir).isDirectory(), true, "the directory is created");
  });

  test("ignores a relative $XDG_CACHE_HOME (the XDG spec says so) and uses ~/.cache/kmem", () => {
    const home = fresh();
    assert.equal(guestCacheDirectory({ env: { XDG_CACHE_HOME: "relative/cache", HOME: home }, temp: fresh() }), join(home, ".cache", "kmem"));
  });

  test("falls back to ~/.cache/kmem when $XDG_CACHE_HOME cannot be created", () => {
    const home = fresh();
    assert.equal(guestCacheDirectory({ env: { XDG_CACHE_HOME: uncreatable(), HOME: home }, temp: fresh() }), join(home, ".cache", "kmem"));
  });

  test("falls back to a private kmem-<uid> directory in the temp dir when no cache under the home works", () => {
    const temp = fresh();
    const dir = guestCacheDirectory({ env: { XDG_CACHE_HOME: uncreatable(), HOME: uncreatable() }, temp });
    assert.equal(dir, join(temp, `kmem-${uid}`));
    assert.equal(statSync(dir).mode & 0o777, 0o700, "created private to the user");
  });

  test("refuses a kmem-<uid> temp directory others can write, and then says what it tried", () => {
    const temp = fresh();
    const planted = join(temp, `kmem-${uid}`);
    mkdirSync(planted);
    chmodSync(planted, 0o777);
    const xdg = uncreatable();
    assert.throws(
      () => guestCacheDirectory({ env: { XDG_CACHE_HOME: xdg, HOME: uncreatable() }, temp }),
      (error: unknown) => {
        assert.ok(error instanceof QemuError, "a QemuError");
        assert.equal(error.code, "GuestFailed");
        assert.match(error.message, /^Cannot build the QEMU guest: no writable cache directory: /);
        assert.ok(error.message.includes(`${join(xdg, "kmem")} (ENOTDIR)`), error.message);
        assert.ok(error.message.includes(`${planted} (not a private directory of this user)`), error.message);
        assert.match(error.message, /set XDG_CACHE_HOME to a writable directory$/);
        return true;
      },
    );
  });
});

describe("buildGuest", () => {
  test("assembles into the cache directory, keyed by the source's hash, and never writes into the package", () => {
    const nasm = findQemuTools().nasm;
    const xdg = fresh();
    const before = readdirSync(qemuDirectory()).sort();
    const saved = process.env["XDG_CACHE_HOME"];
    process.env["XDG_CACHE_HOME"] = xdg;
    try {
      const image = buildGuest(0x0700_0000, nasm);
      const files = readdirSync(join(xdg, "kmem"));
      assert.equal(files.length, 1, `one image in the cache: ${files.join(", ")}`);
      assert.match(files[0] ?? "", /^guest-[0-9a-f]{16}-07000000\.bin$/);
      assert.equal(statSync(join(xdg, "kmem", files[0] ?? "")).size, image.length);
      // A second build at the same base reuses the image.
      assert.deepEqual(buildGuest(0x0700_0000, nasm), image);
      assert.equal(readdirSync(join(xdg, "kmem")).length, 1, "reused, not rebuilt under another name");
    } finally {
      if (saved === undefined) delete process.env["XDG_CACHE_HOME"];
      else process.env["XDG_CACHE_HOME"] = saved;
    }
    assert.deepEqual(readdirSync(qemuDirectory()).sort(), before, "qemu/ in the package is unchanged");
    assert.equal(existsSync(join(qemuDirectory(), "build", "guest-07000000.bin")), false, "no image in the old qemu/build/");
  });
});
