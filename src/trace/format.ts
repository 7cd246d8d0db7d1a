/**
 * The kmem trace format (docs/traces.md, docs/trace.schema.json): JSON Lines, a header line
 * then one event per line. Addresses and alignments are exact `"0x…"` strings (64-bit values
 * do not fit a JSON number); sizes are byte counts (safe integers, multiples of the block size).
 */

import { TraceError } from "../errors/trace-error.js";
import { describeValue } from "../format.js";
import type { Attributes } from "../types.js";

/** The format version this code writes and reads. */
export const TRACE_VERSION = 1;

/** The address-space shapes a trace can be replayed on: 32-bit x86 (`number` addresses) or x86-64 (`bigint`). */
export type TraceArch = "x86" | "x86-64";

/** The first line of a trace. */
export interface TraceHeader {
  /** Marks the line as a kmem trace header. */
  readonly kmem: "trace";
  /** The format version ({@link TRACE_VERSION}). */
  readonly version: typeof TRACE_VERSION;
  /** The paging the trace is replayed on: `"x86"` (32-bit) or `"x86-64"` (4-level, 64-bit addresses). */
  readonly arch: TraceArch;
  /** Bytes per block (4096). */
  readonly blockSize: number;
  /** The virtual space the events address, `[start, end)`. */
  readonly space: {
    /** First address of the space. */
    readonly start: string;
    /** End of the space, exclusive. */
    readonly end: string;
  };
  /** Where the trace came from (`trace-gen fix-size --seed 1`, `strace …`), free text. */
  readonly source?: string;
}

/** An access to a byte of memory. */
export type TouchAccess = "read" | "write" | "fetch";

/** Fields every event may carry: the task (process, thread) that made the call, and the error code it failed with. */
interface EventBase {
  /** The task (process or thread) that made the call. */
  readonly task?: number;
  /** The `code` of the error the call threw (`AlreadyAllocated`, …), absent when it succeeded. */
  readonly error?: string;
}

/** `vmm.alloc(size / blockSize, attrs, { at, align })`; `result` is the address returned, or null. */
export interface AllocEvent extends EventBase {
  /** The operation. */
  readonly op: "alloc";
  /** Bytes, a multiple of the block size. */
  readonly size: number;
  /** The allocation's attributes. */
  readonly attrs: Attributes;
  /** Allocate exactly here (`alloc`'s `at`). */
  readonly at?: string;
  /** Bytes the start is aligned to (`alloc`'s `align`). */
  readonly align?: string;
  /** The address the call returned when recorded, or null when it returned null. */
  readonly result?: string | null;
}

/** `vmm.free(address)`. */
export interface FreeEvent extends EventBase {
  /** The operation. */
  readonly op: "free";
  /** The start of the allocation freed. */
  readonly address: string;
}

/** `vmm.set({ address, address + size }, physical, attrs)`; `physical: null` reserves without mapping. */
export interface SetEvent extends EventBase {
  /** The operation. */
  readonly op: "set";
  /** The virtual start. */
  readonly address: string;
  /** Bytes, a multiple of the block size. */
  readonly size: number;
  /** The physical start, or null to reserve without mapping. */
  readonly physical: string | null;
  /** The mapping's attributes. */
  readonly attrs: Attributes;
}

/**
 * Maps `[address, address + size)` at that place, replacing whatever was there (mmap with
 * MAP_FIXED); with `none`, reserves it without access (PROT_NONE: nothing mapped, no memory taken).
 */
export interface MapEvent extends EventBase {
  /** The operation. */
  readonly op: "map";
  /** The start of the range. */
  readonly address: string;
  /** Bytes, a multiple of the block size. */
  readonly size: number;
  /** The mapping's attributes. */
  readonly attrs: Attributes;
  /** No access (PROT_NONE): reserve the range, map nothing. */
  readonly none?: boolean;
}

