import { parseAddress } from "../address.js";
import { hex } from "../format.js";
import { MODE_NAMES } from "../paging/geometry.js";
import { BLOCK_SIZE } from "../types.js";
import { MODE_SPECS, type PagingModeName, isPagingMode } from "./modes.js";
import type { BootModule, MemoryMapEntry, MemoryType } from "./profile.js";
import { child, fail, type Field, readArray, readBoolean, readObject, readString } from "./profile-fields.js";

/** A reservation's optional attributes, as in 32-bit x86 profiles. */
const RESERVATION_ATTRIBUTES = ["cachable", "writable", "user"] as const;

/** The kernel image of a {@link ModeProfile}: physical addresses as numbers, virtual ones as bigints. */
export interface ModeKernelImage {
  /** Where the image was loaded. */
  readonly physStart: number;
  /** The physical address just past the image. */
  readonly physEnd: number;
  /** Where the image runs. */
  readonly virtStart: bigint;
  /** The virtual address just past the image. */
  readonly virtEnd: bigint;
}

/** A virtual reservation of a {@link ModeProfile} (see `VirtualReservation`), virtual addresses as bigints. */
export interface ModeReservation {
  /** The first virtual address. */
  readonly virtStart: bigint;
  /** The virtual address just past the range. */
  readonly virtEnd: bigint;
  /** The physical address `virtStart` maps to; without it the range is only reserved. */
  readonly physStart?: number;
  /** A name for the region. */
  readonly label?: string;
  /** Cached (default true). */
  readonly cachable?: boolean;
  /** Writes allowed (default true). */
  readonly writable?: boolean;
  /** Accessible from user mode (default false). */
  readonly user?: boolean;
}

/** Where all of physical memory is mapped (Linux's direct map, `PAGE_OFFSET`). */
export interface DirectMap {
  /** The virtual address of the first byte of RAM (the lowest memory-map address). */
  readonly virtStart: bigint;
}

/**
 * A validated profile of a mode other than 32-bit x86: the fields of `MemoryProfile`, with
 * virtual addresses as bigints, physical ones as numbers (below 2^53), and two more:
 * `arch`, and the optional `directMap`. `memoryBytes` is the end of physical memory; RAM
 * is backed from the lowest memory-map address (block-aligned down) to it.
 */
export interface ModeProfile {
  /** The paging mode. */
  readonly arch: PagingModeName;
  /** Optional free text describing the machine. */
  readonly description?: string;
  /** The end of physical memory (exclusive), a multiple of 4 KiB. */
  readonly memoryBytes: number;
  /** The firmware's memory map. */
  readonly memoryMap: readonly MemoryMapEntry[];
  /** The kernel image, physically and virtually. */
  readonly kernel: ModeKernelImage;
  /** Files the boot loader placed in memory, mapped at the kernel's offset. */
  readonly modules: readonly BootModule[];
  /** Virtual ranges the kernel reserves or maps. */
  readonly virtualReserved: readonly ModeReservation[];
  /** Where all of RAM is mapped, if anywhere. */
  readonly directMap?: DirectMap;
}

const MEMORY_TYPES: readonly string[] = ["available", "reserved"];
/** Physical addresses stay exact numbers. */
const PHYSICAL_LIMIT = 2n ** 53n;
/** The most RAM a mode profile may back (boot allocates it): 4 GiB. */
export const MODE_MAX_RAM_BYTES = 2 ** 32;

/**
 * The profile's mode: its `"arch"` field, `"x86"` when absent.
 *
 * @throws ProfileError `InvalidProfile` when `arch` is not a mode name.
 * @example
 * profileArch({ arch: "riscv-sv39" }); // "riscv-sv39"
 */
export function profileArch(input: unknown): (typeof MODE_NAMES)[number] {
  const field = child({ path: "", value: typeof input === "object" && input !== null ? input : {} }, "arch");
  if (field.value === undefined) return "x86";
  const name = MODE_NAMES.find((m) => m === field.value);
  if (name === undefined) fail(field, `is not a paging mode (expected one of ${MODE_NAMES.join(", ")})`);
  return name;
}

/**
 * Validates the shapes of a profile whose `"arch"` is a {@link PagingModeName}; `planModeLayout`
 * checks the layout.
 *
 * @throws ProfileError `InvalidProfile` with a one-line message naming the field path and value.
 * @example
 * const profile = readModeProfile(JSON.parse(readFileSync("profiles/x86-64.json", "utf8")));
 * profile.kernel.virtStart; // 0xffffffff81000000n
 */
export function readModeProfile(input: unknown): ModeProfile {
  const root: Field = { path: "", value: input };
  readObject(root, ["arch", "memoryBytes", "memoryMap", "kernel"], ["description", "modules", "virtualReserved", "directMap"]);
  const archField = child(root, "arch");
  if (!isPagingMode(archField.value)) fail(archField, `is not a paging mode boot builds with tables (expected one of ${MODE_NAMES.slice(1).join(", ")})`);
  const arch = archField.value;
  const virtualLimit = MODE_SPECS[arch].vmmEnd;
  const description = child(root, "description");
  const directMap = child(root, "directMap");
  return {
    arch,
    ...(description.value === undefined ? {} : { description: readString(description) }),
    memoryBytes: readMemoryBytes(child(root, "memoryBytes")),
    memoryMap: readArray(child(root, "memoryMap")).map(readMapEntry),
    kernel: readKernel(child(root, "kernel"), virtualLimit),
    modules: optionalArray(child(root, "modules")).map(readModule),
    virtualReserved: optionalArray(child(root, "virtualReserved")).map((f) => readReservation(f, virtualLimit)),
    ...(directMap.value === undefined ? {} : { directMap: readDirectMap(directMap, virtualLimit) }),
  };
}

