import { hex, hexRange } from "../format.js";
import { type Attributes, BLOCK_SIZE, type Range } from "../types.js";
import { EARLY_ALLOC_BYTES, KERNEL_IMAGE_ATTRS, NULL_PAGE, RESERVED_ATTRS, firstGap, usableMemory } from "./layout.js";
import { MODE_MAX_RAM_BYTES, type ModeProfile } from "./mode-profile.js";
import { MODE_SPECS } from "./modes.js";
import { fail, type Field } from "./profile-fields.js";
import { alignDown, alignOutward, covers, normalize, overlaps, subtract } from "./ranges.js";

/** The direct map's attributes: kernel, writable, cachable, not executable (Linux's `PAGE_KERNEL`). */
export const DIRECT_MAP_ATTRS: Attributes = { kernel: true, writable: true, cachable: true, executable: false };

/** One mapping of a mode's boot plan: a `vmm.set`, or (`direct`) the direct map, which boot writes with the mapper. */
export interface ModeMapping {
  /** The virtual range, block-aligned. */
  readonly virtual: Range<bigint>;
  /** The physical range, or null to reserve without mapping. */
  readonly physical: Range | null;
  /** The attributes it is mapped with. */
  readonly attrs: Attributes;
  /** The profile entry: `kernel`, `modules[0]`, `virtualReserved[1]`, `directMap`. */
  readonly source: string;
  /** What the map calls it. */
  readonly label: string;
  /**
   * The direct map: an alias of all RAM, not an allocation. Boot reserves its virtual range in
   * the VMM (so nothing else is placed there) and maps it with the mapper directly, taking no
   * physical block from the PMM (the blocks stay free to allocate, as in Linux).
   */
  readonly direct: boolean;
}

/** A row of a mode machine's address-space map (see `Region`), virtual addresses as bigints. */
export interface ModeRegion {
  /** The first virtual address. */
  readonly virtStart: bigint;
  /** The virtual address just past the range. */
  readonly virtEnd: bigint;
  /** The physical address of `virtStart`, or null when only reserved. */
  readonly physStart: number | null;
  /** Supervisor only. */
  readonly kernel: boolean;
  /** Writes allowed. */
  readonly writable: boolean;
  /** Cached. */
  readonly cachable: boolean;
  /** Instruction fetches allowed. */
  readonly executable: boolean;
  /** What the range is. */
  readonly label: string;
}

/** What boot derives from a mode profile before touching memory (see `BootLayout`). */
export interface ModeLayout {
  /** The first physical address of RAM: the lowest memory-map address, block-aligned down. */
  readonly ramBase: number;
  /** The mappings, in boot order: kernel, reservations, modules, direct map. */
  readonly mappings: readonly ModeMapping[];
  /** The address-space map, in virtual address order. */
  readonly regions: readonly ModeRegion[];
  /** Usable physical RAM. */
  readonly usable: readonly Range[];
  /** Usable RAM the `vmm.set`s take (tables never land there during boot). */
  readonly claimed: readonly Range[];
  /** Reserved in the PMM over `[0, memoryBytes)`: everything below `ramBase`, everything not usable, the null page. */
  readonly pmmReserved: readonly Range[];
}

interface Request extends ModeMapping {
  readonly field: Field;
}

/**
 * Validates the layout of a mode profile and derives the boot plan. The PMM covers
 * `[0, memoryBytes)` with everything below RAM reserved, so physical addresses are the same
 * numbers everywhere (a RISC-V RAM base of 0x80000000 costs one reserved run, not an offset).
 *
 * @throws ProfileError `InvalidProfile`: RAM larger than 4 GiB, kernel or module outside
 * available memory, a virtual range outside the kernel VMM, overlapping virtual ranges, or
 * overlapping physical ranges (the direct map aside, which aliases all RAM by design).
 */
