import type { AccessOp, FaultCounters, FaultOutcome } from "../src/index.js";
import type { Address } from "../src/types.js";
import type { Process } from "./processes.js";

/** One region of a process, as its row lists it. */
export interface ProcessRegionRow {
  /** First address. */
  readonly start: bigint;
  /** End, exclusive. */
  readonly end: bigint;
  /** Its name (`text`, `data/heap`, `stack guard`, `stack`, …). */
  readonly label: string;
  /** `r`, `w`, `x` or `-` each, as `/proc/PID/maps` prints them. */
  readonly rights: string;
  /** Pages with a frame now. */
  readonly resident: number;
  /** Pages in the region. */
  readonly pages: number;
  /** How its pages get frames: at map time (`eager`), on first touch (`lazy`), or never (`guard`). */
  readonly paging: "eager" | "lazy" | "guard";
}

/** One row of the process list. */
export interface ProcessRow {
  /** Process id. */
  readonly pid: number;
  /** The pid it was forked from, or null. */
  readonly parent: number | null;
  /** Physical address of its root table (what CR3 / satp holds while it runs). */
  readonly root: number;
  /** Whether the MMU holds its root now. */
  readonly active: boolean;
  /** Its regions in address order. */
  readonly regions: readonly ProcessRegionRow[];
  /** User pages with a frame. */
  readonly resident: number;
  /** Its fault counters. */
  readonly faults: Readonly<FaultCounters>;
}

/** One mapping of a frame: which process maps it where. */
export interface FrameOwner {
  /** The process. */
  readonly pid: number;
  /** The page's address in that process. */
  readonly vaddr: bigint;
  /** The region's label. */
  readonly label: string;
  /** Mapped writable now. */
  readonly writable: boolean;
  /** Copy-on-write in that process. */
  readonly cow: boolean;
}

/** One user frame, with every process mapping it. */
export interface FrameRow {
  /** The frame's physical address. */
  readonly frame: number;
  /** Its mappings, in pid order. */
  readonly owners: readonly FrameOwner[];
  /** Its reference count (the frame table's, or the number of mappings for a frame it does not count). */
  readonly references: number;
  /** Shared copy-on-write: more than one reference and read-only until a write copies it. */
  readonly cow: boolean;
}

/** One fault an access took, as the fault log lists it. */
export interface FaultRow {
  /** The faulting process. */
  readonly pid: number;
  /** The address accessed. */
  readonly vaddr: bigint;
  /** The access. */
  readonly op: AccessOp;
  /** How the OS resolved it. */
  readonly kind: FaultOutcome["kind"];
  /** Why a segfault was raised, else null. */
  readonly reason: string | null;
}

const PAGE = 4096n;

/** The process list's rows: `processes` in pid order, `active` the one the MMU holds. O(pages). */
export function processRows<A extends Address>(processes: readonly Process<A>[], active: Process<A> | null): ProcessRow[] {
  return processes.map(({ pid, parent, space }) => {
    const regions = space.regions().map((r): ProcessRegionRow => ({
      start: BigInt(r.virtual.start),
      end: BigInt(r.virtual.end),
      label: r.label,
      rights: `${r.paging === "guard" ? "-" : "r"}${r.attrs.writable ? "w" : "-"}${r.attrs.executable === false ? "-" : "x"}`,
      resident: r.frames,
      pages: Number((BigInt(r.virtual.end) - BigInt(r.virtual.start)) / PAGE),
      paging: r.paging,
    }));
    return { pid, parent, root: space.root, active: active?.pid === pid, regions, resident: space.pages().length, faults: { ...space.faults } };
  });
}

/**
 * Every user frame of `processes` in frame order, with the processes and addresses mapping
 * it; `references(frame)` is the frame table's count. O(pages · log pages).
 */
export function frameRows<A extends Address>(processes: readonly Process<A>[], references: (frame: number) => number): FrameRow[] {
  const owners = new Map<number, FrameOwner[]>();
  for (const { pid, space } of processes) {
    for (const page of space.pages()) {
      const list = owners.get(page.frame) ?? [];
      list.push({ pid, vaddr: BigInt(page.vaddr), label: page.label, writable: page.writable, cow: page.cow });
      owners.set(page.frame, list);
    }
  }
  return [...owners.entries()]
    .sort(([a], [b]) => a - b)
    .map(([frame, list]) => {
      const count = Math.max(references(frame), list.length);
      return { frame, owners: list, references: count, cow: count > 1 && list.some((o) => o.cow) };
    });
}

/** The fault log's rows for one access of `pid`: one per fault, in the order taken. */
export function faultRows(pid: number, vaddr: Address, op: AccessOp, faults: readonly FaultOutcome[]): FaultRow[] {
  return faults.map((f) => ({ pid, vaddr: BigInt(vaddr), op, kind: f.kind, reason: f.kind === "segfault" ? f.reason : null }));
}

/** Which access faulted: `pid 2 write 0x00600000`. */
export function faultSubject(row: FaultRow, hexOf: (value: bigint) => string): string {
  return `pid ${String(row.pid)} ${row.op} ${hexOf(row.vaddr)}`;
}

/** How it was resolved: `cow-copy`, or `segfault (read-only)`. */
export function faultOutcomeText(row: FaultRow): string {
  return row.reason === null ? row.kind : `${row.kind} (${row.reason})`;
}

/** A fault row as one line: `pid 2 write 0x00600000: cow-copy`. */
export function faultText(row: FaultRow, hexOf: (value: bigint) => string): string {
  return `${faultSubject(row, hexOf)}: ${faultOutcomeText(row)}`;
}
