import { describeValue, hex, hexRange, printable } from "../format.js";
import { type Attributes, BLOCK_SIZE, type Range } from "../types.js";
import type { MemoryProfile, VirtualReservation } from "./profile.js";
import { fail, type Field, FOUR_GIB } from "./profile-fields.js";
import { alignDown, alignOutward, alignUp, covers, normalize, overlaps, subtract } from "./ranges.js";
import { findClash, firstCover } from "./sweep.js";

/** The seed's `FIXED_ALLOC_SIZE`: the early-allocation area mapped right after the kernel image (1 MiB). */
export const EARLY_ALLOC_BYTES = 0x10_0000;

/** The first address of the kernel VMM: block 0 stays unmapped so that null pointers fault. */
export const KERNEL_VMM_START = BLOCK_SIZE;

/** The end (exclusive) of the kernel VMM: all of 32-bit virtual memory (the seed's `0xFFFFFFFF` lost a block). */
export const KERNEL_VMM_END = FOUR_GIB;

/** The physical page boot never hands out (the real-mode IVT and BIOS data area), so no table lands at 0. */
export const NULL_PAGE: Range = { start: 0, end: BLOCK_SIZE };

/** The kernel image's attributes, as the seed's `init` maps it: kernel, read-only, cachable. */
export const KERNEL_IMAGE_ATTRS: Attributes = { kernel: true, writable: false, cachable: true };

/** Attributes of every boot module, and of a virtual reservation that sets none: kernel, writable, cachable. */
export const RESERVED_ATTRS: Attributes = { kernel: true, writable: true, cachable: true };

/** One `vmm.set` call of the boot sequence, block-aligned; mappings never overlap each other. */
export interface PlannedMapping {
  /** The virtual range, block-aligned. */
  readonly virtual: Range;
  /** The physical range behind `virtual` (same length), or `null` to reserve without mapping. */
  readonly physical: Range | null;
  /** The attributes the range is mapped with. */
  readonly attrs: Attributes;
  /** Which profile entry asked for it: `kernel`, `virtualReserved[0]`, `modules[1]`. */
  readonly source: string;
  /** What the map calls it: the reservation's label, `module initrd`, `kernel`. */
  readonly label: string;
}

/** A row of the address-space map (`kmem boot`, `--json`, `machine.json`): a virtual range and what backs it. */
export interface Region {
  /** The first virtual address. */
  readonly virtStart: number;
  /** The virtual address just past the range (exclusive). */
  readonly virtEnd: number;
  /** The physical address of `virtStart`, or `null` when the range is reserved but not mapped. */
  readonly physStart: number | null;
  /** Supervisor only (else user-accessible). */
  readonly kernel: boolean;
  /** Writes allowed. */
  readonly writable: boolean;
  /** Cached (else cache-disabled). */
  readonly cachable: boolean;
  /** What the range is: `kernel image`, a reservation's label, `module initrd`. */
  readonly label: string;
}

/** Everything boot derives from a profile before touching memory. */
export interface BootLayout {
  /** The `vmm.set` calls, in order: kernel image + early area, reservations, modules. */
  readonly mappings: readonly PlannedMapping[];
  /** The address-space map, in virtual address order. */
  readonly regions: readonly Region[];
  /** Physical RAM the firmware map offers, block-aligned inward, within `memoryBytes`. */
  readonly usable: readonly Range[];
  /** Usable physical RAM the mappings take (marked used by `vmm.set`, so not reserved up front). */
  readonly claimed: readonly Range[];
  /**
   * Physical RAM reserved when the PMM is built: everything not usable, and the null page.
   * A mapping over reserved RAM (the VGA window) maps it without taking it, so freeing the
   * mapping never hands firmware memory to the allocator.
   */
  readonly pmmReserved: readonly Range[];
}

interface Request {
  readonly virtual: Range;
  readonly physical: Range | null;
  readonly attrs: Attributes;
  readonly source: string;
  /** The name used in the address-space map. */
  readonly label: string;
  /** How error messages refer to it: `virtualReserved[0] (VGA text buffer)` (made only for a message). */
  readonly blame: () => string;
  /** The field blamed when this request's virtual range conflicts. */
  readonly virtField: Field;
  /** The field blamed when this request's physical range conflicts. */
  readonly physField: Field;
  /** Whether the profile set the attributes (a reservation's `cachable`/`writable`/`user`), so they must be honoured everywhere. */
  readonly explicitAttrs: boolean;
}