export function planModeLayout(profile: ModeProfile): ModeLayout {
  const ramBase = alignDown(Math.min(...profile.memoryMap.map((e) => e.start), profile.memoryBytes));
  const memoryField: Field = { path: "memoryBytes", value: profile.memoryBytes };
  if (ramBase >= profile.memoryBytes) fail(memoryField, "leaves no RAM: the memory map starts at or above it");
  if (profile.memoryBytes - ramBase > MODE_MAX_RAM_BYTES) fail(memoryField, `makes RAM ${hexRange(ramBase, profile.memoryBytes)} larger than 4 GiB`);
  const usable = usableMemory(profile);
  const requests = [kernelRequest(profile, usable), ...reservationRequests(profile), ...moduleRequests(profile, usable), ...directMapRequest(profile, ramBase)];
  for (const request of requests) checkInVmm(profile, request);
  checkConflicts(requests);
  const mappings: ModeMapping[] = requests.map(({ field: _field, ...mapping }) => mapping);
  const pmmReserved = normalize([{ start: 0, end: ramBase }, NULL_PAGE, ...subtract([{ start: ramBase, end: profile.memoryBytes }], usable)]);
  const ram: Range = { start: ramBase, end: profile.memoryBytes };
  const mapped = mappings.flatMap((m) => (m.physical === null || m.direct ? [] : [{ start: Math.max(m.physical.start, ram.start), end: Math.min(m.physical.end, ram.end) }]));
  return { ramBase, mappings, regions: describeRegions(profile, mappings), usable, claimed: subtract(mapped, pmmReserved), pmmReserved };
}

const BLOCK = BigInt(BLOCK_SIZE);
const alignDownWide = (a: bigint): bigint => a - (a % BLOCK);
const alignUpWide = (a: bigint): bigint => alignDownWide(a + BLOCK - 1n);

function kernelRequest(profile: ModeProfile, usable: readonly Range[]): Request {
  const { kernel } = profile;
  const image = alignOutward({ start: kernel.physStart, end: kernel.physEnd });
  const early: Range = { start: image.end, end: image.end + EARLY_ALLOC_BYTES };
  if (!covers(usable, image)) {
    fail({ path: "kernel.physStart", value: kernel.physStart }, `puts the kernel image ${hexRange(image.start, image.end)} outside available memory (${firstGap(usable, image)} is not available)`);
  }
  if (!covers(usable, early)) {
    fail({ path: "kernel.physEnd", value: kernel.physEnd }, `leaves no room for the 1 MiB early-allocation area: ${firstGap(usable, early)} is not available memory`);
  }
  return {
    virtual: { start: alignDownWide(kernel.virtStart), end: alignUpWide(kernel.virtEnd) + BigInt(EARLY_ALLOC_BYTES) },
    physical: { start: image.start, end: early.end },
    attrs: KERNEL_IMAGE_ATTRS,
    source: "kernel",
    label: "kernel",
    direct: false,
    field: { path: "kernel.virtStart", value: hex(kernel.virtStart) },
  };
}

function reservationRequests(profile: ModeProfile): Request[] {
  return profile.virtualReserved.map((entry, i) => {
    const source = `virtualReserved[${i}]`;
    const virtual = { start: alignDownWide(entry.virtStart), end: alignUpWide(entry.virtEnd) };
    const physStart = entry.physStart === undefined ? null : alignDown(entry.physStart);
    const length = Number(virtual.end - virtual.start);
    return {
      virtual,
      physical: physStart === null ? null : { start: physStart, end: physStart + length },
      attrs: { kernel: !(entry.user ?? false), writable: entry.writable ?? RESERVED_ATTRS.writable, cachable: entry.cachable ?? RESERVED_ATTRS.cachable },
      source,
      label: entry.label ?? source,
      direct: false,
      field: { path: `${source}.virtStart`, value: hex(entry.virtStart) },
    };
  });
}

