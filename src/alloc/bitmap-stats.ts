import type { Bitmap } from "../bitmap.js";
import type { FragmentationStats } from "./policy.js";

/**
 * The fragmentation of a bitmap's clear entries: free entries (O(1)), maximal free runs
 * (one pass over the words, O(n/32)), the longest run (the summary tree's root, O(1)).
 */
export function bitmapFragmentation(bits: Bitmap): FragmentationStats {
  const freeBlocks = bits.numFreeEntries;
  const largestFreeExtent = bits.largestFreeRun;
  return {
    freeBlocks,
    freeExtents: bits.countFreeRuns(),
    largestFreeExtent,
    fragmentationIndex: freeBlocks === 0 ? 0 : 1 - largestFreeExtent / freeBlocks,
  };
}
