import { MemoryError } from "./errors/memory-error.js";
import { describeNumberAddress, describeValue, hex } from "./format.js";
import type { PhysicalBus } from "./bus.js";
import type { ByteStore } from "./types.js";

const BYTES_16 = 2;
const BYTES_32 = 4;
const WORD_ALIGN_MASK = BYTES_32 - 1;
const WORD_INDEX_SHIFT = 2;
const BYTES_64 = 8;
const WORD_BITS = 32n;
const WORD_MASK = 0xffffffffn;

/** Whether this host stores multi-byte typed-array elements little-endian (checked once). */
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Simulated physical memory: one `ArrayBuffer` of the machine's size with bounds-checked,
 * little-endian 8/16/32-bit accessors and byte-range copies. Values are unsigned numbers;
 * a written value keeps only its low 8/16/32 bits (as typed arrays do).
 *
 * Aligned 32-bit accesses (the MMU's PDE/PTE reads) use a `Uint32Array` view when the host
 * is little-endian; every other access uses one `DataView` with the little-endian flag.
 *
 * @example
 * const ram = new PhysicalMemory(16 * 1024 * 1024);
 * ram.write32(0x1000, 0xdeadbeef);
 * ram.read8(0x1000); // 0xef
 */
export class PhysicalMemory implements ByteStore, PhysicalBus {
  /** The memory size in bytes. */
  readonly size: number;
  /** Every byte of the memory (a live view, for export and bulk inspection). */
  readonly bytes: Uint8Array;
  readonly #view: DataView;
  readonly #words: Uint32Array | null;

  /**
   * Creates zero-filled memory of `sizeBytes` bytes.
   *
   * @throws {MemoryError} `InvalidSize` when `sizeBytes` is not a non-negative safe integer.
   */
  constructor(sizeBytes: number) {
    if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0) {
      throw new MemoryError("InvalidSize", `Cannot create physical memory of ${describeValue(sizeBytes)} bytes: the size must be a non-negative integer`, {
        address: 0,
        length: 0,
        size: sizeBytes,
      });
    }
    const buffer = new ArrayBuffer(sizeBytes);
    this.size = sizeBytes;
    this.bytes = new Uint8Array(buffer);
    this.#view = new DataView(buffer);
    this.#words = HOST_IS_LITTLE_ENDIAN ? new Uint32Array(buffer, 0, Math.floor(sizeBytes / BYTES_32)) : null;
  }

  /** Reads the byte at `address`. @throws {MemoryError} `OutOfBounds`. */
  read8(address: number): number {
    this.#check(address, 1, "read");
    return this.#view.getUint8(address);
  }

  /** Reads the little-endian 16-bit value at `address`. @throws {MemoryError} `OutOfBounds`. */
  read16(address: number): number {
    this.#check(address, BYTES_16, "read");
    return this.#view.getUint16(address, true);
  }

  /**
   * Reads the little-endian 32-bit value at `address` as an unsigned number.
   *
   * @throws {MemoryError} `OutOfBounds`.
   */
  read32(address: number): number {
    // Fast path (page-table walks): an aligned 32-bit integer address inside the word view;
    // a typed-array read past the end is undefined and falls through to the checked path.
    if (this.#words !== null && typeof address === "number" && address >>> 0 === address && (address & WORD_ALIGN_MASK) === 0) {
      const value = this.#words[address >>> WORD_INDEX_SHIFT];
      if (value !== undefined) return value;
    }
    this.#check(address, BYTES_32, "read");
    return this.#view.getUint32(address, true);
  }

  /**
   * Reads the little-endian 64-bit value at `address` as an unsigned bigint.
   *
   * @throws {MemoryError} `OutOfBounds`.
   */
  read64(address: number): bigint {
    this.#check(address, BYTES_64, "read");
    return (BigInt(this.read32(address + BYTES_32)) << WORD_BITS) | BigInt(this.read32(address));
  }

  /** Writes the low 64 bits of `value` little-endian at `address`. @throws {MemoryError} `OutOfBounds`. */
  write64(address: number, value: bigint): void {
    this.#check(address, BYTES_64, "write");
    this.write32(address, Number(value & WORD_MASK));
    this.write32(address + BYTES_32, Number((value >> WORD_BITS) & WORD_MASK));
  }

  /** The memory as little-endian 32-bit words on a little-endian host (see `PhysicalBus.wordView`), else null. */
  wordView(): Uint32Array | null {
    return this.#words;
  }

  /** Writes the low 8 bits of `value` at `address`. @throws {MemoryError} `OutOfBounds`. */
  write8(address: number, value: number): void {
    this.#check(address, 1, "write");
    this.#view.setUint8(address, value);
  }

  /** Writes the low 16 bits of `value` little-endian at `address`. @throws {MemoryError} `OutOfBounds`. */
  write16(address: number, value: number): void {
    this.#check(address, BYTES_16, "write");
    this.#view.setUint16(address, value, true);
  }

  /** Writes the low 32 bits of `value` little-endian at `address`. @throws {MemoryError} `OutOfBounds`. */
  write32(address: number, value: number): void {
    this.#check(address, BYTES_32, "write");
    if (this.#words !== null && (address & WORD_ALIGN_MASK) === 0) {
      this.#words[address >>> WORD_INDEX_SHIFT] = value;
      return;
    }
    this.#view.setUint32(address, value, true);
  }

  /** Copies `length` bytes starting at `address` into a new array. @throws {MemoryError} `OutOfBounds`. */
  readBytes(address: number, length: number): Uint8Array {
    this.#check(address, length, "read");
    return this.bytes.slice(address, address + length);
  }

  /** Copies `data` into memory starting at `address`. @throws {MemoryError} `OutOfBounds`. */
  writeBytes(address: number, data: Uint8Array): void {
    this.#check(address, data.length, "write");
    this.bytes.set(data, address);
  }

  /** Sets `length` bytes starting at `address` to the low 8 bits of `value`. @throws {MemoryError} `OutOfBounds`. */
  fill(address: number, length: number, value: number): void {
    this.#check(address, length, "fill");
    this.bytes.fill(value, address, address + length);
  }

  #check(address: number, length: number, action: string): void {
    if (Number.isSafeInteger(address) && Number.isSafeInteger(length) && address >= 0 && length >= 0 && address + length <= this.size) {
      return;
    }
    throw new MemoryError(
      "OutOfBounds",
      `Cannot ${action} ${describeValue(length)} bytes at ${describeNumberAddress(address)}: physical memory is ${hex(this.size)} bytes`,
      { address, length, size: this.size },
    );
  }
}
