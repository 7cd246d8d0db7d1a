import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { boot } from "../../../src/boot/boot.js";
import { DEFAULT_PROFILE } from "../../../src/boot/default-profile.js";
import { describeMachine } from "../../../src/boot/describe.js";
import { selfCheck } from "../../../src/boot/self-check.js";
import { renderBoot } from "../../../src/cli/print/machine.js";

const TIMINGS = { bootMs: 12.34, checkMs: 1.5 };

describe("renderBoot", () => {
  test("prints the map with an unmapped reservation, the statistics and a passing check", () => {
    const machine = boot({ ...DEFAULT_PROFILE, virtualReserved: [{ virtStart: 0xd000_0000, virtEnd: 0xd000_2000, label: "heap" }] });
    const text = renderBoot(describeMachine(machine, selfCheck(machine)), "Booted test", TIMINGS);
    assert.match(text, /^Booted test\n\nAddress space \(kernel VMM 0x00001000–0x100000000, CR3 0x00001000\):\n/);
    assert.match(text, /\n {2}0xD0000000–0xD0002000 {2}\(reserved, unmapped\) +8 KiB {2}kernel rw cached {2}heap\n/);
    assert.match(text, /\nSelf-check: {6}ok: 1048575 virtual blocks checked, 654 required blocks translated through the MMU\n/);
    assert.match(text, /\nBoot time: {7}12\.3 ms \(self-check 1\.5 ms\)\n$/);
  });

  test("prints a failed check with the count and the first failures", () => {
    const machine = boot(DEFAULT_PROFILE);
    machine.vmm.alloc(2, { kernel: true, writable: true, cachable: true }, 0xd000_0000);
    const text = renderBoot(describeMachine(machine, selfCheck(machine)), "Booted test", TIMINGS);
    assert.match(text, /\nSelf-check: {6}FAILED: 4 problem\(s\) in 1048575 virtual blocks checked; the first 4:\n/);
    assert.match(text, /\n {2}unexpected-set: 0xD0001000 is set in the VMM, but the profile does not require it\n/);
  });
});
