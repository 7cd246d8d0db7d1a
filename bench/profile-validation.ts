/**
 * Profile validation at scale: `parseProfile` (shapes, layout, overlap checks) and `boot` of
 * the validated profile, for n = 1,000 to 64,000 entries of each kind that can grow (virtual
 * reservations, modules, memory-map entries). Prints the median CPU time of this process per
 * size (less disturbed than wall time on a shared machine) and the ratio to the size a quarter
 * as large, measured in this one run: ~4.5 for O(n log n), 16 for O(n²).
 *
 * Run: `npm run build && node --import tsx bench/profile-validation.ts` (not part of `npm test`).
 */

import { boot, DEFAULT_PROFILE, parseProfile, type MemoryProfile } from "kmem";
import { median } from "./stats.js";

const SIZES = [1_000, 4_000, 16_000, 64_000] as const;
const RUNS = 5;
const PAGE = 0x1000;

/** The default PC plus `n` one-page reservations, every other page from 0xD0000000 (half of them mapped). */
function manyReservations(n: number): MemoryProfile {
  const virtualReserved = Array.from({ length: n }, (_, i) => ({
    virtStart: 0xd000_0000 + 2 * i * PAGE,
    virtEnd: 0xd000_0000 + (2 * i + 1) * PAGE,
    ...(i % 2 === 0 ? { physStart: 0x0800_0000 + i * PAGE } : {}),
    label: `r${i}`,
  }));
  return { ...DEFAULT_PROFILE, virtualReserved: [...DEFAULT_PROFILE.virtualReserved, ...virtualReserved] };
}

/** The default PC with `n` one-page modules from 0x01000000 (1 GiB of RAM). */
function manyModules(n: number): MemoryProfile {
  const modules = Array.from({ length: n }, (_, i) => ({ name: `m${i}`, physStart: 0x0100_0000 + 2 * i * PAGE, physEnd: 0x0100_0000 + (2 * i + 1) * PAGE }));
  const memoryMap = [{ start: 0, end: 0x9_fc00, type: "available" as const }, { start: 0x10_0000, end: 0x4000_0000, type: "available" as const }];
  return { ...DEFAULT_PROFILE, memoryBytes: 0x4000_0000, memoryMap, modules };
}

/** The default PC whose RAM above 16 MiB is split into `n` available entries with a reserved page between each. */
function manyMapEntries(n: number): MemoryProfile {
  const memoryMap = [...DEFAULT_PROFILE.memoryMap.slice(0, 2), { start: 0x10_0000, end: 0x100_0000, type: "available" as const }];
  for (let i = 0; i < n; i++) {
    const start = 0x100_0000 + 2 * i * PAGE;
    memoryMap.push({ start, end: start + PAGE, type: "available" }, { start: start + PAGE, end: start + 2 * PAGE, type: "reserved" });
  }
  return { ...DEFAULT_PROFILE, memoryBytes: 0x4000_0000, memoryMap };
}

/** Median CPU milliseconds (user + system) of `action`. */
function time(action: () => unknown): number {
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const started = process.cpuUsage();
    action();
    const used = process.cpuUsage(started);
    times.push((used.user + used.system) / 1000);
  }
  return median(times);
}

console.log("| entries | kind | parseProfile CPU ms | ratio to n/4 | boot (validated) CPU ms |");
console.log("| ---: | --- | ---: | ---: | ---: |");
for (const [kind, make] of [["virtualReserved", manyReservations], ["modules", manyModules], ["memoryMap", manyMapEntries]] as const) {
  time(() => parseProfile(make(SIZES[0])));
  let previous: number | null = null;
  for (const n of SIZES) {
    const input = make(n);
    const parseMs = time(() => parseProfile(input));
    const parsed = parseProfile(input);
    const bootMs = time(() => boot(parsed));
    const ratio = previous === null ? "" : (parseMs / previous).toFixed(1);
    console.log(`| ${n} | ${kind} | ${parseMs.toFixed(1)} | ${ratio} | ${bootMs.toFixed(1)} |`);
    previous = parseMs;
  }
}