/** Removes `[address, address + size)`, which may cut allocations (munmap). */
export interface UnmapEvent extends EventBase {
  /** The operation. */
  readonly op: "unmap";
  /** The start of the range. */
  readonly address: string;
  /** Bytes, a multiple of the block size. */
  readonly size: number;
}

/** Gives `[address, address + size)` new attributes (mprotect); with `none`, takes all access away (PROT_NONE). */
export interface ProtectEvent extends EventBase {
  /** The operation. */
  readonly op: "protect";
  /** The start of the range. */
  readonly address: string;
  /** Bytes, a multiple of the block size. */
  readonly size: number;
  /** The new attributes. */
  readonly attrs: Attributes;
  /** No access (PROT_NONE): keep the range reserved, map nothing. */
  readonly none?: boolean;
}

/** One access through the MMU; `user` for an access from user mode (default false). */
export interface TouchEvent extends EventBase {
  /** The operation. */
  readonly op: "touch";
  /** The address accessed. */
  readonly address: string;
  /** Read, write or instruction fetch. */
  readonly access: TouchAccess;
  /** From user mode (default false: supervisor). */
  readonly user?: boolean;
}

/** One line of a trace after the header. */
export type TraceEvent = AllocEvent | FreeEvent | SetEvent | MapEvent | UnmapEvent | ProtectEvent | TouchEvent;

/** The operations a trace holds, in the order the docs list them. */
export const TRACE_OPS = ["alloc", "free", "set", "map", "unmap", "protect", "touch"] as const;

/** A whole trace in memory. */
export interface Trace {
  /** The first line. */
  readonly header: TraceHeader;
  /** Every other line, in order. */
  readonly events: readonly TraceEvent[];
}

/** An address as a trace writes it: exact, `0x` and lower-case hex (anything but a non-negative integer shows as given, which no reader accepts). */
export function traceAddress(value: number | bigint): string {
  const valid = typeof value === "bigint" ? value >= 0n : Number.isSafeInteger(value) && value >= 0;
  return valid ? "0x" + value.toString(16) : describeValue(value);
}

/**
 * Reads a trace address (`"0x…"`, at most 64 bits) exactly.
 *
 * @throws {TypeError} when `text` is not such a string.
 */
export function readTraceAddress(text: string): bigint {
  if (!/^0x[0-9a-fA-F]{1,16}$/.test(text)) throw new TypeError(`Cannot read trace address ${JSON.stringify(text)}: expected "0x" and 1 to 16 hex digits`);
  return BigInt(text);
}

/** Writes a trace as JSON Lines (header first, each line ending in `\n`). */
export function formatTrace(trace: Trace): string {
  let text = JSON.stringify(trace.header) + "\n";
  for (const event of trace.events) text += JSON.stringify(event) + "\n";
  return text;
}

const ADDRESS = /^0x[0-9a-fA-F]{1,16}$/;
const ERROR_CODE = /^[A-Za-z]+$/;
/** 2^64, the end of a whole 64-bit space: the one address-like value with 17 hex digits. */
const SPACE_END_64 = "0x10000000000000000";

/**
 * Parses a JSON Lines trace and checks every line's shape (blank lines are skipped).
 * O(lines). Checks what replay relies on; docs/trace.schema.json is the full contract.
 *
 * @throws {TraceError} `InvalidTrace` naming the first bad line and field.
 * @example
 * const { header, events } = parseTrace(readFileSync("fix-size.jsonl", "utf8"));
 */
export function parseTrace(text: string): Trace {
  const lines = text.split("\n");
  let header: TraceHeader | null = null;
  const events: TraceEvent[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new TraceError("InvalidTrace", `Cannot read trace line ${i + 1}: not JSON`, { line: i + 1 });
    }
    const problem = header === null ? headerProblem(value) : eventProblem(value, header.blockSize);
    if (problem !== null) throw new TraceError("InvalidTrace", `Cannot read trace line ${i + 1}: ${problem}`, { line: i + 1 });
    if (header === null) header = value as TraceHeader;
    else events.push(value as TraceEvent);
  }
  if (header === null) throw new TraceError("InvalidTrace", "Cannot read trace: it has no header line", { line: 1 });
  return { header, events };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isAddress(value: unknown): value is string {
  return typeof value === "string" && ADDRESS.test(value);
}

