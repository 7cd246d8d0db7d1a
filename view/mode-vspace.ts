/**
 * The virtual map of a 64-bit (or PAE/Sv32) space on a compressed axis: each region gets a
 * segment whose width grows with the logarithm of its size, and the unused stretches between
 * them are drawn as narrow breaks labelled with their real range, so that a 2 MiB kernel and a
 * 128 MiB direct map are both visible in a 2^64 space. The non-canonical hole of a
 * sign-extended space is its own break.
 */

/** One stretch of the axis. */
export interface SpaceSegment {
  /** `region`: a region of the map; `gap`: nothing mapped or reserved; `hole`: non-canonical addresses. */
  readonly kind: "region" | "gap" | "hole";
  /** The first address. */
  readonly start: bigint;
  /** The address just past the stretch (2^64 at the top of a 64-bit space). */
  readonly end: bigint;
  /** The region's index in the list given, for `region` segments. */
  readonly region: number;
}

/** A region as the axis needs it. */
export interface SpaceRegion {
  /** The first virtual address. */
  readonly virtStart: bigint;
  /** The virtual address just past the region. */
  readonly virtEnd: bigint;
}

/** Where a sign-extended space of `vaBits` bits is not canonical: `[2^(vaBits-1), 2^64 - 2^(vaBits-1))`. */
export function nonCanonicalHole(vaBits: number): { readonly start: bigint; readonly end: bigint } {
  const half = 1n << BigInt(vaBits - 1);
  return { start: half, end: (1n << 64n) - half };
}

/**
 * The axis from 0 to `spaceEnd`: the regions (in address order, overlaps clipped) and the breaks
 * between them, a gap that meets `hole` split around it.
 *
 * @example
 * spaceSegments([{ virtStart: 0xffffffff81000000n, virtEnd: 0xffffffff81200000n }], 1n << 64n, nonCanonicalHole(48));
 * // gap 0…0x00007FFFFFFFFFFF, hole …, gap 0xFFFF800000000000…, region, gap …2^64
 */
export function spaceSegments(regions: readonly SpaceRegion[], spaceEnd: bigint, hole: { readonly start: bigint; readonly end: bigint } | null): SpaceSegment[] {
  const segments: SpaceSegment[] = [];
  const addGap = (start: bigint, end: bigint): void => {
    if (start >= end) return;
    if (hole === null || end <= hole.start || start >= hole.end) {
      segments.push({ kind: "gap", start, end, region: -1 });
      return;
    }
    if (start < hole.start) segments.push({ kind: "gap", start, end: hole.start, region: -1 });
    segments.push({ kind: "hole", start: start > hole.start ? start : hole.start, end: end < hole.end ? end : hole.end, region: -1 });
    if (end > hole.end) segments.push({ kind: "gap", start: hole.end, end, region: -1 });
  };
  const order = regions.map((r, i) => ({ r, i })).sort((a, b) => (a.r.virtStart < b.r.virtStart ? -1 : a.r.virtStart > b.r.virtStart ? 1 : 0));
  let cursor = 0n;
  for (const { r, i } of order) {
    const start = r.virtStart > cursor ? r.virtStart : cursor;
    if (r.virtEnd <= start) continue;
    addGap(cursor, start);
    segments.push({ kind: "region", start, end: r.virtEnd, region: i });
    cursor = r.virtEnd;
  }
  addGap(cursor, spaceEnd);
  return segments;
}

const MIN_REGION_WEIGHT = 2;
const PAGE_BITS = 12;

/** The relative width of a region segment: grows with log2 of its size in pages, so a huge region is wider but never swamps a small one. */
export function regionWeight(bytes: bigint): number {
  return MIN_REGION_WEIGHT + Math.max(0, bytes.toString(2).length - 1 - PAGE_BITS);
}

const WIDE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
const UNIT_BITS = 10n;
/** A size is written exactly in the next smaller unit while that count stays short (`6160 KiB`), else to one decimal. */
const EXACT_BELOW = 10_000n;

/** A byte count up to 2^64 as text: exact when a whole number of its unit (`256 GiB`, `16 EiB`) or a short count of the next smaller one (`6160 KiB`), else to one decimal (`1020.3 MiB`). */
export function wideSize(bytes: bigint): string {
  let unit = 0;
  while (unit < WIDE_UNITS.length - 1 && bytes >= 1n << (UNIT_BITS * BigInt(unit + 1))) unit += 1;
  const scale = 1n << (UNIT_BITS * BigInt(unit));
  const whole = bytes / scale;
  const tenths = ((bytes % scale) * 10n) / scale;
  const units = WIDE_UNITS[unit] ?? "B";
  if (bytes % scale === 0n) return `${whole} ${units}`;
  const smaller = scale >> UNIT_BITS;
  if (unit > 0 && bytes % smaller === 0n && bytes / smaller < EXACT_BELOW) return `${bytes / smaller} ${WIDE_UNITS[unit - 1] ?? "B"}`;
  return `${whole}.${tenths} ${units}`;
}
