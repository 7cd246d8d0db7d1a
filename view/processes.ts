import { hex } from "../src/format.js";
import { PAGE_BYTES } from "../src/paging/geometry.js";
import { type AccessRecord, AccessDriver } from "../src/process/access-driver.js";
import { AddressSpace, type AnyMmu } from "../src/process/address-space.js";
import { frameRefsOf } from "../src/process/frame-refs.js";
import type { ModeMachine } from "../src/boot/mode-boot.js";
import { type KernelHalf, isWideKernelHalf, kernelHalfOfMode, sameType } from "../src/process/kernel-half.js";
import type { AccessOp } from "../src/index.js";
import type { Address } from "../src/types.js";

/** One process of the page: a pid, who forked it, and its address space. */
export interface Process<A extends Address> {
  /** Its process id (1, 2, … in start/fork order; never reused). */
  readonly pid: number;
  /** The pid it was forked from, or null when started. */
  readonly parent: number | null;
  /** Its address space. */
  readonly space: AddressSpace<A>;
}

/** Where the built-in program's regions lie: first page and page count of each. */
export interface ProgramLayout<A extends Address> {
  /** Read-only, executable, demand-paged from the program image (major faults). */
  readonly text: { readonly start: A; readonly pages: number };
  /** Writable, demand-paged, zero-filled (minor faults). */
  readonly data: { readonly start: A; readonly pages: number };
  /** One reserved page with no rights below the stack: any access segfaults. */
  readonly guard: { readonly start: A; readonly pages: number };
  /** Writable, demand-paged, zero-filled, ending at the top of the user half. */
  readonly stack: { readonly start: A; readonly pages: number };
}

/** The built-in program's image: what its text pages hold (the rest of a text page is zeros). */
export const PROGRAM_IMAGE = new TextEncoder().encode("kmem: a tiny program image, demand-paged from its file\n");

const TEXT_START = 0x0040_0000;
const TEXT_PAGES = 2;
const DATA_START = 0x0060_0000;
const DATA_PAGES = 16;
const STACK_PAGES = 8;
const GUARD_PAGES = 1;

/**
 * The built-in program's layout in `kernel`'s user half: text at 0x00400000, data/heap at
 * 0x00600000, and the stack at the top of the user half with a guard page below it.
 */
export function programLayout<A extends Address>(kernel: KernelHalf<A>): ProgramLayout<A> {
  const at = (address: bigint): A => sameType(kernel.userStart, address);
  const page = BigInt(PAGE_BYTES);
  const stack = BigInt(kernel.userEnd) - BigInt(STACK_PAGES) * page;
  return {
    text: { start: at(BigInt(TEXT_START)), pages: TEXT_PAGES },
    data: { start: at(BigInt(DATA_START)), pages: DATA_PAGES },
    guard: { start: at(stack - BigInt(GUARD_PAGES) * page), pages: GUARD_PAGES },
    stack: { start: at(stack), pages: STACK_PAGES },
  };
}


/**
 * The processes of a booted machine, as the view's Processes panel drives them: address
 * spaces sharing one kernel half, started with a built-in program layout, forked
 * copy-on-write, switched into the machine's MMU and destroyed, with every user access run
 * through one {@link AccessDriver} (so faults are taken and resolved as they happen).
 * Holds no DOM; the panel renders it.
 *
 * @example
 * const table = new ProcessTable(kernelHalfOf(machine), machine.mmu);
 * const parent = table.start();
 * table.access(parent.pid, 0x600000, "write", 0x41); // a minor fault, then the write
 * const child = table.fork(parent.pid);
 * table.access(child.pid, 0x600000, "write", 0x42);  // cow-copy
 */
export class ProcessTable<A extends Address> {
  /** The kernel half every process shares. */
  readonly kernel: KernelHalf<A>;
  /** The one driver every access goes through (it switches CR3 / satp to the task). */
  readonly driver: AccessDriver;
  /** Where the built-in program's regions lie. */
  readonly layout: ProgramLayout<A>;
  readonly #processes = new Map<number, Process<A>>();
  #nextPid = 1;

  /** Processes of `kernel`'s half, running in `mmu` (which holds the kernel's root). */
  constructor(kernel: KernelHalf<A>, mmu: AnyMmu) {
    this.kernel = kernel;
    this.driver = new AccessDriver(mmu);
    this.layout = programLayout(kernel);
  }

  /** The MMU the processes run in. */
  get mmu(): AnyMmu {
    return this.driver.mmu;
  }