function moduleRequests(profile: ModeProfile, usable: readonly Range[]): Request[] {
  const { kernel } = profile;
  const offset = kernel.virtStart - BigInt(kernel.physStart);
  return profile.modules.map((module, i) => {
    const source = `modules[${i}]`;
    const field: Field = { path: `${source}.physStart`, value: module.physStart };
    const physical = alignOutward({ start: module.physStart, end: module.physEnd });
    if (!covers(usable, physical)) {
      fail(field, `puts module "${module.name}" ${hexRange(module.physStart, module.physEnd)} outside available memory (${firstGap(usable, physical)} is not available)`);
    }
    const virtual = { start: BigInt(physical.start) + offset, end: BigInt(physical.end) + offset };
    return { virtual, physical, attrs: RESERVED_ATTRS, source, label: `module ${module.name}`, direct: false, field };
  });
}

function directMapRequest(profile: ModeProfile, ramBase: number): Request[] {
  if (profile.directMap === undefined) return [];
  const { virtStart } = profile.directMap;
  const bytes = BigInt(profile.memoryBytes - ramBase);
  return [
    {
      virtual: { start: virtStart, end: virtStart + bytes },
      physical: { start: ramBase, end: profile.memoryBytes },
      attrs: DIRECT_MAP_ATTRS,
      source: "directMap",
      label: "direct map",
      direct: true,
      field: { path: "directMap.virtStart", value: hex(virtStart) },
    },
  ];
}

function checkInVmm(profile: ModeProfile, request: Request): void {
  const { vmmStart, vmmEnd } = MODE_SPECS[profile.arch];
  const { start, end } = request.virtual;
  if (start < vmmStart || end > vmmEnd) {
    fail(request.field, `puts ${request.label} ${hexRange(start, end)} outside the kernel VMM ${hexRange(vmmStart, vmmEnd)} of ${profile.arch}`);
  }
}

function overlapsWide(a: Range<bigint>, b: Range<bigint>): boolean {
  return a.start < b.end && b.start < a.end;
}

/** No two virtual ranges overlap; no physical page is mapped twice, except through the direct map. */
function checkConflicts(requests: readonly Request[]): void {
  requests.forEach((later, j) => {
    for (const earlier of requests.slice(0, j)) {
      if (overlapsWide(later.virtual, earlier.virtual)) {
        fail(later.field, `puts ${later.label} ${hexRange(later.virtual.start, later.virtual.end)} over ${earlier.label} ${hexRange(earlier.virtual.start, earlier.virtual.end)}`);
      }
      if (!later.direct && !earlier.direct && later.physical !== null && earlier.physical !== null && overlaps(later.physical, earlier.physical)) {
        fail(later.field, `maps physical ${hexRange(later.physical.start, later.physical.end)}, which ${earlier.label} already maps (${hexRange(earlier.physical.start, earlier.physical.end)})`);
      }
    }
  });
}

/** The map rows: one per mapping, the kernel's split into the image and the early-allocation area. */
function describeRegions(profile: ModeProfile, mappings: readonly ModeMapping[]): ModeRegion[] {
  const imageEnd = alignUpWide(profile.kernel.virtEnd);
  const rows: ModeRegion[] = [];
  for (const mapping of mappings) {
    const row = (start: bigint, end: bigint, label: string): ModeRegion => ({
      virtStart: start,
      virtEnd: end,
      physStart: mapping.physical === null ? null : mapping.physical.start + Number(start - mapping.virtual.start),
      kernel: mapping.attrs.kernel,
      writable: mapping.attrs.writable,
      cachable: mapping.attrs.cachable,
      executable: mapping.attrs.executable ?? true,
      label,
    });
    const { start, end } = mapping.virtual;
    if (mapping.source === "kernel") {
      rows.push(row(start, imageEnd, "kernel image"), row(imageEnd, end, "kernel early allocations"));
    } else {
      rows.push(row(start, end, mapping.label));
    }
  }
  return rows.sort((a, b) => (a.virtStart < b.virtStart ? -1 : 1));
}
