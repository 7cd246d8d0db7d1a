import { hex, printable } from "../format.js";
import { MODE_NAMES, isModeName } from "../paging/geometry.js";
import { BLOCK_SIZE } from "../types.js";
import { type BootLayout, planLayout } from "./layout.js";
import { ProfileError } from "./profile-error.js";
import { child, fail, type Field, FOUR_GIB, readAddress, readArray, readBoolean, readObject, readString } from "./profile-fields.js";

/** How the firmware describes a physical range: usable RAM, or not to be touched. */
export type MemoryType = "available" | "reserved";

/** One entry of the firmware memory map (like a BIOS e820 entry); `end` is exclusive. */
export interface MemoryMapEntry {
  /** The first physical address. */
  readonly start: number;
  /** The physical address just past the range (exclusive). */
  readonly end: number;
  /** Whether the kernel may use the range. */
  readonly type: MemoryType;
}

/** Where the kernel image lies: physically (where it was loaded) and virtually (where it runs). */
export interface KernelImage {
  /** Where the image was loaded: its first physical address. */
  readonly physStart: number;
  /** The physical address just past the image (need not be page-aligned, like `_end`). */
  readonly physEnd: number;
  /** Where the image runs: its first virtual address. */
  readonly virtStart: number;
  /** The virtual address just past the image. */
  readonly virtEnd: number;
}

/** A file the boot loader placed in physical memory (an initrd, a font); mapped at kernel offset. */
export interface BootModule {
  /** The module's name, shown as its region's label. */
  readonly name: string;
  /** Its first physical address. */
  readonly physStart: number;
  /** The physical address just past it. */
  readonly physEnd: number;
}

/**
 * A virtual range the kernel reserves, mapped to `physStart…` when given (MMIO allowed), else
 * only reserved. Its pages are mapped with the attributes given (PCD = !cachable, R/W = writable,
 * U/S = user); each one left out takes its default: cachable, writable, supervisor-only.
 */
export interface VirtualReservation {
  /** The first virtual address, page-aligned. */
  readonly virtStart: number;
  /** The virtual address just past the range, page-aligned. */
  readonly virtEnd: number;
  /** The physical address `virtStart` maps to; without it the range is reserved, not mapped. */
  readonly physStart?: number;
  /** A name for the region in maps and listings. */
  readonly label?: string;
  /** May be cached (default true); `false` sets PCD, as memory-mapped devices need. */
  readonly cachable?: boolean;
  /** May be written (default true); `false` clears R/W. */
  readonly writable?: boolean;
  /** Accessible from user mode (default false); `true` sets U/S. */
  readonly user?: boolean;
}

/** A validated machine description: what `boot` builds a kernel address space from. */
export interface MemoryProfile {
  /** Optional free text describing the machine. */
  readonly description?: string;
  /** Size of physical RAM in bytes, a multiple of 4 KiB, at most 4 GiB. */
  readonly memoryBytes: number;
  /** The firmware's memory map (E820-like): which physical ranges are RAM the kernel may use. */
  readonly memoryMap: readonly MemoryMapEntry[];
  /** The kernel image, physically and virtually. */
  readonly kernel: KernelImage;
  /** Files the boot loader placed in memory, mapped at the kernel's offset. */
  readonly modules: readonly BootModule[];
  /** Virtual ranges the kernel reserves or maps (devices, buffers). */
  readonly virtualReserved: readonly VirtualReservation[];
}

const MEMORY_TYPES: readonly string[] = ["available", "reserved"];

/** The longest JSON parser message quoted in an error (V8's quote a snippet of the text). */
const MAX_REASON_CHARS = 200;

/** The layout of every profile {@link parseProfile} returned (they are frozen, so it stays true). */
const layouts = new WeakMap<MemoryProfile, BootLayout>();

