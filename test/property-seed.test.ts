import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { assertProperty, propertySeed } from "./helpers/property.js";

describe("property test seeds", () => {
  test("the fixed seed is used unless KMEM_SEED gives an integer or random", () => {
    assert.equal(propertySeed(42, undefined), 42);
    assert.equal(propertySeed(42, ""), 42);
    assert.equal(propertySeed(42, "7"), 7);
    assert.equal(propertySeed(42, "-3"), -3);
    const fresh = propertySeed(42, "random");
    assert.equal(Number.isSafeInteger(fresh) && fresh === (fresh | 0), true, `a 32-bit seed, got ${fresh}`);
    assert.throws(() => propertySeed(42, "soon"), /KMEM_SEED must be an integer or "random", not "soon"/);
  });

  test("a failing property reports its seed and how to replay it, and the same seed finds the same counterexample", () => {
    const failing = fc.property(fc.integer({ min: 0, max: 1000 }), (n) => n < 500);
    const messages = [0, 1].map(() => {
      try {
        assertProperty(failing, { seed: 1234 });
        return "passed";
      } catch (error) {
        return (error as Error).message;
      }
    });
    assert.match(messages[0]!, /Property seed (-?\d+): replay with KMEM_SEED=\1$/);
    // Under KMEM_SEED=random each call draws its own seed, so only a fixed seed must replay.
    if (process.env.KMEM_SEED !== "random") assert.equal(messages[1], messages[0], "a fixed seed replays exactly");
  });
});
