import { MemoryError } from "../../errors/memory-error.js";
import { describeNumberAddress, describeValue } from "../../format.js";
import { ADDRESS_LIMIT } from "./entry.js";

const BYTE_RADIX = 0x100;

/** How memory is accessed: a write (else a read), from user mode (else supervisor), an instruction fetch. */
export interface Access {
  /** A write (default: a read). */
  readonly write?: boolean;
  /** From user mode, CPL 3 (default: supervisor). */
  readonly user?: boolean;
  /** An instruction fetch; without NX it is checked like a read. */
  readonly fetch?: boolean;
}

/** The low `size` bytes of `value`, least significant first. */
export function littleEndianBytes(value: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let rest = value >>> 0;
  for (let i = 0; i < size; i++) {
    bytes[i] = rest % BYTE_RADIX;
    rest = Math.floor(rest / BYTE_RADIX);
  }
  return bytes;
}

/** The unsigned number whose little-endian bytes are `bytes`. */
export function fromLittleEndian(bytes: Uint8Array): number {
  let value = 0;
  for (let i = bytes.length - 1; i >= 0; i--) {
    value = value * BYTE_RADIX + (bytes[i] ?? 0);
  }
  return value;
}

/**
 * Returns `address` when `[address, address + length)` lies within 32 bits (both
 * non-negative safe integers).
 *
 * @throws {MemoryError} `InvalidAddress` otherwise, naming the address and length as given.
 */
export function checkVirtualRange(address: number, length: number, action: string): number {
  if (Number.isSafeInteger(address) && address >= 0 && Number.isSafeInteger(length) && length >= 0 && address + length <= ADDRESS_LIMIT) {
    return address;
  }
  throw new MemoryError("InvalidAddress", `Cannot ${action} ${describeNumberAddress(address)}: not a 32-bit virtual address range of ${describeValue(length)} bytes`, {
    address,
    length,
    size: ADDRESS_LIMIT,
  });
}
