import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { boot } from "../../../src/boot/boot.js";
import { DEFAULT_PROFILE } from "../../../src/boot/default-profile.js";
import { describeEntry, renderWalk } from "../../../src/cli/print/walk.js";

describe("describeEntry", () => {
  const cases: readonly [number, "pde" | "pte", string][] = [
    [0x0000_0000, "pde", "not present"],
    [0x0000_2027, "pde", "present writable user accessed table 0x00002000"],
    [0x0010_0061, "pte", "present read-only supervisor accessed dirty frame 0x00100000"],
    [0x000b_8013, "pte", "present writable supervisor cache-disabled frame 0x000B8000"],
    [0x0040_0083, "pde", "present writable supervisor 4MiB-page frame 0x00400000"],
    [0x0010_0101, "pte", "present read-only supervisor global frame 0x00100000"],
  ];
  for (const [value, level, text] of cases) {
    test(`spells out ${level.toUpperCase()} 0x${value.toString(16)} as "${text}"`, () => {
      assert.equal(describeEntry(value, level), text);
    });
  }
});

describe("renderWalk", () => {
  test("shows the translation, the PDE and PTE used and the page offset", () => {
    const machine = boot(DEFAULT_PROFILE);
    assert.equal(
      renderWalk(machine.mmu.walk(0xc00b_8123, { write: true })),
      [
        "0xC00B8123 -> 0x000B8123 (supervisor write)",
        "  CR3 0x00001000",
        "  PDE[0x300] at 0x00001C00 = 0x00002027  present writable user accessed table 0x00002000",
        "  PTE[0x0B8] at 0x000022E0 = 0x000B8063  present writable supervisor accessed dirty frame 0x000B8000",
        "  offset 0x123",
        "",
      ].join("\n"),
    );
  });

  test("shows a fault with its error code, the entry that stopped the walk and CR2", () => {
    const machine = boot(DEFAULT_PROFILE);
    assert.equal(
      renderWalk(machine.mmu.walk(0xc010_0000, { user: true })),
      [
        "0xC0100000: page fault on a user read, error code 0x5 (P=1 W=0 U=1): a user-mode access to a supervisor page",
        "  CR3 0x00001000",
        "  PDE[0x300] at 0x00001C00 = 0x00002027  present writable user accessed table 0x00002000",
        "  PTE[0x100] at 0x00002400 = 0x00100001  present read-only supervisor frame 0x00100000",
        "  CR2 0xC0100000",
        "",
      ].join("\n"),
    );
  });
});
