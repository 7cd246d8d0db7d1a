import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_PROFILE } from "../../src/boot/default-profile.js";
import { parseProfile } from "../../src/boot/profile.js";
import { ProfileError } from "../../src/boot/profile-error.js";

/** The default profile with `memoryBytes` and the kernel's `virtStart` replaced. */
function withAddresses(memoryBytes: unknown, virtStart: unknown): unknown {
  const copy = structuredClone(DEFAULT_PROFILE) as unknown as { memoryBytes: unknown; kernel: Record<string, unknown> };
  copy.memoryBytes = memoryBytes;
  copy.kernel.virtStart = virtStart;
  return copy;
}

describe("profile addresses with _ separators", () => {
  test('"0x0800_0000" and "0xC010_0000" read as their values', () => {
    const profile = parseProfile(withAddresses("0x0800_0000", "0xC010_0000"));
    assert.equal(profile.memoryBytes, 0x0800_0000);
    assert.equal(profile.kernel.virtStart, 0xc010_0000);
  });

  for (const bad of ["0x_0800", "0x0800__0000", "0x0800_", "134_217_728"]) {
    test(`${JSON.stringify(bad)} is not an address`, () => {
      assert.throws(() => parseProfile(withAddresses(bad, DEFAULT_PROFILE.kernel.virtStart)), (error: unknown) => error instanceof ProfileError && /^memoryBytes .* is not an address/.test(error.message));
    });
  }

  test("a 64-bit address is read exactly and refused as beyond 4 GiB", () => {
    assert.throws(() => parseProfile(withAddresses("0xFFFF_FFFF_8000_0000", DEFAULT_PROFILE.kernel.virtStart)), (error: unknown) => error instanceof ProfileError && /is beyond 4 GiB/.test(error.message));
  });
});
