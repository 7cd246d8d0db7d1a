import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { QemuError } from "../../src/node/qemu/qemu-error.js";
import { compareRiscvRuns, mergeRuns, parseRiscvInfoMem, riscvAttrs } from "../../src/node/qemu/riscv-mem.js";

/** QEMU 7.2's RISC-V `info mem` (Sv39), as the monitor prints it. */
const SV39 = `vaddr            paddr            size             attr
---------------- ---------------- ---------------- -------
0000000000010000 0000000080300000 0000000000004000 r-xu---
ffffffffc0000000 0000000080000000 0000000000008000 r-x-g--
ffffffffc0200000 0000000080400000 0000000000200000 rw--gad
`;

describe("QEMU's RISC-V info mem, parsed and compared run by run", () => {
  test("parses each run's virtual start, frame, size and rwxugad bits, skipping the header", () => {
    assert.deepEqual(parseRiscvInfoMem(SV39), [
      { virt: 0x1_0000n, phys: 0x8030_0000, size: 0x4000, attrs: "r-xu---" },
      { virt: 0xffff_ffff_c000_0000n, phys: 0x8000_0000, size: 0x8000, attrs: "r-x-g--" },
      { virt: 0xffff_ffff_c020_0000n, phys: 0x8040_0000, size: 0x20_0000, attrs: "rw--gad" },
    ]);
  });

  test("refuses a line of another shape, naming it", () => {
    assert.throws(() => parseRiscvInfoMem("No translation or protection\n"), (error: unknown) => error instanceof QemuError && error.code === "MonitorError" && /unexpected line "No translation or protection"/.test(error.message));
  });

  test("merges runs only while virtual and physical addresses follow on with the same bits", () => {
    const page = (virt: bigint, phys: number, attrs = "rw-----") => ({ virt, phys, size: 0x1000, attrs });
    assert.deepEqual(mergeRuns([page(0x1000n, 0x5000), page(0x2000n, 0x6000), page(0x3000n, 0x8000), page(0x4000n, 0x9000, "r------"), page(0x6000n, 0xb000, "r------")]), [
      { virt: 0x1000n, phys: 0x5000, size: 0x2000, attrs: "rw-----" },
      page(0x3000n, 0x8000),
      page(0x4000n, 0x9000, "r------"),
      page(0x6000n, 0xb000, "r------"),
    ]);
  });

  test("kmem's leaves equal to QEMU's runs compare clean; a changed bit, frame or missing page is named", () => {
    const qemu = parseRiscvInfoMem(SV39);
    const leaves = [
      ...[0, 1, 2, 3].map((i) => ({ virt: 0x1_0000n + BigInt(i * 0x1000), phys: 0x8030_0000 + i * 0x1000, size: 0x1000, attrs: "r-xu---" })),
      ...Array.from({ length: 8 }, (_, i) => ({ virt: 0xffff_ffff_c000_0000n + BigInt(i * 0x1000), phys: 0x8000_0000 + i * 0x1000, size: 0x1000, attrs: "r-x-g--" })),
      { virt: 0xffff_ffff_c020_0000n, phys: 0x8040_0000, size: 0x20_0000, attrs: riscvAttrs({ readable: true, writable: true, executable: false, user: false, global: true, accessed: true, dirty: true }) },
    ];
    assert.deepEqual(compareRiscvRuns(leaves, qemu), { compared: 3, differences: [] });
    const changed = leaves.map((l, i) => (i === 12 ? { ...l, phys: 0x8060_0000 } : l)).filter((_, i) => i !== 0);
    assert.deepEqual(compareRiscvRuns(changed, qemu).differences, [
      "0x0000000000011000: kmem 0x80301000 +0x00003000 r-xu---, QEMU not mapped",
      "0xFFFFFFFFC0200000: kmem 0x80600000 +0x00200000 rw--gad, QEMU 0x80400000 +0x00200000 rw--gad",
      "0x0000000000010000: kmem not mapped, QEMU 0x80300000 +0x00004000 r-xu---",
    ]);
  });
});
