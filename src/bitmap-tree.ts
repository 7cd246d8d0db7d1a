import { ALL_SET, BITS_PER_WORD, BIT_INDEX_MASK, WORD_SHIFT, firstFreeRun, prefixFree, suffixFree } from "./bitmap-words.js";

/** The tree's root node (node `n` has children `2n` and `2n + 1`). */
export const ROOT = 1;
/** log2 of the words one tree leaf summarises. */
export const GROUP_SHIFT = 4;
/** Words per tree leaf: a leaf costs 24 bytes of tree, so 16 words (512 entries) make the tree 3/64 byte per entry. */
export const GROUP_WORDS = 1 << GROUP_SHIFT;
/** Entries per tree leaf. */
export const GROUP_ENTRIES = GROUP_WORDS * BITS_PER_WORD;

/**
 * The words of a {@link Bitmap} and the summary segment tree over them: each node holds, for
 * the entries it spans, the longest free run and the free runs touching its low end (prefix)
 * and high end (suffix); leaves summarise 16-word groups. This module keeps the tree in step
 * with the words and searches it; `Bitmap` (src/bitmap.ts) is the public set of bits on top.
 */
export class RunTree {
  /** Number of entries (bits). */
  readonly numEntries: number;
  /** The bits: entry `i` is bit `i & 31` of word `i >>> 5`. @internal */
  protected readonly words: Uint32Array;
  /** The longest free run inside each word (0–32), kept beside it so that leaves are summarised without bit tricks. @internal */
  protected readonly runs: Uint8Array;
  /** Leaves of the tree: the 16-word group count rounded up to a power of two. @internal */
  protected readonly leaves: number;
  /** Per node: the longest free run in its span. @internal */
  protected readonly longest: Int32Array;
  /** Per node: the free run at the low end of its span. @internal */
  protected readonly prefix: Int32Array;
  /** Per node: the free run at the high end of its span. @internal */
  protected readonly suffix: Int32Array;
  /** Free run (starting at or after the search's `from`) ending just before the node a search visits. @internal */
  protected carry = 0;

  /** Words and tree for `numEntries` clear entries (the caller has validated the count). */
  constructor(numEntries: number) {
    this.numEntries = numEntries;
    const numWords = Math.ceil(numEntries / BITS_PER_WORD);
    this.words = new Uint32Array(numWords);
    this.runs = new Uint8Array(numWords).fill(BITS_PER_WORD);
    const tail = numEntries & BIT_INDEX_MASK;
    if (tail !== 0) {
      this.words[numWords - 1] = (ALL_SET << tail) >>> 0;
      this.runs[numWords - 1] = tail;
    }
    const numGroups = Math.ceil(numWords / GROUP_WORDS);
    let leaves = 1;
    while (leaves < numGroups) leaves *= 2;
    this.leaves = leaves;
    this.longest = new Int32Array(2 * leaves);
    this.prefix = new Int32Array(2 * leaves);
    this.suffix = new Int32Array(2 * leaves);
    this.buildEmptyTree();
  }

  /** Finds the start of the first qualifying run inside `node` (which begins at `start`), honouring `from`; -1 if none. @internal */
  protected scan(node: number, start: number, span: number, from: number, n: number): number {
    if (start + span <= from) return -1;
    if (node >= this.leaves) return this.scanLeaf(node - this.leaves, start, from, n);
    if (start >= from) {
      const carry = this.carry;
      if (carry + this.prefix[node]! >= n) return start - carry;
      if (this.longest[node]! >= n) return this.descend(node, start, span, n);
      this.carry = this.prefix[node] === span ? carry + span : this.suffix[node]!;
      return -1;
    }
    const half = span / 2;
    const left = this.scan(2 * node, start, half, from, n);
    return left >= 0 ? left : this.scan(2 * node + 1, start + half, half, from, n);
  }

  /** Descends from a node known to contain a qualifying run (counting `carry`) to its leftmost start. @internal */
  protected descend(node: number, start: number, span: number, n: number): number {
    while (node < this.leaves) {
      const carry = this.carry;
      if (carry + this.prefix[node]! >= n) return start - carry;
      const left = 2 * node;
      const half = span / 2;
      if (this.longest[left]! >= n) {
        node = left;
        span = half;
        continue;
      }
      const joined = this.prefix[left] === half ? carry + half : this.suffix[left]!;
      if (joined + this.prefix[left + 1]! >= n) return start + half - joined;
      this.carry = joined;
      node = left + 1;
      start += half;
      span = half;
    }
    return this.scanLeaf(node - this.leaves, start, start, n);
  }

