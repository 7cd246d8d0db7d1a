/**
 * An address: a `number` (a safe integer) for 32-bit spaces, a `bigint` for 64-bit ones.
 * A VMM or PMM built with `bigint` bounds takes and returns `bigint` addresses everywhere.
 */
export type Address = number | bigint;

/** A half-open address range `[start, end)`; `end` is exclusive. */
export interface Range<A extends Address = number> {
  /** The first address. */
  readonly start: A;
  /** The address just past the last (exclusive). */
  readonly end: A;
}

/** How a virtual region may be used (the seed's `Attributes`). */
export interface Attributes {
  /** Belongs to the kernel: not accessible from user mode. */
  readonly kernel: boolean;
  /** May be written. */
  readonly writable: boolean;
  /** May be cached; memory-mapped devices usually must not be. */
  readonly cachable: boolean;
  /**
   * May be executed (default `true`). Modes with an execute-disable bit (x86 PAE and
   * long mode with EFER.NXE, RISC-V's X) honour it; 32-bit x86 paging has no such bit.
   */
  readonly executable?: boolean;
  /** Survives an address-space switch in the TLB (x86 G with CR4.PGE, RISC-V G). Default `false`. */
  readonly global?: boolean;
}

/** The size of every physical and virtual block, in bytes (4 KiB, an x86 page). */
export const BLOCK_SIZE = 4096;

/** Byte-addressed physical memory as the VMM sees it (implemented by `PhysicalMemory`). */
export interface ByteStore {
  /** Copies `length` bytes starting at physical `address`. */
  readBytes(address: number, length: number): Uint8Array;
  /** Writes `data` starting at physical `address`. */
  writeBytes(address: number, data: Uint8Array): void;
}
