import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { formatSize } from "../../../src/cli/print/size.js";

describe("formatSize", () => {
  const cases: readonly [number, string][] = [
    [0, "0 bytes"],
    [1000, "1000 bytes"],
    [4096, "4 KiB"],
    [0x12_e7c0, "1.2 MiB"],
    [0x800_0000, "128 MiB"],
    [0x1_0000_0000, "4 GiB"],
  ];
  for (const [bytes, text] of cases) {
    test(`formats ${bytes} bytes as "${text}"`, () => {
      assert.equal(formatSize(bytes), text);
    });
  }
});
