import { mulberry32 } from "../random.js";

const TWO_POW_32 = 2 ** 32;

/**
 * Seeded random choices for exercises: every draw comes from {@link mulberry32}, so a seed
 * gives the same exercise on every machine and version (never `Math.random`). The order of
 * draws is part of each generator's output: changing it changes every exercise.
 *
 * @example
 * const choose = new Chooser(42);
 * choose.int(6);            // 0–5
 * choose.pick(["a", "b"]);  // "a" or "b"
 */
export class Chooser {
  readonly #next: () => number;

  constructor(seed: number) {
    this.#next = mulberry32(seed);
  }

  /** An integer in `[0, n)`, for a positive integer `n` ≤ 2^32. */
  int(n: number): number {
    return Math.floor((this.#next() / TWO_POW_32) * n);
  }

  /** An integer in `[low, high]`. */
  between(low: number, high: number): number {
    return low + this.int(high - low + 1);
  }

  /** True with probability `numerator / denominator`. */
  chance(numerator: number, denominator: number): boolean {
    return this.int(denominator) < numerator;
  }

  /**
   * One of `items` (non-empty).
   *
   * @throws {RangeError} When `items` is empty.
   */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("Cannot pick from an empty list");
    return items[this.int(items.length)] as T;
  }

  /** A shuffled copy of `items` (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
    }
    return copy;
  }
}
