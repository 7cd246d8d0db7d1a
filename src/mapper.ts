import type { Address, Attributes } from "./types.js";

/**
 * The architecture boundary: something that installs and removes virtual→physical
 * translations. `P` is whatever the architecture needs (for x86, the page directory's
 * physical address). `A` is the address type of the VMM that drives it: `number` for
 * 32-bit spaces, `bigint` for 64-bit ones (virtual and physical addresses alike).
 *
 * Both calls must be all-or-nothing: when they throw (a `MapperError`), nothing changed.
 */
export interface Mapper<P, A extends Address = number> {
  /** Maps `[vStart, vEnd)` to `[pStart, pEnd)` (same length, block-aligned) with `attrs`. */
  map(vStart: A, vEnd: A, pStart: A, pEnd: A, attrs: Attributes, payload: P): void;
  /** Removes the translations of `[vStart, vEnd)` (block-aligned). */
  unmap(vStart: A, vEnd: A, payload: P): void;
}

/**
 * What a mapper needs from a physical memory manager to hold its own structures
 * (x86 page tables): one block at a time.
 */
export interface FrameAllocator {
  /** Allocates one block; its address, or `null` when memory is exhausted. */
  alloc(): number | null;
  /** Returns a block obtained from `alloc`. */
  free(address: number): void;
  /** The block size in bytes. */
  readonly blockSize: number;
}
