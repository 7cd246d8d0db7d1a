import { MemoryError } from "../errors/memory-error.js";
import { describeValue, hex } from "../format.js";
import type { Address } from "../types.js";
import type { Geometry } from "./geometry.js";

/** 2^32, the weight of an address's high word. */
export const TWO_32 = 2 ** 32;
const WORD_BITS = 32n;
const WORD_MASK = 0xffffffffn;
const TWO_64 = 1n << 64n;

/**
 * Splits `vaddr` into 32-bit halves `[hi, lo]` (unsigned) for a mode of geometry `g`.
 * 32-bit modes take numbers or bigints in [0, 2^32). 64-bit modes take any bigint in
 * [0, 2^64), or a safe-integer number read as a two's-complement 64-bit value (so
 * `-0x80000000` is 0xFFFFFFFF80000000: every 48-bit canonical address is such a number).
 *
 * @throws {MemoryError} `InvalidAddress` for anything else.
 */
export function splitAddress(vaddr: Address, g: Geometry, action: string): [number, number] {
  if (typeof vaddr === "bigint") {
    if (vaddr >= 0n && vaddr < (g.signExtended ? TWO_64 : 1n << WORD_BITS)) {
      return [Number(vaddr >> WORD_BITS), Number(vaddr & WORD_MASK)];
    }
  } else if (Number.isSafeInteger(vaddr) && (g.signExtended || (vaddr >= 0 && vaddr < TWO_32))) {
    return [Math.floor(vaddr / TWO_32) >>> 0, vaddr >>> 0];
  }
  throw new MemoryError("InvalidAddress", `Cannot ${action} ${describeValue(vaddr)}: not a ${String(g.signExtended ? 64 : 32)}-bit virtual address of ${g.name}`, {
    address: typeof vaddr === "number" ? vaddr : Number.NaN,
    length: 1,
    size: g.signExtended ? Number.POSITIVE_INFINITY : TWO_32,
  });
}

/** Whether the address `hi:lo` is canonical for `g` (bits 63…vaBits−1 all equal); always true for 32-bit modes. */
export function isCanonical(hi: number, lo: number, g: Geometry): boolean {
  if (!g.signExtended) return hi === 0;
  const top = (hi | 0) >> (g.vaBits - 1 - 32);
  return top === 0 || top === -1;
}

/** The address `hi:lo` as the mode's public address type: a bigint in 64-bit modes, else a number. */
export function joinAddress(hi: number, lo: number, g: Geometry): Address {
  return g.signExtended ? (BigInt(hi >>> 0) << WORD_BITS) | BigInt(lo >>> 0) : (lo >>> 0) + hi * TWO_32;
}

/** Formats `hi:lo` as 0x + 16 hex digits (64-bit modes) or 8. */
export function formatHalves(hi: number, lo: number, g: Geometry): string {
  return hex(joinAddress(hi, lo, g), g.signExtended ? 16 : 8);
}