/**
 * Validates the layout of a shape-checked profile and derives the boot plan.
 *
 * Where virtual ranges overlap (with the same physical target), the first listed maps the
 * overlap: the kernel, then the reservations, then the modules. O(n log n) in the number of
 * map entries, reservations and modules.
 *
 * @throws ProfileError `InvalidProfile`: kernel or module outside available memory, a range
 * outside the kernel VMM `[0x00001000, 4 GiB)`, overlapping modules, overlapping virtual
 * ranges with different physical targets, or a reservation with attributes overlapping a
 * range with other attributes.
 */
export function planLayout(profile: MemoryProfile): BootLayout {
  const usable = usableMemory(profile);
  const requests = [kernelRequest(profile, usable), ...reservationRequests(profile), ...moduleRequests(profile, usable)];
  checkConflicts(requests);

  const mappings: PlannedMapping[] = [];
  const pieces = firstCover(requests.map((request) => request.virtual));
  requests.forEach((request, i) => {
    for (const piece of pieces[i] ?? []) {
      const physical = request.physical === null ? null : shift(piece, request.physical.start - request.virtual.start);
      mappings.push({ virtual: piece, physical, attrs: request.attrs, source: request.source, label: request.label });
    }
  });

  const ram: Range = { start: 0, end: profile.memoryBytes };
  const pmmReserved = normalize(subtract([ram], usable).concat(NULL_PAGE));
  const mapped = mappings.flatMap((m) => (m.physical === null ? [] : [{ start: m.physical.start, end: Math.min(m.physical.end, ram.end) }]));
  const claimed = subtract(mapped, pmmReserved);
  return { mappings, regions: describeRegions(profile, mappings), usable, claimed, pmmReserved };
}

function shift(range: Range, by: number): Range {
  return { start: range.start + by, end: range.end + by };
}

/**
 * Available map entries (aligned inward) minus reserved ones (aligned outward), within RAM:
 * the physical memory the kernel may use (every mode's layout reads it the same way).
 */
export function usableMemory(profile: Pick<MemoryProfile, "memoryBytes" | "memoryMap">): Range[] {
  const available: Range[] = [];
  const reserved: Range[] = [];
  profile.memoryMap.forEach((entry, i) => {
    if (entry.type === "available") {
      if (entry.end > profile.memoryBytes) {
        fail({ path: `memoryMap[${i}].end`, value: entry.end }, `is beyond memoryBytes ${hex(profile.memoryBytes)}`);
      }
      available.push({ start: alignUp(entry.start), end: alignDown(entry.end) });
    } else {
      reserved.push(alignOutward(entry));
    }
  });
  return subtract(available, reserved);
}

/** The first sub-range of `range` that `usable` does not cover, for error messages. */
export function firstGap(usable: readonly Range[], range: Range): string {
  const gap = subtract([range], usable)[0] ?? range;
  return hexRange(gap.start, gap.end);
}

function kernelRequest(profile: MemoryProfile, usable: readonly Range[]): Request {
  const { kernel } = profile;
  const at = (key: keyof typeof kernel): Field => ({ path: `kernel.${key}`, value: kernel[key] });
  const image = alignOutward({ start: kernel.physStart, end: kernel.physEnd });
  const early: Range = { start: image.end, end: image.end + EARLY_ALLOC_BYTES };
  if (!covers(usable, image)) {
    fail(at("physStart"), `puts the kernel image ${hexRange(image.start, image.end)} outside available memory (${firstGap(usable, image)} is not available)`);
  }
  if (!covers(usable, early)) {
    fail(at("physEnd"), `leaves no room for the 1 MiB early-allocation area: ${firstGap(usable, early)} is not available memory`);
  }
  const virtual: Range = { start: alignDown(kernel.virtStart), end: alignUp(kernel.virtEnd) + EARLY_ALLOC_BYTES };
  if (virtual.start < KERNEL_VMM_START) {
    fail(at("virtStart"), `is below the kernel VMM start ${hex(KERNEL_VMM_START)}`);
  }
  if (virtual.end > KERNEL_VMM_END) {
    fail(at("virtEnd"), `leaves no room below 4 GiB for the 1 MiB early-allocation area (it would end at ${hex(virtual.end)})`);
  }
  return {
    virtual,
    physical: { start: image.start, end: early.end },
    attrs: KERNEL_IMAGE_ATTRS,
    source: "kernel",
    label: "kernel",
    blame: () => "the kernel",
    virtField: at("virtStart"),
    physField: at("physStart"),
    explicitAttrs: false,
  };
}

