import { hex } from "../format.js";
import { PAGE_BYTES } from "../paging/geometry.js";
import { virtualAddressOf } from "../paging/pages.js";
import type { Finding } from "./finding.js";
import type { InspectMode } from "./inspect-mode.js";
import type { Region } from "./regions.js";
import type { Leaf } from "./scan.js";

/** A run of leaves contiguous in virtual and physical memory with the same level and flags: one ptdump line. */
export interface Run {
  /** The run's first leaf (its level and virtual and physical start). */
  readonly first: Leaf;
  /** 4 KiB pages in the run. */
  readonly pages: number;
  /** The flag columns shared by every leaf of the run. */
  readonly flags: string;
}

/** Groups `leaves` (in virtual order) into {@link Run}s. O(leaves). */
export function runsOf(leaves: readonly Leaf[], mode: InspectMode): Run[] {
  const runs: Run[] = [];
  let current: { first: Leaf; pages: number; flags: string } | null = null;
  for (const leaf of leaves) {
    const flags = mode.flagText(leaf.lo, leaf.hi, leaf.level);
    if (
      current !== null &&
      leaf.level === current.first.level &&
      flags === current.flags &&
      leaf.page === current.first.page + current.pages &&
      leaf.phys === current.first.phys + current.pages * PAGE_BYTES
    ) {
      current.pages += leaf.pages;
      continue;
    }
    if (current !== null) runs.push(current);
    current = { first: leaf, pages: leaf.pages, flags };
  }
  if (current !== null) runs.push(current);
  return runs;
}

const SIZE_UNITS: readonly (readonly [string, number])[] = [
  ["P", 2 ** 50],
  ["T", 2 ** 40],
  ["G", 2 ** 30],
  ["M", 2 ** 20],
  ["K", 2 ** 10],
];

/** A byte count as Linux ptdump prints it: the largest unit dividing it exactly (`4K`, `2M`, `1540K`). */
export function sizeText(bytes: number): string {
  for (const [unit, weight] of SIZE_UNITS) if (bytes % weight === 0) return `${String(bytes / weight)}${unit}`;
  return `${String(bytes)}B`;
}

/** The virtual address of page `page` as text (16 hex digits in 64-bit modes, 8 otherwise). */
export function virtualText(page: number, mode: InspectMode): string {
  return hex(virtualAddressOf(page, mode.geometry), mode.geometry.signExtended ? 16 : 8);
}

/** The address just past page `page - 1` as text (wrapping to 0 at the top of the space, as Linux prints it). */
export function virtualEndText(page: number, mode: InspectMode): string {
  const last = virtualAddressOf(page - 1, mode.geometry);
  const end = typeof last === "bigint" ? (last + BigInt(PAGE_BYTES)) % (1n << 64n) : (last + PAGE_BYTES) % 2 ** 32;
  return hex(end, mode.geometry.signExtended ? 16 : 8);
}

/** The physical address as text (13 hex digits in 8-byte-entry modes, 8 otherwise). */
export function physicalText(address: number, mode: InspectMode): string {
  return hex(address, mode.geometry.entryBytes === 8 ? 13 : 8);
}

/**
 * The ptdump-style map (after Linux's /sys/kernel/debug/page_tables): one line per
 * {@link Run} — `START-END  PHYS  SIZE  FLAGS  LEVEL` — under a `---[ Region ]---` header
 * for each region that holds any. A run crossing a region boundary is split there.
 */
export function renderMap(leaves: readonly Leaf[], mode: InspectMode, regions: readonly Region[]): string {
  const out: string[] = [];
  const line = (page: number, pages: number, phys: number, flags: string, level: number): string =>
    `${virtualText(page, mode)}-${virtualEndText(page + pages, mode)} ${physicalText(phys, mode)} ${sizeText(pages * PAGE_BYTES).padStart(7)}  ${flags}  ${mode.levelName(level)}`;
  let regionIndex = -1;
  for (const run of runsOf(leaves, mode)) {
    let page = run.first.page;
    let phys = run.first.phys;
    const end = run.first.page + run.pages;
    while (page < end) {
      const index = regions.findIndex((r) => r.from <= page && page < r.to);
      const region = regions[index];
      if (index !== regionIndex && region !== undefined) {
        out.push(`---[ ${region.name} ]---`);
        regionIndex = index;
      }
      const stop = Math.min(end, region?.to ?? end);
      out.push(line(page, stop - page, phys, run.flags, run.first.level));
      phys += (stop - page) * PAGE_BYTES;
      page = stop;
    }
  }
  return out.length === 0 ? "(no mappings)\n" : out.join("\n") + "\n";
}

/** One `--json` mapping: addresses as "0x…" strings, the rights, then the mode's own bits. */
export type JsonMapping = Readonly<Record<string, string | number | boolean>>;

/** A finding in `--json`: see {@link Finding}. */
export interface JsonFinding {
  /** The finding's kind (`writableExecutable`, `tableLoop`…: see `FindingKind`). */
  readonly kind: string;
  /** `error` or `note`. */
  readonly severity: string;
  /** One line. */
  readonly message: string;
}

/** The `--json` document of `kmem inspect` (schema in docs/inspect.md). */
export interface InspectJson {
  /** The paging mode (`x86-64`, `riscv-sv39`…). */
  readonly arch: string;
  /** The root table's physical address, `0x…`. */
  readonly root: string;
  /** One entry per leaf entry, in virtual-address order. */
  readonly mappings: readonly JsonMapping[];
  /** With `--audit` (or when the tables are malformed): what was found. */
  readonly findings?: readonly JsonFinding[];
}

/** The `--json` document: one mapping per leaf entry, in virtual-address order. */
export function toJson(leaves: readonly Leaf[], mode: InspectMode, root: number, findings?: readonly Finding[]): InspectJson {
  const digits = mode.geometry.signExtended ? 16 : 8;
  const mappings = leaves.map((leaf) => ({
    virt: hex(virtualAddressOf(leaf.page, mode.geometry), digits),
    phys: hex(leaf.phys, 1),
    size: hex(leaf.pages * PAGE_BYTES, 1),
    level: leaf.level,
    user: leaf.user,
    writable: leaf.writable,
    executable: leaf.executable,
    global: leaf.global,
    ...mode.details(leaf.lo, leaf.hi, leaf.level),
  }));
  const base = { arch: mode.name, root: hex(root, 1), mappings };
  return findings === undefined ? base : { ...base, findings: findings.map((f) => ({ kind: f.kind, severity: f.severity, message: f.message })) };
}
