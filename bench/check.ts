/**
 * A sanity check run before measuring: the seed port's fill fast path must leave exactly the
 * state its real `alloc` leaves.
 */

import { MixedWorkload } from "./workload.js";
import { seedSubject } from "./subjects.js";

/** Steady-state operations run after the fill in the equivalence check. */
const CHECK_STEADY_OPS = 2000;

/**
 * Fills two seed VMMs of `blocks` blocks, one through `fillAlloc`, one through the real
 * `alloc`, runs the same steady-state operations on both, and compares checksums, free
 * counts and mapper calls. Throws on any difference.
 *
 * @throws Error when the fast fill path diverges from the seed's `alloc`.
 */
export function checkSeedFillEquivalence(blocks: number, seed: number): void {
  const fast = seedSubject.makeVmm(blocks);
  const real = seedSubject.makeVmm(blocks);
  const { fillAlloc: _unused, ...realWithoutFastPath } = real;
  const a = new MixedWorkload(fast, blocks, seed);
  const b = new MixedWorkload(realWithoutFastPath, blocks, seed);
  a.fill();
  b.fill();
  a.run(CHECK_STEADY_OPS);
  b.run(CHECK_STEADY_OPS);
  const sa = { checksum: a.checksum, used: a.usedBlocks, calls: fast.mapperCalls() };
  const sb = { checksum: b.checksum, used: b.usedBlocks, calls: real.mapperCalls() };
  if (JSON.stringify(sa) !== JSON.stringify(sb)) {
    throw new Error(`seed fill fast path diverges from alloc: ${JSON.stringify(sa)} vs ${JSON.stringify(sb)}`);
  }
}