/** A reservation's attributes: those it sets, {@link RESERVED_ATTRS} for the rest. */
function reservationAttrs(entry: VirtualReservation): Attributes {
  return {
    kernel: !(entry.user ?? !RESERVED_ATTRS.kernel),
    writable: entry.writable ?? RESERVED_ATTRS.writable,
    cachable: entry.cachable ?? RESERVED_ATTRS.cachable,
  };
}

/** A label as error messages show it: one line, at most about 60 characters. */
function shortLabel(label: string): string {
  const quoted = describeValue(label);
  return printable(quoted.endsWith('"') ? quoted.slice(1, -1) : quoted.slice(1));
}

function reservationRequests(profile: MemoryProfile): Request[] {
  return profile.virtualReserved.map((entry, i) => {
    const source = `virtualReserved[${i}]`;
    const virtField: Field = { path: `${source}.virtStart`, value: entry.virtStart };
    const virtual = alignOutward({ start: entry.virtStart, end: entry.virtEnd });
    if (virtual.start < KERNEL_VMM_START) {
      fail(virtField, `is below the kernel VMM start ${hex(KERNEL_VMM_START)}`);
    }
    const physStart = entry.physStart === undefined ? null : alignDown(entry.physStart);
    return {
      virtual,
      physical: physStart === null ? null : { start: physStart, end: physStart + (virtual.end - virtual.start) },
      attrs: reservationAttrs(entry),
      source,
      label: entry.label ?? source,
      blame: () => (entry.label === undefined ? source : `${source} (${shortLabel(entry.label)})`),
      virtField,
      physField: { path: `${source}.physStart`, value: entry.physStart },
      explicitAttrs: entry.cachable !== undefined || entry.writable !== undefined || entry.user !== undefined,
    };
  });
}

function moduleRequests(profile: MemoryProfile, usable: readonly Range[]): Request[] {
  const { kernel } = profile;
  const offset = kernel.virtStart - kernel.physStart;
  const kernelBytes: Range = { start: kernel.physStart, end: alignUp(kernel.physEnd) + EARLY_ALLOC_BYTES };
  const requests = profile.modules.map((module, i): Request => {
    const source = `modules[${i}]`;
    const startField: Field = { path: `${source}.physStart`, value: module.physStart };
    const endField: Field = { path: `${source}.physEnd`, value: module.physEnd };
    const bytes: Range = { start: module.physStart, end: module.physEnd };
    const physical = alignOutward(bytes);
    const name = `module ${describeValue(module.name)} ${hexRange(bytes.start, bytes.end)}`;
    if (!covers(usable, physical)) {
      fail(startField, `puts ${name} outside available memory (${firstGap(usable, physical)} is not available)`);
    }
    if (overlaps(bytes, kernelBytes)) {
      fail(startField, `puts ${name} over the kernel image and early-allocation area ${hexRange(kernelBytes.start, kernelBytes.end)}`);
    }
    const virtual = shift(physical, offset);
    if (virtual.start < KERNEL_VMM_START) {
      fail(startField, `maps to virtual ${hex(virtual.start)}, below the kernel VMM start ${hex(KERNEL_VMM_START)}`);
    }
    if (virtual.end > KERNEL_VMM_END) {
      fail(endField, `maps to virtual end ${hex(virtual.end)}, beyond 4 GiB`);
    }
    const label = `module ${module.name}`;
    return { virtual, physical, attrs: RESERVED_ATTRS, source, label, blame: () => `${source} (${describeValue(module.name)})`, virtField: startField, physField: startField, explicitAttrs: false };
  });
  checkModuleOverlaps(profile);
  return requests;
}

/** Modules may not share a byte; the later of two overlapping modules is blamed. O(n log n). */
function checkModuleOverlaps(profile: MemoryProfile): void {
  const { modules } = profile;
  const clash = findClash(modules.map((m, i) => ({ range: { start: m.physStart, end: m.physEnd }, key: i })));
  const later = clash === null ? undefined : modules[clash.later];
  const earlier = clash === null ? undefined : modules[clash.earlier];
  if (clash !== null && later !== undefined && earlier !== undefined) {
    fail(
      { path: `modules[${clash.later}].physStart`, value: later.physStart },
      `puts module ${describeValue(later.name)} ${hexRange(later.physStart, later.physEnd)} over module ${describeValue(earlier.name)} ${hexRange(earlier.physStart, earlier.physEnd)}`,
    );
  }
}

