/**
 * Physical memory as mappers and MMUs see it: a bus of little-endian loads and stores at
 * physical addresses (safe-integer `number`s). `PhysicalMemory` implements it; an emulator
 * passes its own RAM object, routing device ranges to MMIO handlers inside these methods.
 *
 * Contract:
 * - 8/16/32-bit values are unsigned `number`s; a store keeps the low 8/16/32 bits.
 * - 64-bit values are `bigint`s (`read64`/`write64`), for callers that want whole entries.
 *   The walk engine never uses them: it reads a 64-bit entry as two `read32`s (low word at
 *   `address`, high word at `address + 4`) and updates accessed/dirty bits with one `write32`
 *   of the low word, as QEMU's x86 walker does (target/i386/tcg/system/excp_helper.c,
 *   `ptw_setl`: "we can use a 32-bit cmpxchg for all page table entries, even 64-bit ones").
 * - An access outside the bus throws (kmem's `PhysicalMemory` throws `MemoryError`
 *   `OutOfBounds`); the MMU lets that error through unchanged.
 */
export interface PhysicalBus {
  /** Reads the byte at `address`. */
  read8(address: number): number;
  /** Reads the little-endian 16-bit value at `address`. */
  read16(address: number): number;
  /** Reads the little-endian 32-bit value at `address`, unsigned. */
  read32(address: number): number;
  /** Reads the little-endian 64-bit value at `address`, unsigned. */
  read64(address: number): bigint;
  /** Writes the low 8 bits of `value` at `address`. */
  write8(address: number, value: number): void;
  /** Writes the low 16 bits of `value` little-endian at `address`. */
  write16(address: number, value: number): void;
  /** Writes the low 32 bits of `value` little-endian at `address`. */
  write32(address: number, value: number): void;
  /** Writes the low 64 bits of `value` little-endian at `address`. */
  write64(address: number, value: bigint): void;
  /**
   * Optional fast path: the bus's plain RAM as little-endian 32-bit words from physical
   * address 0 (word `i` is bytes `4i…4i+3`), or null. A bus that returns a view promises that
   * every aligned address it covers is ordinary memory (no MMIO) and that the view stays valid;
   * walks then read entries straight from it — QEMU's walkers likewise read a RAM-backed
   * entry through its host pointer (excp_helper.c `ptw_ldq`: `if (likely(in->haddr))`).
   * Stores (accessed/dirty bits) always go through `write32`.
   */
  wordView?(): Uint32Array | null;
}
