import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { renderTable } from "../../../src/cli/print/table.js";

describe("renderTable", () => {
  test("pads columns to the widest cell, right-aligns where asked, and leaves no trailing spaces", () => {
    const text = renderTable(
      [{ header: "name" }, { header: "size", align: "right" }, { header: "note" }],
      [
        ["kernel", "1 MiB", ""],
        ["vga", "32 KiB", "mmio"],
      ],
      "  ",
    );
    assert.equal(text, ["  name      size  note", "  kernel   1 MiB", "  vga     32 KiB  mmio"].join("\n"));
  });

  test("prints only the header for no rows", () => {
    assert.equal(renderTable([{ header: "a" }, { header: "b" }], []), "a  b");
  });
});
