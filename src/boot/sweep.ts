import type { Range } from "../types.js";

/** A range with a key: ranges with equal keys may overlap each other, ranges with different keys may not. */
export interface KeyedRange {
  readonly range: Range;
  readonly key: string | number;
}

/** Two overlapping ranges with different keys, by their indices in the input (`earlier < later`). */
export interface Clash {
  readonly earlier: number;
  readonly later: number;
}

/** Options for {@link findClash}. */
export interface ClashOptions {
  /**
   * When given, only pairs in which at least one range is strict (`strict[i]`): two
   * lenient ranges may overlap whatever their keys. Default: every range is strict.
   */
  readonly strict?: readonly boolean[];
}

/** Of the ranges seen so far: the one reaching furthest, and the furthest-reaching one whose key differs from it. */
class Reach {
  #best: (KeyedRange & { readonly index: number }) | null = null;
  #other: (KeyedRange & { readonly index: number }) | null = null;

  add(item: KeyedRange & { readonly index: number }): void {
    const best = this.#best;
    if (best === null || item.range.end > best.range.end) {
      // The old best reaches furthest of all seen, so it is also the furthest with a key other than item's.
      if (best !== null && item.key !== best.key) this.#other = best;
      this.#best = item;
    } else if (item.key !== best.key && (this.#other === null || item.range.end > this.#other.range.end)) {
      this.#other = item;
    }
  }

  /** A seen range overlapping `item` (which starts at or after every seen range) with another key, or `null`. */
  clashWith(item: KeyedRange): { readonly index: number } | null {
    const best = this.#best;
    if (best === null || best.range.end <= item.range.start) return null;
    if (best.key !== item.key) return best;
    const other = this.#other;
    return other !== null && other.range.end > item.range.start ? other : null;
  }
}

/**
 * Finds two overlapping ranges with different keys (half-open ranges, none empty), or `null`.
 * Sweeps the ranges by start, remembering the furthest-reaching range seen and the
 * furthest-reaching one with a different key: O(n log n), where comparing every pair is O(n²).
 * When several pairs clash, the one found first in start order is returned.
 *
 * @example
 * findClash([{ range: { start: 0, end: 8 }, key: 1 }, { range: { start: 4, end: 9 }, key: 2 }]); // { earlier: 0, later: 1 }
 */
export function findClash(items: readonly KeyedRange[], options: ClashOptions = {}): Clash | null {
  const all = new Reach();
  const strictOnly = new Reach();
  const { strict } = options;
  const sorted = items.map((item, index) => ({ range: item.range, key: item.key, index }));
  sorted.sort((a, b) => a.range.start - b.range.start || a.index - b.index);
  for (const item of sorted) {
    const isStrict = strict === undefined || strict[item.index] === true;
    const other = (isStrict ? all : strictOnly).clashWith(item);
    if (other !== null) return { earlier: Math.min(item.index, other.index), later: Math.max(item.index, other.index) };
    all.add(item);
    if (isStrict) strictOnly.add(item);
  }
  return null;
}

/** A range with its index in the input. */
interface Indexed {
  readonly start: number;
  readonly end: number;
  readonly index: number;
}

/** A binary min-heap of ranges by input index (the first listed on top). */
class FirstListedHeap {
  readonly #heap: Indexed[] = [];

  top(): Indexed | undefined {
    return this.#heap[0];
  }

  push(item: Indexed): void {
    const heap = this.#heap;
    let i = heap.length;
    heap.push(item);
    for (let parent = (i - 1) >> 1; i > 0; i = parent, parent = (i - 1) >> 1) {
      const above = heap[parent];
      if (above === undefined || above.index <= item.index) break;
      heap[i] = above;
    }
    heap[i] = item;
  }

  pop(): void {
    const heap = this.#heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = heap[2 * i + 1];
      const right = heap[2 * i + 2];
      const child = right !== undefined && left !== undefined && right.index < left.index ? 2 * i + 2 : 2 * i + 1;
      const below = heap[child];
      if (below === undefined || below.index >= last.index) break;
      heap[i] = below;
      i = child;
    }
    heap[i] = last;
  }
}

/** Every start and end of `items`, ascending, each once. */
function distinctSorted(items: readonly Indexed[]): Float64Array {
  const points = new Float64Array(2 * items.length);
  items.forEach((item, i) => {
    points[2 * i] = item.start;
    points[2 * i + 1] = item.end;
  });
  points.sort();
  let kept = 0;
  for (const point of points) {
    if (kept === 0 || point !== points[kept - 1]) points[kept++] = point;
  }
  return points.subarray(0, kept);
}

/**
 * For each range, the parts of it that no earlier range (lower index) covers, sorted and
 * merged: where ranges overlap, the first one listed wins. A sweep over the range ends with a
 * heap of the ranges covering the current point: O(n log n), where subtracting every earlier
 * range from each is O(n²).
 *
 * @example
 * firstCover([{ start: 0, end: 8 }, { start: 4, end: 12 }]); // [[{ start: 0, end: 8 }], [{ start: 8, end: 12 }]]
 */
export function firstCover(ranges: readonly Range[]): Range[][] {
  const pieces: { start: number; end: number }[][] = ranges.map(() => []);
  const items = ranges.map(({ start, end }, index): Indexed => ({ start, end, index })).filter((r) => r.end > r.start);
  items.sort((a, b) => a.start - b.start || a.index - b.index);
  const points = distinctSorted(items);
  const active = new FirstListedHeap();
  let next = 0;
  let from = points[0] ?? 0;
  for (const to of points.subarray(1)) {
    for (let item = items[next]; item !== undefined && item.start <= from; item = items[++next]) active.push(item);
    // Ranges that ended at or before `from` leave lazily, when they come to the top.
    let owner = active.top();
    while (owner !== undefined && owner.end <= from) {
      active.pop();
      owner = active.top();
    }
    const list = owner === undefined ? undefined : pieces[owner.index];
    const last = list?.[list.length - 1];
    if (last !== undefined && last.end === from) last.end = to;
    else list?.push({ start: from, end: to });
    from = to;
  }
  return pieces;
}