  /** The live processes in pid order. */
  list(): Process<A>[] {
    return [...this.#processes.values()];
  }

  /**
   * The process `pid`.
   *
   * @throws {Error} when there is no such live process.
   */
  get(pid: number): Process<A> {
    const found = this.#processes.get(pid);
    if (found === undefined) throw new Error(`Cannot find process ${String(pid)}: ${this.#processes.size === 0 ? "no process is running (start one)" : `live pids are ${this.list().map((p) => p.pid).join(", ")}`}`);
    return found;
  }

  /** The process whose root the MMU holds now, or null when it holds the kernel's. */
  active(): Process<A> | null {
    return this.list().find((p) => p.space.isActive(this.mmu)) ?? null;
  }

  /** The physical address of the root table the MMU holds now. */
  loadedRoot(): number {
    return this.active()?.space.root ?? this.kernel.root;
  }

  /** Free frames in the PMM now. */
  freeFrames(): number {
    return this.kernel.pmm.blocksFree();
  }

  /** How many address spaces share `frame` (its reference count; 0 for a frame not counted). */
  references(frame: number): number {
    return frameRefsOf(this.kernel.pmm).count(frame);
  }

  /**
   * Starts a process running the built-in program: a new address space with text, data and
   * a stack below a guard page (see {@link programLayout}), none of it resident yet.
   *
   * @throws {ProcessError} `OutOfMemory` when there is no frame for its root (nothing is left allocated).
   */
  start(): Process<A> {
    const space = AddressSpace.create(this.kernel);
    const { text, data, guard, stack } = this.layout;
    // As the ELF loader does: only a mode that can refuse execution (NX / RISC-V X) gets non-executable data.
    const executable = !this.kernel.noExecute;
    try {
      space.reserveLazy(text.start, text.pages, { kernel: false, writable: false, cachable: true, executable: true }, { label: "text", backing: { data: PROGRAM_IMAGE, at: 0 } });
      space.reserveLazy(data.start, data.pages, { kernel: false, writable: true, cachable: true, executable }, { label: "data/heap" });
      space.reserve(guard.start, guard.pages, "stack guard");
      space.reserveLazy(stack.start, stack.pages, { kernel: false, writable: true, cachable: true, executable }, { label: "stack" });
    } catch (error) {
      space.destroy();
      throw error;
    }
    return this.#add(null, space);
  }

  /**
   * Forks `pid` copy-on-write through the access driver (its stale writable translations are dropped).
   *
   * @throws {Error} for an unknown pid. @throws {ProcessError} `OutOfMemory` (nothing is left allocated).
   */
  fork(pid: number): Process<A> {
    const parent = this.get(pid);
    return this.#add(pid, this.driver.fork(parent.space));
  }

  /**
   * Loads `pid`'s root into the MMU (CR3 / satp), as a context switch does.
   *
   * @throws {Error} for an unknown pid.
   */
  switchTo(pid: number): void {
    this.get(pid).space.activate(this.mmu);
  }

  /**
   * Ends `pid`: destroys its address space (every frame it alone holds, its tables and its
   * root return to the PMM). When it is running, the kernel's root is loaded first.
   *
   * @throws {Error} for an unknown pid.
   */
  exit(pid: number): void {
    const process = this.get(pid);
    this.driver.exit(process.space);
    this.#processes.delete(pid);
  }

  /**
   * One user access of `pid` through the driver: switches to it, translates in user mode,
   * lets its fault handler resolve faults, and reads or writes the byte.
   *
   * @throws {Error} for an unknown pid. @throws {RangeError} for an address outside the user half.
   * @throws {ProcessError} `OutOfMemory` when a fault needs a frame and none is free.
   */
  access(pid: number, vaddr: A, op: AccessOp, value = 0): AccessRecord {
    const task = this.get(pid).space;
    if (BigInt(vaddr) < 0n || BigInt(vaddr) >= BigInt(this.kernel.userEnd)) {
      throw new RangeError(`Cannot access ${hex(vaddr)} as a user: it is not in the user half 0x0–${hex(BigInt(this.kernel.userEnd) - 1n)}`);
    }
    return this.driver.run({ task, vaddr, op, value });
  }

  #add(parent: number | null, space: AddressSpace<A>): Process<A> {
    const process = { pid: this.#nextPid, parent, space };
    this.#nextPid += 1;
    this.#processes.set(process.pid, process);
    return process;
  }

}

/** A process table in its mode's address type: `bigint` in 64-bit modes, `number` in 32-bit ones. */
export type AnyProcessTable = { readonly wide: true; readonly table: ProcessTable<bigint> } | { readonly wide: false; readonly table: ProcessTable<number> };

/**
 * The process table of a machine booted by `bootMode`, sharing its kernel half, running in its MMU.
 *
 * @throws {ProcessError} `InvalidKernelHalf` when the machine's kernel half cannot be shared (see `kernelHalfOfMode`).
 */
export function processTableOfMode(machine: ModeMachine): AnyProcessTable {
  const kernel = kernelHalfOfMode(machine);
  return isWideKernelHalf(kernel) ? { wide: true, table: new ProcessTable(kernel, machine.mmu) } : { wide: false, table: new ProcessTable(kernel, machine.mmu) };
}
