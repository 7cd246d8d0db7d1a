import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  ATTRIBUTE_BITS_MASK,
  LARGE_PAGE_SIZE,
  PDE_PAGE_SIZE,
  PTE_ACCESSED,
  PTE_CACHE_DISABLE,
  PTE_DIRTY,
  PTE_GLOBAL,
  PTE_PAT,
  PTE_PRESENT,
  PTE_USER,
  PTE_WRITABLE,
  PTE_WRITE_THROUGH,
  TABLE_BYTES,
  attributeBits,
  decodeEntry,
  encodeLargePde,
  largeFrameAddress,
  encodePte,
  encodeTablePde,
  formatEntryFlags,
  isLargePde,
  pdIndex,
  ptIndex,
} from "../../../src/arch/x86/entry.js";

describe("x86 entry layout", () => {
  test("each field sits at the bit Intel SDM vol. 3 §4.3 gives it", () => {
    assert.deepEqual(
      [PTE_PRESENT, PTE_WRITABLE, PTE_USER, PTE_WRITE_THROUGH, PTE_CACHE_DISABLE, PTE_ACCESSED, PTE_DIRTY, PTE_PAT, PTE_GLOBAL],
      [0, 1, 2, 3, 4, 5, 6, 7, 8].map((bit) => 2 ** bit),
    );
    assert.equal(PDE_PAGE_SIZE, 2 ** 7);
    assert.equal(TABLE_BYTES, 4096);
    assert.equal(LARGE_PAGE_SIZE, 4 * 1024 * 1024);
  });

  test("indices split a virtual address into 10 + 10 + 12 bits, also above 2^31", () => {
    assert.equal(pdIndex(0xc0403abc), 0x301);
    assert.equal(ptIndex(0xc0403abc), 0x003);
    assert.equal(pdIndex(0xffffffff), 0x3ff);
    assert.equal(ptIndex(0xffffffff), 0x3ff);
  });

  test("attributes map to W, U and PCD only", () => {
    const table: [boolean, boolean, boolean, number][] = [
      [true, false, true, 0],
      [true, true, true, PTE_WRITABLE],
      [false, false, true, PTE_USER],
      [true, false, false, PTE_CACHE_DISABLE],
      [false, true, false, PTE_USER | PTE_WRITABLE | PTE_CACHE_DISABLE],
    ];
    for (const [kernel, writable, cachable, bits] of table) {
      assert.equal(attributeBits({ kernel, writable, cachable }), bits);
      assert.equal(bits & ~ATTRIBUTE_BITS_MASK, 0);
    }
  });

  test("encoders produce unsigned values with the frame in bits 12–31", () => {
    assert.equal(encodePte(0xfffff000, { kernel: false, writable: true, cachable: true }), 0xfffff007);
    assert.equal(encodeLargePde(0xffc00000, { kernel: true, writable: false, cachable: false }), 0xffc00091);
    assert.equal(encodeTablePde(0x80001000), 0x80001007);
    assert.ok(isLargePde(0x00400083), "P|RW|PS is a 4 MiB PDE");
    assert.ok(!isLargePde(0x00400080), "PS without P is not a 4 MiB PDE");
    assert.ok(!isLargePde(0x00101007), "a table PDE is not a 4 MiB PDE");
  });

  test("a 4 MiB PDE carries physical bits 32–39 in its bits 13–20 (PSE-36): golden vectors both ways", () => {
    const kw = { kernel: true, writable: true, cachable: true };
    const vectors: [number, number][] = [
      [0x0040_0000, 0x0040_0083],
      [0x1_0040_0000, 0x0040_2083],
      [0xff_ffc0_0000, 0xffdf_e083],
      [0x80_0000_0000, 0x0010_0083],
    ];
    for (const [physical, pde] of vectors) {
      assert.equal(encodeLargePde(physical, kw), pde, `encode 0x${physical.toString(16)}`);
      assert.equal(largeFrameAddress(pde), physical, `frame of 0x${pde.toString(16)}`);
      assert.equal(decodeEntry(pde, "pde").address, physical, `decoded address of 0x${pde.toString(16)}`);
    }
    assert.equal(largeFrameAddress(0x0060_1083), 0x0040_0000, "bit 21 (reserved) and bit 12 (PAT) are not address bits");
    assert.equal(decodeEntry(0x0040_2003, "pde").address, 0x0040_2000, "a PDE pointing at a table keeps bits 12–31 as the table address");
  });

  test("decodeEntry names every field and reads bits 6–8 by level", () => {
    assert.deepEqual(decodeEntry(0xc0000f7f, "pte"), {
      present: true,
      writable: true,
      user: true,
      writeThrough: true,
      cacheDisable: true,
      accessed: true,
      dirty: true,
      pageSize: false,
      pat: false,
      global: true,
      available: 7,
      address: 0xc0000000,
    });
    const table = decodeEntry(0x00101067, "pde");
    assert.equal(table.dirty, false);
    assert.equal(table.pageSize, false);
    assert.equal(table.address, 0x00101000);
    const large = decodeEntry(0x00c010e3, "pde");
    assert.equal(large.pageSize, true);
    assert.equal(large.dirty, true);
    assert.equal(large.address, 0x00c00000);
  });

  test("formatEntryFlags shows one letter per set bit", () => {
    assert.equal(formatEntryFlags(0x00400067, "pte"), "PWU--AD--");
    assert.equal(formatEntryFlags(0x00400193, "pde"), "PW--C--SG");
    assert.equal(formatEntryFlags(0, "pde"), "---------");
  });
});
