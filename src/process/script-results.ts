import type { Address } from "../types.js";
import type { ScriptCommand } from "./script.js";
import type { StaleTranslation } from "./tlb-audit.js";
import type { FaultCounters, FaultOutcome } from "./user-pages.js";

/** A page of a task (evicted to swap, or sharing a frame). */
export interface TaskPage {
  /** The task the page belongs to. */
  readonly task: string;
  /** The page's address. */
  readonly vaddr: Address;
}

/** What a line did beyond its frames: see {@link LineResult}. */
export type LineDetail = CreatedDetail | RangeDetail | AccessDetail | DoneDetail | RefusedDetail | SkippedDetail;

/** spawn, load, fork, copy: the task made. */
export interface CreatedDetail {
  /** `"created"`. */
  readonly type: "created";
  /** The new task's name. */
  readonly task: string;
  /** Its root table (what CR3 / satp.PPN × 4096 holds while it runs). */
  readonly root: number;
  /** load: the ELF entry point; otherwise null. */
  readonly entry: Address | null;
  /** fork: the frames the child shares copy-on-write; otherwise 0. */
  readonly shared: number;
}

/** map, guard, protect, unmap: the pages changed. */
export interface RangeDetail {
  /** `"range"`. */
  readonly type: "range";
  /** The first address. */
  readonly start: Address;
  /** The end, exclusive. */
  readonly end: Address;
}

/** read, write, fetch: what the access did. */
export interface AccessDetail {
  /** `"access"`. */
  readonly type: "access";
  /** The faults taken, in order (the last a segfault when `physical` is null). */
  readonly faults: readonly FaultOutcome[];
  /** The physical address accessed, or null after a segfault. */
  readonly physical: number | null;
  /** The byte read or written, or null after a segfault. */
  readonly value: number | null;
}

/** exit, swap: nothing more to say. */
export interface DoneDetail {
  /** `"done"`. */
  readonly type: "done";
}

/** The library refused the operation (nothing changed). */
export interface RefusedDetail {
  /** `"refused"`. */
  readonly type: "refused";
  /** The error's code (`InvalidRange`, `OutOfMemory`, `AlreadyAllocated`, …; `RangeError` for a plain one). */
  readonly code: string;
  /** The error's message. */
  readonly message: string;
}

/** Not run: the task it names was never created, because the line creating it was refused. */
export interface SkippedDetail {
  /** `"skipped"`. */
  readonly type: "skipped";
  /** Why, naming the refused line. */
  readonly reason: string;
}

/** What one script line did. */
export interface LineResult {
  /** The command as parsed. */
  readonly command: ScriptCommand;
  /** What happened. */
  readonly detail: LineDetail;
  /** PMM blocks the line took (positive) or returned (negative): pages, tables and roots. */
  readonly frames: number;
  /** Pages resident before the line that it evicted to swap, by task, in address order. */
  readonly evicted: readonly TaskPage[];
  /** Pages the line evicted in all: those of {@link LineResult.evicted}, and pages it made resident and evicted again (an eager `map` beyond the bound, a fork's shared pages). */
  readonly evictions: number;
  /** Translations the TLB served during the line that the tables in RAM contradict (missed invalidations). */
  readonly stale: readonly StaleTranslation[];
}

/** One task at the end of the script. */
export interface TaskSummary {
  /** Its name in the script. */
  readonly name: string;
  /** The line that created it. */
  readonly createdAt: number;
  /** The line that exited it, or null when it was alive at the end. */
  readonly exitedAt: number | null;
  /** Its root table (what CR3 / satp.PPN × 4096 holds while it runs). */
  readonly root: number;
  /** Its regions at the end (none after exit). */
  readonly regions: readonly TaskRegion[];
  /** Pages with a frame at the end. */
  readonly resident: number;
  /** Pages on swap at the end. */
  readonly swapped: number;
  /** Its fault counters (kept after exit). */
  readonly faults: Readonly<FaultCounters>;
}

/** One region of a live task at the end of the script. */
export interface TaskRegion {
  /** Its first address. */
  readonly start: Address;
  /** Its end, exclusive. */
  readonly end: Address;
  /** `r`, `w`, `x` or `-` each (`---` for a guard). */
  readonly rights: string;
  /** `eager`, `lazy` or `guard`. */
  readonly paging: string;
  /** Its pages with a frame. */
  readonly frames: number;
  /** Its label. */
  readonly label: string;
}

/** A frame several live tasks map copy-on-write at the end of the script. */
export interface SharedFrame {
  /** The frame's physical address. */
  readonly frame: number;
  /** The pages mapping it, in task creation order. */
  readonly pages: readonly TaskPage[];
}

/** The result of {@link runScript}. */
export interface ScriptRun {
  /** The paging mode (`x86`, `x86-64`, `riscv-sv39`, …). */
  readonly arch: string;
  /** One result per command, in order. */
  readonly lines: readonly LineResult[];
  /** Every task the script created, in creation order, as the script left it. */
  readonly tasks: readonly TaskSummary[];
  /** Frames shared copy-on-write by live tasks at the end. */
  readonly shared: readonly SharedFrame[];
  /** Accesses run. */
  readonly accesses: number;
  /** The PMM's free blocks before the first line, after the last, and after the runner exited every task still alive. */
  readonly pmm: PmmCheck;
}

/** The PMM's free blocks at three points of a run (see {@link ScriptRun.pmm}). */
export interface PmmCheck {
  /** Before the first line. */
  readonly freeBefore: number;
  /** After the last line. */
  readonly freeAtEnd: number;
  /** After the runner exited every task still alive: equal to {@link PmmCheck.freeBefore} when nothing leaked. */
  readonly freeAfterExit: number;
}
