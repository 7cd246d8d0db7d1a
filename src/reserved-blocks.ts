/**
 * The blocks a PMM reserved when it was built (firmware, holes, the kernel image), as a
 * sorted list of merged runs of block numbers. A firmware map has tens of entries, so a
 * binary search (O(log r)) costs less than a second bitmap's bit per block. Never changes
 * after construction.
 */
export class ReservedBlocks {
  /** First blocks of the runs: sorted, merged (never touching). */
  private readonly starts: number[] = [];
  /** End blocks (exclusive) of the runs, parallel to {@link starts}. */
  private readonly ends: number[] = [];

  /** The union of `runs` (`[first, last)` block pairs, any order, empty ones ignored). */
  constructor(runs: readonly (readonly [number, number])[]) {
    const sorted = runs.filter(([first, last]) => first < last).sort((a, b) => a[0] - b[0]);
    for (const [first, last] of sorted) {
      const top = this.ends.length - 1;
      if (top >= 0 && first <= this.ends[top]!) {
        this.ends[top] = Math.max(this.ends[top]!, last);
      } else {
        this.starts.push(first);
        this.ends.push(last);
      }
    }
  }

  /** Number of merged runs. */
  get runCount(): number {
    return this.starts.length;
  }

  /** First block of run `index`. */
  runStart(index: number): number {
    return this.starts[index]!;
  }

  /** End block (exclusive) of run `index`. */
  runEnd(index: number): number {
    return this.ends[index]!;
  }

  /** Index of the first run overlapping blocks `[first, last)`, or -1 (binary search, O(log r)). */
  firstRun(first: number, last: number): number {
    let low = 0;
    let high = this.ends.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.ends[middle]! <= first) low = middle + 1;
      else high = middle;
    }
    return low < this.starts.length && this.starts[low]! < last ? low : -1;
  }

  /** The parts of `[first, last)` outside every run, as `(first, count)` pairs in order. O(log r + parts). */
  unreservedParts(first: number, last: number): number[] {
    const parts: number[] = [];
    let cursor = first;
    for (let run = this.firstRun(first, last); run >= 0 && run < this.starts.length && this.starts[run]! < last; run++) {
      if (this.starts[run]! > cursor) parts.push(cursor, this.starts[run]! - cursor);
      cursor = this.ends[run]!;
    }
    if (cursor < last) parts.push(cursor, last - cursor);
    return parts;
  }
}
