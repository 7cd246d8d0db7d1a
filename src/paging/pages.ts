import { MapperError } from "../errors/mapper-error.js";
import { type ActionText, actionText, describeValue, hex } from "../format.js";
import type { Address } from "../types.js";
import { type Geometry, PAGE_BYTES, PAGE_SHIFT } from "./geometry.js";

/**
 * A virtual range as page numbers of the mode's `vaBits`-bit space: `[from, to)` with
 * `from`, `to` ≤ 2^(vaBits − 12) (≤ 2^45: exact numbers). Upper-half (sign-extended)
 * addresses of a 64-bit mode are truncated to their low `vaBits` bits.
 */
export interface PageRange {
  /** The first page. */
  readonly from: number;
  /** The page after the last. */
  readonly to: number;
}

const PAGE = BigInt(PAGE_BYTES);

/**
 * Converts `[vStart, vEnd)` to a {@link PageRange}: 64-bit modes take bigints whose every
 * address is canonical (the range may not straddle the hole), 32-bit modes numbers in
 * [0, 2^32]. Both ends must be page-aligned and `vStart ≤ vEnd`.
 *
 * @throws {MapperError} `InvalidVirtualAddress`, `MisalignedVirtualAddress`.
 */
export function toPageRange(vStart: Address, vEnd: Address, g: Geometry, action: ActionText): PageRange {
  const invalid = (why: string): MapperError =>
    new MapperError("InvalidVirtualAddress", `Cannot ${actionText(action)}: the virtual range ${why}`, {});
  if (g.signExtended) {
    if (typeof vStart !== "bigint" || typeof vEnd !== "bigint") throw invalid(`must be given as bigints in ${g.name}, not ${describeValue(vStart)}–${describeValue(vEnd)}`);
    if (vStart < 0n || vEnd > 1n << 64n || vStart > vEnd) throw invalid("must lie in [0, 2^64) with start ≤ end");
    if (vStart % PAGE !== 0n || vEnd % PAGE !== 0n) {
      throw new MapperError("MisalignedVirtualAddress", `Cannot ${actionText(action)}: the virtual range is not ${hex(PAGE_BYTES)}-aligned`, {});
    }
    const half = 1n << BigInt(g.vaBits - 1);
    const upperBase = (1n << 64n) - half;
    const lower = vEnd <= half;
    const upper = vStart >= upperBase;
    if (!lower && !upper) throw invalid(`${hex(vStart, 16)}–${hex(vEnd, 16)} is not canonical for ${String(g.vaBits)}-bit addresses (it must lie below ${hex(half, 16)} or from ${hex(upperBase, 16)})`);
    const base = lower ? 0n : upperBase - half;
    return { from: Number((vStart - base) / PAGE), to: Number((vEnd - base) / PAGE) };
  }
  const ok = (a: Address): a is number => typeof a === "number" && Number.isSafeInteger(a) && a >= 0 && a <= 2 ** 32;
  if (!ok(vStart) || !ok(vEnd) || vStart > vEnd) throw invalid(`${describeValue(vStart)}–${describeValue(vEnd)} must be numbers within 32 bits with start ≤ end`);
  if (vStart % PAGE_BYTES !== 0 || vEnd % PAGE_BYTES !== 0) {
    throw new MapperError("MisalignedVirtualAddress", `Cannot ${actionText(action)}: the virtual range ${hex(vStart)}–${hex(vEnd)} is not ${hex(PAGE_BYTES)}-aligned`, {
      start: vStart,
      end: vEnd,
    });
  }
  return { from: vStart / PAGE_BYTES, to: vEnd / PAGE_BYTES };
}

/**
 * The physical page number of `address` (a page boundary at most `limit`).
 *
 * @throws {MapperError} `InvalidPhysicalAddress`, `MisalignedPhysicalAddress`.
 */
export function toPhysicalPage(address: Address, limit: number, action: ActionText, which: string): number {
  const value = typeof address === "bigint" ? (address >= 0n && address <= BigInt(limit) ? Number(address) : Number.NaN) : address;
  if (!Number.isSafeInteger(value) || value < 0 || value > limit) {
    throw new MapperError("InvalidPhysicalAddress", `Cannot ${actionText(action)}: the physical ${which} ${describeValue(address)} is not an address below ${hex(limit)}`, {});
  }
  if (value % PAGE_BYTES !== 0) {
    throw new MapperError("MisalignedPhysicalAddress", `Cannot ${actionText(action)}: the physical ${which} ${hex(value)} is not ${hex(PAGE_BYTES)}-aligned`, { address: value });
  }
  return value / PAGE_BYTES;
}

/** The virtual address of page `page` of the `vaBits`-bit space, sign-extended in 64-bit modes (a bigint there). */
export function virtualAddressOf(page: number, g: Geometry): Address {
  if (!g.signExtended) return page * PAGE_BYTES;
  const address = BigInt(page) << BigInt(PAGE_SHIFT);
  return address >= 1n << BigInt(g.vaBits - 1) ? address + ((1n << 64n) - (1n << BigInt(g.vaBits))) : address;
}
