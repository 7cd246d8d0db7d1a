import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** The median of a non-empty list of numbers (mean of the middle two for even lengths). */
export function median(values: readonly number[]): number {
  if (values.length === 0) {
    return Number.NaN;
  }
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nanoseconds per millisecond, for converting `process.hrtime.bigint()` readings. */
export const NS_PER_MS = 1e6;

/** The current monotonic time in milliseconds (sub-microsecond resolution). */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / NS_PER_MS;
}

let gcFunction: (() => void) | undefined;

/**
 * Runs a full garbage collection (exposing V8's `gc` at run time on first use), so one run's
 * garbage is not collected inside the next run's timed window. Every subject gets the same.
 */
export function collectGarbage(): void {
  if (gcFunction === undefined) {
    setFlagsFromString("--expose-gc");
    gcFunction = runInNewContext("gc") as () => void;
  }
  gcFunction();
}
