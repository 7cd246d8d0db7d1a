import type { AddressCodec } from "./address.js";
import { RUN_STRIDE, type AllocationTable } from "./allocation-table.js";
import type { FramePolicy } from "./alloc/policy.js";
import { VmmError } from "./errors/vmm-error.js";
import { hex, hexRange } from "./format.js";
import type { ReservedBlocks } from "./reserved-blocks.js";
import type { Address, Range } from "./types.js";

/**
 * The physical side of a VMM (internal to `vmm.ts`), in block numbers: which blocks an
 * allocation takes from the PMM's {@link FramePolicy} and gives back. A `set` takes only the
 * blocks inside the PMM's memory and outside its reserved ranges (the rest — firmware,
 * holes, device memory — is mapped but never taken nor freed); since the reserved ranges
 * never change, an allocation's physical runs tell exactly which blocks it took.
 */
export class VmmFrames<A extends Address> {
  constructor(
    private readonly policy: FramePolicy,
    private readonly reserved: ReservedBlocks,
    /** Blocks of the PMM's memory: physical blocks at or past it are device memory. */
    readonly ramBlocks: number,
    private readonly table: AllocationTable<A>,
    private readonly codec: AddressCodec<A>,
  ) {}

  /** Free blocks in the PMM. O(1). */
  get freeBlocks(): number {
    return this.policy.freeBlocks;
  }

  /**
   * Takes `count` blocks (the caller checked that as many are free): one run aligned to
   * `alignment` blocks when `alignment > 1` and the policy has one free, else as the policy
   * hands them out (`allocRuns`). Returns `(first, length)` run pairs.
   */
  take(count: number, alignment: number): number[] {
    const contiguous = alignment > 1 ? this.policy.allocContiguous(count, alignment) : null;
    return contiguous === null ? this.policy.allocRuns(count)! : [contiguous, count];
  }

  /** The parts of the `count` blocks from `first` that a `set` takes from the PMM, as `(first, count)` pairs. O(log r + parts). */
  takenParts(first: number, count: number): number[] {
    const ramEnd = Math.min(first + count, this.ramBlocks);
    return first >= ramEnd ? [] : this.reserved.unreservedParts(first, ramEnd);
  }

  /** Marks the `(first, count)` pairs of `parts` used in the PMM. */
  reserveParts(parts: readonly number[]): void {
    for (let p = 0; p < parts.length; p += 2) this.policy.reserve(parts[p]!, parts[p + 1]!);
  }

  /** Frees the `(first, count)` pairs of `parts` in the PMM. */
  releaseParts(parts: readonly number[]): void {
    for (let p = 0; p < parts.length; p += 2) this.policy.release(parts[p]!, parts[p + 1]!);
  }

  /** Gives back the blocks taken for the physical runs of `runs` from index `from` on (see {@link takenParts}). */
  releaseRuns(runs: readonly number[], from: number): void {
    for (let r = from; r < runs.length; r += RUN_STRIDE) {
      const start = runs[r]!;
      const end = Math.min(start + runs[r + 1]!, this.ramBlocks);
      if (start >= end) continue;
      if (this.reserved.firstRun(start, end) < 0) this.policy.release(start, end - start);
      else this.releaseParts(this.reserved.unreservedParts(start, end));
    }
  }

  /**
   * Rejects the physical range of a `set` (`count` blocks from block `first`) a block of which
   * is to be taken (in `taken`) but is used in the PMM, or is not to be taken (reserved,
   * device) but is already mapped by this VMM.
   *
   * @throws {VmmError} `PhysicalAlreadyAllocated`, naming the block.
   */
  checkFree(physical: Range<A>, first: number, count: number, taken: readonly number[]): void {
    let cursor = first;
    for (let t = 0; t <= taken.length; t += 2) {
      const untakenEnd = t === taken.length ? first + count : taken[t]!;
      for (; cursor < untakenEnd; cursor++) {
        if (this.ownsUntaken(cursor)) this.refuse(physical, cursor, "is already mapped in this address space");
      }
      if (t === taken.length) break;
      const used = this.policy.firstUsedIn(taken[t]!, taken[t + 1]!);
      if (used !== null) this.refuse(physical, used, "is already in use");
      cursor = taken[t]! + taken[t + 1]!;
    }
  }

  /** Whether this VMM maps physical block `block`, one it did not take from the PMM (reserved or device memory). */
  private ownsUntaken(block: number): boolean {
    return (block < this.ramBlocks ? this.table.ownerOf(block) : this.table.deviceOwnerOf(block)) >= 0;
  }

  private refuse(physical: Range<A>, block: number, why: string): never {
    const address = this.codec.addressOf(block, 0);
    throw new VmmError("PhysicalAlreadyAllocated", `Cannot map physical ${hexRange(physical.start, physical.end)}: ${hex(address)} ${why}`, { address });
  }
}
