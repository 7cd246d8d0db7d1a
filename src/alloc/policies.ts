import { describeValue } from "../format.js";
import { BitmapAllocator } from "./bitmap-allocator.js";
import { BuddyFrames } from "./buddy.js";
import { ExtentAllocator } from "./extent-tree.js";
import { LowestFirstFrames } from "./lowest-first.js";
import type { FramePolicy, VirtualAllocator } from "./policy.js";

/** The built-in virtual allocators a VMM can be asked for by name. */
export type VirtualAllocatorName = "bitmap" | "extent";

/** The built-in frame policies a PMM can be asked for by name. */
export type FramePolicyName = "lowest" | "buddy";

/** Spaces of at most this many blocks get the bitmap allocator by default, larger ones the extent tree. */
export const MAX_BITMAP_DEFAULT_BLOCKS = 2 ** 30;

/**
 * The virtual allocator a VMM of `numBlocks` blocks uses: the named built-in one, `given`
 * itself, or by default the bitmap where it fits (2^30 blocks or fewer), else the extent tree.
 *
 * @throws {RangeError} when the name is unknown, or `given` does not manage exactly `numBlocks` free blocks.
 */
export function virtualAllocatorFor(given: VirtualAllocatorName | VirtualAllocator | undefined, numBlocks: number): VirtualAllocator {
  const name = given ?? (numBlocks <= MAX_BITMAP_DEFAULT_BLOCKS ? "bitmap" : "extent");
  if (name === "bitmap") return new BitmapAllocator(numBlocks);
  if (name === "extent") return new ExtentAllocator(numBlocks);
  if (typeof name === "object" && name !== null && typeof name.findFree === "function") return checkedPolicy(name, numBlocks, "allocator");
  throw new RangeError(`Cannot use allocator ${describeValue(name)}: expected "bitmap", "extent" or a VirtualAllocator`);
}

/**
 * The frame policy a PMM of `numBlocks` blocks uses: the named built-in one or `given` itself.
 *
 * @throws {RangeError} when the name is unknown, or `given` does not manage exactly `numBlocks` free blocks.
 */
export function framePolicyFor(given: FramePolicyName | FramePolicy, numBlocks: number): FramePolicy {
  if (given === "lowest") return new LowestFirstFrames(numBlocks);
  if (given === "buddy") return new BuddyFrames(numBlocks);
  if (typeof given === "object" && given !== null && typeof given.allocRuns === "function") return checkedPolicy(given, numBlocks, "policy");
  throw new RangeError(`Cannot use policy ${describeValue(given)}: expected "lowest", "buddy" or a FramePolicy`);
}

/** `policy`, after checking that it manages `numBlocks` blocks, all free. */
function checkedPolicy<T extends { readonly numBlocks: number; readonly freeBlocks: number }>(policy: T, numBlocks: number, what: string): T {
  if (policy.numBlocks !== numBlocks || policy.freeBlocks !== numBlocks) {
    throw new RangeError(`Cannot use this ${what}: it must manage ${numBlocks} blocks, all free (it has ${policy.freeBlocks} of ${policy.numBlocks} free)`);
  }
  return policy;
}
