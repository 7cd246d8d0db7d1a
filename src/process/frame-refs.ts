import type { PhysicalMemoryManager } from "../pmm.js";
import type { AnyPhysicalMemoryManager } from "../vmm.js";

/**
 * Reference counts of the frames demand-paged and copy-on-write regions use, one table per
 * PMM (shared by every address space on it): a frame returns to the PMM when its last
 * reference is dropped. O(1) per operation.
 */
export class FrameRefs {
  /** The PMM the frames come from and return to. */
  readonly pmm: AnyPhysicalMemoryManager;
  readonly #counts = new Map<number, number>();

  constructor(pmm: AnyPhysicalMemoryManager) {
    this.pmm = pmm;
  }

  /** A fresh frame with one reference, or null when the PMM has none. */
  take(): number | null {
    const frame = this.pmm.alloc();
    if (frame === null) return null;
    const address = Number(frame);
    this.#counts.set(address, 1);
    return address;
  }

  /** Adds a reference to `frame` (a sharer). */
  share(frame: number): void {
    this.#counts.set(frame, this.count(frame) + 1);
  }

  /** Drops a reference; frees the frame to the PMM when it was the last. Returns the references left. */
  drop(frame: number): number {
    const left = this.count(frame) - 1;
    if (left > 0) {
      this.#counts.set(frame, left);
      return left;
    }
    this.#counts.delete(frame);
    const pmm = this.pmm;
    if (isBigPmm(pmm)) pmm.free(BigInt(frame));
    else pmm.free(frame);
    return 0;
  }

  /** References held on `frame` (0 when it is not counted here). */
  count(frame: number): number {
    return this.#counts.get(frame) ?? 0;
  }

  /** Frames counted here. */
  get size(): number {
    return this.#counts.size;
  }
}

function isBigPmm(pmm: AnyPhysicalMemoryManager): pmm is PhysicalMemoryManager<bigint> {
  return typeof pmm.memoryBytes === "bigint";
}

const TABLES = new WeakMap<object, FrameRefs>();

/** The one {@link FrameRefs} of `pmm` (made on first use). */
export function frameRefsOf(pmm: AnyPhysicalMemoryManager): FrameRefs {
  let refs = TABLES.get(pmm);
  if (refs === undefined) {
    refs = new FrameRefs(pmm);
    TABLES.set(pmm, refs);
  }
  return refs;
}
