import { test } from "node:test";
import assert from "node:assert/strict";
import { bandAt, layoutBands } from "../../view/phys-bands.js";

const FREE = 0;
const USED = 5;
const OPTIONS = { columns: 4, rowPx: 8, gapPx: 24, maxRows: 8, minGapRows: 3, collapsible: (key: number) => key === FREE };

/** `length` keys, FREE except the blocks listed as used. */
function keys(length: number, used: readonly number[]): Uint16Array {
  const out = new Uint16Array(length).fill(FREE);
  for (const block of used) {
    out[block] = USED;
  }
  return out;
}

test("a long free run collapses into one gap band with its real block range; used rows stay one row each", () => {
  const layout = layoutBands(keys(40, [0, 5, 37]), OPTIONS);
  assert.equal(layout.perCell, 1);
  assert.deepEqual(layout.bands.map((b) => [b.kind, b.first, b.end, b.y, b.height]), [
    ["blocks", 0, 4, 0, 8],
    ["blocks", 4, 8, 8, 8],
    ["gap", 8, 36, 16, 24],
    ["blocks", 36, 40, 40, 8],
  ]);
  assert.equal(layout.height, 48);
});

test("a free run shorter than minGapRows is drawn, not collapsed", () => {
  const layout = layoutBands(keys(16, [0, 12]), OPTIONS);
  assert.deepEqual(layout.bands.map((b) => b.kind), ["blocks", "blocks", "blocks", "blocks"]);
});

test("blocks per cell double until the shown rows fit maxRows, and the bands still cover every block once", () => {
  const used = Array.from({ length: 64 }, (_, i) => i * 3);
  const layout = layoutBands(keys(256, used), OPTIONS);
  assert.ok(layout.perCell > 1, `perCell ${layout.perCell} grew`);
  assert.ok(layout.bands.filter((b) => b.kind === "blocks").length <= OPTIONS.maxRows, "rows fit");
  let next = 0;
  for (const band of layout.bands) {
    assert.equal(band.first, next, "bands are contiguous");
    next = band.end;
  }
  assert.equal(next, 256);
});

test("bandAt finds the band under a y coordinate", () => {
  const layout = layoutBands(keys(40, [0, 5, 37]), OPTIONS);
  assert.equal(bandAt(layout, 20)?.kind, "gap");
  assert.equal(bandAt(layout, 41)?.first, 36);
  assert.equal(bandAt(layout, 48), null);
});
