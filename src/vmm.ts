import { AllocationTable, FIRST_RUN, RUN_STRIDE, isMapped, makeRecord, physicalBlockAt, recordCount, type Allocation, type AllocationRecord } from "./allocation-table.js";
import { Bitmap, MAX_BITMAP_ENTRIES } from "./bitmap.js";
import { BitmapError } from "./errors/bitmap-error.js";
import { VmmError } from "./errors/vmm-error.js";
import { describeValue, hex, hexRange } from "./format.js";
import type { Mapper } from "./mapper.js";
import type { PhysicalMemoryManager } from "./pmm.js";
import type { Attributes, ByteStore, Range } from "./types.js";
import { attributesProblem, isUnsignedInteger } from "./validate.js";

export type { Allocation } from "./allocation-table.js";

/** How to build a {@link VirtualMemoryManager}. */
export interface VirtualMemoryOptions<P> {
  /** First managed virtual address (block-aligned). */
  readonly start: number;
  /** End of the managed space, exclusive (block-aligned; 2^32 for a whole 32-bit space). */
  readonly end: number;
  /** Where backing blocks come from; its block size is the VMM's. */
  readonly pmm: PhysicalMemoryManager;
  /** Installs and removes translations. */
  readonly mapper: Mapper<P>;
  /** Passed to every mapper call (for x86: the page directory's physical address). */
  readonly payload: P;
  /** Physical memory as bytes, needed only by {@link VirtualMemoryManager.copyData}. */
  readonly memory?: ByteStore;
}

/** Why a range whose bounds are not both non-negative safe integers is refused. */
const NOT_ADDRESSES = "its bounds must be addresses (non-negative safe integers)";

/** Which way {@link VirtualMemoryManager.copyData} copies: into or out of the other space. */
export type CopyDirection = "to" | "from";

/**
 * Tracks which virtual blocks of `[start, end)` are in use (a {@link Bitmap} with a summary
 * tree: first-fit search in O(log n)) and, for each allocation, the physical blocks behind
 * it; maps and unmaps through a {@link Mapper}. Every operation is all-or-nothing: on any
 * error the bitmap, the PMM, the allocation table and the mapper's state are as before.
 *
 * Physical ranges given to `set` may lie past the PMM's memory (device memory, MMIO) or in
 * its reserved ranges (firmware, the VGA window): only the blocks inside memory and outside
 * the reserved ranges are taken from the PMM, and `free` gives back exactly those — never a
 * reserved block, a hole or device memory. (The PMM's reserved ranges never change, so an
 * allocation's physical runs tell exactly which of its blocks it took.)
 *
 * Memory: see `Bitmap` (under 2 bytes per virtual block) and `AllocationTable` (one small
 * record per allocation: its size, attributes and two numbers per physically contiguous run;
 * 4 bytes per physical block for the reverse index once `physToVirt` is first used, or a `set`
 * maps reserved RAM — which must not be mapped twice in one address space).
 *
 * @example
 * const vmm = new VirtualMemoryManager({ start: 0x1000, end: 2 ** 32, pmm, mapper, payload: cr3 });
 * const at = vmm.alloc(4, { kernel: true, writable: true, cachable: true }); // 0x00001000
 * vmm.virtToPhys(at! + 0x10);  // the first backing block + 0x10
 * vmm.free(at!);
 */
export class VirtualMemoryManager<P> {
  /** First managed virtual address. */
  readonly start: number;
  /** End of the managed space (exclusive). */
  readonly end: number;
  /** Bytes per block (the PMM's). */
  readonly blockSize: number;
  /** Passed to every mapper call. */
  readonly payload: P;
  /** The physical memory manager backing allocations. */
  readonly pmm: PhysicalMemoryManager;
  private readonly mapper: Mapper<P>;
  private readonly memory: ByteStore | undefined;
  private readonly bitmap: Bitmap;
  private readonly table: AllocationTable;
  /** End of the PMM's managed memory: physical blocks at or past it are device memory. */
  private readonly ramEnd: number;

