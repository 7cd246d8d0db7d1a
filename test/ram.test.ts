import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { MemoryError } from "../src/errors/memory-error.js";
import { PhysicalMemory } from "../src/ram.js";
import type { ByteStore } from "../src/types.js";
import { NOT_UNSIGNED } from "./helpers/hostile.js";

const SIZE = 64 * 1024;

describe("PhysicalMemory", () => {
  test("starts zero-filled with the requested size", () => {
    const ram = new PhysicalMemory(SIZE);
    assert.equal(ram.size, SIZE);
    assert.equal(ram.bytes.length, SIZE);
    assert.ok(ram.bytes.every((b) => b === 0), "every byte is zero");
  });

  test("write32 stores little-endian bytes and read32 returns an unsigned number", () => {
    const ram = new PhysicalMemory(SIZE);
    ram.write32(0x100, 0xdeadbeef);
    assert.deepEqual([...ram.bytes.subarray(0x100, 0x104)], [0xef, 0xbe, 0xad, 0xde]);
    assert.equal(ram.read32(0x100), 0xdeadbeef);
    assert.equal(ram.read16(0x100), 0xbeef);
    assert.equal(ram.read16(0x102), 0xdead);
    assert.equal(ram.read8(0x103), 0xde);
  });

  test("unaligned 16- and 32-bit accesses are little-endian too", () => {
    const ram = new PhysicalMemory(SIZE);
    ram.write32(0x201, 0x80000001);
    assert.deepEqual([...ram.bytes.subarray(0x201, 0x205)], [0x01, 0x00, 0x00, 0x80]);
    assert.equal(ram.read32(0x201), 0x80000001);
    ram.write16(0x301, 0xa55a);
    assert.deepEqual([...ram.bytes.subarray(0x301, 0x303)], [0x5a, 0xa5]);
    assert.equal(ram.read16(0x301), 0xa55a);
  });

  test("written values keep only their low bits", () => {
    const ram = new PhysicalMemory(SIZE);
    ram.write8(0, 0x1ff);
    ram.write16(2, 0x12345);
    ram.write32(4, -1);
    assert.equal(ram.read8(0), 0xff);
    assert.equal(ram.read16(2), 0x2345);
    assert.equal(ram.read32(4), 0xffffffff);
  });

  test("readBytes returns a copy, writeBytes and fill change the given range only", () => {
    const ram = new PhysicalMemory(SIZE);
    ram.writeBytes(0x10, new Uint8Array([1, 2, 3, 4]));
    const copy = ram.readBytes(0x0f, 6);
    assert.deepEqual([...copy], [0, 1, 2, 3, 4, 0]);
    copy[1] = 99;
    assert.equal(ram.read8(0x10), 1);
    ram.fill(0x11, 2, 0xaa);
    assert.deepEqual([...ram.readBytes(0x10, 4)], [1, 0xaa, 0xaa, 4]);
  });

  test("accesses reaching the last byte succeed; one byte further throws OutOfBounds naming the address", () => {
    const ram = new PhysicalMemory(SIZE);
    ram.write32(SIZE - 4, 7);
    assert.equal(ram.read32(SIZE - 4), 7);
    assert.equal(ram.readBytes(SIZE, 0).length, 0);
    const cases: [string, () => unknown, number, number][] = [
      ["read8", () => ram.read8(SIZE), SIZE, 1],
      ["read16", () => ram.read16(SIZE - 1), SIZE - 1, 2],
      ["read32", () => ram.read32(SIZE - 2), SIZE - 2, 4],
      ["write32", () => ram.write32(SIZE - 3, 0), SIZE - 3, 4],
      ["readBytes", () => ram.readBytes(SIZE - 4, 5), SIZE - 4, 5],
      ["writeBytes", () => ram.writeBytes(SIZE - 1, new Uint8Array(2)), SIZE - 1, 2],
      ["fill", () => ram.fill(SIZE - 1, 2, 0), SIZE - 1, 2],
      ["negative", () => ram.read8(-1), -1, 1],
      ["fractional", () => ram.read8(1.5), 1.5, 1],
    ];
    for (const [name, run, address, length] of cases) {
      assert.throws(run, (error: unknown) => {
        assert.ok(error instanceof MemoryError, name);
        assert.equal(error.code, "OutOfBounds");
        assert.deepEqual(error.data, { address, length, size: SIZE });
        return true;
      });
    }
    assert.throws(() => ram.read32(SIZE - 2), /Cannot read 4 bytes at 0x0000FFFE: physical memory is 0x00010000 bytes/);
  });

  test("a failed write changes nothing", () => {
    const ram = new PhysicalMemory(SIZE);
    assert.throws(() => ram.writeBytes(SIZE - 2, new Uint8Array([1, 2, 3])), MemoryError);
    assert.ok(ram.bytes.every((b) => b === 0), "every byte is zero");
  });

  test("a size that is not a non-negative integer throws InvalidSize", () => {
    for (const size of [-1, 1.5, Number.NaN]) {
      assert.throws(() => new PhysicalMemory(size), (error: unknown) => error instanceof MemoryError && error.code === "InvalidSize");
    }
  });

  test("an address, length or size that is not a non-negative safe integer is a MemoryError showing it as given", () => {
    const ram = new PhysicalMemory(SIZE);
    for (const [bad, shown] of NOT_UNSIGNED) {
      const value = bad as number;
      const calls: [string, () => unknown][] = [
        ["read8", () => ram.read8(value)],
        ["read32", () => ram.read32(value)],
        ["write16", () => ram.write16(value, 1)],
        ["readBytes length", () => ram.readBytes(0, value)],
        ["fill length", () => ram.fill(0, value, 1)],
        ["writeBytes", () => ram.writeBytes(value, new Uint8Array(1))],
      ];
      for (const [name, call] of calls) assert.throws(call, { name: "MemoryError", code: "OutOfBounds", message: shown }, `${name}(${String(shown)})`);
      assert.throws(() => new PhysicalMemory(value), { name: "MemoryError", code: "InvalidSize", message: shown }, `size ${String(shown)}`);
    }
    assert.throws(() => ram.read8(1n as never), { code: "OutOfBounds", message: /^Cannot read 1 bytes at 1n: / }, "a bigint shows as one");
    assert.equal(ram.bytes.every((b) => b === 0), true, "nothing was written");
  });

  test("serves as the ByteStore the VMM copies through", () => {
    const store: ByteStore = new PhysicalMemory(SIZE);
    store.writeBytes(0x2000, new Uint8Array([9, 8, 7]));
    assert.deepEqual([...store.readBytes(0x2000, 3)], [9, 8, 7]);
  });
});