function target(request: Request, virtual: number): string {
  return request.physical === null ? "none" : hex(virtual - request.virtual.start + request.physical.start);
}

/** A mapping's virtual-to-physical offset, or "none" when it only reserves. */
function offsetKey(request: Request): number | string {
  return request.physical === null ? "none" : request.virtual.start - request.physical.start;
}

function attrsKey(attrs: Attributes): string {
  return `${attrs.kernel ? "k" : "u"}${attrs.writable ? "w" : "r"}${attrs.cachable ? "c" : "n"}`;
}

function describeAttrs(attrs: Attributes): string {
  return `${attrs.kernel ? "kernel" : "user"} ${attrs.writable ? "writable" : "read-only"} ${attrs.cachable ? "cached" : "uncached"}`;
}

/** The two requests of a clash, the later one (blamed) first. */
function pairOf(requests: readonly Request[], clash: { earlier: number; later: number }): [Request, Request] | null {
  const later = requests[clash.later];
  const earlier = requests[clash.earlier];
  return later === undefined || earlier === undefined ? null : [later, earlier];
}

/**
 * Overlapping virtual ranges must map the same physical pages; a physical page is mapped at
 * one virtual address only; a reservation that sets attributes overlaps only ranges with the
 * same attributes. O(n log n) (three sweeps, see {@link findClash}).
 */
function checkConflicts(requests: readonly Request[]): void {
  const virtualClash = findClash(requests.map((r) => ({ range: r.virtual, key: offsetKey(r) })));
  const virtualPair = virtualClash === null ? null : pairOf(requests, virtualClash);
  if (virtualPair !== null) {
    const [later, earlier] = virtualPair;
    const at = Math.max(later.virtual.start, earlier.virtual.start);
    fail(
      later.virtField,
      `overlaps ${earlier.blame()} ${hexRange(earlier.virtual.start, earlier.virtual.end)} with a different physical target (at ${hex(at)}: ${target(later, at)}, not ${target(earlier, at)})`,
    );
  }
  const mapped = requests.filter((r) => r.physical !== null);
  const physicalClash = findClash(mapped.map((r) => ({ range: r.physical ?? r.virtual, key: offsetKey(r) })));
  const physicalPair = physicalClash === null ? null : pairOf(mapped, physicalClash);
  if (physicalPair !== null) {
    const [later, earlier] = physicalPair;
    const at = Math.max(later.physical?.start ?? 0, earlier.physical?.start ?? 0);
    fail(later.physField, `maps physical ${hex(at)}, which ${earlier.blame()} already maps at ${hex(at - (earlier.physical?.start ?? 0) + earlier.virtual.start)}`);
  }
  const attrsClash = findClash(
    requests.map((r) => ({ range: r.virtual, key: attrsKey(r.attrs) })),
    { strict: requests.map((r) => r.explicitAttrs) },
  );
  const attrsPair = attrsClash === null ? null : pairOf(requests, attrsClash);
  if (attrsPair !== null) {
    const [later, earlier] = attrsPair;
    const [chooser, other] = later.explicitAttrs ? [later, earlier] : [earlier, later];
    fail(
      chooser.virtField,
      `is mapped ${describeAttrs(chooser.attrs)}, but it overlaps ${other.blame()} ${hexRange(other.virtual.start, other.virtual.end)}, mapped ${describeAttrs(other.attrs)} (overlapping ranges must agree on cachable, writable and user)`,
    );
  }
}

/** The map rows: one per mapping, with the kernel's split into the image and the early-allocation area. */
function describeRegions(profile: MemoryProfile, mappings: readonly PlannedMapping[]): Region[] {
  const imageEnd = alignUp(profile.kernel.virtEnd);
  const rows: Region[] = [];
  for (const mapping of mappings) {
    const row = (start: number, end: number, label: string): Region => ({
      virtStart: start,
      virtEnd: end,
      physStart: mapping.physical === null ? null : mapping.physical.start + (start - mapping.virtual.start),
      ...mapping.attrs,
      label,
    });
    const { start, end } = mapping.virtual;
    if (mapping.source !== "kernel") {
      rows.push(row(start, end, mapping.label));
      continue;
    }
    if (start < imageEnd) {
      rows.push(row(start, Math.min(end, imageEnd), "kernel image"));
    }
    if (end > imageEnd) {
      rows.push(row(Math.max(start, imageEnd), end, "kernel early allocations"));
    }
  }
  return rows.sort((a, b) => a.virtStart - b.virtStart);
}
