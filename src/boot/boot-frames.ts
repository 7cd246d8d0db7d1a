import type { FrameAllocator } from "../mapper.js";
import type { PhysicalMemoryManager } from "../pmm.js";
import type { Range } from "../types.js";
import { normalize } from "./ranges.js";

/**
 * The frame allocator boot gives the x86 mapper: the PMM, except that while boot is mapping
 * the profile's regions it never hands out a block of a *claimed* range (physical pages that a
 * later `vmm.set` will mark used: the kernel image, the early area, modules, mapped
 * reservations). Those pages must stay free in the PMM until their `set` (which throws
 * `PhysicalAlreadyAllocated` otherwise), yet a page table must never land on them.
 * After {@link release} it simply delegates to the PMM.
 *
 * A claimed block the PMM offers is held aside and returned right after, so each `alloc`
 * costs O((held + 1) · log n); the PMM's lowest-first order means it rarely holds any.
 */
export class BootFrameAllocator implements FrameAllocator {
  readonly blockSize: number;
  readonly #pmm: PhysicalMemoryManager;
  #claimed: Range[];

  /** Wraps `pmm`, keeping its blocks inside `claimed` (any order, may overlap) back until {@link release}. */
  constructor(pmm: PhysicalMemoryManager, claimed: readonly Range[]) {
    this.#pmm = pmm;
    this.blockSize = pmm.blockSize;
    this.#claimed = normalize(claimed);
  }

  /** The lowest free block outside every claimed range, marked used; `null` when there is none. */
  alloc(): number | null {
    const held: number[] = [];
    let frame = this.#pmm.alloc();
    while (frame !== null && this.#isClaimed(frame)) {
      held.push(frame);
      frame = this.#pmm.alloc();
    }
    for (const block of held) {
      this.#pmm.free(block);
    }
    return frame;
  }

  /**
   * Frees a block through the PMM.
   *
   * @throws PmmError `NotAllocated` when the block is free.
   */
  free(address: number): void {
    this.#pmm.free(address);
  }

  /** Ends boot: from now on every free block may be handed out. */
  release(): void {
    this.#claimed = [];
  }

  #isClaimed(address: number): boolean {
    return this.#claimed.some((range) => address >= range.start && address < range.end);
  }
}
