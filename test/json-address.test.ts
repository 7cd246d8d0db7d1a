import { test } from "node:test";
import assert from "node:assert/strict";
import { jsonAddress } from "../src/format.js";

test("jsonAddress writes bigint addresses as exact 0x strings and numbers as numbers", () => {
  assert.equal(jsonAddress(0xffff_ffff_8000_0000n), "0xFFFFFFFF80000000");
  assert.equal(jsonAddress(2n ** 53n + 1n), "0x20000000000001", "exact past 2^53");
  assert.equal(jsonAddress(0x1000n), "0x00001000");
  assert.equal(jsonAddress(0xb8000), 0xb8000);
  assert.equal(JSON.stringify({ start: jsonAddress(2n ** 64n - 4096n) }), '{"start":"0xFFFFFFFFFFFFF000"}');
});
