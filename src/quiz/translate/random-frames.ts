import type { FrameAllocator } from "../../mapper.js";
import type { PhysicalMemoryManager } from "../../pmm.js";
import type { Chooser } from "../choice.js";

/** How many random draws {@link RandomFrames} tries before taking the lowest free block. */
const DRAWS = 64;

/**
 * A {@link FrameAllocator} that hands out random free blocks of a PMM (from a seeded
 * {@link Chooser}), so an exercise's tables and pages sit at unpredictable physical
 * addresses, as they do after a real machine has run for a while. Blocks below `floor`
 * are never chosen. Deterministic for a given seed and call order.
 */
export class RandomFrames implements FrameAllocator {
  readonly blockSize: number;
  readonly #pmm: PhysicalMemoryManager;
  readonly #choose: Chooser;
  readonly #floor: number;

  constructor(pmm: PhysicalMemoryManager, choose: Chooser, options: { readonly floor: number }) {
    this.#pmm = pmm;
    this.#choose = choose;
    this.blockSize = pmm.blockSize;
    this.#floor = Math.ceil(options.floor / pmm.blockSize);
  }

  /** A random free block at or above the floor (the lowest free one if random draws keep hitting used blocks), or `null`. */
  alloc(): number | null {
    const span = this.#pmm.numBlocks - this.#floor;
    for (let i = 0; i < DRAWS && span > 0; i++) {
      const address = (this.#floor + this.#choose.int(span)) * this.blockSize;
      if (!this.#pmm.isSet(address)) {
        this.#pmm.setAddr(address);
        return address;
      }
    }
    return this.#pmm.alloc();
  }

  free(address: number): void {
    this.#pmm.free(address);
  }
}
