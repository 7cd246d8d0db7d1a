import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { BuddyFrames } from "../../src/alloc/buddy.js";
import { LowestFirstFrames } from "../../src/alloc/lowest-first.js";
import { bootFromFlags, parseAddressArgument } from "../../src/cli/machine-options.js";
import { UsageError } from "../../src/cli/usage-error.js";

describe("parseAddressArgument", () => {
  test("reads 0x… hex in either case and decimal", () => {
    assert.equal(parseAddressArgument("0xC0100010", "VADDR"), 0xc010_0010);
    assert.equal(parseAddressArgument("0xc0100010", "VADDR"), 0xc010_0010);
    assert.equal(parseAddressArgument("4096", "VADDR"), 4096);
    assert.equal(parseAddressArgument("0xFFFFFFFF", "VADDR"), 0xffff_ffff);
    assert.equal(parseAddressArgument("0xC010_0010", "VADDR"), 0xc010_0010, "_ between hex digits");
    assert.equal(parseAddressArgument("1_048_576", "VADDR"), 0x10_0000, "_ between decimal digits");
  });

  test("rejects non-addresses and addresses from 4 GiB up as UsageError", () => {
    assert.throws(() => parseAddressArgument("-1", "VADDR"), (e: unknown) => e instanceof UsageError && e.message === 'VADDR "-1" is not an address (use 0x… hex or decimal)');
    assert.throws(() => parseAddressArgument("0x", "VADDR"), UsageError);
    assert.throws(
      () => parseAddressArgument("4294967296", "VADDR"),
      (e: unknown) => e instanceof UsageError && e.message === "VADDR 4294967296 is beyond 4 GiB (32-bit virtual addresses end at 0xFFFFFFFF)",
    );
  });

  test("echoes a huge or multi-line argument on one line of at most 60 characters", () => {
    const message = (text: string): string => {
      try {
        parseAddressArgument(text, "VADDR");
      } catch (error) {
        return error instanceof Error ? error.message : String(error);
      }
      return "accepted";
    };
    assert.equal(message(`0x${"f".repeat(100_000)}`), `VADDR "0x${"f".repeat(56)}… is beyond 4 GiB (32-bit virtual addresses end at 0xFFFFFFFF)`);
    assert.equal(message("x".repeat(100_000)), `VADDR "${"x".repeat(58)}… is not an address (use 0x… hex or decimal)`);
    assert.equal(message("0x1\n0x2"), 'VADDR "0x1\\n0x2" is not an address (use 0x… hex or decimal)');
  });
});

describe("bootFromFlags", () => {
  test("boots the default profile when no file is given", () => {
    const booted = bootFromFlags({});
    assert.equal(booted.source, "the default profile");
    assert.equal(booted.machine.cr4Pse, false);
    assert.ok(booted.bootMs >= 0, `boot time ${booted.bootMs} ms is not negative`);
  });

  test("turns a profile error into a one-line UsageError naming the file and field", () => {
    const dir = mkdtempSync(join(tmpdir(), "kmem-flags-"));
    try {
      const file = join(dir, "bad.json");
      writeFileSync(file, JSON.stringify({ memoryBytes: 4096, memoryMap: [] }));
      assert.throws(() => bootFromFlags({ profile: file }), (e: unknown) => e instanceof UsageError && e.message === `${file}: kernel is missing`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("passes --large-pages on as CR4.PSE", () => {
    assert.equal(bootFromFlags({ largePages: true }).machine.cr4Pse, true);
  });

  test("passes --pmm-policy on to the PMM and refuses an unknown policy", () => {
    assert.ok(bootFromFlags({ pmmPolicy: "buddy" }).machine.pmm.policy instanceof BuddyFrames, "the buddy policy");
    assert.ok(bootFromFlags({}).machine.pmm.policy instanceof LowestFirstFrames, "lowest-first by default");
    assert.throws(() => bootFromFlags({ pmmPolicy: "best" }), (e: unknown) => e instanceof UsageError && e.message === '--pmm-policy "best" is not a policy (use lowest or buddy)');
  });
});
