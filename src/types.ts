/** A half-open address range `[start, end)`; `end` is exclusive. */
export interface Range {
  readonly start: number;
  readonly end: number;
}

/** How a virtual region may be used (the seed's `Attributes`). */
export interface Attributes {
  /** Belongs to the kernel: not accessible from user mode. */
  readonly kernel: boolean;
  /** May be written. */
  readonly writable: boolean;
  /** May be cached; memory-mapped devices usually must not be. */
  readonly cachable: boolean;
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
