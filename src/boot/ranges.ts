import { BLOCK_SIZE, type Range } from "../types.js";

/**
 * Rounds `address` down to a multiple of `BLOCK_SIZE` (arithmetic, so it stays right above 2^31).
 *
 * @example
 * alignDown(0x1234); // 0x1000
 */
export function alignDown(address: number): number {
  return address - (address % BLOCK_SIZE);
}

/**
 * Rounds `address` up to a multiple of `BLOCK_SIZE`.
 *
 * @example
 * alignUp(0x1001); // 0x2000
 */
export function alignUp(address: number): number {
  const rest = address % BLOCK_SIZE;
  return rest === 0 ? address : address + BLOCK_SIZE - rest;
}

/** Widens a range outward to whole blocks, as the seed does before every `set`. */
export function alignOutward(range: Range): Range {
  return { start: alignDown(range.start), end: alignUp(range.end) };
}

/** Whether two half-open ranges share at least one address. */
export function overlaps(a: Range, b: Range): boolean {
  return a.start < b.end && b.start < a.end;
}

/**
 * Sorts ranges by start and merges those that overlap or touch; drops empty ones. O(n log n).
 *
 * @example
 * normalize([{ start: 8, end: 12 }, { start: 0, end: 8 }]); // [{ start: 0, end: 12 }]
 */
export function normalize(ranges: readonly Range[]): Range[] {
  const sorted = ranges.filter((r) => r.end > r.start).sort((a, b) => a.start - b.start);
  const merged: Range[] = [];
  for (const range of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && range.start <= last.end) {
      merged[merged.length - 1] = { start: last.start, end: Math.max(last.end, range.end) };
    } else {
      merged.push({ start: range.start, end: range.end });
    }
  }
  return merged;
}

/**
 * The addresses of `from` not covered by `minus`, as normalized ranges. O((n + m) log(n + m)):
 * after sorting, one merge-like pass (a hole is revisited only by the next range it reaches into).
 */
export function subtract(from: readonly Range[], minus: readonly Range[]): Range[] {
  const holes = normalize(minus);
  const result: Range[] = [];
  let first = 0;
  for (const range of normalize(from)) {
    while ((holes[first]?.end ?? Number.POSITIVE_INFINITY) <= range.start) first++;
    let cursor = range.start;
    for (let k = first, hole = holes[k]; hole !== undefined && hole.start < range.end; hole = holes[++k]) {
      if (hole.start > cursor) {
        result.push({ start: cursor, end: hole.start });
      }
      cursor = Math.max(cursor, hole.end);
    }
    if (cursor < range.end) {
      result.push({ start: cursor, end: range.end });
    }
  }
  return result;
}

/** The addresses common to `a` and the range `within`, as normalized ranges. */
export function clip(a: readonly Range[], within: Range): Range[] {
  return normalize(a)
    .map((r) => ({ start: Math.max(r.start, within.start), end: Math.min(r.end, within.end) }))
    .filter((r) => r.end > r.start);
}

/**
 * Whether the normalized ranges `set` (sorted, disjoint, not touching: {@link normalize}'s
 * output) cover every address of `range`. O(log n): one range of `set` must hold it all.
 */
export function covers(set: readonly Range[], range: Range): boolean {
  if (range.end <= range.start) return true;
  let low = 0;
  let high = set.length;
  // The first range of `set` that ends after range.start.
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((set[middle]?.end ?? 0) <= range.start) low = middle + 1;
    else high = middle;
  }
  const holder = set[low];
  return holder !== undefined && holder.start <= range.start && holder.end >= range.end;
}
