import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { compareInspectWithQemu, parseInfoMemWide, parseInfoTlbWide } from "../../src/node/qemu/inspect-compare.js";
import { QemuError } from "../../src/node/qemu/qemu-error.js";

const TLB = ["0000000000400000: 00000000032a9000 ----A--U-", "ffffffff81000000: 0000000001000000 -GPDA----", "ffffffffff5fc000: 00000000fec00000 XG---CT-W"];

describe("QEMU's info tlb and info mem in every x86 mode", () => {
  test("info tlb lines give 64-bit addresses exactly and the leaf's own bits", () => {
    const lines = parseInfoTlbWide(TLB.join("\n"));
    assert.deepEqual(lines.map((l) => [l.virt, l.phys, l.large, l.noExecute, l.global, l.cacheDisable, l.writeThrough, l.user, l.writable]), [
      [0x40_0000n, 0x32a_9000, false, false, false, false, false, true, false],
      [0xffff_ffff_8100_0000n, 0x100_0000, true, false, true, false, false, false, false],
      [0xffff_ffff_ff5f_c000n, 0xfec0_0000, false, true, true, true, true, false, true],
    ]);
  });

  test("info mem ranges, an end of 0 being the top of the space; other lines are MonitorError", () => {
    assert.deepEqual(parseInfoMemWide("0000000000400000-0000000000401000 0000000000001000 ur-\nffffffffff5fc000-0000000000000000 0000000000a04000 -rw"), [
      { start: 0x40_0000n, end: 0x40_1000n, user: true, writable: false },
      { start: 0xffff_ffff_ff5f_c000n, end: 1n << 64n, user: false, writable: true },
    ]);
    assert.throws(() => parseInfoMemWide("PG disabled"), (e: unknown) => e instanceof QemuError && e.code === "MonitorError");
  });

  test("a page on one side only, or with other bits, is a difference; U and W come from info mem (no range: no rights)", () => {
    const json = {
      arch: "x86-64",
      root: "0x1000",
      mappings: [
        { virt: "0x0000000000400000", phys: "0x32A9000", size: "0x1000", user: true, writable: false, executable: true, global: false, pcd: false, pwt: false },
        { virt: "0xFFFFFFFF81000000", phys: "0x1000000", size: "0x200000", user: false, writable: true, executable: true, global: true, pcd: false, pwt: false },
      ],
    };
    const tlb = parseInfoTlbWide(["0000000000400000: 00000000032a9000 -------UW", "ffffffff81000000: 0000000001000000 -GP-----W", "ffffffffff5fc000: 00000000fec00000 XG---CT-W"].join("\n"));
    const mem = parseInfoMemWide("0000000000400000-0000000000401000 0000000000001000 ur-\nffffffff81000000-ffffffff81200000 0000000000200000 -r-");
    assert.deepEqual(compareInspectWithQemu(json, tlb, mem), {
      compared: 3,
      differences: [
        "0xFFFFFFFF81000000: kmem 0x01000000 large -WXG--, QEMU 0x01000000 large --XG--",
        "0xFFFFFFFFFF5FC000: kmem not mapped, QEMU 0xFEC00000 ---GCT",
      ],
    });
  });
});
