import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_ECHO_CHARS, describeNumberAddress, describeValue, hex, hexRange, printable } from "../src/format.js";

test("hex pads numbers and prints bigints exactly", () => {
  assert.equal(hex(0xb8000), "0x000B8000");
  assert.equal(hex(0xffffffff80000000n), "0xFFFFFFFF80000000");
  assert.equal(hex(2n ** 64n), "0x10000000000000000");
  assert.equal(hexRange(0x1000, 0x2000), "0x00001000–0x00002000");
});

test("hex shows a value that is not a non-negative integer as given, never as garbled hex", () => {
  assert.equal(hex(-1), "-1");
  assert.equal(hex(Number.NaN), "NaN");
  assert.equal(hex(Number.POSITIVE_INFINITY), "Infinity");
  assert.equal(hex(1.5), "1.5");
  assert.equal(hex(-5n), "-5n");
  assert.equal(hex(undefined as unknown as number), "undefined");
  assert.equal(hex(null as unknown as number), "null");
});

test("describeNumberAddress prints a number as hex does and anything else, a bigint included, as describeValue", () => {
  assert.equal(describeNumberAddress(0xb8000), "0x000B8000");
  assert.equal(describeNumberAddress(-1), "-1");
  assert.equal(describeNumberAddress(1n), "1n");
  assert.equal(describeNumberAddress(Object.create(null)), "an object");
  assert.equal(describeNumberAddress(Symbol("s")), "a symbol");
});

test("describeValue stays on one bounded line and never recurses into nested values", () => {
  let deep: unknown = 1;
  for (let i = 0; i < 20_000; i++) deep = [deep];
  assert.equal(describeValue(deep), "an array of 1 item");
  assert.equal(describeValue({ a: 1 }), "an object");
  assert.equal(describeValue("line\nbreak\u0007"), '"line\\nbreak\\u0007"');
  const long = describeValue("x".repeat(50_000_000));
  assert.equal(long.length, MAX_ECHO_CHARS);
  assert.equal(long.endsWith("…"), true);
});

test("printable escapes every character that would break or garble a line, and keeps the rest", () => {
  assert.equal(printable("VGA text buffer"), "VGA text buffer");
  assert.equal(printable("a\nb\rc\td"), "a\\nb\\rc\\td");
  assert.equal(printable("\u0000\u001b\u007f\u0085"), "\\x00\\x1B\\x7F\\x85");
  assert.equal(printable("line\u2028para\u2029"), "line\\u2028para\\u2029");
  assert.equal(printable("APIC – ünïcode"), "APIC – ünïcode");
});
