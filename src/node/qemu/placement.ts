import type { MemoryProfile } from "../../boot/profile.js";
import { parseProfile, validateProfile } from "../../boot/profile.js";
import { normalize, overlaps, subtract } from "../../boot/ranges.js";
import { hex, hexRange } from "../../format.js";
import { BLOCK_SIZE, type Range } from "../../types.js";
import { GUEST_AREA_BYTES, GUEST_MIN_ADDRESS } from "./guest.js";
import { QemuError } from "./qemu-error.js";

/** The label of the reservation {@link withGuest} adds to a profile. */
export const GUEST_LABEL = "QEMU fidelity guest";

/**
 * Picks where the QEMU guest goes in `profile`: the highest page-aligned area of
 * {@link GUEST_AREA_BYTES} at or above 1 MiB that is available RAM no mapping claims, and
 * whose identity virtual range no region uses.
 *
 * @throws {QemuError} `GuestCollision` when no such area exists.
 */
export function placeGuest(profile: MemoryProfile): number {
  const { layout } = validateProfile(profile);
  const lowMemory: Range = { start: 0, end: GUEST_MIN_ADDRESS };
  const free = subtract(layout.usable, [...layout.claimed, lowMemory]);
  const taken = normalize(layout.regions.map((r) => ({ start: r.virtStart, end: r.virtEnd })));
  for (const range of [...free].reverse()) {
    let end = range.end;
    while (end - range.start >= GUEST_AREA_BYTES) {
      const area: Range = { start: end - GUEST_AREA_BYTES, end };
      const blocker = [...taken].reverse().find((t) => overlaps(t, area));
      if (blocker === undefined) return area.start;
      end = Math.floor(blocker.start / BLOCK_SIZE) * BLOCK_SIZE;
    }
  }
  throw new QemuError(
    "GuestCollision",
    `Cannot place the QEMU guest: the profile has no free ${hex(GUEST_AREA_BYTES)}-byte area of available RAM above ${hex(GUEST_MIN_ADDRESS)} whose identity-mapped virtual range is unused`,
    { bytes: GUEST_AREA_BYTES },
  );
}

/**
 * Returns `profile` plus a reservation identity-mapping the guest's area at `base` (by default
 * {@link placeGuest}'s choice), validated like any profile.
 *
 * @throws {QemuError} `GuestCollision` when the area is not free (the profile error is quoted).
 * @example
 * const profile = withGuest(DEFAULT_PROFILE);
 * profile.virtualReserved.at(-1); // { virtStart: 0x07FDE000, virtEnd: 0x07FE0000, physStart: 0x07FDE000, label: "QEMU fidelity guest" }
 */
export function withGuest(profile: MemoryProfile, base: number = placeGuest(profile)): MemoryProfile {
  const area: Range = { start: base, end: base + GUEST_AREA_BYTES };
  const { layout } = validateProfile(profile);
  const clash = [...layout.claimed].find((c) => overlaps(c, area)) ?? layout.regions.map((r) => ({ start: r.virtStart, end: r.virtEnd })).find((r) => overlaps(r, area));
  if (clash !== undefined) {
    throw new QemuError("GuestCollision", `Cannot place the QEMU guest at ${hexRange(area.start, area.end)}: the profile already uses ${hexRange(clash.start, clash.end)}`, { base });
  }
  const reservation = { virtStart: area.start, virtEnd: area.end, physStart: area.start, label: GUEST_LABEL };
  try {
    return parseProfile({ ...profile, virtualReserved: [...profile.virtualReserved, reservation] });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new QemuError("GuestCollision", `Cannot place the QEMU guest at ${hexRange(area.start, area.end)}: ${reason}`, { base });
  }
}
