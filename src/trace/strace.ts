/**
 * Turns the output of `strace -f -e trace=mmap,munmap,mremap,mprotect,brk PROGRAM` into a
 * trace of the program's address space (x86-64 user half). Reads strace's real output: `[pid
 * N]` and `N ` prefixes (-f, -ff, -o), timestamps (-t, -tt, -ttt, -r), calls split into
 * `<unfinished ...>` and `<... NAME resumed>` lines, failed calls (`= -1 ENOMEM (…)`),
 * signals and exits (skipped), hex or decimal numbers.
 */

import type { Attributes } from "../types.js";
import { TRACE_VERSION, type Trace, type TraceEvent, traceAddress } from "./format.js";

/** How imported allocations are placed: where the program got them, or wherever kmem's allocator puts them. */
export type StracePlacement = "fixed" | "allocator";

/** Options for {@link importStrace}. */
export interface StraceImportOptions {
  /** Default `"fixed"`: every mmap becomes an `alloc` at the address the program got. */
  readonly placement?: StracePlacement;
  /** The header's `source`. */
  readonly source?: string;
  /**
   * Keep the calls of every process `strace -f` followed (default false: only the first
   * process and its threads; a trace is one address space). A task whose first call is
   * `brk(NULL)` — what the loader of a freshly exec'd program does first — is taken as
   * another process; any other new task as a thread of the processes kept.
   */
  readonly allProcesses?: boolean;
}

/** What the import read, beside the trace. */
export interface StraceImport {
  /** The program's address-space calls as a trace. */
  readonly trace: Trace;
  /** System calls turned into events. */
  readonly calls: number;
  /** Calls that failed in the program (kept as `alloc` events with `error`, or skipped when they changed nothing). */
  readonly failed: number;
  /** Lines that were neither a traced call nor strace's own notes (signals, exits). */
  readonly skipped: number;
  /** Calls of other processes, left out (see {@link StraceImportOptions.allProcesses}). */
  readonly otherProcesses: number;
}

const PAGE = 4096n;
/** The x86-64 user half, 4-level paging: `[4 KiB, 2^47)` (page 0 is never mapped). */
const USER_START = 0x1000n;
const USER_END = 1n << 47n;
const TRACED = new Set(["mmap", "mmap2", "munmap", "mremap", "mprotect", "brk"]);

