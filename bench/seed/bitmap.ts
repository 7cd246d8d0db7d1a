/**
 * A faithful TypeScript port of the seed kernel's `Bitmap(u32)` (pluto's `src/kernel/bitmap.zig`
 * of the era of `seed/vmm.zig.txt`), used only as the benchmark baseline.
 *
 * The seed's `bitmap.zig` is not among the shared files; this ports the classic pluto bitmap:
 * `setFirstFree` scans the words from the start, skipping full words, then takes the lowest
 * clear bit of the first non-full word; `setContiguous` walks every entry bit by bit from
 * entry 0, counting a run of clear bits and restarting on a set bit, then sets the run with
 * one `setEntry` per entry. Nothing in `src/` uses this file.
 */

import { SeedError } from "./seed-error.js";

/** Entries per bitmap word: the seed's `ENTRIES_PER_BITMAP` for `Bitmap(u32)`. */
export const ENTRIES_PER_BITMAP = 32;

/** The value of a full word: the seed's `BITMAP_FULL` (`maxInt(u32)`). */
const BITMAP_FULL = 0xffffffff;

/** The seed's `Bitmap(u32)`: one bit per entry in 32-bit words, a free-entry counter. */
export class SeedBitmap {
  /** The seed's `num_bitmaps`: how many 32-bit words back the entries. */
  readonly numBitmaps: number;
  /** The seed's `num_entries`. */
  readonly numEntries: number;
  /** The seed's `bitmaps` slice. */
  readonly bitmaps: Uint32Array;
  /** The seed's `num_free_entries`. */
  numFreeEntries: number;

  /** Mirrors `init`: `alignForward(num_entries, 32) / 32` zeroed words. */
  constructor(numEntries: number) {
    this.numBitmaps = Math.ceil(numEntries / ENTRIES_PER_BITMAP);
    this.numEntries = numEntries;
    this.bitmaps = new Uint32Array(this.numBitmaps);
    this.numFreeEntries = numEntries;
  }

  /**
   * Mirrors `setEntry`: bounds check, then set the bit and decrement the count if it was clear.
   *
   * @throws SeedError `OutOfBounds` when `idx >= numEntries`.
   */
  setEntry(idx: number): void {
    if (idx >= this.numEntries) {
      throw new SeedError("OutOfBounds");
    }
    if (!this.isSet(idx)) {
      const bit = this.indexToBit(idx);
      const word = Math.floor(idx / ENTRIES_PER_BITMAP);
      this.bitmaps[word] = (this.bitmaps[word]! | bit) >>> 0;
      this.numFreeEntries -= 1;
    }
  }

  /**
   * Mirrors `clearEntry`: bounds check, then clear the bit and increment the count if it was set.
   *
   * @throws SeedError `OutOfBounds` when `idx >= numEntries`.
   */
  clearEntry(idx: number): void {
    if (idx >= this.numEntries) {
      throw new SeedError("OutOfBounds");
    }
    if (this.isSet(idx)) {
      const bit = this.indexToBit(idx);
      const word = Math.floor(idx / ENTRIES_PER_BITMAP);
      this.bitmaps[word] = (this.bitmaps[word]! & ~bit) >>> 0;
      this.numFreeEntries += 1;
    }
  }

  /** Mirrors `indexToBit`: `1 << (idx % 32)` as an unsigned word. */
  private indexToBit(idx: number): number {
    return (1 << (idx % ENTRIES_PER_BITMAP)) >>> 0;
  }

  /**
   * Mirrors `setContiguous(num)`: a bit-by-bit scan from entry 0 over every word, counting
   * consecutive clear entries (restarting on a set one) until `num` are found, then one
   * `setEntry` per entry. O(numEntries) per call.
   */
  setContiguous(num: number): number | null {
    if (num > this.numFreeEntries) {
      return null;
    }
    let count = 0;
    let start: number | null = null;
    for (let i = 0; i < this.numBitmaps; i++) {
      const bmp = this.bitmaps[i]!;
      let bit = 0;
      for (;;) {
        const entry = bit + i * ENTRIES_PER_BITMAP;
        if (entry >= this.numEntries) {
          return null;
        }
        if ((bmp & (1 << bit)) !== 0) {
          // This is a one so clear the progress (seed comment).
          count = 0;
          start = null;
        } else {
          // It's a zero so increment the count (seed comment).
          count += 1;
          if (start === null) {
            start = entry;
          }
          if (count === num) {
            break;
          }
        }
        if (bit < ENTRIES_PER_BITMAP - 1) {
          bit += 1;
        } else {
          break;
        }
      }
      if (count === num) {
        break;
      }
    }
    if (count === num && start !== null) {
      for (let i = 0; i < num; i++) {
        this.setEntry(start + i);
      }
      return start;
    }
    return null;
  }

  /**
   * Mirrors `setFirstFree`: a linear scan over the words from the start, skipping full ones,
   * then the lowest clear bit (`@ctz(~word)`) of the first non-full word.
   */
  setFirstFree(): number | null {
    if (this.numFreeEntries === 0) {
      return null;
    }
    for (let i = 0; i < this.numBitmaps; i++) {
      const bmp = this.bitmaps[i]!;
      if (bmp === BITMAP_FULL) {
        continue;
      }
      // Count trailing zeros of ~bmp: the index of the lowest clear bit.
      const inverted = ~bmp;
      const bit = ENTRIES_PER_BITMAP - 1 - Math.clz32(inverted & -inverted);
      const idx = bit + i * ENTRIES_PER_BITMAP;
      // The seed's `setEntry(idx) catch return null`: past the last entry means none is free.
      if (idx >= this.numEntries) {
        return null;
      }
      this.setEntry(idx);
      return idx;
    }
    return null;
  }

  /**
   * Mirrors `isSet`.
   *
   * @throws SeedError `OutOfBounds` when `idx >= numEntries`.
   */
  isSet(idx: number): boolean {
    if (idx >= this.numEntries) {
      throw new SeedError("OutOfBounds");
    }
    return (this.bitmaps[Math.floor(idx / ENTRIES_PER_BITMAP)]! & this.indexToBit(idx)) !== 0;
  }
}
