import fc from "fast-check";

/** The environment variable that overrides every property test's seed: an integer, or `random` for a fresh one. */
export const SEED_VARIABLE = "KMEM_SEED";

/**
 * The seed a property test runs with: the test's fixed `seed`, unless `KMEM_SEED` is set to
 * an integer (that seed) or to `random` (a fresh 32-bit seed per test).
 *
 * @throws {Error} when `KMEM_SEED` is neither.
 */
export function propertySeed(seed: number, setting: string | undefined = process.env[SEED_VARIABLE]): number {
  if (setting === undefined || setting === "") return seed;
  if (setting === "random") return Math.floor(Math.random() * 2 ** 32) | 0;
  const value = Number(setting);
  if (!Number.isSafeInteger(value)) throw new Error(`${SEED_VARIABLE} must be an integer or "random", not ${JSON.stringify(setting)}`);
  return value | 0;
}

/**
 * `fc.assert` with a reproducible seed (see {@link propertySeed}). On failure the error's
 * message ends with the seed and the command-line setting that replays the run.
 *
 * @example
 * assertProperty(fc.property(fc.nat(), (n) => n >= 0), { seed: 0x5eed });
 */
export function assertProperty<Ts>(property: fc.IRawProperty<Ts>, parameters: fc.Parameters<Ts> & { readonly seed: number }): void {
  const seed = propertySeed(parameters.seed);
  try {
    // eslint-disable-next-line no-restricted-syntax -- the one place that runs fc.assert, with the seed chosen here
    fc.assert(property, { ...parameters, seed });
  } catch (error) {
    if (error instanceof Error) error.message += `\nProperty seed ${seed}: replay with ${SEED_VARIABLE}=${seed}`;
    throw error;
  }
}