/**
 * Validates a profile value (e.g. parsed JSON) and returns it with every address as a number,
 * deeply frozen. `arch`, when present, must be `"x86"`. Checks, in order: shapes and types, each range's end against its start, then
 * the layout (kernel and modules in available memory, virtual ranges inside the kernel VMM,
 * overlaps). O(n log n) in the number of entries. `boot` of the returned profile reuses this
 * validation instead of repeating it.
 *
 * @throws ProfileError `InvalidProfile` with a one-line message naming the field path and value.
 * @example
 * const profile = parseProfile({ ...DEFAULT_PROFILE, memoryBytes: "0x10000000" });
 * profile.memoryBytes; // 268435456
 */
export function parseProfile(input: unknown): MemoryProfile {
  return validateProfile(input).profile;
}

/**
 * A validated, frozen profile and its boot layout: remembered for a profile {@link parseProfile}
 * (or this function) returned, computed (O(n log n)) for any other value.
 *
 * @throws ProfileError `InvalidProfile` as {@link parseProfile}.
 */
export function validateProfile(input: unknown): { readonly profile: MemoryProfile; readonly layout: BootLayout } {
  const known = typeof input === "object" && input !== null ? layouts.get(input as MemoryProfile) : undefined;
  if (known !== undefined) {
    return { profile: input as MemoryProfile, layout: known };
  }
  const profile = freezeProfile(readProfile(input));
  const layout = planLayout(profile);
  layouts.set(profile, layout);
  return { profile, layout };
}

/** Freezes a profile {@link readProfile} built (fresh objects only), so that its remembered layout stays true. */
function freezeProfile(profile: MemoryProfile): MemoryProfile {
  for (const list of [profile.memoryMap, profile.modules, profile.virtualReserved]) {
    list.forEach((entry) => Object.freeze(entry));
    Object.freeze(list);
  }
  Object.freeze(profile.kernel);
  return Object.freeze(profile);
}

/**
 * The first half of {@link parseProfile}: shapes, types and each range's end, without the
 * layout checks; the result is built from fresh objects and not frozen.
 *
 * @throws ProfileError `InvalidProfile` with a one-line message naming the field path and value.
 */
export function readProfile(input: unknown): MemoryProfile {
  const root: Field = { path: "", value: input };
  readObject(root, ["memoryBytes", "memoryMap", "kernel"], ["description", "modules", "virtualReserved", "arch"]);
  readArch(child(root, "arch"));
  const description = child(root, "description");
  return {
    ...(description.value === undefined ? {} : { description: readString(description) }),
    memoryBytes: readMemoryBytes(child(root, "memoryBytes")),
    memoryMap: readArray(child(root, "memoryMap")).map(readMapEntry),
    kernel: readKernel(child(root, "kernel")),
    modules: readOptionalArray(child(root, "modules")).map(readModule),
    virtualReserved: readOptionalArray(child(root, "virtualReserved")).map(readReservation),
  };
}

/**
 * Parses profile JSON text and validates it with {@link parseProfile}.
 *
 * @throws ProfileError `InvalidProfile` for malformed JSON (path `""`) or an invalid profile.
 */
export function parseProfileJson(text: string): MemoryProfile {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    // A RangeError is JSON nested deeper than the parser's stack; a SyntaxError quotes the text, control characters and all.
    const reason = error instanceof RangeError ? "it is nested too deeply" : printable(error instanceof Error ? error.message : String(error));
    throw new ProfileError(`profile is not valid JSON: ${reason.length > MAX_REASON_CHARS ? `${reason.slice(0, MAX_REASON_CHARS - 1)}…` : reason}`, { path: "", value: text });
  }
  return parseProfile(input);
}

/** `arch` is optional here and must be `"x86"`: other modes have their own reader (`readModeProfile`). */
function readArch(field: Field): void {
  if (field.value === undefined || field.value === "x86") {
    return;
  }
  if (!isModeName(field.value)) {
    fail(field, `is not a paging mode (expected one of ${MODE_NAMES.join(", ")})`);
  }
  fail(field, 'is not 32-bit x86: this needs an "x86" profile (read other modes with readModeProfile, boot them with bootMode)');
}

