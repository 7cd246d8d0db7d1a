import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { attributesProblem, isUnsignedInteger } from "../src/validate.js";
import { NOT_ATTRIBUTES, NOT_UNSIGNED } from "./helpers/hostile.js";

describe("isUnsignedInteger", () => {
  test("accepts 0 and every non-negative safe integer up to 2^53 − 1", () => {
    for (const value of [0, 1, 0x1000, 2 ** 32, Number.MAX_SAFE_INTEGER]) assert.equal(isUnsignedInteger(value), true, String(value));
  });

  test("refuses negatives, fractions, non-finite numbers, non-numbers and unsafe integers", () => {
    for (const [value, shown] of NOT_UNSIGNED) assert.equal(isUnsignedInteger(value), false, String(shown));
    assert.equal(isUnsignedInteger(-0), true, "-0 is 0");
    assert.equal(isUnsignedInteger(1n), false, "a bigint is not a number address");
  });
});

describe("attributesProblem", () => {
  test("accepts the three required booleans, with or without the optional executable and global", () => {
    assert.equal(attributesProblem({ kernel: true, writable: false, cachable: true }), null);
    assert.equal(attributesProblem({ kernel: false, writable: true, cachable: false, executable: false, global: true }), null);
    assert.equal(attributesProblem({ kernel: false, writable: true, cachable: false, executable: undefined }), null);
  });

  test("names the first field at fault and shows its value as given", () => {
    for (const [value, field] of NOT_ATTRIBUTES) {
      assert.equal(attributesProblem(value)?.field, field, JSON.stringify(value) ?? String(value));
    }
    assert.deepEqual(attributesProblem("kernel"), { field: "attrs", message: 'attrs must be an object { kernel, writable, cachable }, not "kernel"' });
    assert.deepEqual(attributesProblem({ kernel: true, writable: 1, cachable: true }), { field: "attrs.writable", message: "attrs.writable must be a boolean, not 1" });
    assert.deepEqual(attributesProblem({ kernel: true, writable: true, cachable: true, global: "yes" }), {
      field: "attrs.global",
      message: 'attrs.global must be a boolean when given, not "yes"',
    });
  });
});