  /**
   * Creates an empty VMM over `[start, end)`.
   *
   * @throws {VmmError} `InvalidVirtAddresses` when the range is not block-aligned, empty,
   * negative, not made of safe integers, or larger than 2^30 blocks.
   */
  constructor(options: VirtualMemoryOptions<P>) {
    const { start, end, pmm } = options;
    this.blockSize = pmm.blockSize;
    if (!this.isBlockAddress(start) || !this.isBlockAddress(end) || end <= start || (end - start) / this.blockSize > MAX_BITMAP_ENTRIES) {
      throw new VmmError("InvalidVirtAddresses", `Cannot manage ${hexRange(start, end)}: not a non-empty block-aligned range of at most 2^30 blocks`, { start, end });
    }
    this.start = start;
    this.end = end;
    this.pmm = pmm;
    this.mapper = options.mapper;
    this.payload = options.payload;
    this.memory = options.memory;
    this.ramEnd = pmm.numBlocks * pmm.blockSize;
    this.bitmap = new Bitmap((end - start) / this.blockSize);
    this.table = new AllocationTable(this.bitmap.numEntries, pmm.numBlocks, this.blockSize, start);
  }

  /** Number of virtual blocks managed. */
  get numBlocks(): number {
    return this.bitmap.numEntries;
  }

  /** Number of virtual blocks in use. O(1). */
  get blocksUsed(): number {
    return this.bitmap.numEntries - this.bitmap.numFreeEntries;
  }

  /**
   * Whether the block containing `vaddr` is in use.
   *
   * @throws {VmmError} `InvalidVirtAddresses` when `vaddr` is not a non-negative safe integer.
   * @throws {BitmapError} `OutOfBounds` when `vaddr` is outside `[start, end)` (as the seed's `isSet`).
   */
  isSet(vaddr: number): boolean {
    return this.bitmap.isSet(this.blockOf(vaddr, "query"));
  }

  /**
   * Reserves the virtual range `virtual`, and when `physical` is given maps it there and
   * takes from the PMM the physical blocks inside its memory and outside its reserved ranges
   * (reserved and device blocks are mapped without being taken). The allocation is recorded
   * under `virtual.start`, so `free(virtual.start)` undoes it.
   *
   * @throws {VmmError} `InvalidVirtAddresses` / `InvalidPhysAddresses` (not a range object,
   * misaligned, empty, inverted), `PhysicalVirtualMismatch` (different sizes),
   * `InvalidAttributes` (`attrs` not an {@link Attributes}; the message names the field),
   * `AlreadyAllocated` (a virtual block in use), `PhysicalAlreadyAllocated` (a block to take
   * is used in the PMM, or a reserved or device block is already mapped by this VMM);
   * whatever the mapper throws (after undoing everything).
   * @throws {BitmapError} `OutOfBounds` when `virtual` does not lie inside `[start, end)`.
   * @example
   * vmm.set({ start: 0xc00b8000, end: 0xc00b9000 }, { start: 0xb8000, end: 0xb9000 }, attrs);
   */
  set(virtual: Range, physical: Range | null, attrs: Attributes): void {
    const first = this.checkVirtualRange(virtual, "set");
    const count = (virtual.end - virtual.start) / this.blockSize;
    if (physical !== null) this.checkPhysicalRange(virtual, physical);
    this.checkAttributes(attrs, `set ${hexRange(virtual.start, virtual.end)}`);
    this.checkVirtualFree(first, count, "set");
    const taken = physical === null ? [] : this.takenParts(physical.start, physical.end);
    if (physical !== null) this.checkPhysicalFree(physical, taken);
    this.bitmap.setRange(first, count);
    for (const part of taken) this.pmm.setRange(part.start, part.end);
    if (physical !== null) {
      try {
        this.mapper.map(virtual.start, virtual.end, physical.start, physical.end, attrs, this.payload);
      } catch (error) {
        for (const part of taken) this.pmm.freeRange(part.start, part.end);
        this.bitmap.clearRange(first, count);
        throw error;
      }
    }
    this.table.add(first, makeRecord(count, attrs, physical === null ? [] : [physical.start / this.blockSize, count]));
  }

