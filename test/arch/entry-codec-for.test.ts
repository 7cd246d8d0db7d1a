import { test } from "node:test";
import assert from "node:assert/strict";
import { entryCodecFor } from "../../src/arch/entry-codec-for.js";
import { MODE_NAMES } from "../../src/paging/geometry.js";

test("entryCodecFor gives each mode its own codec: geometry, entry size and leaf rule", () => {
  for (const mode of MODE_NAMES) assert.equal(entryCodecFor(mode).geometry.name, mode, mode);
  assert.equal(entryCodecFor("x86").geometry.entryBytes, 4);
  assert.equal(entryCodecFor("x86-pae").geometry.entryBytes, 8);
  assert.equal(entryCodecFor("riscv-sv32").geometry.entryBytes, 4);
  // A RISC-V PTE with R|W|X is a leaf at any level; V alone points at a table.
  assert.equal(entryCodecFor("riscv-sv39").isLeaf(0xcf, 0, 2), true);
  assert.equal(entryCodecFor("riscv-sv39").isLeaf(0x01, 0, 2), false);
  // An x86 PDE with PS maps a large page; without PS it points at a table.
  assert.equal(entryCodecFor("x86-64").isLeaf(0x83, 0, 1), true);
  assert.equal(entryCodecFor("x86-64").isLeaf(0x03, 0, 1), false);
});