const PREFIX = /^(?:\[pid\s+(\d+)\]\s+|(\d+)\s+)?(?:(?:\d+:\d+:\d+(?:\.\d+)?|\d+\.\d+)\s+)?(.*)$/;
const UNFINISHED = /^(\w+)\((.*?)\s*<unfinished \.\.\.>$/;
const RESUMED = /^<\.\.\. (\w+) resumed>\s*(.*)$/;
const CALL = /^(\w+)\((.*)\)\s+=\s+(-?\w+)(?:\s+(\w+))?/;

function pageDown(value: bigint): bigint {
  return value - (value % PAGE);
}

function pageUp(value: bigint): bigint {
  return pageDown(value + PAGE - 1n);
}

/** A number strace printed (`0x…`, decimal, `NULL`), or null. */
function number(text: string | undefined): bigint | null {
  if (text === undefined) return null;
  const t = text.trim();
  if (t === "NULL") return 0n;
  if (/^0x[0-9a-fA-F]+$/.test(t) || /^\d+$/.test(t)) return BigInt(t);
  return null;
}

/** The attributes of user memory with `prot` (`PROT_READ|PROT_WRITE`, `PROT_NONE`, or a number). */
function attributesOf(prot: string | undefined): Attributes {
  const text = prot ?? "";
  const bits = number(text);
  const writable = bits === null ? text.includes("PROT_WRITE") : (bits & 2n) !== 0n;
  const executable = bits === null ? text.includes("PROT_EXEC") : (bits & 4n) !== 0n;
  return { kernel: false, writable, cachable: true, executable };
}

/** Whether `prot` is PROT_NONE (written so, or 0). */
function isProtNone(prot: string | undefined): boolean {
  return prot?.trim() === "PROT_NONE" || number(prot) === 0n;
}

/**
 * Parses strace output into a trace. Calls outside the x86-64 user half and lines it cannot
 * read are counted in `skipped`, never fatal: real logs mix in program output.
 *
 * - `mmap` → `alloc` (placement `"fixed"`: `at` the address returned; `"allocator"`: no `at`,
 *   `result` the address returned, so replay moves later events with it); with `MAP_FIXED`
 *   → `map` at the address (the program chose it); with `PROT_NONE` (a reservation, such as
 *   glibc's 128 MiB thread arenas) → `map` with `none` at the address, in both placements.
 * - `munmap` → `unmap`; `mprotect` → `protect` (`none` for PROT_NONE); `mremap` → `unmap`/`map` of what shrank or
 *   grew in place, or `unmap` and a new allocation when it moved.
 * - `brk` growing → `map` of the new heap pages; shrinking → `unmap`.
 *
 * Sizes are rounded up to whole pages. O(lines).
 *
 * @example
 * const { trace } = importStrace(readFileSync("strace.log", "utf8"), { placement: "allocator" });
 */
export function importStrace(text: string, options: StraceImportOptions = {}): StraceImport {
  const placement = options.placement ?? "fixed";
  const events: TraceEvent[] = [];
  const pending = new Map<string, string>();
  const breaks = new Map<number | undefined, bigint>();
  const protections = new Map<bigint, Attributes>();
  let calls = 0;
  let failed = 0;
  let skipped = 0;
  let otherProcesses = 0;
  const seen = new Set<number | undefined>();
  const dropped = new Set<number | undefined>();

  const inSpace = (address: bigint, size: bigint): boolean => address >= USER_START && address + size <= USER_END && size > 0n;
  const push = (event: TraceEvent, task: number | undefined): void => {
    events.push(task === undefined ? event : { ...event, task });
  };
  const allocate = (address: bigint, size: bigint, attrs: Attributes, task: number | undefined): void => {
    protections.set(address, attrs);
    const base = { op: "alloc" as const, size: Number(size), attrs, result: traceAddress(address) };
    push(placement === "fixed" ? { ...base, at: traceAddress(address) } : base, task);
  };
  const region = (op: "map" | "unmap", address: bigint, size: bigint, attrs: Attributes, task: number | undefined, none = false): void => {
    if (!inSpace(address, size)) return;
    const at = { address: traceAddress(address), size: Number(size) };
    push(op === "map" ? { op, ...at, attrs, ...(none ? { none } : {}) } : { op, ...at }, task);
  };

  for (const raw of text.split("\n")) {
    const match = PREFIX.exec(raw.trim());
    const rest = match?.[3] ?? "";
    const pid = match?.[1] ?? match?.[2];
    const task = pid === undefined ? undefined : Number(pid);
    if (rest === "" || rest.startsWith("+++") || rest.startsWith("---")) continue;
    let line = rest;
    const unfinished = UNFINISHED.exec(rest);
    if (unfinished !== null) {
      if (TRACED.has(unfinished[1]!)) pending.set(`${pid ?? ""}:${unfinished[1]!}`, `${unfinished[1]!}(${unfinished[2]!}`);
      continue;
    }
    const resumed = RESUMED.exec(rest);
    if (resumed !== null) {
      const head = pending.get(`${pid ?? ""}:${resumed[1]!}`);
      pending.delete(`${pid ?? ""}:${resumed[1]!}`);
      if (head === undefined) {
        skipped++;
        continue;
      }
      const tail = resumed[2]!;
      const separator = tail.startsWith(")") || tail.startsWith(",") || head.endsWith("(") ? "" : head.endsWith(",") ? " " : ", ";
      line = head + separator + tail;
    }
    const call = CALL.exec(line);
    if (call === null || !TRACED.has(call[1]!)) {
      skipped++;
      continue;
    }
    const name = call[1]!;
    const args = call[2]!.split(",").map((arg) => arg.trim());
    if (!seen.has(task)) {
      if (seen.size > 0 && options.allProcesses !== true && name === "brk" && number(args[0]) === 0n) dropped.add(task);
      seen.add(task);
    }
    if (dropped.has(task)) {
      otherProcesses++;
      continue;
    }
    calls++;
    const result = number(call[3]);
    const error = call[3]!.startsWith("-") ? (call[4] ?? "Error") : null;
    if (error !== null || result === null) {
      failed++;
      if (name === "mmap" || name === "mmap2") {
        const size = pageUp(number(args[1]) ?? 0n);
        if (size > 0n) push({ op: "alloc", size: Number(size), attrs: attributesOf(args[2]), result: null, error: error ?? "Error" }, task);
      }
      continue;
    }
    switch (name) {
      case "mmap":
      case "mmap2": {
        const size = pageUp(number(args[1]) ?? 0n);
        const attrs = attributesOf(args[2]);
        if (!inSpace(result, size)) {
          skipped++;
          break;
        }
        const none = isProtNone(args[2]);
        if (/MAP_FIXED/.test(args[3] ?? "") || none) {
          protections.set(result, attrs);
          region("map", result, size, attrs, task, none);
        } else {
          allocate(result, size, attrs, task);
        }
        break;
      }
      case "munmap": {
        const address = number(args[0]) ?? 0n;
        region("unmap", pageDown(address), pageUp(number(args[1]) ?? 0n), { kernel: false, writable: false, cachable: true }, task);
        break;
      }
      case "mprotect": {
        const address = pageDown(number(args[0]) ?? 0n);
        const size = pageUp(number(args[1]) ?? 0n);
        if (!inSpace(address, size)) break;
        push({ op: "protect", address: traceAddress(address), size: Number(size), attrs: attributesOf(args[2]), ...(isProtNone(args[2]) ? { none: true } : {}) }, task);
        break;
      }
      case "mremap": {
        const old = number(args[0]) ?? 0n;
        const oldSize = pageUp(number(args[1]) ?? 0n);
        const newSize = pageUp(number(args[2]) ?? 0n);
        const attrs = protections.get(old) ?? { kernel: false, writable: true, cachable: true, executable: false };
        if (result === old) {
          if (newSize > oldSize) region("map", old + oldSize, newSize - oldSize, attrs, task);
          else region("unmap", old + newSize, oldSize - newSize, attrs, task);
        } else if (inSpace(result, newSize)) {
          region("unmap", old, oldSize, attrs, task);
          if (/MREMAP_FIXED/.test(args[3] ?? "")) region("map", result, newSize, attrs, task);
          else allocate(result, newSize, attrs, task);
        }
        break;
      }
      case "brk": {
        const current = breaks.get(task);
        breaks.set(task, result);
        // brk(NULL) asks where the break is: the start of a fresh heap after exec, never a change.
        if (current === undefined || result === current || number(args[0]) === 0n) break;
        const rw: Attributes = { kernel: false, writable: true, cachable: true, executable: false };
        if (result > current) region("map", pageUp(current), pageUp(result) - pageUp(current), rw, task);
        else region("unmap", pageUp(result), pageUp(current) - pageUp(result), rw, task);
        break;
      }
    }
  }
  return {
    trace: {
      header: {
        kmem: "trace",
        version: TRACE_VERSION,
        arch: "x86-64",
        blockSize: Number(PAGE),
        space: { start: traceAddress(USER_START), end: traceAddress(USER_END) },
        ...(options.source === undefined ? {} : { source: options.source }),
      },
      events,
    },
    calls,
    failed,
    skipped,
    otherProcesses,
  };
}