  /**
   * Allocates `numBlocks` contiguous virtual blocks — the lowest fit, or at `at` — each
   * backed by a PMM block, mapped with one mapper call per physically contiguous run.
   * Returns the start address, or `null` when `numBlocks` is 0, the PMM has fewer free
   * blocks, or (without `at`) no contiguous virtual room is left — as the seed does.
   * The physical blocks are the PMM's lowest free ones, as the seed's per-block `alloc` gives.
   * O(log n + runs · log m + numBlocks) for n virtual and m physical blocks.
   *
   * @throws {VmmError} `InvalidVirtAddresses` (a count or `at` that is not a non-negative
   * safe integer, or `at` misaligned), `InvalidAttributes` (`attrs` not an {@link Attributes};
   * the message names the field), `AlreadyAllocated` (a block at `at` in use); whatever the
   * mapper throws (after undoing everything).
   * @throws {BitmapError} `OutOfBounds` when the blocks at `at` do not fit inside `[start, end)`.
   * @example
   * const at = vmm.alloc(2, { kernel: false, writable: true, cachable: true });
   */
  alloc(numBlocks: number, attrs: Attributes, at?: number): number | null {
    if (!isUnsignedInteger(numBlocks)) {
      throw new VmmError("InvalidVirtAddresses", `Cannot allocate ${describeValue(numBlocks)} blocks: the count must be a non-negative safe integer`, { numBlocks });
    }
    this.checkAttributes(attrs, `allocate ${numBlocks} block${numBlocks === 1 ? "" : "s"}`);
    let first: number | null = null;
    if (at !== undefined) {
      this.blockOf(at, "allocate at");
      first = this.checkVirtualRange({ start: at, end: at + numBlocks * this.blockSize }, "allocate", true);
      this.checkVirtualFree(first, numBlocks, "allocate");
    }
    if (numBlocks === 0 || this.pmm.blocksFree() < numBlocks) return null;
    first ??= this.bitmap.findContiguous(numBlocks);
    if (first === null) return null;
    this.bitmap.setRange(first, numBlocks);
    const runs = this.runsOf(this.pmm.allocBlocks(numBlocks)!);
    this.mapRuns(first, numBlocks, runs, attrs);
    this.table.add(first, makeRecord(numBlocks, attrs, runs));
    return this.addressOf(first);
  }

  /**
   * Frees the allocation starting at `vaddr`: unmaps it (if it was mapped), gives back to the
   * PMM exactly the physical blocks it took (none that is reserved or past memory), clears its
   * virtual blocks, forgets it.
   *
   * @throws {VmmError} `NotAllocated` when `vaddr` is not the start of an allocation (the
   * message names the allocation it lies in, if any); `InvalidVirtAddresses` when `vaddr` is
   * not a non-negative safe integer; whatever the mapper's `unmap` throws (nothing changed).
   * @throws {BitmapError} `OutOfBounds` when `vaddr` is outside `[start, end)`.
   */
  free(vaddr: number): void {
    const block = this.blockOf(vaddr, "free");
    const record = vaddr === this.addressOf(block) ? this.table.get(block) : undefined;
    if (record === undefined) {
      const around = this.containing(block);
      const where = around === undefined ? "nothing is allocated there" : `not the start of an allocation (it lies in ${hexRange(around.virtual.start, around.virtual.end)})`;
      throw new VmmError("NotAllocated", `Cannot free ${hex(vaddr)}: ${where}`, { address: vaddr, allocationStart: around?.virtual.start ?? null });
    }
    const count = recordCount(record);
    if (isMapped(record)) this.mapper.unmap(vaddr, this.addressOf(block + count), this.payload);
    this.table.remove(block, record);
    this.bitmap.clearRange(block, count);
    this.freePhysical(record, FIRST_RUN);
  }

  /**
   * The physical address behind `vaddr` (any byte of an allocation with physical backing). O(allocation length / 32).
   *
   * @throws {VmmError} `NotAllocated` when `vaddr` is not backed; `InvalidVirtAddresses`
   * when it is not a non-negative safe integer.
   * @throws {BitmapError} `OutOfBounds` when `vaddr` is outside `[start, end)`.
   */
  virtToPhys(vaddr: number): number {
    this.blockOf(vaddr, "translate");
    const physical = this.physicalOf(vaddr);
    if (physical < 0) throw new VmmError("NotAllocated", `Cannot translate ${hex(vaddr)}: not backed by physical memory in this address space`, { address: vaddr });
    return physical;
  }

  /**
   * The virtual address mapped to `paddr` by this VMM. O(1) via a reverse index.
   *
   * @throws {VmmError} `NotAllocated` when no allocation of this VMM maps `paddr`;
   * `InvalidPhysAddresses` when `paddr` is not a non-negative safe integer.
   */
  physToVirt(paddr: number): number {
    if (!isUnsignedInteger(paddr)) {
      throw new VmmError("InvalidPhysAddresses", `Cannot translate physical ${hex(paddr)}: not an address (a non-negative safe integer)`, { address: paddr });
    }
    const block = Math.floor(paddr / this.blockSize);
    const owner = this.table.ownerOf(block);
    if (owner < 0) throw new VmmError("NotAllocated", `Cannot translate physical ${hex(paddr)}: not mapped in this address space`, { address: paddr });
    return this.addressOf(owner) + (paddr - block * this.blockSize);
  }

