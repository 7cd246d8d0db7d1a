import { ScriptError } from "../errors/script-error.js";
import { KmemError } from "../errors/kmem-error.js";
import { hex } from "../format.js";
import { PAGE_BYTES } from "../paging/geometry.js";
import type { Address, Attributes } from "../types.js";
import { AccessDriver } from "./access-driver.js";
import { AddressSpace } from "./address-space.js";
import type { AnyMmu } from "./context-switch.js";
import { frameRefsOf } from "./frame-refs.js";
import { type KernelHalf, sameType } from "./kernel-half.js";
import { loadElf } from "./loader.js";
import type { ScriptCommand, ScriptRights, SwapCommand } from "./script.js";
import { SwapPool } from "./swap-pool.js";
import { SwapDevice } from "./swap.js";
import type { LineDetail, LineResult, ScriptRun, SharedFrame, TaskPage, TaskSummary } from "./script-results.js";

/** The machine a script runs on: the kernel half every task shares, and the CPU's MMU. */
export interface ScriptMachine {
  /** What every address space shares (`kernelHalfOf(boot(…))`, `kernelHalfOfMode(bootMode(…))`). */
  readonly kernel: KernelHalf<number> | KernelHalf<bigint>;
  /** The MMU every access goes through. */
  readonly mmu: AnyMmu;
}

/** Options of {@link runScript}. */
export interface RunScriptOptions {
  /** Boots a fresh machine; called once, or twice when a `swap … opt` line needs the future (a first run finds each task's accesses). */
  readonly boot: () => ScriptMachine;
  /** Reads the file a `load` line names; called for every `load` line before anything runs. Without it, `load` lines are refused. */
  readonly readFile?: (path: string) => Uint8Array;
  /** Slots of each swap device (default {@link DEFAULT_SWAP_SLOTS}). */
  readonly swapSlots?: number;
}

/** Slots of a swap device a `swap` line makes: 4096 pages, 16 MiB. */
export const DEFAULT_SWAP_SLOTS = 4096;

/**
 * Runs a parsed process script (see {@link parseScript}) on a fresh machine through one
 * {@link AccessDriver} with the missed-invalidation audit on: each line creates, changes,
 * forks or exits a task, or runs one user access through the MMU with the OS's fault handler
 * behind it. An operation the library refuses (`InvalidRange`, `OutOfMemory`,
 * `AlreadyAllocated`, a bad ELF, …) is a result, not an error: it changed nothing, and the
 * script goes on; lines naming a task whose creation was refused are skipped. At the end the
 * runner records every task, then exits the live ones, so `pmm.freeAfterExit` must equal
 * `pmm.freeBefore`. A task that exits while its root is loaded is switched away from first
 * (the MMU gets the kernel's root), as a kernel does before freeing a page directory.
 *
 * OPT needs the future: when a `swap` line names it, the script is first run with LRU in its
 * place to learn each task's completed accesses (which replacement cannot change), then again
 * with those pages as OPT's future.
 *
 * @throws {ScriptError} `BadArgument` for an address beyond a 32-bit machine's 4 GiB,
 * `UnreadableFile` for a `load` file `readFile` cannot read — before anything runs.
 * @example
 * const script = parseScript("spawn A\nmap A 0x400000 1 rw lazy\nwrite A 0x400000 1\nfork A B\nwrite B 0x400000 2\n");
 * const run = runScript(script, { boot: () => { const m = boot(DEFAULT_PROFILE); return { kernel: kernelHalfOf(m), mmu: m.mmu }; } });
 * run.lines[4].detail; // { type: "access", faults: [{ kind: "cow-copy", page: 0x400 }], … }
 */
export function runScript(script: readonly ScriptCommand[], options: RunScriptOptions): ScriptRun {
  const machine = options.boot();
  const files = readFiles(script, machine, options.readFile);
  if (!script.some((c) => c.kind === "swap" && c.policy === "opt")) return new Runner(machine, files, options.swapSlots, null).run(script);
  const rehearsal = new Runner(machine, files, options.swapSlots, null);
  rehearsal.run(script);
  return new Runner(options.boot(), files, options.swapSlots, rehearsal.completed).run(script);
}