function headerProblem(value: unknown): string | null {
  if (!isRecord(value) || value["kmem"] !== "trace") return 'the first line must be a header {"kmem": "trace", …}';
  if (value["version"] !== TRACE_VERSION) return `version must be ${TRACE_VERSION}, not ${JSON.stringify(value["version"])}`;
  if (value["arch"] !== "x86" && value["arch"] !== "x86-64") return `arch must be "x86" or "x86-64", not ${JSON.stringify(value["arch"])}`;
  if (value["blockSize"] !== 4096) return `blockSize must be 4096, not ${JSON.stringify(value["blockSize"])}`;
  const space = value["space"];
  if (!isRecord(space) || !isAddress(space["start"]) || !(isAddress(space["end"]) || space["end"] === SPACE_END_64)) return "space must be { start, end } with 0x… addresses";
  if (value["source"] !== undefined && typeof value["source"] !== "string") return "source must be a string";
  return null;
}

function attrsProblem(value: unknown): string | null {
  if (!isRecord(value)) return "attrs must be an object";
  for (const field of ["kernel", "writable", "cachable"]) if (typeof value[field] !== "boolean") return `attrs.${field} must be a boolean`;
  for (const field of ["executable", "global"]) if (value[field] !== undefined && typeof value[field] !== "boolean") return `attrs.${field} must be a boolean`;
  return null;
}

function sizeProblem(value: unknown, blockSize: number): string | null {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0 || value % blockSize !== 0) return `size must be a positive multiple of ${blockSize}, not ${JSON.stringify(value)}`;
  return null;
}

/** What is wrong with `value` as an event of a trace with `blockSize` (the checks of {@link parseTrace}), or null when nothing. */
export function eventProblem(value: unknown, blockSize: number): string | null {
  if (!isRecord(value)) return "an event must be an object";
  const op = value["op"];
  if (value["task"] !== undefined && !(Number.isSafeInteger(value["task"]) && (value["task"] as number) >= 0)) return "task must be a non-negative integer";
  if (value["error"] !== undefined && !(typeof value["error"] === "string" && ERROR_CODE.test(value["error"]))) return "error must be an error code";
  const address = (field: string): string | null => (isAddress(value[field]) ? null : `${field} must be a 0x… address, not ${JSON.stringify(value[field])}`);
  switch (op) {
    case "alloc":
      return (
        sizeProblem(value["size"], blockSize) ??
        attrsProblem(value["attrs"]) ??
        (value["at"] === undefined ? null : address("at")) ??
        (value["align"] === undefined ? null : address("align")) ??
        (value["result"] === undefined || value["result"] === null ? null : address("result"))
      );
    case "free":
      return address("address");
    case "set":
      return address("address") ?? sizeProblem(value["size"], blockSize) ?? (value["physical"] === null ? null : address("physical")) ?? attrsProblem(value["attrs"]);
    case "map":
    case "protect":
      if (value["none"] !== undefined && typeof value["none"] !== "boolean") return "none must be a boolean";
      return address("address") ?? sizeProblem(value["size"], blockSize) ?? attrsProblem(value["attrs"]);
    case "unmap":
      return address("address") ?? sizeProblem(value["size"], blockSize);
    case "touch":
      if (value["access"] !== "read" && value["access"] !== "write" && value["access"] !== "fetch") return `access must be read, write or fetch, not ${JSON.stringify(value["access"])}`;
      if (value["user"] !== undefined && typeof value["user"] !== "boolean") return "user must be a boolean";
      return address("address");
    default:
      return `op must be one of ${TRACE_OPS.join(", ")}, not ${JSON.stringify(op)}`;
  }
}
