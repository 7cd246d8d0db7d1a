import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { boot } from "../../../src/boot/boot.js";
import { DEFAULT_PROFILE } from "../../../src/boot/default-profile.js";
import { reportBoot } from "../../../src/cli/commands/boot.js";

const KERNEL_RW = { kernel: true, writable: true, cachable: true };

function booted(): Parameters<typeof reportBoot>[0] {
  return { machine: boot(DEFAULT_PROFILE), source: "a test profile", bootMs: 1 };
}

describe("reportBoot", () => {
  test("exits 0 with the map and a passing check for a healthy machine", () => {
    const { text, status } = reportBoot(booted(), { json: false });
    assert.equal(status, 0);
    assert.match(text, /^Booted a test profile: 128 MiB PC/);
    assert.match(text, /\nSelf-check: +ok: /);
  });

  test("exits 1 and lists the failure when the machine was corrupted after boot", () => {
    const run = booted();
    run.machine.vmm.alloc(1, KERNEL_RW, 0xe000_0000);
    const { text, status } = reportBoot(run, { json: false });
    assert.equal(status, 1);
    assert.match(text, /\nSelf-check: +FAILED: 2 problem\(s\) in 1048575 virtual blocks checked; the first 2:\n {2}unexpected-set: 0xE0000000 /);
  });

  test("exits 1 with selfCheck.ok false in --json for a corrupted machine", () => {
    const run = booted();
    run.machine.paging.unmap(0xc010_0000, 0xc010_1000, run.machine.cr3);
    const { text, status } = reportBoot(run, { json: true });
    const json = JSON.parse(text) as { selfCheck: { ok: boolean; failureCount: number; failures: { problem: string; address: number }[] } };
    assert.equal(status, 1);
    assert.equal(json.selfCheck.ok, false);
    assert.deepEqual(json.selfCheck.failures.map((f) => [f.problem, f.address]), [["fault", 0xc010_0000]]);
  });
});