/** Checks the addresses fit the machine and reads every `load` file, before anything runs. */
function readFiles(script: readonly ScriptCommand[], machine: ScriptMachine, readFile: ((path: string) => Uint8Array) | undefined): Map<number, Uint8Array | Error> {
  const narrow = typeof machine.kernel.userStart === "number";
  const files = new Map<number, Uint8Array | Error>();
  for (const command of script) {
    for (const value of addressesOf(command)) {
      if (narrow && value >= 1n << 32n) {
        throw new ScriptError("BadArgument", `line ${String(command.line)}: address ${hex(value)} is beyond 4 GiB: the ${machine.kernel.geometry.name} machine has 32-bit virtual addresses`, { line: command.line });
      }
    }
    if (command.kind !== "load") continue;
    if (readFile === undefined) {
      files.set(command.line, new Error(`Cannot load ${command.file}: this runner reads no files`));
      continue;
    }
    try {
      files.set(command.line, readFile(command.file));
    } catch (error) {
      throw new ScriptError("UnreadableFile", `line ${String(command.line)}: cannot read ${command.file}: ${error instanceof Error ? error.message : String(error)}`, { line: command.line });
    }
  }
  return files;
}

function addressesOf(command: ScriptCommand): bigint[] {
  switch (command.kind) {
    case "map":
    case "guard":
      return [command.at];
    case "protect":
    case "unmap":
      return [command.start, command.end];
    case "access":
      return [command.vaddr];
    default:
      return [];
  }
}

/** A task of the script: its address space and its lifetime. */
interface Task {
  readonly name: string;
  readonly createdAt: number;
  readonly space: AddressSpace<Address>;
  exitedAt: number | null;
}

/** The bound a `swap` line sets for the tasks created after it; `pool` is made at its first system-wide member. */
interface SwapSetting {
  readonly command: SwapCommand;
  pool: SwapPool | null;
}

/** One run of a script on one machine. */
class Runner {
  /** Pages (address / 4096) of each task's completed accesses, by the line that created it. */
  readonly completed = new Map<number, number[]>();
  readonly #kernel: KernelHalf<Address>;
  readonly #mmu: AnyMmu;
  readonly #driver: AccessDriver;
  readonly #files: ReadonlyMap<number, Uint8Array | Error>;
  readonly #slots: number;
  /** OPT's future per task (by creation line), from an earlier run; null on the first run, where OPT runs as LRU. */
  readonly #futures: ReadonlyMap<number, readonly number[]> | null;
  readonly #alive = new Map<string, Task>();
  readonly #all: Task[] = [];
  /** Names whose creating line was refused: the line. */
  readonly #refused = new Map<string, number>();
  #swap: SwapSetting | null = null;
  #accesses = 0;

  constructor(machine: ScriptMachine, files: ReadonlyMap<number, Uint8Array | Error>, slots: number | undefined, futures: ReadonlyMap<number, readonly number[]> | null) {
    this.#kernel = machine.kernel as KernelHalf<Address>;
    this.#mmu = machine.mmu;
    this.#driver = new AccessDriver(machine.mmu, { audit: true });
    this.#files = files;
    this.#slots = slots ?? DEFAULT_SWAP_SLOTS;
    this.#futures = futures;
  }

