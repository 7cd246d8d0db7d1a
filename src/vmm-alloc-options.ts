import { VmmError } from "./errors/vmm-error.js";
import { describeValue } from "./format.js";
import type { Address } from "./types.js";

/** The third argument of `VirtualMemoryManager.alloc`. */
export interface AllocOptions<A extends Address = number> {
  /** Allocate exactly here (block-aligned) instead of at the lowest fit. */
  readonly at?: A;
  /**
   * Bytes the virtual start (and, where the PMM's policy can give one, the physical run) is
   * aligned to: a power of two, at least the block size. `0x400000` lets 32-bit x86 use a
   * 4 MiB page.
   */
  readonly align?: number | bigint;
}

/** What `alloc` was asked for: the fixed address, if any, and the alignment in blocks (1: none). */
export interface AllocRequest<A extends Address> {
  readonly at: A | undefined;
  readonly alignment: number;
}

const UNALIGNED: AllocRequest<never> = { at: undefined, alignment: 1 };

/**
 * Reads `alloc`'s third argument: `undefined`, an address (`at`), or `{ at?, align? }`.
 *
 * @throws {VmmError} `InvalidVirtAddresses` when `align` is not a power of two of at least
 * `blockSize` bytes, or an option other than `at` and `align` is given.
 */
export function allocRequest<A extends Address>(options: A | AllocOptions<A> | undefined, blockSize: number): AllocRequest<A> {
  if (options === undefined) return UNALIGNED;
  if (typeof options !== "object" || options === null) return { at: options, alignment: 1 };
  const unknown = Object.keys(options).find((key) => key !== "at" && key !== "align");
  if (unknown !== undefined) {
    throw new VmmError("InvalidVirtAddresses", `Cannot allocate with option ${describeValue(unknown)}: the options are at and align`, { option: unknown });
  }
  const { at, align } = options;
  if (align === undefined) return { at, alignment: 1 };
  const bytes = typeof align === "bigint" ? Number(align) : align;
  const isPowerOfTwo = Number.isSafeInteger(bytes) && bytes > 0 && 2 ** Math.round(Math.log2(bytes)) === bytes && BigInt(bytes) === BigInt(align);
  if (!isPowerOfTwo || bytes < blockSize || bytes % blockSize !== 0) {
    throw new VmmError("InvalidVirtAddresses", `Cannot allocate with align ${describeValue(align)}: it must be a power of two of at least ${blockSize} bytes`, { align: typeof align === "bigint" || typeof align === "number" ? align : null });
  }
  return { at, alignment: bytes / blockSize };
}
