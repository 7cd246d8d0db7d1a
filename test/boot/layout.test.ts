import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_PROFILE } from "../../src/boot/default-profile.js";
import { KERNEL_IMAGE_ATTRS, planLayout, RESERVED_ATTRS } from "../../src/boot/layout.js";
import type { MemoryProfile } from "../../src/boot/profile.js";

const MiB = 0x10_0000;

function ranges(list: readonly { start: number; end: number }[]): [number, number][] {
  return list.map((r) => [r.start, r.end]);
}

describe("planLayout", () => {
  test("plans the default profile: kernel with its early area, then reservations, then modules", () => {
    const layout = planLayout(DEFAULT_PROFILE);
    assert.deepEqual(
      layout.mappings.map((m) => [m.source, m.virtual.start, m.virtual.end, m.physical?.start, m.attrs]),
      [
        ["kernel", 0xc010_0000, 0xc032_f000, 0x10_0000, KERNEL_IMAGE_ATTRS],
        ["virtualReserved[0]", 0xc00b_8000, 0xc00c_0000, 0xb_8000, RESERVED_ATTRS],
        ["modules[0]", 0xc034_0000, 0xc039_d000, 0x34_0000, RESERVED_ATTRS],
      ],
    );
  });

  test("rounds available memory inward and reserved memory outward; reserved wins where they overlap", () => {
    const layout = planLayout(DEFAULT_PROFILE);
    assert.deepEqual(ranges(layout.usable), [
      [0, 0x9_f000],
      [MiB, 0x7fe_0000],
    ]);
  });

  test("claims the mapped usable pages and reserves every unusable page plus the null page, mapped or not", () => {
    const layout = planLayout(DEFAULT_PROFILE);
    assert.deepEqual(ranges(layout.claimed), [
      [MiB, 0x32_f000],
      [0x34_0000, 0x39_d000],
    ]);
    assert.deepEqual(ranges(layout.pmmReserved), [
      [0, 0x1000],
      [0x9_f000, MiB],
      [0x7fe_0000, 0x800_0000],
    ]);
  });

  test("treats RAM no map entry covers as unusable", () => {
    const profile: MemoryProfile = {
      ...DEFAULT_PROFILE,
      memoryMap: [
        { start: 0, end: 0x9_fc00, type: "available" },
        { start: MiB, end: 0x400_0000, type: "available" },
      ],
    };
    const layout = planLayout(profile);
    assert.deepEqual(ranges(layout.usable), [
      [0, 0x9_f000],
      [MiB, 0x400_0000],
    ]);
    assert.deepEqual(layout.pmmReserved.at(-1), { start: 0x400_0000, end: 0x800_0000 });
  });

  test("maps the overlap of two same-target ranges once and keeps the first one's attributes", () => {
    const layout = planLayout({
      ...DEFAULT_PROFILE,
      virtualReserved: [{ virtStart: 0xc032_0000, virtEnd: 0xc033_0000, physStart: 0x32_0000, label: "tail of the early area" }],
    });
    const pieces = layout.mappings.filter((m) => m.virtual.end > 0xc031_0000 && m.virtual.start < 0xc033_0000);
    assert.deepEqual(
      pieces.map((m) => [m.source, m.virtual.start, m.virtual.end, m.attrs.writable]),
      [
        ["kernel", 0xc010_0000, 0xc032_f000, false],
        ["virtualReserved[0]", 0xc032_f000, 0xc033_0000, true],
      ],
    );
  });

  test("splits the kernel into image and early-area rows of the address-space map", () => {
    const rows = planLayout(DEFAULT_PROFILE).regions.filter((r) => r.label.startsWith("kernel"));
    assert.deepEqual(
      rows.map((r) => [r.label, r.virtStart, r.virtEnd, r.physStart]),
      [
        ["kernel image", 0xc010_0000, 0xc022_f000, MiB],
        ["kernel early allocations", 0xc022_f000, 0xc032_f000, 0x22_f000],
      ],
    );
  });

  test("maps modules at the kernel's virtual-to-physical offset, also for an identity-mapped kernel", () => {
    const layout = planLayout({
      ...DEFAULT_PROFILE,
      kernel: { physStart: MiB, physEnd: 0x20_0000, virtStart: MiB, virtEnd: 0x20_0000 },
      virtualReserved: [],
    });
    assert.deepEqual(layout.regions.find((r) => r.label === "module initrd")?.virtStart, 0x34_0000);
  });
});