  run(script: readonly ScriptCommand[]): ScriptRun {
    const pmm = this.#kernel.pmm;
    const freeBefore = pmm.blocksFree();
    const lines = script.map((command) => this.#line(command));
    const freeAtEnd = pmm.blocksFree();
    const tasks = this.#all.map((task) => summarise(task));
    const shared = this.#shared();
    for (const task of [...this.#alive.values()]) this.#exit(task, null);
    return { arch: this.#kernel.geometry.name, lines, tasks, shared, accesses: this.#accesses, pmm: { freeBefore, freeAtEnd, freeAfterExit: pmm.blocksFree() } };
  }

  #line(command: ScriptCommand): LineResult {
    const free = this.#kernel.pmm.blocksFree();
    const staleBefore = this.#driver.stale.length;
    const evictionsBefore = this.#evictions();
    const resident = this.#swap === null && !this.#all.some((t) => t.space.swapPool !== null) ? null : this.#residentPages();
    let detail: LineDetail;
    try {
      detail = this.#execute(command);
    } catch (error) {
      if (!(error instanceof KmemError || error instanceof RangeError)) throw error;
      detail = { type: "refused", code: error instanceof KmemError ? error.code : error.name, message: error.message };
      if (command.kind === "spawn" || command.kind === "load") this.#refused.set(command.task, command.line);
      if (command.kind === "fork" || command.kind === "copy") this.#refused.set(command.child, command.line);
    }
    const evicted = resident === null || command.kind === "exit" || command.kind === "unmap" ? [] : this.#evictedSince(resident);
    const evictions = this.#evictions() - evictionsBefore;
    return { command, detail, frames: free - this.#kernel.pmm.blocksFree(), evicted, evictions, stale: this.#driver.stale.slice(staleBefore) };
  }

  #execute(command: ScriptCommand): LineDetail {
    if (command.kind === "swap") {
      this.#swap = { command, pool: null };
      return { type: "done" };
    }
    if (command.kind === "spawn" || command.kind === "load") return this.#create(command.task, command.line, command.kind === "load" ? command : null);
    const task = this.#alive.get(command.task);
    if (task === undefined) {
      const line = this.#refused.get(command.task) ?? 0;
      return { type: "skipped", reason: `task ${command.task} does not exist: line ${String(line)}, which creates it, was refused` };
    }
    const space = task.space;
    switch (command.kind) {
      case "map": {
        const at = this.#address(command.at);
        const attrs = this.#attributes(command.rights);
        const label = command.label === null ? {} : { label: command.label };
        if (command.lazy) space.reserveLazy(at, command.pages, attrs, label);
        else space.map(command.pages, attrs, { at, ...label });
        return { type: "range", start: at, end: this.#address(command.at + BigInt(command.pages * PAGE_BYTES)) };
      }
      case "guard": {
        const at = this.#address(command.at);
        space.reserve(at, command.pages, command.label ?? "guard");
        return { type: "range", start: at, end: this.#address(command.at + BigInt(command.pages * PAGE_BYTES)) };
      }
      case "protect":
        space.protect(this.#address(command.start), this.#address(command.end), this.#attributes(command.rights));
        return { type: "range", start: this.#address(command.start), end: this.#address(command.end) };
      case "unmap":
        space.unmapRange(this.#address(command.start), this.#address(command.end));
        return { type: "range", start: this.#address(command.start), end: this.#address(command.end) };
      case "fork":
      case "copy": {
        const child = command.kind === "fork" ? this.#driver.fork(space) : space.copy();
        this.#adopt(command.child, command.line, child);
        const refs = frameRefsOf(this.#kernel.pmm);
        const shared = command.kind === "fork" ? child.pages().filter((p) => refs.count(p.frame) > 1).length : 0;
        return { type: "created", task: command.child, root: child.root, entry: null, shared };
      }
      case "exit":
        this.#exit(task, command.line);
        return { type: "done" };
      default: {
        const record = this.#driver.run({ task: space, vaddr: this.#address(command.vaddr), op: command.op, value: command.value });
        this.#accesses++;
        if (record.physical !== null) this.completed.get(task.createdAt)?.push(Number(command.vaddr / BigInt(PAGE_BYTES)));
        return { type: "access", faults: record.faults, physical: record.physical, value: record.value };
      }
    }
  }

  /** spawn or load: a new space under the current swap bound, with the ELF file loaded. */
  #create(name: string, line: number, load: { readonly file: string; readonly lazy: boolean } | null): LineDetail {
    const space = AddressSpace.create(this.#kernel);
    let entry: Address | null = null;
    try {
      this.#bound(space, line);
      if (load !== null) {
        const bytes = this.#files.get(line);
        if (bytes === undefined || bytes instanceof Error) throw new RangeError(bytes?.message ?? `Cannot load ${load.file}: not read`);
        entry = loadElf(space, bytes, { lazy: load.lazy }).entry;
      }
    } catch (error) {
      space.destroy();
      throw error;
    }
    this.#adopt(name, line, space);
    return { type: "created", task: name, root: space.root, entry, shared: 0 };
  }

  /** Puts a new space under the current `swap` line's bound. */
  #bound(space: AddressSpace<Address>, line: number): void {
    const setting = this.#swap;
    if (setting === null) return;
    const { frames, policy, scope } = setting.command;
    const future = policy === "opt" && this.#futures !== null ? { future: this.#futures.get(line) ?? [] } : {};
    const effective = this.#futures === null && policy === "opt" ? "lru" : policy;
    if (scope === "task") {
      space.enableSwap({ frames, policy: effective, device: new SwapDevice(this.#slots), ...future });
      return;
    }
    setting.pool ??= new SwapPool({ frames, policy: effective, device: new SwapDevice(this.#slots), ...future });
    space.joinSwap(setting.pool);
  }

  #adopt(name: string, line: number, space: AddressSpace<Address>): void {
    const task: Task = { name, createdAt: line, space, exitedAt: null };
    this.#alive.set(name, task);
    this.#all.push(task);
    this.#refused.delete(name);
    this.completed.set(line, []);
  }

  /** Switches away from `task` if it runs (to the kernel's root), then destroys it. */
  #exit(task: Task, line: number | null): void {
    this.#driver.exit(task.space);
    this.#alive.delete(task.name);
    if (line !== null) task.exitedAt = line;
  }

  /** Evictions of every task so far (exited ones included: their counters stay). */
  #evictions(): number {
    return this.#all.reduce((n, task) => n + task.space.faults.evictions, 0);
  }

  /** Every live task's resident pages, as `task@page` keys. */
  #residentPages(): Set<string> {
    const keys = new Set<string>();
    for (const task of this.#alive.values()) for (const page of task.space.pages()) keys.add(`${task.name}@${String(page.vaddr)}`);
    return keys;
  }

  /** The pages resident before a line that no live task has now: the line's evictions. */
  #evictedSince(before: Set<string>): TaskPage[] {
    const now = this.#residentPages();
    const evicted: TaskPage[] = [];
    for (const task of this.#alive.values()) {
      if (task.space.swappedPages === 0) continue;
      for (const key of before) {
        const at = key.indexOf("@");
        if (key.slice(0, at) === task.name && !now.has(key)) evicted.push({ task: task.name, vaddr: this.#address(BigInt(key.slice(at + 1))) });
      }
    }
    return evicted;
  }

  /** Frames mapped by more than one live task, with the pages mapping them. */
  #shared(): SharedFrame[] {
    const byFrame = new Map<number, TaskPage[]>();
    const refs = frameRefsOf(this.#kernel.pmm);
    for (const task of this.#alive.values()) {
      for (const page of task.space.pages()) {
        if (!page.cow || refs.count(page.frame) < 2) continue;
        const pages = byFrame.get(page.frame) ?? [];
        pages.push({ task: task.name, vaddr: page.vaddr });
        byFrame.set(page.frame, pages);
      }
    }
    return [...byFrame].sort((a, b) => a[0] - b[0]).map(([frame, pages]) => ({ frame, pages }));
  }

  #attributes(rights: ScriptRights): Attributes {
    return { kernel: false, writable: rights.includes("w"), cachable: true, executable: rights.includes("x") || !this.#kernel.noExecute };
  }

  #address(value: bigint): Address {
    return sameType(this.#kernel.userStart, value);
  }
}

function summarise(task: Task): TaskSummary {
  const alive = task.exitedAt === null;
  const regions = alive
    ? task.space.regions().map((r) => ({
        start: r.virtual.start,
        end: r.virtual.end,
        rights: r.paging === "guard" ? "---" : `r${r.attrs.writable ? "w" : "-"}${r.attrs.executable === false ? "-" : "x"}`,
        paging: r.paging,
        frames: r.frames,
        label: r.label,
      }))
    : [];
  return {
    name: task.name,
    createdAt: task.createdAt,
    exitedAt: task.exitedAt,
    root: task.space.root,
    regions,
    resident: alive ? task.space.pages().length : 0,
    swapped: alive ? task.space.swappedPages : 0,
    faults: { ...task.space.faults },
  };
}
