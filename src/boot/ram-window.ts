import type { PhysicalBus } from "../bus.js";
import { MemoryError } from "../errors/memory-error.js";
import { hexRange } from "../format.js";
import { PhysicalMemory } from "../ram.js";
import type { ByteStore } from "../types.js";

/**
 * RAM that starts at a physical base (RISC-V `virt`: 0x80000000): a {@link PhysicalMemory}
 * of `end - base` bytes seen at `[base, end)`. An access outside the window throws
 * `MemoryError` `OutOfBounds` naming the physical address, as `PhysicalMemory` does for its own.
 *
 * @example
 * const ram = new RamWindow(0x8000_0000, 0x8800_0000);
 * ram.write32(0x8000_1000, 1);
 * ram.memory.read32(0x1000); // 1
 */
export class RamWindow implements PhysicalBus, ByteStore {
  /** The memory behind the window: its byte 0 is physical `base`. */
  readonly memory: PhysicalMemory;
  /** The first physical address. */
  readonly base: number;
  /** The physical address just past the window. */
  readonly end: number;

  /** @throws {MemoryError} `InvalidSize` when `end - base` is not a non-negative safe integer. */
  constructor(base: number, end: number) {
    this.memory = new PhysicalMemory(end - base);
    this.base = base;
    this.end = end;
  }

  /** Reads the byte at `address`. @throws {MemoryError} `OutOfBounds`. */
  read8(address: number): number {
    return this.memory.read8(this.#at(address, 1));
  }

  /** Reads the little-endian 16-bit value at `address`. @throws {MemoryError} `OutOfBounds`. */
  read16(address: number): number {
    return this.memory.read16(this.#at(address, 2));
  }

  /** Reads the little-endian 32-bit value at `address`. @throws {MemoryError} `OutOfBounds`. */
  read32(address: number): number {
    return this.memory.read32(this.#at(address, 4));
  }

  /** Reads the little-endian 64-bit value at `address`. @throws {MemoryError} `OutOfBounds`. */
  read64(address: number): bigint {
    return this.memory.read64(this.#at(address, 8));
  }

  /** Writes a byte. @throws {MemoryError} `OutOfBounds`. */
  write8(address: number, value: number): void {
    this.memory.write8(this.#at(address, 1), value);
  }

  /** Writes a little-endian 16-bit value. @throws {MemoryError} `OutOfBounds`. */
  write16(address: number, value: number): void {
    this.memory.write16(this.#at(address, 2), value);
  }

  /** Writes a little-endian 32-bit value. @throws {MemoryError} `OutOfBounds`. */
  write32(address: number, value: number): void {
    this.memory.write32(this.#at(address, 4), value);
  }

  /** Writes a little-endian 64-bit value. @throws {MemoryError} `OutOfBounds`. */
  write64(address: number, value: bigint): void {
    this.memory.write64(this.#at(address, 8), value);
  }

  /** Copies `length` bytes from physical `address`. @throws {MemoryError} `OutOfBounds`. */
  readBytes(address: number, length: number): Uint8Array {
    return this.memory.readBytes(this.#at(address, length), length);
  }

  /** Writes `data` at physical `address`. @throws {MemoryError} `OutOfBounds`. */
  writeBytes(address: number, data: Uint8Array): void {
    this.memory.writeBytes(this.#at(address, data.length), data);
  }

  /** The offset of `[address, address + length)` in {@link memory}, checked against the window. */
  #at(address: number, length: number): number {
    if (!(address >= this.base && address + length <= this.end)) {
      throw new MemoryError("OutOfBounds", `Cannot access ${hexRange(address, address + length)}: RAM is ${hexRange(this.base, this.end)}`, {
        address,
        length,
        size: this.end - this.base,
      });
    }
    return address - this.base;
  }
}
