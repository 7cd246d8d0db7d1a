import { describeValue, hex, hexRange } from "./format.js";
import type { Address } from "./types.js";

/** One past the largest 64-bit address: the end of a whole 64-bit space. */
export const ADDRESS_LIMIT_64 = 2n ** 64n;

/**
 * Converts between one address type and block numbers, at the public edge of the VMM and
 * PMM (docs/ARCHITECTURE.md, "Design for many machines"). Block numbers are absolute
 * (`address / blockSize`) and always exact `number`s: a 64-bit space has at most 2^52 blocks.
 * The callers check {@link AddressCodec.accepts} before converting.
 */
export interface AddressCodec<A extends Address> {
  /** `"number"` or `"bigint"`: the JS type of every address this codec converts. */
  readonly type: "number" | "bigint";
  /** Bytes per block. */
  readonly blockSize: number;
  /** Whether `value` is an address of this type: a non-negative safe integer, or a non-negative bigint (the callers check their own bounds). */
  accepts(value: unknown): value is A;
  /** The block holding `address` (`floor(address / blockSize)`). */
  blockOf(address: A): number;
  /** The byte offset of `address` in its block (`address mod blockSize`). */
  offsetOf(address: A): number;
  /** The address of byte `offset` of block `block` (`block · blockSize + offset`). */
  addressOf(block: number, offset: number): A;
  /** `a − b` in bytes as a `number` (exact when the difference is below 2^53). */
  difference(a: A, b: A): number;
  /**
   * `value` for a message: in hex when it has this codec's type (a negative or fractional
   * one as given), else as `describeValue` gives it — a `bigint` given to a `number` space
   * shows as `1n`, a `number` given to a `bigint` space as `4096`.
   */
  show(value: unknown): string;
  /** A range `[start, end)` for a message, each bound as {@link AddressCodec.show} gives it. */
  showRange(start: unknown, end: unknown): string;
}

/** What both codecs share: messages about values that may be of either type, or none. */
abstract class BaseCodec<A extends Address> {
  abstract readonly type: "number" | "bigint";

  show(value: unknown): string {
    return typeof value === this.type ? hex(value as A) : describeValue(value);
  }

  showRange(start: unknown, end: unknown): string {
    return typeof start === this.type && typeof end === this.type ? hexRange(start as A, end as A) : `${this.show(start)}–${this.show(end)}`;
  }
}

/** Addresses as safe-integer `number`s (32-bit spaces): plain arithmetic, no `bigint` anywhere. */
class NumberCodec extends BaseCodec<number> implements AddressCodec<number> {
  readonly type = "number";

  constructor(readonly blockSize: number) {
    super();
  }

  accepts(value: unknown): value is number {
    return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
  }

  blockOf(address: number): number {
    return Math.floor(address / this.blockSize);
  }

  offsetOf(address: number): number {
    return address % this.blockSize;
  }

  addressOf(block: number, offset: number): number {
    return block * this.blockSize + offset;
  }

  difference(a: number, b: number): number {
    return a - b;
  }
}

/**
 * Addresses as `bigint`s (64-bit spaces), converted to block numbers once per call; with a
 * power-of-two block size by shifts and masks, which V8 does faster than `/` and `%`.
 */
class BigintCodec extends BaseCodec<bigint> implements AddressCodec<bigint> {
  readonly type = "bigint";
  private readonly size: bigint;
  /** log2(blockSize) when it is a power of two, else -1n. */
  private readonly shift: bigint;
  private readonly mask: bigint;

  constructor(readonly blockSize: number) {
    super();
    this.size = BigInt(blockSize);
    const log2 = Math.log2(blockSize);
    this.shift = Number.isInteger(log2) ? BigInt(log2) : -1n;
    this.mask = this.size - 1n;
  }

  accepts(value: unknown): value is bigint {
    return typeof value === "bigint" && value >= 0n;
  }

  blockOf(address: bigint): number {
    return Number(this.shift >= 0n && address >= 0n ? address >> this.shift : address / this.size);
  }

  offsetOf(address: bigint): number {
    return Number(this.shift >= 0n && address >= 0n ? address & this.mask : address % this.size);
  }

  addressOf(block: number, offset: number): bigint {
    const start = this.shift >= 0n ? BigInt(block) << this.shift : BigInt(block) * this.size;
    return offset === 0 ? start : start + BigInt(offset);
  }

  difference(a: bigint, b: bigint): number {
    return Number(a - b);
  }
}

/**
 * The codec for addresses of the same type as `sample` (`number` or `bigint`) with
 * `blockSize`-byte blocks.
 *
 * @example
 * const codec = codecFor(0xffff_8000_0000_0000n, 4096);
 * codec.blockOf(0xffff_8000_0000_1000n); // 4503565767458817 (exact)
 */
export function codecFor(sample: number, blockSize: number): AddressCodec<number>;
export function codecFor(sample: bigint, blockSize: number): AddressCodec<bigint>;
export function codecFor<A extends Address>(sample: A, blockSize: number): AddressCodec<A>;
export function codecFor<A extends Address>(sample: A, blockSize: number): AddressCodec<A> {
  return (typeof sample === "bigint" ? new BigintCodec(blockSize) : new NumberCodec(blockSize)) as unknown as AddressCodec<A>;
}

const HEX_DIGITS = /^0x[0-9a-f]+(?:_[0-9a-f]+)*$/i;
const DECIMAL_DIGITS = /^[0-9]+(?:_[0-9]+)*$/;

/**
 * Parses an address written as `0x…` hex or decimal, with optional `_` between digits
 * (`0xFFFF_FFFF_8000_0000`, `1_048_576`), exactly: the result is a `bigint`, or `null` when
 * `text` is not such a number. Callers check the range they allow (a `number` below 2^53,
 * 4 GiB for 32-bit x86, {@link ADDRESS_LIMIT_64}).
 *
 * @example
 * parseAddress("0xFFFF_FFFF_8000_0000"); // 18446744071562067968n
 * parseAddress("0x_1");                  // null
 */
export function parseAddress(text: string): bigint | null {
  if (!HEX_DIGITS.test(text) && !DECIMAL_DIGITS.test(text)) return null;
  return BigInt(text.replaceAll("_", ""));
}
