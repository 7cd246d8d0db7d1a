import { QuizError } from "../errors/quiz-error.js";
import { describeValue } from "../format.js";

/** The largest seed: seeds are unsigned 32-bit integers, as mulberry32 takes them. */
export const MAX_SEED = 2 ** 32 - 1;

/**
 * Returns `seed` when it is an integer in `[0, 2^32)`.
 *
 * @throws {QuizError} `InvalidSeed` otherwise.
 */
export function checkSeed(seed: number): number {
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new QuizError("InvalidSeed", `Cannot use seed ${describeValue(seed)}: use an integer from 0 to ${MAX_SEED}`, { seed });
  }
  return seed;
}

/**
 * Returns `count` when it is an integer in `[1, max]`.
 *
 * @throws {QuizError} `InvalidCount` otherwise, naming what is counted.
 */
export function checkCount(count: number, max: number, what: string): number {
  if (!Number.isSafeInteger(count) || count < 1 || count > max) {
    throw new QuizError("InvalidCount", `Cannot ask for ${describeValue(count)} ${what}: use 1 to ${max}`, { count, max });
  }
  return count;
}