function readMemoryBytes(field: Field): number {
  const bytes = readAddress(field);
  if (bytes === 0) {
    fail(field, "is zero");
  }
  if (bytes % BLOCK_SIZE !== 0) {
    fail(field, `is not a multiple of the block size ${hex(BLOCK_SIZE)}`);
  }
  return bytes;
}

function readOptionalArray(field: Field): Field[] {
  return field.value === undefined ? [] : readArray(field);
}

/** Reads `startKey`/`endKey` of an object field and checks end > start. */
function readRange(field: Field, startKey: string, endKey: string): { start: number; end: number } {
  const startField = child(field, startKey);
  const endField = child(field, endKey);
  const start = readAddress(startField);
  const end = readAddress(endField);
  if (end < start) {
    fail(endField, `is below ${startField.path} ${hex(start)}`);
  }
  if (end === start) {
    fail(endField, `equals ${startField.path} (an empty range)`);
  }
  return { start, end };
}

function readMapEntry(field: Field): MemoryMapEntry {
  readObject(field, ["start", "end", "type"]);
  const { start, end } = readRange(field, "start", "end");
  const type = child(field, "type");
  if (typeof type.value !== "string" || !MEMORY_TYPES.includes(type.value)) {
    fail(type, `is not a memory type (expected ${MEMORY_TYPES.map((t) => `"${t}"`).join(" or ")})`);
  }
  return { start, end, type: type.value as MemoryType };
}

function readKernel(field: Field): KernelImage {
  readObject(field, ["physStart", "physEnd", "virtStart", "virtEnd"]);
  const physical = readRange(field, "physStart", "physEnd");
  const virtual = readRange(field, "virtStart", "virtEnd");
  const virtEnd = child(field, "virtEnd");
  if (virtual.end - virtual.start !== physical.end - physical.start) {
    fail(
      virtEnd,
      `makes the virtual image ${hex(virtual.end - virtual.start)} bytes long, but the physical image is ${hex(physical.end - physical.start)} bytes`,
    );
  }
  if (virtual.start % BLOCK_SIZE !== physical.start % BLOCK_SIZE) {
    fail(child(field, "virtStart"), `is not at the same offset within a 4 KiB page as kernel.physStart ${hex(physical.start)}`);
  }
  return { physStart: physical.start, physEnd: physical.end, virtStart: virtual.start, virtEnd: virtual.end };
}

function readModule(field: Field): BootModule {
  readObject(field, ["name", "physStart", "physEnd"]);
  const name = readString(child(field, "name"));
  const { start, end } = readRange(field, "physStart", "physEnd");
  return { name, physStart: start, physEnd: end };
}

/** The optional attribute fields of a reservation, in the order a profile lists them. */
const RESERVATION_ATTRIBUTES = ["cachable", "writable", "user"] as const;

function readReservation(field: Field): VirtualReservation {
  readObject(field, ["virtStart", "virtEnd"], ["physStart", "label", ...RESERVATION_ATTRIBUTES]);
  const { start, end } = readRange(field, "virtStart", "virtEnd");
  const physField = child(field, "physStart");
  const labelField = child(field, "label");
  let physStart: number | undefined;
  if (physField.value !== undefined) {
    physStart = readAddress(physField);
    if (physStart % BLOCK_SIZE !== start % BLOCK_SIZE) {
      fail(physField, `is not at the same offset within a 4 KiB page as ${field.path}.virtStart ${hex(start)}`);
    }
    const physEnd = physStart + (end - start);
    if (physEnd > FOUR_GIB) {
      fail(physField, `puts the physical end ${hex(physEnd)} beyond 4 GiB`);
    }
  }
  const attributes: { cachable?: boolean; writable?: boolean; user?: boolean } = {};
  for (const key of RESERVATION_ATTRIBUTES) {
    const attribute = child(field, key);
    if (attribute.value !== undefined) attributes[key] = readBoolean(attribute);
  }
  return {
    virtStart: start,
    virtEnd: end,
    ...(physStart === undefined ? {} : { physStart }),
    ...(labelField.value === undefined ? {} : { label: readString(labelField) }),
    ...attributes,
  };
}
