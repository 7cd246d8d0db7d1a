import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { QemuError } from "../../src/node/qemu/qemu-error.js";
import { compareRiscvRuns, mergeRuns, parseRiscvInfoMem, riscvAttrs } from "../../src/node/qemu/riscv-mem.js";
import { compareLongProbes, encodeLongProbes, type LongProbe } from "../../src/node/qemu/long-probes.js";
import { compareRiscvProbes, formatRiscvProbe, RECORDS_OFFSET, type RiscvProbe, riscvProbeGuest } from "../../src/node/qemu/riscv-probes.js";

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

describe("RISC-V probe records against kmem's answers", () => {
  const probe = (vaddr: bigint, store: boolean, tagAt: number | null): RiscvProbe => ({ vaddr, priv: "U", sum: false, store, tagAt });
  const probes = [probe(0x1_0018n, false, 0x8030_0018), probe(0x2_0018n, false, 0x8031_0018), probe(0x3_0020n, true, null), probe(0x4_0018n, true, 0x8033_0018)];
  /** QEMU's records as the guest leaves them: each probe's loaded value, mcause and mtval. */
  function records(rows: readonly { value: bigint; cause: number; tval: bigint }[]): Uint8Array {
    const guest = riscvProbeGuest(0n, probes, false);
    const view = new DataView(guest.buffer);
    rows.forEach((r, i) => {
      const at = RECORDS_OFFSET + i * 48;
      view.setBigUint64(at + 24, r.value, true);
      view.setBigUint64(at + 32, BigInt(r.cause), true);
      view.setBigUint64(at + 40, r.tval, true);
    });
    return guest;
  }
  const tag = (phys: number): bigint => (0x7a67_0000n << 32n) | BigInt(phys);

  test("a load that read its frame's tag, a matching fault and a store kmem allows compare clean", () => {
    const dump = records([{ value: tag(0x8030_0018), cause: 0, tval: 0n }, { value: tag(0x8031_0018), cause: 0, tval: 0n }, { value: 0n, cause: 15, tval: 0x3_0020n }, { value: tag(0x8033_0018), cause: 0, tval: 0n }]);
    assert.deepEqual(compareRiscvProbes(probes, [0x8030_0018, 0x8031_0018, -1 - 15, 0x8033_0018], dump, false), []);
  });

  test("another frame's tag, another cause or tval, and a store QEMU allows where kmem faults are each named", () => {
    const dump = records([{ value: tag(0x8040_0018), cause: 0, tval: 0n }, { value: 0n, cause: 13, tval: 0x2_0018n }, { value: 0n, cause: 15, tval: 0x3_0000n }, { value: tag(0x8033_0018), cause: 0, tval: 0n }]);
    const differences = compareRiscvProbes(probes, [0x8030_0018, 0x8031_0018, -1 - 15, -1 - 15], dump, false).map(formatRiscvProbe);
    assert.deepEqual(differences, [
      "0x00010018 U load: kmem 0x80300018, QEMU 0x80400018",
      "0x00020018 U load: kmem 0x80310018, QEMU cause 13 tval 0x00020018",
      "0x00030020 U store: kmem cause 15 tval 0x00030020, QEMU cause 15 tval 0x00030000",
      "0x00040018 U store: kmem cause 15 tval 0x00040018, QEMU stored",
    ]);
  });
});

describe("long-mode probe records against kmem's answers", () => {
  const probes: LongProbe[] = [
    { vaddr: 0xffff_8000_0000_0018n, write: false, fetch: false, user: false, tagAt: 0x20_0018 },
    { vaddr: 0xffff_8000_0000_0018n, write: true, fetch: false, user: true, tagAt: 0x20_0018 },
    { vaddr: 0xffff_8000_0000_1020n, write: false, fetch: false, user: true, tagAt: null },
  ];
  function records(rows: readonly { value: bigint; vector: number; error: number; cr2: bigint }[]): Uint8Array {
    const out = encodeLongProbes(probes);
    const view = new DataView(out.buffer);
    rows.forEach((r, i) => {
      view.setBigUint64(i * 48 + 16, r.value, true);
      view.setUint32(i * 48 + 24, r.vector, true);
      view.setBigUint64(i * 48 + 32, BigInt(r.error), true);
      view.setBigUint64(i * 48 + 40, r.cr2, true);
    });
    return out;
  }
  const tag = (phys: number): bigint => (0x7a67_0000n << 32n) | BigInt(phys);
  const none = 0xffff_ffff;

  test("a read of the tag kmem's frame holds, the same #PF error code and CR2, and QEMU's RSVD-without-P compare clean", () => {
    const dump = records([{ value: tag(0x20_0018), vector: none, error: 0, cr2: 0n }, { value: 0n, vector: 14, error: 0x7, cr2: 0xffff_8000_0000_0018n }, { value: 0n, vector: 14, error: 0xc, cr2: 0xffff_8000_0000_1020n }]);
    assert.deepEqual(compareLongProbes(probes, [0x20_0018, -1 - 0x7, -1 - 0xd], dump), []);
  });

  test("another frame, another error code or CR2, and #GP where kmem pages are each named", () => {
    const dump = records([{ value: tag(0x30_0018), vector: none, error: 0, cr2: 0n }, { value: 0n, vector: 14, error: 0x5, cr2: 0xffff_8000_0000_0018n }, { value: 0n, vector: 13, error: 0, cr2: 0n }]);
    assert.deepEqual(compareLongProbes(probes, [0x20_0018, -1 - 0x7, -1 - 0x4], dump), [
      "0xFFFF800000000018 ring 0 read: kmem 0x00200018, QEMU 0x00300018",
      "0xFFFF800000000018 ring 3 write: kmem #PF 0x7 CR2 0xFFFF800000000018, QEMU #PF 0x5 CR2 0xFFFF800000000018",
      "0xFFFF800000001020 ring 3 read: kmem #PF 0x4 CR2 0xFFFF800000001020, QEMU #GP(0x0)",
    ]);
  });
});
