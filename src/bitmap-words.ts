/**
 * Constant-time summaries of one 32-bit bitmap word (bit `i` set ⇔ entry `i` of the word
 * used, bit 0 the lowest entry). Internal to `bitmap.ts` and `allocation-table.ts`; every
 * function takes the word as an int32 or uint32 and allocates nothing.
 */

/** Entries per word. */
export const BITS_PER_WORD = 32;
/** `index >>> WORD_SHIFT` is the word holding entry `index`. */
export const WORD_SHIFT = 5;
/** `index & BIT_INDEX_MASK` is the entry's bit inside its word. */
export const BIT_INDEX_MASK = 31;
/** A word with every bit set (as int32: -1). */
export const ALL_SET = -1;

const HALF = 16;
const QUARTER = 8;
const EIGHTH = 4;
const PAIR = 2;

const ODD_BITS = 0x55555555;
const BIT_PAIRS = 0x33333333;
const NIBBLES = 0x0f0f0f0f;
const BYTE_ONES = 0x01010101;
const TOP_BYTE_SHIFT = 24;

/** Position of the lowest set bit of a non-zero `word` (its count of trailing zeros). */
export function lowestSetBit(word: number): number {
  // word & -word isolates the lowest set bit; 31 - clz32 of it is its position.
  return BIT_INDEX_MASK - Math.clz32(word & -word);
}

/** Position of the highest set bit of a non-zero `word`. */
export function highestSetBit(word: number): number {
  return BIT_INDEX_MASK - Math.clz32(word);
}

/** Number of free entries at the low end of `word`. */
export function prefixFree(word: number): number {
  return word === 0 ? BITS_PER_WORD : lowestSetBit(word);
}

/** Number of free entries at the high end of `word`. */
export function suffixFree(word: number): number {
  // Leading zeros are the free entries just below the next word.
  return Math.clz32(word);
}

/** Length of the longest run of free entries inside `word`. */
export function longestFreeRun(word: number): number {
  if (word === 0) return BITS_PER_WORD;
  // runN bit j ⇔ entries j .. j+N-1 are all free (each level ANDs the previous with itself shifted).
  const run1 = ~word;
  const run2 = run1 & (run1 >>> 1);
  const run4 = run2 & (run2 >>> PAIR);
  const run8 = run4 & (run4 >>> EIGHTH);
  const run16 = run8 & (run8 >>> QUARTER);
  // Build the maximal length from its high binary digit down: keep candidates whose run extends further.
  let starts = run16;
  let length = HALF;
  if (starts === 0) {
    starts = ALL_SET;
    length = 0;
  }
  let next = starts & (run8 >>> length);
  if (next !== 0) { starts = next; length += QUARTER; }
  next = starts & (run4 >>> length);
  if (next !== 0) { starts = next; length += EIGHTH; }
  next = starts & (run2 >>> length);
  if (next !== 0) { starts = next; length += PAIR; }
  next = starts & (run1 >>> length);
  if (next !== 0) length += 1;
  return length;
}

/**
 * Lowest bit position starting `n` (1..32) consecutive free entries in `word`, or -1.
 */
export function firstFreeRun(word: number, n: number): number {
  if (n >= BITS_PER_WORD) return word === 0 ? 0 : -1;
  const run1 = ~word;
  const run2 = run1 & (run1 >>> 1);
  const run4 = run2 & (run2 >>> PAIR);
  const run8 = run4 & (run4 >>> EIGHTH);
  const run16 = run8 & (run8 >>> QUARTER);
  // Intersect shifted run masks along n's binary digits: bit j survives ⇔ entries j .. j+n-1 are free.
  let starts = ALL_SET;
  let length = 0;
  if (n & HALF) { starts &= run16; length += HALF; }
  if (n & QUARTER) { starts &= run8 >>> length; length += QUARTER; }
  if (n & EIGHTH) { starts &= run4 >>> length; length += EIGHTH; }
  if (n & PAIR) { starts &= run2 >>> length; length += PAIR; }
  if (n & 1) starts &= run1 >>> length;
  return starts === 0 ? -1 : lowestSetBit(starts);
}

/** Mask of bits `[lo, hi)` of a word, for `0 <= lo < hi <= 32`. */
export function bitRangeMask(lo: number, hi: number): number {
  // ALL_SET >>> (32 - width) keeps `width` low ones; shifting left places them at `lo`.
  return (ALL_SET >>> (BITS_PER_WORD - (hi - lo))) << lo;
}

/** Number of set bits in `word`. */
export function popcount(word: number): number {
  // SWAR: sum bits in pairs, then nibbles, then bytes; the multiply adds the four byte counts into the top byte.
  let x = word - ((word >>> 1) & ODD_BITS);
  x = (x & BIT_PAIRS) + ((x >>> PAIR) & BIT_PAIRS);
  x = (x + (x >>> EIGHTH)) & NIBBLES;
  return Math.imul(x, BYTE_ONES) >>> TOP_BYTE_SHIFT;
}
