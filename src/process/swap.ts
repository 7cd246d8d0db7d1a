import { ProcessError } from "../errors/process-error.js";
import { describeValue } from "../format.js";
import { PAGE_BYTES } from "../paging/geometry.js";

/**
 * A simulated swap device: numbered page-sized slots holding copies of evicted pages, with
 * counters of pages written and read (each write or read is one page of I/O). O(1) per call.
 */
export class SwapDevice {
  /** Slots on the device. */
  readonly slots: number;
  /** Pages written to the device since creation. */
  writes = 0;
  /** Pages read back since creation. */
  reads = 0;
  readonly #data = new Map<number, Uint8Array>();
  readonly #free: number[] = [];

  /** @throws {ProcessError} `InvalidSwap` when `slots` is not a positive safe integer. */
  constructor(slots: number) {
    if (!Number.isSafeInteger(slots) || slots < 1) throw new ProcessError("InvalidSwap", `Cannot create a swap device of ${describeValue(slots)} slots: use a positive integer`, { slots });
    this.slots = slots;
    for (let i = slots - 1; i >= 0; i--) this.#free.push(i);
  }

  /** Slots in use. */
  get used(): number {
    return this.#data.size;
  }

  /**
   * Writes a page (copied) to a free slot and returns the slot.
   *
   * @throws {ProcessError} `OutOfMemory` when every slot is in use.
   */
  write(page: Uint8Array): number {
    const slot = this.#free.pop();
    if (slot === undefined) throw new ProcessError("OutOfMemory", `Cannot swap a page out: all ${String(this.slots)} swap slots are in use`, { slots: this.slots });
    this.#data.set(slot, page.slice(0, PAGE_BYTES));
    this.writes++;
    return slot;
  }

  /** The page in `slot` (a copy). @throws {RangeError} for a slot not in use. */
  read(slot: number): Uint8Array {
    const data = this.#data.get(slot);
    if (data === undefined) throw new RangeError(`Cannot read swap slot ${String(slot)}: it is not in use`);
    this.reads++;
    return data.slice();
  }

  /** Frees `slot`. @throws {RangeError} for a slot not in use. */
  free(slot: number): void {
    if (!this.#data.delete(slot)) throw new RangeError(`Cannot free swap slot ${String(slot)}: it is not in use`);
    this.#free.push(slot);
  }
}
