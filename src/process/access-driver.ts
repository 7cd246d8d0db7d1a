import { RiscvMmu } from "../arch/riscv/cpu.js";
import { X86Mmu } from "../arch/x86/cpu.js";
import type { Address } from "../types.js";
import type { AddressSpace } from "./address-space.js";
import { type AnyMmu, invalidatePage, loadRoot } from "./context-switch.js";
import type { ProcessMemory } from "./kernel-half.js";
import type { AccessOp, FaultOutcome } from "./user-pages.js";
import { type StaleTranslation, translateAudited } from "./tlb-audit.js";

/** One user access of a task. */
export interface UserAccess<A extends Address> {
  /** The task (its address space). */
  readonly task: AddressSpace<A>;
  /** The user address accessed. */
  readonly vaddr: A;
  /** Read, write or instruction fetch. */
  readonly op: AccessOp;
  /** The byte a write stores (default 0). */
  readonly value?: number;
}

/** What one access did. */
export interface AccessRecord {
  /** The access kind. */
  readonly op: AccessOp;
  /** The physical address finally accessed, or null after a segfault. */
  readonly physical: number | null;
  /** The byte read (read, fetch) or written; null after a segfault. */
  readonly value: number | null;
  /** The faults taken on the way, in order (the last one a segfault when `physical` is null). */
  readonly faults: readonly FaultOutcome[];
}

/** At most this many faults per access: a demand fill, then a copy-on-write break. */
const MAX_FAULTS = 3;

/**
 * Runs user accesses through an MMU with the OS behind it, so processes can be exercised
 * without a CPU: each access switches to its task's space if needed (CR3 / satp), translates
 * as a user-mode access, and on a fault calls the space's handler, invalidates the page
 * (`invlpg` / `sfence.vma`) and retries; the byte is then read or written through the bus.
 *
 * @example
 * const driver = new AccessDriver(machine.mmu);
 * driver.run({ task: parent, vaddr: 0x400000, op: "write", value: 1 }); // minor fault, then the write
 * const child = driver.fork(parent);
 * driver.run({ task: child, vaddr: 0x400000, op: "write", value: 2 });  // cow-copy
 */
export class AccessDriver {
  /** The MMU every access goes through. */
  readonly mmu: AnyMmu;
  /** With `audit`: every translation the TLB served that the tables in RAM contradict, in order. */
  readonly stale: StaleTranslation[] = [];
  readonly #audit: boolean;

  /**
   * @param options.audit Check every translation against a walk of the tables in RAM (the
   * missed-invalidation detector, see `translateAudited`); reports land in {@link stale}.
   */
  constructor(mmu: AnyMmu, options: { readonly audit?: boolean } = {}) {
    this.mmu = mmu;
    this.#audit = options.audit ?? false;
    if (mmu instanceof RiscvMmu) mmu.setState({ priv: "U" });
  }

  /**
   * Performs one access. Never throws for a segfault (it is in the record).
   *
   * @throws {ProcessError} `OutOfMemory` when a fault needs a frame and none is free.
   */
  run<A extends Address>(access: UserAccess<A>): AccessRecord {
    const { task, vaddr, op } = access;
    if (!task.isActive(this.mmu)) task.activate(this.mmu);
    const faults: FaultOutcome[] = [];
    const bus = task.kernel.memory;
    for (;;) {
      const physical = this.#translate(task.kernel.memory, vaddr, op);
      if (physical >= 0) {
        task.noteAccess(vaddr);
        if (op === "write") bus.write8(physical, access.value ?? 0);
        return { op, physical, value: op === "write" ? (access.value ?? 0) : bus.read8(physical), faults };
      }
      const outcome = task.handleFault(vaddr, op);
      faults.push(outcome);
      if (outcome.kind === "segfault" || faults.length > MAX_FAULTS) return { op, physical: null, value: null, faults };
      invalidatePage(this.mmu, vaddr);
    }
  }

  /** Runs every access in order. */
  runAll<A extends Address>(accesses: Iterable<UserAccess<A>>): AccessRecord[] {
    return Array.from(accesses, (a) => this.run(a));
  }

  /**
   * Forks `task` copy-on-write and drops the stale writable translations its pages had
   * (reloading CR3 / satp when it is the running space).
   *
   * @throws {ProcessError} as {@link AddressSpace.fork}.
   */
  fork<A extends Address>(task: AddressSpace<A>): AddressSpace<A> {
    const child = task.fork();
    if (task.isActive(this.mmu)) task.activate(this.mmu);
    return child;
  }

  /**
   * Ends `task`: when the MMU runs it, switches to the kernel's root first (as a kernel does
   * before it frees a page directory), then destroys the space.
   *
   * @throws {ProcessError} `Destroyed` when it already ended.
   */
  exit<A extends Address>(task: AddressSpace<A>): void {
    if (!task.destroyed && task.isActive(this.mmu)) loadRoot(this.mmu, task.kernel.root);
    task.destroy();
  }

  #translate(memory: ProcessMemory, vaddr: Address, op: AccessOp): number {
    const request = { user: true, write: op === "write", fetch: op === "fetch" };
    if (this.#audit) {
      const { result, stale } = translateAudited(this.mmu, memory, vaddr, request);
      if (stale !== null) this.stale.push(stale);
      return result;
    }
    if (this.mmu instanceof X86Mmu || this.mmu instanceof RiscvMmu) return this.mmu.tryTranslate(vaddr, request);
    return this.mmu.tryTranslate(Number(vaddr), request);
  }
}
