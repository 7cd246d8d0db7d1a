import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { codecFor, parseAddress } from "../src/address.js";

describe("address codecs", () => {
  test("the number codec converts with plain arithmetic and accepts only non-negative safe integers", () => {
    const codec = codecFor(0, 4096);
    assert.equal(codec.type, "number");
    assert.equal(codec.blockOf(0xc000_1234), 0xc0001);
    assert.equal(codec.offsetOf(0xc000_1234), 0x234);
    assert.equal(codec.addressOf(0xc0001, 0x234), 0xc000_1234);
    assert.equal(codec.difference(0x3000, 0x1000), 0x2000);
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 53, 1n, "1", null]) assert.equal(codec.accepts(bad), false, `rejects ${String(bad)}`);
    assert.equal(codec.accepts(2 ** 53 - 1), true);
  });

  test("the bigint codec is exact at the top of the 64-bit space", () => {
    const codec = codecFor(0n, 4096);
    assert.equal(codec.type, "bigint");
    const top = 0xffff_ffff_ffff_f123n;
    assert.equal(codec.blockOf(top), 2 ** 52 - 1);
    assert.equal(codec.offsetOf(top), 0x123);
    assert.equal(codec.addressOf(2 ** 52 - 1, 0x123), top);
    assert.equal(codec.addressOf(2 ** 52, 0), 2n ** 64n);
    assert.equal(codec.blockOf(0xffff_8000_0000_0000n), 2 ** 52 - 2 ** 35);
    for (const bad of [-1n, 1, "1", undefined]) assert.equal(codec.accepts(bad), false, `rejects ${String(bad)}`);
  });
});

describe("parseAddress", () => {
  const cases: readonly [string, bigint | null][] = [
    ["0xFFFF_FFFF_8000_0000", 0xffff_ffff_8000_0000n],
    ["0xffffffff80000000", 0xffff_ffff_8000_0000n],
    ["0x1_0000_0000_0000_0000", 2n ** 64n],
    ["0x1_0000_0000_0000_1000", 2n ** 64n + 0x1000n],
    ["4096", 4096n],
    ["1_048_576", 1_048_576n],
    ["0x0", 0n],
    ["0x_1", null],
    ["0x1__0", null],
    ["0x1_", null],
    ["_1", null],
    ["0x", null],
    ["-1", null],
    ["0x1g", null],
    ["1e3", null],
    ["", null],
    [" 1", null],
  ];
  for (const [text, expected] of cases) {
    test(`${JSON.stringify(text)} → ${expected === null ? "null" : `0x${expected.toString(16)}`}`, () => {
      assert.equal(parseAddress(text), expected);
    });
  }
});