/**
 * Reads an address up to `limit` (inclusive, as range ends may equal it): a non-negative safe
 * integer or a `"0x…"` string (`_` between digits allowed), which any address above 2^53 must be
 * in JSON; a `bigint` too (a profile built in code, or one already read).
 *
 * @throws ProfileError `InvalidProfile`: wrong type, not a safe integer, negative, or beyond `limit`.
 */
export function readWideAddress(field: Field, limit: bigint): bigint {
  const { value } = field;
  let address: bigint | null = null;
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) fail(field, 'is not a safe integer (write addresses above 2^53 as "0x…" strings)');
    address = BigInt(value);
  } else if (typeof value === "bigint") {
    address = value;
  } else if (typeof value === "string" && /^0x/i.test(value)) {
    address = parseAddress(value);
  }
  if (address === null) fail(field, 'is not an address (use a number or a "0x…" hex string)');
  if (address < 0n) fail(field, "is negative");
  if (address > limit) fail(field, `is beyond ${hex(limit)}`);
  return address;
}

function readPhysical(field: Field): number {
  return Number(readWideAddress(field, PHYSICAL_LIMIT));
}

function readMemoryBytes(field: Field): number {
  const bytes = readPhysical(field);
  if (bytes === 0) fail(field, "is zero");
  if (bytes % BLOCK_SIZE !== 0) fail(field, `is not a multiple of the block size ${hex(BLOCK_SIZE)}`);
  return bytes;
}

function optionalArray(field: Field): Field[] {
  return field.value === undefined ? [] : readArray(field);
}

/** Reads `startKey`/`endKey` with `read` and checks end > start. */
function readRange<T extends number | bigint>(field: Field, keys: readonly [string, string], read: (f: Field) => T): { start: T; end: T } {
  const startField = child(field, keys[0]);
  const endField = child(field, keys[1]);
  const start = read(startField);
  const end = read(endField);
  if (end < start) fail(endField, `is below ${startField.path} ${hex(start)}`);
  if (end === start) fail(endField, `equals ${startField.path} (an empty range)`);
  return { start, end };
}

function readMapEntry(field: Field): MemoryMapEntry {
  readObject(field, ["start", "end", "type"]);
  const { start, end } = readRange(field, ["start", "end"], readPhysical);
  const type = child(field, "type");
  if (typeof type.value !== "string" || !MEMORY_TYPES.includes(type.value)) {
    fail(type, `is not a memory type (expected ${MEMORY_TYPES.map((t) => `"${t}"`).join(" or ")})`);
  }
  return { start, end, type: type.value as MemoryType };
}

function readKernel(field: Field, virtualLimit: bigint): ModeKernelImage {
  readObject(field, ["physStart", "physEnd", "virtStart", "virtEnd"]);
  const physical = readRange(field, ["physStart", "physEnd"], readPhysical);
  const virtual = readRange(field, ["virtStart", "virtEnd"], (f) => readWideAddress(f, virtualLimit));
  if (virtual.end - virtual.start !== BigInt(physical.end - physical.start)) {
    fail(child(field, "virtEnd"), `makes the virtual image ${hex(virtual.end - virtual.start)} bytes long, but the physical image is ${hex(physical.end - physical.start)} bytes`);
  }
  if (virtual.start % BigInt(BLOCK_SIZE) !== BigInt(physical.start % BLOCK_SIZE)) {
    fail(child(field, "virtStart"), `is not at the same offset within a 4 KiB page as kernel.physStart ${hex(physical.start)}`);
  }
  return { physStart: physical.start, physEnd: physical.end, virtStart: virtual.start, virtEnd: virtual.end };
}

function readModule(field: Field): BootModule {
  readObject(field, ["name", "physStart", "physEnd"]);
  const name = readString(child(field, "name"));
  const { start, end } = readRange(field, ["physStart", "physEnd"], readPhysical);
  return { name, physStart: start, physEnd: end };
}

function readReservation(field: Field, virtualLimit: bigint): ModeReservation {
  readObject(field, ["virtStart", "virtEnd"], ["physStart", "label", ...RESERVATION_ATTRIBUTES]);
  const { start, end } = readRange(field, ["virtStart", "virtEnd"], (f) => readWideAddress(f, virtualLimit));
  const physField = child(field, "physStart");
  const labelField = child(field, "label");
  let physStart: number | undefined;
  if (physField.value !== undefined) {
    physStart = readPhysical(physField);
    if (BigInt(physStart % BLOCK_SIZE) !== start % BigInt(BLOCK_SIZE)) {
      fail(physField, `is not at the same offset within a 4 KiB page as ${field.path}.virtStart ${hex(start)}`);
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

function readDirectMap(field: Field, virtualLimit: bigint): DirectMap {
  readObject(field, ["virtStart"]);
  const virtField = child(field, "virtStart");
  const virtStart = readWideAddress(virtField, virtualLimit);
  if (virtStart % BigInt(BLOCK_SIZE) !== 0n) fail(virtField, `is not a multiple of the block size ${hex(BLOCK_SIZE)}`);
  return { virtStart };
}