  /**
   * The allocation containing `vaddr`, or `null`.
   *
   * @throws {VmmError} `InvalidVirtAddresses` when `vaddr` is not a non-negative safe integer.
   * @throws {BitmapError} `OutOfBounds` when `vaddr` is outside `[start, end)` (as the seed's `isSet`).
   */
  allocationAt(vaddr: number): Allocation | null {
    return this.containing(this.blockOf(vaddr, "query")) ?? null;
  }

  /** A copy of the virtual-block bitmap's words (bit `i` = block at `start + i * blockSize`), for snapshots and views. */
  snapshot(): Uint32Array {
    return this.bitmap.snapshot();
  }

  /** Every allocation in address order (`physical` empty for a `set` without physical range). */
  allocations(): Allocation[] {
    return this.table.inOrder();
  }

  /**
   * Copies bytes between `other`'s address space and `data`, page by page through the shared
   * physical memory: `"to"` writes `data` at `vaddr` in `other`, `"from"` fills `data` from
   * there. Every page is checked before any byte moves.
   *
   * @throws {TypeError} when this VMM was built without `memory`, `direction` is neither
   * `"to"` nor `"from"`, or `data` is not a `Uint8Array`.
   * @throws {VmmError} `InvalidVirtAddresses` when `vaddr` is not a non-negative safe integer;
   * `NotAllocated` when a page of `[vaddr, vaddr + data.length)` is not backed in `other`;
   * `InvalidPhysAddresses` when one is backed by device memory outside RAM.
   * @example
   * kernelVmm.copyData(userVmm, "to", new TextEncoder().encode("hi"), 0x400000);
   */
  copyData<Q>(other: VirtualMemoryManager<Q>, direction: CopyDirection, data: Uint8Array, vaddr: number): void {
    const memory = this.memory;
    if (memory === undefined) throw new TypeError("Cannot copy data: this VirtualMemoryManager was created without a `memory` ByteStore");
    if (direction !== "to" && direction !== "from") throw new TypeError(`Cannot copy data: direction must be "to" or "from", not ${describeValue(direction)}`);
    if (!(data instanceof Uint8Array)) throw new TypeError(`Cannot copy data: data must be a Uint8Array, not ${describeValue(data)}`);
    if (!isUnsignedInteger(vaddr)) {
      throw new VmmError("InvalidVirtAddresses", `Cannot copy ${data.length} bytes at ${hex(vaddr)}: not an address (a non-negative safe integer)`, { address: vaddr });
    }
    const action = direction === "to" ? `copy ${data.length} bytes to` : `copy ${data.length} bytes from`;
    for (let offset = 0; offset < data.length; offset = this.nextPage(vaddr, offset)) {
      const physical = other.physicalOf(vaddr + offset);
      if (physical < 0) throw new VmmError("NotAllocated", `Cannot ${action} ${hex(vaddr)}: ${hex(vaddr + offset)} is not backed by physical memory`, { address: vaddr + offset });
      if (physical >= this.ramEnd) throw new VmmError("InvalidPhysAddresses", `Cannot ${action} ${hex(vaddr)}: ${hex(vaddr + offset)} is device memory at ${hex(physical)}`, { address: vaddr + offset, physical });
    }
    for (let offset = 0; offset < data.length;) {
      const next = Math.min(this.nextPage(vaddr, offset), data.length);
      const physical = other.physicalOf(vaddr + offset);
      if (direction === "to") memory.writeBytes(physical, data.subarray(offset, next));
      else data.set(memory.readBytes(physical, next - offset), offset);
      offset = next;
    }
  }

  /** The physical address behind `vaddr`, or -1 when it is not backed. */
  private physicalOf(vaddr: number): number {
    if (!Number.isSafeInteger(vaddr) || vaddr < this.start || vaddr >= this.end) return -1;
    const block = Math.floor((vaddr - this.start) / this.blockSize);
    if (!this.bitmap.isSet(block)) return -1;
    const first = this.table.startOf(block);
    const physicalBlock = physicalBlockAt(this.table.get(first)!, block - first);
    if (physicalBlock < 0) return -1;
    return physicalBlock * this.blockSize + (vaddr - this.addressOf(block));
  }

  /** Offset in `data` where the page after the one holding `vaddr + offset` begins. */
  private nextPage(vaddr: number, offset: number): number {
    const address = vaddr + offset;
    return offset + this.blockSize - (address % this.blockSize);
  }