  /** Searches one leaf's words (entries below `from` treated as set), updating `carry` when nothing fits. @internal */
  protected scanLeaf(leaf: number, start: number, from: number, n: number): number {
    const words = this.words;
    let carry = this.carry;
    let w = leaf << GROUP_SHIFT;
    let base = start;
    if (from > start) {
      // Skip the words wholly before `from`; they count as used.
      const skip = (from - start) >>> WORD_SHIFT;
      w += skip;
      base += skip * BITS_PER_WORD;
      carry = 0;
    }
    const end = Math.min((leaf + 1) << GROUP_SHIFT, words.length);
    for (; w < end; w++, base += BITS_PER_WORD) {
      let word = words[w]! | 0;
      // ~(ALL_SET << k) has the k low bits set: the entries before `from` count as used.
      if (from > base) word |= ~(ALL_SET << (from - base));
      if (word === 0) {
        carry += BITS_PER_WORD;
        if (carry >= n) return base + BITS_PER_WORD - carry;
        continue;
      }
      const low = prefixFree(word);
      if (carry + low >= n) return base - carry;
      // The word's longest run bounds what it holds (the entries before `from` only shorten it).
      if (this.runs[w]! >= n) {
        const at = firstFreeRun(word, n);
        if (at >= 0) return base + at;
      }
      carry = suffixFree(word);
    }
    // Words past the end of the bitmap (a padding group's tail) are used.
    this.carry = w < ((leaf + 1) << GROUP_SHIFT) ? 0 : carry;
    return -1;
  }

  /**
   * Summarises an all-clear bitmap in O(leaves) memset-speed fills: on every level the nodes
   * wholly inside `[0, numEntries)` are entirely free, the one straddling `numEntries` is
   * pulled from its children, and the rest (padding) stay zero.
   * @internal
   */
  protected buildEmptyTree(): void {
    for (let first = this.leaves, span = GROUP_ENTRIES; first >= ROOT; first >>>= 1, span *= 2) {
      const full = Math.floor(this.numEntries / span);
      this.longest.fill(span, first, first + full);
      this.prefix.fill(span, first, first + full);
      this.suffix.fill(span, first, first + full);
      const boundary = first + full;
      if (boundary < 2 * first && full * span < this.numEntries) {
        if (first === this.leaves) this.summariseLeaf(full);
        else this.pull(boundary, span / 2);
      }
    }
  }

  /**
   * Summarises leaf `leaf` from its words and their cached longest runs (words past the end
   * count as used). Branch-free per word: on fragmented words, data-dependent branches
   * mispredict and cost more than the arithmetic.
   * @internal
   */
  protected summariseLeaf(leaf: number): void {
    const words = this.words;
    const runs = this.runs;
    const first = leaf << GROUP_SHIFT;
    const end = Math.min(first + GROUP_WORDS, words.length);
    let prefix = -1;
    let longest = 0;
    let run = 0;
    for (let w = first; w < end; w++) {
      const word = words[w]! | 0;
      // ~word & (word - 1) keeps the trailing clear bits: their count is the word's free prefix (32 for 0).
      const reach = run + BITS_PER_WORD - Math.clz32(~word & (word - 1));
      if (prefix < 0 && word !== 0) prefix = reach;
      longest = Math.max(longest, reach, runs[w]!);
      run = word === 0 ? reach : suffixFree(word);
    }
    const node = this.leaves + leaf;
    // No used entry in the words: the prefix is all of them.
    this.prefix[node] = prefix < 0 ? run : prefix;
    this.longest[node] = Math.max(longest, run);
    // The last, partial group ends in used entries (past the end of the bitmap).
    this.suffix[node] = end < first + GROUP_WORDS ? 0 : run;
  }

  /** Recomputes a node from its children, each spanning `childSpan` entries; whether it changed. @internal */
  protected pull(node: number, childSpan: number): boolean {
    const left = 2 * node;
    const right = left + 1;
    const leftPrefix = this.prefix[left]!;
    const rightSuffix = this.suffix[right]!;
    const prefix = leftPrefix === childSpan ? childSpan + this.prefix[right]! : leftPrefix;
    const suffix = rightSuffix === childSpan ? childSpan + this.suffix[left]! : rightSuffix;
    const longest = Math.max(this.longest[left]!, this.longest[right]!, this.suffix[left]! + this.prefix[right]!);
    if (prefix === this.prefix[node] && suffix === this.suffix[node] && longest === this.longest[node]) return false;
    this.prefix[node] = prefix;
    this.suffix[node] = suffix;
    this.longest[node] = longest;
    return true;
  }

  /** Re-summarises leaf `leaf` and its ancestors, stopping where nothing changed. @internal */
  protected updateLeaf(leaf: number): void {
    this.summariseLeaf(leaf);
    let span = GROUP_ENTRIES;
    for (let node = (this.leaves + leaf) >>> 1; node >= ROOT; node >>>= 1, span *= 2) {
      if (!this.pull(node, span)) return;
    }
  }

  /** Recomputes leaves `first..last` and their ancestors, level by level, stopping at a level where nothing changed. @internal */
  protected updateLeaves(first: number, last: number): void {
    for (let leaf = first; leaf <= last; leaf++) this.summariseLeaf(leaf);
    let lo = (this.leaves + first) >>> 1;
    let hi = (this.leaves + last) >>> 1;
    for (let span = GROUP_ENTRIES; lo >= ROOT; lo >>>= 1, hi >>>= 1, span *= 2) {
      let changed = false;
      for (let node = lo; node <= hi; node++) if (this.pull(node, span)) changed = true;
      if (!changed) return;
    }
  }
}
