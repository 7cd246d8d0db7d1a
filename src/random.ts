/**
 * mulberry32: a tiny seeded 32-bit PRNG, so random workloads (benchmarks, property runs,
 * `kmem verify-qemu --seed`) repeat exactly from their seed.
 *
 * @example
 * const next = mulberry32(42);
 * next(); // an integer in [0, 2^32)
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    // Weyl step, then two xorshift-multiply rounds (Tommy Ettinger's mulberry32 constants).
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}