  /** The physically contiguous runs of `blocks` (ascending addresses) as (first physical block, length) pairs. */
  private runsOf(blocks: readonly number[]): number[] {
    const runs: number[] = [];
    let runStart = 0;
    for (let i = 1; i <= blocks.length; i++) {
      if (i === blocks.length || blocks[i] !== blocks[i - 1]! + this.blockSize) {
        runs.push(blocks[runStart]! / this.blockSize, i - runStart);
        runStart = i;
      }
    }
    return runs;
  }

  /** Maps `count` blocks at virtual block `first` to `runs`, one call per run; undoes everything if the mapper throws. */
  private mapRuns(first: number, count: number, runs: readonly number[], attrs: Attributes): void {
    let mapped = 0;
    try {
      for (let r = 0; r < runs.length; r += RUN_STRIDE) {
        const physical = runs[r]! * this.blockSize;
        const length = runs[r + 1]!;
        this.mapper.map(this.addressOf(first + mapped), this.addressOf(first + mapped + length), physical, physical + length * this.blockSize, attrs, this.payload);
        mapped += length;
      }
    } catch (error) {
      try {
        if (mapped > 0) this.mapper.unmap(this.addressOf(first), this.addressOf(first + mapped), this.payload);
      } finally {
        this.freePhysical(runs, 0);
        this.bitmap.clearRange(first, count);
      }
      throw error;
    }
  }

  /** Gives back to the PMM the blocks it lent to the physical runs in `runs` from index `from` on (see {@link takenParts}). */
  private freePhysical(runs: readonly number[], from: number): void {
    for (let r = from; r < runs.length; r += RUN_STRIDE) {
      const start = runs[r]! * this.blockSize;
      for (const part of this.takenParts(start, start + runs[r + 1]! * this.blockSize)) this.pmm.freeRange(part.start, part.end);
    }
  }

  /**
   * The parts of the block-aligned physical range `[start, end)` that an allocation takes from
   * the PMM: inside its memory and outside its reserved ranges. The rest (reserved blocks,
   * device memory) is mapped but never taken nor freed. O(log r + parts).
   */
  private takenParts(start: number, end: number): Range[] {
    const ramEnd = Math.min(end, this.ramEnd);
    if (start >= ramEnd) return [];
    const parts: Range[] = [];
    let cursor = start;
    for (const reserved of this.pmm.reservedIn(start, ramEnd)) {
      if (reserved.start > cursor) parts.push({ start: cursor, end: reserved.start });
      cursor = reserved.end;
    }
    if (cursor < ramEnd) parts.push({ start: cursor, end: ramEnd });
    return parts;
  }

  /** Throws `InvalidAttributes`, naming the field, unless `attrs` is a valid {@link Attributes}. */
  private checkAttributes(attrs: unknown, action: string): void {
    const problem = attributesProblem(attrs);
    if (problem !== null) throw new VmmError("InvalidAttributes", `Cannot ${action}: ${problem.message}`, { field: problem.field });
  }

  private containing(block: number): Allocation | undefined {
    if (!this.bitmap.isSet(block)) return undefined;
    const first = this.table.startOf(block);
    const record: AllocationRecord = this.table.get(first)!;
    return this.table.describe(first, record);
  }

  private addressOf(block: number): number {
    return this.start + block * this.blockSize;
  }

  private isBlockAddress(address: number): boolean {
    return Number.isSafeInteger(address) && address >= 0 && address % this.blockSize === 0;
  }

  /** The block index of `vaddr` (any byte) inside `[start, end)`. */
  private blockOf(vaddr: number, action: string): number {
    if (!isUnsignedInteger(vaddr)) {
      throw new VmmError("InvalidVirtAddresses", `Cannot ${action} ${hex(vaddr)}: not an address (a non-negative safe integer)`, { address: vaddr });
    }
    if (vaddr < this.start || vaddr >= this.end) throw this.outOfBounds(vaddr, `Cannot ${action} ${hex(vaddr)}`);
    return Math.floor((vaddr - this.start) / this.blockSize);
  }

  /** The seed's error for an address outside the managed space: `BitmapError` `OutOfBounds`, naming the address. */
  private outOfBounds(vaddr: number, what: string): BitmapError {
    const index = Math.floor((vaddr - this.start) / this.blockSize);
    return new BitmapError("OutOfBounds", `${what}: outside the managed range ${hexRange(this.start, this.end)}`, { index, numEntries: this.bitmap.numEntries });
  }

