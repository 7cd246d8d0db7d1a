import type { FragmentationStats } from "../../src/alloc/policy.js";

/**
 * The reference for block allocators of any size: the used blocks as a sorted list of
 * disjoint `[start, end)` intervals, searched by walking every gap. Slow and obviously right.
 */
export class UsedIntervals {
  private used: Array<[number, number]> = [];

  constructor(readonly numBlocks: number) {}

  get freeBlocks(): number {
    return this.numBlocks - this.used.reduce((sum, [s, e]) => sum + e - s, 0);
  }

  /** The free gaps in ascending order. */
  gaps(): Array<[number, number]> {
    const gaps: Array<[number, number]> = [];
    let at = 0;
    for (const [s, e] of this.used) {
      if (s > at) gaps.push([at, s]);
      at = e;
    }
    if (at < this.numBlocks) gaps.push([at, this.numBlocks]);
    return gaps;
  }

  findFree(count: number, alignment: number, phase: number): number | null {
    for (const [s, e] of this.gaps()) {
      const misalignment = ((s % alignment) + (phase % alignment)) % alignment;
      const b = misalignment === 0 ? s : s + alignment - misalignment;
      if (b + count <= e) return b;
    }
    return null;
  }

  isUsed(block: number): boolean {
    return this.used.some(([s, e]) => s <= block && block < e);
  }

  firstUsedIn(first: number, count: number): number | null {
    for (const [s, e] of this.used) {
      if (e > first && s < first + count) return Math.max(s, first);
    }
    return null;
  }

  reserve(first: number, count: number): void {
    this.used.push([first, first + count]);
    this.used.sort((a, b) => a[0] - b[0]);
  }

  release(first: number, count: number): void {
    const end = first + count;
    const kept: Array<[number, number]> = [];
    for (const [s, e] of this.used) {
      if (e <= first || s >= end) {
        kept.push([s, e]);
        continue;
      }
      if (s < first) kept.push([s, first]);
      if (e > end) kept.push([end, e]);
    }
    this.used = kept;
  }

  stats(): FragmentationStats {
    const gaps = this.gaps();
    const freeBlocks = gaps.reduce((sum, [s, e]) => sum + e - s, 0);
    const largest = gaps.reduce((max, [s, e]) => Math.max(max, e - s), 0);
    return { freeBlocks, freeExtents: gaps.length, largestFreeExtent: largest, fragmentationIndex: freeBlocks === 0 ? 0 : 1 - largest / freeBlocks };
  }
}
