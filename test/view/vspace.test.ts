import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { PageMapping, RegionRow } from "../../view/model.js";
import { CELL_BYTES, CELL_COUNT, PAGE_BYTES, summariseCells, summarisePages } from "../../view/vspace.js";

const KERNEL_RO: RegionRow = {
  virtStart: 0xc0100000, virtEnd: 0xc0102000, allocationStart: 0xc0100000, physStart: 0x00100000, physBlocks: [0x00100000, 0x00101000],
  kernel: true, writable: false, cachable: true, label: "kernel",
};
const VGA: RegionRow = {
  virtStart: 0xc00b8000, virtEnd: 0xc00b9000, allocationStart: 0xc00b8000, physStart: 0x000b8000, physBlocks: [0x000b8000],
  kernel: true, writable: true, cachable: false, label: "VGA text buffer",
};
const RESERVED: RegionRow = {
  virtStart: 0x00400000 - PAGE_BYTES, virtEnd: 0x00400000 + PAGE_BYTES, allocationStart: 0x00400000 - PAGE_BYTES, physStart: null, physBlocks: [],
  kernel: false, writable: true, cachable: true, label: "guard",
};

function page(virt: number, phys: number, flags: Partial<PageMapping> = {}): PageMapping {
  return {
    virt, phys, size: PAGE_BYTES, user: false, writable: false, writeThrough: false, cacheDisable: false, global: false, large: false,
    ...flags,
  };
}

const MAPPINGS: readonly PageMapping[] = [
  page(0xc00b8000, 0x000b8000, { writable: true, cacheDisable: true }),
  page(0xc0100000, 0x00100000),
  page(0xc0101000, 0x00101000),
];

describe("summariseCells", () => {
  test("returns 1024 cells of 4 MiB covering the 4 GiB space", () => {
    const cells = summariseCells([], []);
    assert.equal(cells.length, CELL_COUNT);
    assert.equal(cells[CELL_COUNT - 1]?.end, 2 ** 32);
  });

  test("counts reserved and present pages with their attributes in the cell that holds them", () => {
    const cells = summariseCells([VGA, KERNEL_RO], MAPPINGS);
    const cell = cells[0xc0000000 / CELL_BYTES];
    assert.ok(cell !== undefined, "the cell holding 0xC0000000 exists");
    assert.equal(cell.regionCount, 2);
    assert.equal(cell.reservedPages, 3);
    assert.equal(cell.mappedPages, 3);
    assert.equal(cell.writablePages, 1);
    assert.equal(cell.cacheDisablePages, 1);
    assert.equal(cell.userPages, 0);
    assert.equal(cell.region, KERNEL_RO);
    assert.equal(cell.firstPhys, 0x000b8000);
  });

  test("splits a region crossing a cell boundary between both cells", () => {
    const cells = summariseCells([RESERVED], []);
    assert.equal(cells[0]?.reservedPages, 1);
    assert.equal(cells[1]?.reservedPages, 1);
    assert.equal(cells[1]?.mappedPages, 0);
  });

  test("counts a 4 MiB page as 1024 present pages of its cell", () => {
    const large: PageMapping = { ...page(0x00800000, 0x00800000, { user: true }), size: CELL_BYTES, large: true };
    const cell = summariseCells([], [large])[2];
    assert.equal(cell?.mappedPages, CELL_BYTES / PAGE_BYTES);
    assert.equal(cell?.userPages, CELL_BYTES / PAGE_BYTES);
  });
});

describe("summarisePages", () => {
  test("gives each page of the zoomed cell its region, mapping and physical address", () => {
    const pages = summarisePages(0xc0000000 / CELL_BYTES, [VGA, KERNEL_RO], MAPPINGS);
    const kernelPage = pages[(0xc0101000 - 0xc0000000) / PAGE_BYTES];
    assert.equal(kernelPage?.region, KERNEL_RO);
    assert.equal(kernelPage?.phys, 0x00101000);
    assert.equal(pages[0]?.mapping, null);
    assert.equal(pages[0]?.region, null);
  });

  test("spreads a 4 MiB page over the zoomed cell with consecutive physical addresses", () => {
    const large: PageMapping = { ...page(0x00800000, 0x01000000), size: CELL_BYTES, large: true };
    const pages = summarisePages(2, [], [large]);
    assert.equal(pages[3]?.phys, 0x01000000 + 3 * PAGE_BYTES);
    assert.equal(pages.every((p) => p.mapping === large), true);
  });
});