  /** Validates a virtual range (block-aligned, non-empty unless `allowEmpty`, inside the space); its first block. */
  private checkVirtualRange(range: Range, action: string, allowEmpty = false): number {
    if (typeof range !== "object" || range === null) {
      throw new VmmError("InvalidVirtAddresses", `Cannot ${action} ${describeValue(range)}: not a range { start, end }`, { start: null, end: null });
    }
    const { start, end } = range;
    let problem: string | null = null;
    if (!isUnsignedInteger(start) || !isUnsignedInteger(end)) problem = NOT_ADDRESSES;
    else if (!this.isBlockAddress(start) || !this.isBlockAddress(end)) problem = `not aligned to the ${this.blockSize}-byte block size`;
    else if (end < start || (end === start && !allowEmpty)) problem = "the range is empty or inverted";
    if (problem !== null) throw new VmmError("InvalidVirtAddresses", `Cannot ${action} ${hexRange(start, end)}: ${problem}`, { start, end });
    if (start < this.start || end > this.end) throw this.outOfBounds(start < this.start ? start : end - this.blockSize, `Cannot ${action} ${hexRange(start, end)}`);
    return (start - this.start) / this.blockSize;
  }

  private checkPhysicalRange(virtual: Range, physical: Range): void {
    if (typeof physical !== "object") {
      throw new VmmError("InvalidPhysAddresses", `Cannot map ${hexRange(virtual.start, virtual.end)} to physical ${describeValue(physical)}: not a range { start, end } or null`, { start: null, end: null });
    }
    const { start, end } = physical;
    let problem: string | null = null;
    if (!isUnsignedInteger(start) || !isUnsignedInteger(end)) problem = NOT_ADDRESSES;
    else if (!this.isBlockAddress(start) || !this.isBlockAddress(end)) problem = `not aligned to the ${this.blockSize}-byte block size`;
    else if (end <= start) problem = "the range is empty or inverted";
    if (problem !== null) throw new VmmError("InvalidPhysAddresses", `Cannot map ${hexRange(virtual.start, virtual.end)} to physical ${hexRange(start, end)}: ${problem}`, { start, end });
    if (end - start !== virtual.end - virtual.start) {
      throw new VmmError("PhysicalVirtualMismatch", `Cannot map ${hexRange(virtual.start, virtual.end)} to physical ${hexRange(start, end)}: the sizes differ`, { virtualSize: virtual.end - virtual.start, physicalSize: end - start });
    }
  }

  private checkVirtualFree(first: number, count: number, action: string): void {
    const used = this.bitmap.findFirstSet(first, count);
    if (used === null) return;
    const address = this.addressOf(used);
    const around = this.containing(used)!;
    throw new VmmError("AlreadyAllocated", `Cannot ${action} ${hexRange(this.addressOf(first), this.addressOf(first + count))}: ${hex(address)} is already allocated (in ${hexRange(around.virtual.start, around.virtual.end)})`, { address });
  }

  /**
   * Rejects a physical range a block of which is to be taken (in `taken`) but is used in the
   * PMM, or is not to be taken (reserved, device) but is already mapped by this VMM.
   */
  private checkPhysicalFree(physical: Range, taken: readonly Range[]): void {
    let cursor = physical.start;
    for (let i = 0; i <= taken.length; i++) {
      const part = taken[i];
      const untakenEnd = part === undefined ? physical.end : part.start;
      for (; cursor < untakenEnd; cursor += this.blockSize) {
        if (this.ownsUntaken(cursor / this.blockSize)) {
          throw new VmmError("PhysicalAlreadyAllocated", `Cannot map physical ${hexRange(physical.start, physical.end)}: ${hex(cursor)} is already mapped in this address space`, { address: cursor });
        }
      }
      if (part === undefined) break;
      const used = this.pmm.firstUsedIn(part.start, part.end);
      if (used !== null) {
        throw new VmmError("PhysicalAlreadyAllocated", `Cannot map physical ${hexRange(physical.start, physical.end)}: ${hex(used)} is already in use`, { address: used });
      }
      cursor = part.end;
    }
  }

  /** Whether this VMM maps physical block `block`, one it did not take from the PMM (reserved or device memory). */
  private ownsUntaken(block: number): boolean {
    return (block * this.blockSize < this.ramEnd ? this.table.ownerOf(block) : this.table.deviceOwnerOf(block)) >= 0;
  }
}
