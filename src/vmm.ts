import { codecFor, type AddressCodec } from "./address.js";
import { AllocationTable, FIRST_RUN, RUN_STRIDE, isMapped, makeRecord, physicalBlockAt, recordCount, type Allocation, type AllocationRecord } from "./allocation-table.js";
import { BitmapAllocator } from "./alloc/bitmap-allocator.js";
import { MAX_BITMAP_DEFAULT_BLOCKS, virtualAllocatorFor, type VirtualAllocatorName } from "./alloc/policies.js";
import type { FragmentationStats, VirtualAllocator } from "./alloc/policy.js";
import { VmmError } from "./errors/vmm-error.js";
import { describeValue, hex, hexRange } from "./format.js";
import type { Mapper } from "./mapper.js";
import { usedBlockWords, type PhysicalMemoryManager } from "./pmm.js";
import type { Address, Attributes, ByteStore, Range } from "./types.js";
import { allocRequest, type AllocOptions } from "./vmm-alloc-options.js";
import { VmmFrames } from "./vmm-frames.js";
import { VmmSpace } from "./vmm-space.js";

export type { Allocation } from "./allocation-table.js";
export type { AllocOptions } from "./vmm-alloc-options.js";

/** A physical memory manager of either address type: the VMM talks to it in block numbers. */
export type AnyPhysicalMemoryManager = PhysicalMemoryManager<number> | PhysicalMemoryManager<bigint>;

/** How to build a {@link VirtualMemoryManager}; `A` (`number` or `bigint`) is the type of `start`, `end` and every address. */
export interface VirtualMemoryOptions<P, A extends Address = number> {
  /** First managed virtual address (block-aligned). */
  readonly start: A;
  /** End of the managed space, exclusive (block-aligned; 2^32 for a whole 32-bit space, `2n ** 64n` for a 64-bit one). */
  readonly end: A;
  /** Where backing blocks come from (either address type); its block size is the VMM's. */
  readonly pmm: AnyPhysicalMemoryManager;
  /** Installs and removes translations; called with addresses of type `A`. */
  readonly mapper: Mapper<P, A>;
  /** Passed to every mapper call (for x86: the page directory's physical address). */
  readonly payload: P;
  /** Physical memory as bytes, needed only by {@link VirtualMemoryManagerImpl.copyData}. */
  readonly memory?: ByteStore;
  /**
   * Which virtual blocks are free: `"bitmap"` (a bit per block, at most 2^30 blocks),
   * `"extent"` (a tree of free extents: memory follows the allocations, not the space), or
   * your own {@link VirtualAllocator} over the space's blocks, all free. Default: the bitmap
   * for spaces of 2^30 blocks or fewer, else the extent tree.
   */
  readonly allocator?: VirtualAllocatorName | VirtualAllocator;
}

/** Which way {@link VirtualMemoryManagerImpl.copyData} copies: into or out of the other space. */
export type CopyDirection = "to" | "from";

/**
 * The class of every {@link VirtualMemoryManager} (build one with `new VirtualMemoryManager(…)`,
 * whose constructor type infers `A` as `number` or `bigint`, never a literal type).
 *
 * Tracks which virtual blocks of `[start, end)` are in use (a {@link VirtualAllocator}: a
 * bitmap with a summary tree, or for huge spaces an extent tree; first-fit search in
 * O(log n)) and, for each allocation, the physical blocks behind it; maps and unmaps
 * through a {@link Mapper}.
 * Built with `number` bounds it takes and returns `number` addresses; with `bigint` bounds
 * (64-bit spaces such as `[0xFFFF_8000_0000_0000n, 2n ** 64n)`), `bigint` addresses in every
 * method and mapper call. Inside, everything is a block number. Every operation is
 * all-or-nothing: on any error the allocator, the PMM, the allocation table and the
 * mapper's state are as before.
 *
 * Physical ranges given to `set` may lie past the PMM's memory (device memory, MMIO) or in
 * its reserved ranges (firmware, the VGA window): only the blocks inside memory and outside
 * the reserved ranges are taken from the PMM, and `free` gives back exactly those — never a
 * reserved block, a hole or device memory. (The PMM's reserved ranges never change, so an
 * allocation's physical runs tell exactly which of its blocks it took.)
 *
 * Memory: the allocator's (the bitmap: under 2 bytes per virtual block; the extent tree: a
 * few dozen bytes per free extent) and `AllocationTable`'s (one small record per allocation:
 * its size, attributes and two numbers per physically contiguous run; 4 bytes per physical
 * block for the reverse index once `physToVirt` is first used, or a `set` maps reserved RAM —
 * which must not be mapped twice in one address space).
 *
 * @example
 * const vmm = new VirtualMemoryManager({ start: 0x1000, end: 2 ** 32, pmm, mapper, payload: cr3 });
 * const at = vmm.alloc(4, { kernel: true, writable: true, cachable: true }); // 0x00001000
 * vmm.virtToPhys(at! + 0x10);  // the first backing block + 0x10
 * vmm.free(at!);
 */
export class VirtualMemoryManagerImpl<P, A extends Address = number> {
  /** First managed virtual address. */
  readonly start: A;
  /** End of the managed space (exclusive). */
  readonly end: A;
  /** Bytes per block (the PMM's). */
  readonly blockSize: number;
  /** Passed to every mapper call. */
  readonly payload: P;
  /** The physical memory manager backing allocations. */
  readonly pmm: AnyPhysicalMemoryManager;
  private readonly mapper: Mapper<P, A>;
  private readonly memory: ByteStore | undefined;
  private readonly allocator: VirtualAllocator;
  /** The physical blocks behind allocations, taken from and given back to the PMM's policy in blocks. */
  private readonly frames: VmmFrames<A>;
  private readonly table: AllocationTable<A>;
  private readonly codec: AddressCodec<A>;
  /** The space's bounds and argument checks. */
  private readonly space: VmmSpace<A>;
  /** `start / blockSize`: block `b` of this space is absolute block `startBlock + b`. */
  private readonly startBlock: number;

  /**
   * Creates an empty VMM over `[start, end)`.
   *
   * @throws {VmmError} `InvalidVirtAddresses` when the range is not block-aligned, empty,
   * negative, not made of non-negative integers of one type, or (with the bitmap) larger
   * than 2^30 blocks.
   * @throws {RangeError} when `allocator` is unknown or does not manage the space's blocks, all free.
   */
  constructor(options: VirtualMemoryOptions<P, A>) {
    const { start, end, pmm } = options;
    this.blockSize = pmm.blockSize;
    const codec = codecFor(start, this.blockSize);
    const aligned = codec.accepts(start) && codec.accepts(end) && codec.offsetOf(start) === 0 && codec.offsetOf(end) === 0 && end > start;
    const numBlocks = aligned ? codec.blockOf(end) - codec.blockOf(start) : 0;
    const bitmap = options.allocator === "bitmap" || (options.allocator === undefined && numBlocks <= MAX_BITMAP_DEFAULT_BLOCKS);
    if (!aligned || (bitmap && numBlocks > MAX_BITMAP_DEFAULT_BLOCKS)) {
      throw new VmmError("InvalidVirtAddresses", `Cannot manage ${hexRange(start, end)}: not a non-empty block-aligned range of at most 2^30 blocks`, { start, end });
    }
    this.codec = codec;
    this.start = start;
    this.end = end;
    this.startBlock = codec.blockOf(start);
    this.pmm = pmm;
    this.mapper = options.mapper;
    this.payload = options.payload;
    this.memory = options.memory;
    this.allocator = virtualAllocatorFor(options.allocator, numBlocks);
    this.table = new AllocationTable(numBlocks, pmm.numBlocks, codec, this.startBlock);
    this.space = new VmmSpace(codec, start, end, numBlocks);
    this.frames = new VmmFrames(pmm.policy, pmm.reserved, pmm.numBlocks, this.table, codec);
  }

  /** Number of virtual blocks managed. */
  get numBlocks(): number {
    return this.allocator.numBlocks;
  }

  /** Number of virtual blocks in use. O(1). */
  get blocksUsed(): number {
    return this.allocator.numBlocks - this.allocator.freeBlocks;
  }

  /**
   * Whether the block containing `vaddr` is in use.
   *
   * @throws {VmmError} `InvalidVirtAddresses` when `vaddr` is not a non-negative integer of this VMM's address type.
   * @throws {BitmapError} `OutOfBounds` when `vaddr` is outside `[start, end)` (as the seed's `isSet`).
   */
  isSet(vaddr: A): boolean {
    return this.allocator.isUsed(this.space.blockOf(vaddr, "query"));
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
  set(virtual: Range<A>, physical: Range<A> | null, attrs: Attributes): void {
    const first = this.space.checkVirtualRange(virtual, "set");
    const count = this.codec.blockOf(virtual.end) - this.codec.blockOf(virtual.start);
    const physicalFirst = physical === null ? 0 : this.space.checkPhysicalRange(virtual, physical, count);
    this.space.checkAttributes(attrs, `set ${hexRange(virtual.start, virtual.end)}`);
    this.checkVirtualFree(first, count, "set");
    const taken = physical === null ? [] : this.frames.takenParts(physicalFirst, count);
    if (physical !== null) this.frames.checkFree(physical, physicalFirst, count, taken);
    this.allocator.reserve(first, count);
    this.frames.reserveParts(taken);
    if (physical !== null) {
      try {
        this.mapper.map(virtual.start, virtual.end, physical.start, physical.end, attrs, this.payload);
      } catch (error) {
        this.frames.releaseParts(taken);
        this.allocator.release(first, count);
        throw error;
      }
    }
    this.table.add(first, makeRecord(count, attrs, physical === null ? [] : [physicalFirst, count]));
  }

  /**
   * Allocates `numBlocks` contiguous virtual blocks — the lowest fit, or at `options.at` —
   * each backed by a PMM block, mapped with one mapper call per physically contiguous run.
   * Returns the start address, or `null` when `numBlocks` is 0, the PMM has fewer free
   * blocks, or (without `at`) no contiguous virtual room is left — as the seed does.
   * The third argument is `{ at?, align? }`, or `at` alone (stage one's form).
   *
   * With `align` (bytes, a power of two ≥ the block size) the virtual start is a multiple
   * of `align`, and the physical blocks are one run aligned the same way when the PMM's
   * policy has one (`allocContiguous`), so that a mapper can use large pages (x86: 1024
   * blocks at a 4 MiB boundary become one 4 MiB PDE). When no such run is free, the blocks
   * come as without `align` (with `"lowest"`, the lowest free ones) and are mapped run by run.
   * O(log n + runs · log m + numBlocks) for n virtual and m physical blocks.
   *
   * @throws {VmmError} `InvalidVirtAddresses` (a count that is not a non-negative safe
   * integer; `at` not an address of this VMM's type, misaligned or not a multiple of `align`;
   * `align` not a power of two ≥ the block size), `InvalidAttributes` (`attrs` not an
   * {@link Attributes}; the message names the field), `AlreadyAllocated` (a block at `at` in
   * use); whatever the mapper throws (after undoing everything).
   * @throws {BitmapError} `OutOfBounds` when the blocks at `at` do not fit inside `[start, end)`.
   * @example
   * const at = vmm.alloc(2, { kernel: false, writable: true, cachable: true });
   * const big = vmm.alloc(1024, attrs, { align: 0x400000 }); // one 4 MiB page with large pages on
   */
  alloc(numBlocks: number, attrs: Attributes, options?: A | AllocOptions<A>): A | null {
    const { first, alignment } = this.placement(numBlocks, attrs, options, "allocate");
    if (numBlocks === 0 || this.frames.freeBlocks < numBlocks) return null;
    const block = first ?? this.allocator.findFree(numBlocks, alignment, this.startBlock);
    if (block === null) return null;
    this.allocator.reserve(block, numBlocks);
    const runs = this.frames.take(numBlocks, alignment);
    this.mapRuns(block, numBlocks, runs, attrs);
    this.table.add(block, makeRecord(numBlocks, attrs, runs));
    return this.addressOf(block);
  }

  /**
   * Reserves `numBlocks` contiguous virtual blocks with no backing and no translation — the
   * lowest fit, or at `options.at` — as {@link set} with a `null` physical range does for a
   * range the caller already knows (a process layer that maps pages itself uses it to place
   * regions). `free` releases it. Returns the start, or `null` when `numBlocks` is 0 or
   * (without `at`) no contiguous room is left. O(log n) for n virtual blocks.
   *
   * @throws {VmmError} as {@link alloc}: `InvalidVirtAddresses`, `InvalidAttributes`, `AlreadyAllocated`.
   * @throws {BitmapError} `OutOfBounds` when the blocks at `at` do not fit inside `[start, end)`.
   * @example
   * const heap = vmm.reserve(16, { kernel: false, writable: true, cachable: true }); // no frame taken
   */
  reserve(numBlocks: number, attrs: Attributes, options?: A | AllocOptions<A>): A | null {
    const { first, alignment } = this.placement(numBlocks, attrs, options, "reserve");
    if (numBlocks === 0) return null;
    const block = first ?? this.allocator.findFree(numBlocks, alignment, this.startBlock);
    if (block === null) return null;
    this.allocator.reserve(block, numBlocks);
    this.table.add(block, makeRecord(numBlocks, attrs, []));
    return this.addressOf(block);
  }

  /** Checks `alloc`/`reserve`'s arguments; with `at`, the first block there (checked free). */
  private placement(numBlocks: number, attrs: Attributes, options: A | AllocOptions<A> | undefined, action: string): { first: number | null; alignment: number } {
    if (!Number.isSafeInteger(numBlocks) || numBlocks < 0) {
      throw new VmmError("InvalidVirtAddresses", `Cannot ${action} ${describeValue(numBlocks)} blocks: the count must be a non-negative safe integer`, { numBlocks });
    }
    this.space.checkAttributes(attrs, `${action} ${numBlocks} block${numBlocks === 1 ? "" : "s"}`);
    const { at, alignment } = allocRequest(options, this.blockSize);
    if (at === undefined) return { first: null, alignment };
    const start = this.space.blockOf(at, `${action} at`) + this.startBlock;
    const end = this.codec.addressOf(start + numBlocks, this.codec.offsetOf(at));
    const first = this.space.checkVirtualRange({ start: at, end }, action, true);
    if (start % alignment !== 0) {
      throw new VmmError("InvalidVirtAddresses", `Cannot ${action} at ${hex(at)}: not aligned to ${hex(alignment * this.blockSize)}`, { address: at });
    }
    this.checkVirtualFree(first, numBlocks, action);
    return { first, alignment };
  }

  /**
   * Frees the allocation starting at `vaddr`: unmaps it (if it was mapped), gives back to the
   * PMM exactly the physical blocks it took (none that is reserved or past memory), clears its
   * virtual blocks, forgets it.
   *
   * @throws {VmmError} `NotAllocated` when `vaddr` is not the start of an allocation (the
   * message names the allocation it lies in, if any); `InvalidVirtAddresses` when `vaddr` is
   * not a non-negative integer of this VMM's address type; whatever the mapper's `unmap`
   * throws (nothing changed).
   * @throws {BitmapError} `OutOfBounds` when `vaddr` is outside `[start, end)`.
   */
  free(vaddr: A): void {
    const block = this.space.blockOf(vaddr, "free");
    const record = this.codec.offsetOf(vaddr) === 0 ? this.table.get(block) : undefined;
    if (record === undefined) {
      const around = this.containing(block);
      const where = around === undefined ? "nothing is allocated there" : `not the start of an allocation (it lies in ${hexRange(around.virtual.start, around.virtual.end)})`;
      throw new VmmError("NotAllocated", `Cannot free ${hex(vaddr)}: ${where}`, { address: vaddr, allocationStart: around?.virtual.start ?? null });
    }
    const count = recordCount(record);
    if (isMapped(record)) this.mapper.unmap(vaddr, this.addressOf(block + count), this.payload);
    this.table.remove(block, record);
    this.allocator.release(block, count);
    this.frames.releaseRuns(record, FIRST_RUN);
  }

  /**
   * The physical address behind `vaddr` (any byte of an allocation with physical backing). O(allocation length / 32).
   *
   * @throws {VmmError} `NotAllocated` when `vaddr` is not backed; `InvalidVirtAddresses`
   * when it is not a non-negative integer of this VMM's address type.
   * @throws {BitmapError} `OutOfBounds` when `vaddr` is outside `[start, end)`.
   */
  virtToPhys(vaddr: A): A {
    const physical = this.physicalBlockOf(this.space.blockOf(vaddr, "translate"));
    if (physical < 0) throw new VmmError("NotAllocated", `Cannot translate ${hex(vaddr)}: not backed by physical memory in this address space`, { address: vaddr });
    return this.codec.addressOf(physical, this.codec.offsetOf(vaddr));
  }

  /**
   * The virtual address mapped to `paddr` by this VMM. O(1) via a reverse index.
   *
   * @throws {VmmError} `NotAllocated` when no allocation of this VMM maps `paddr`;
   * `InvalidPhysAddresses` when `paddr` is not a non-negative integer of this VMM's address type.
   */
  physToVirt(paddr: A): A {
    if (!this.codec.accepts(paddr)) {
      throw new VmmError("InvalidPhysAddresses", `Cannot translate physical ${this.codec.show(paddr)}: not an address (${this.space.addressKind()})`, { address: paddr });
    }
    const block = this.codec.blockOf(paddr);
    const owner = this.table.ownerOf(block);
    if (owner < 0) throw new VmmError("NotAllocated", `Cannot translate physical ${hex(paddr)}: not mapped in this address space`, { address: paddr });
    return this.codec.addressOf(this.startBlock + owner, this.codec.offsetOf(paddr));
  }

  /**
   * The allocation containing `vaddr`, or `null`.
   *
   * @throws {VmmError} `InvalidVirtAddresses` when `vaddr` is not a non-negative integer of this VMM's address type.
   * @throws {BitmapError} `OutOfBounds` when `vaddr` is outside `[start, end)` (as the seed's `isSet`).
   */
  allocationAt(vaddr: A): Allocation<A> | null {
    return this.containing(this.space.blockOf(vaddr, "query")) ?? null;
  }

  /**
   * A copy of the used-block bitmap's words (bit `i` = block at `start + i * blockSize`), for
   * snapshots and views. With another allocator than the bitmap it is built run by run.
   *
   * @throws {RangeError} when the space has more than 2^30 blocks (the bitmap would not fit).
   */
  snapshot(): Uint32Array {
    if (this.allocator instanceof BitmapAllocator) return this.allocator.snapshot();
    if (this.numBlocks > MAX_BITMAP_DEFAULT_BLOCKS) throw new RangeError(`Cannot snapshot ${this.numBlocks} blocks as a bitmap: at most 2^30 fit`);
    return usedBlockWords(this.allocator, this.numBlocks);
  }

  /** Every allocation in address order (`physical` empty for a `set` without physical range). */
  allocations(): Allocation<A>[] {
    return this.table.inOrder();
  }

  /** How fragmented the free virtual space is. */
  stats(): FragmentationStats {
    return this.allocator.stats();
  }

  /**
   * Copies bytes between `other`'s address space and `data`, page by page through the shared
   * physical memory: `"to"` writes `data` at `vaddr` in `other`, `"from"` fills `data` from
   * there. Every page is checked before any byte moves. `vaddr` has `other`'s address type.
   *
   * @throws {TypeError} when this VMM was built without `memory`, `direction` is neither
   * `"to"` nor `"from"`, or `data` is not a `Uint8Array`.
   * @throws {VmmError} `InvalidVirtAddresses` when `vaddr` is not a non-negative integer of
   * `other`'s address type; `NotAllocated` when a page of `[vaddr, vaddr + data.length)` is
   * not backed in `other`; `InvalidPhysAddresses` when one is backed by device memory outside RAM.
   * @example
   * kernelVmm.copyData(userVmm, "to", new TextEncoder().encode("hi"), 0x400000);
   */
  copyData<Q, B extends Address>(other: VirtualMemoryManager<Q, B>, direction: CopyDirection, data: Uint8Array, vaddr: B): void {
    const memory = this.memory;
    if (memory === undefined) throw new TypeError("Cannot copy data: this VirtualMemoryManager was created without a `memory` ByteStore");
    if (direction !== "to" && direction !== "from") throw new TypeError(`Cannot copy data: direction must be "to" or "from", not ${describeValue(direction)}`);
    if (!(data instanceof Uint8Array)) throw new TypeError(`Cannot copy data: data must be a Uint8Array, not ${describeValue(data)}`);
    if (!other.codec.accepts(vaddr)) {
      throw new VmmError("InvalidVirtAddresses", `Cannot copy ${data.length} bytes at ${other.codec.show(vaddr)}: not an address (${other.space.addressKind()})`, { address: vaddr });
    }
    const action = direction === "to" ? `copy ${data.length} bytes to` : `copy ${data.length} bytes from`;
    const ramEnd = this.frames.ramBlocks * this.blockSize;
    for (let offset = 0; offset < data.length; offset = other.nextPage(vaddr, offset)) {
      const physical = other.physicalOf(vaddr, offset);
      const address = other.offsetAddress(vaddr, offset);
      if (physical < 0) throw new VmmError("NotAllocated", `Cannot ${action} ${hex(vaddr)}: ${hex(address)} is not backed by physical memory`, { address });
      if (physical >= ramEnd) throw new VmmError("InvalidPhysAddresses", `Cannot ${action} ${hex(vaddr)}: ${hex(address)} is device memory at ${hex(physical)}`, { address, physical });
    }
    for (let offset = 0; offset < data.length;) {
      const next = Math.min(other.nextPage(vaddr, offset), data.length);
      const physical = other.physicalOf(vaddr, offset);
      if (direction === "to") memory.writeBytes(physical, data.subarray(offset, next));
      else data.set(memory.readBytes(physical, next - offset), offset);
      offset = next;
    }
  }

  /** `vaddr + offset` as an address, or `vaddr` itself when that is not an address of this space's type. */
  private offsetAddress(vaddr: A, offset: number): A {
    if (!this.codec.accepts(vaddr)) return vaddr;
    const inner = this.codec.offsetOf(vaddr) + offset;
    return this.codec.addressOf(this.codec.blockOf(vaddr) + Math.floor(inner / this.blockSize), inner % this.blockSize);
  }

  /** The physical byte address (a `number`: RAM is far below 2^53) behind `vaddr + offset`, or -1 when it is not backed. */
  private physicalOf(vaddr: A, offset: number): number {
    if (!this.codec.accepts(vaddr)) return -1;
    const inner = this.codec.offsetOf(vaddr) + offset;
    const block = this.codec.blockOf(vaddr) + Math.floor(inner / this.blockSize) - this.startBlock;
    if (block < 0 || block >= this.numBlocks) return -1;
    const physical = this.physicalBlockOf(block);
    return physical < 0 ? -1 : physical * this.blockSize + (inner % this.blockSize);
  }

  /** The physical block behind virtual block `block` (inside the space), or -1 when it is not backed. */
  private physicalBlockOf(block: number): number {
    if (!this.allocator.isUsed(block)) return -1;
    const first = this.table.startOf(block);
    return physicalBlockAt(this.table.get(first)!, block - first);
  }

  /** Offset in `data` where the page after the one holding `vaddr + offset` begins. */
  private nextPage(vaddr: A, offset: number): number {
    const inner = this.codec.offsetOf(vaddr) + offset;
    return offset + this.blockSize - (inner % this.blockSize);
  }

  /** Maps `count` blocks at virtual block `first` to `runs`, one call per run; undoes everything if the mapper throws. */
  private mapRuns(first: number, count: number, runs: readonly number[], attrs: Attributes): void {
    let mapped = 0;
    try {
      for (let r = 0; r < runs.length; r += RUN_STRIDE) {
        const physical = runs[r]!;
        const length = runs[r + 1]!;
        this.mapper.map(this.addressOf(first + mapped), this.addressOf(first + mapped + length), this.codec.addressOf(physical, 0), this.codec.addressOf(physical + length, 0), attrs, this.payload);
        mapped += length;
      }
    } catch (error) {
      try {
        if (mapped > 0) this.mapper.unmap(this.addressOf(first), this.addressOf(first + mapped), this.payload);
      } finally {
        this.frames.releaseRuns(runs, 0);
        this.allocator.release(first, count);
      }
      throw error;
    }
  }

  private containing(block: number): Allocation<A> | undefined {
    if (!this.allocator.isUsed(block)) return undefined;
    const first = this.table.startOf(block);
    const record: AllocationRecord = this.table.get(first)!;
    return this.table.describe(first, record);
  }

  /** The address of block `block` of this space. */
  private addressOf(block: number): A {
    return this.space.addressOf(block);
  }

  private checkVirtualFree(first: number, count: number, action: string): void {
    const used = count === 0 ? null : this.allocator.firstUsedIn(first, count);
    if (used === null) return;
    const address = this.addressOf(used);
    const around = this.containing(used)!;
    throw new VmmError("AlreadyAllocated", `Cannot ${action} ${hexRange(this.addressOf(first), this.addressOf(first + count))}: ${hex(address)} is already allocated (in ${hexRange(around.virtual.start, around.virtual.end)})`, { address });
  }
}

/** The constructor of {@link VirtualMemoryManager}: `A` is `bigint` when `start` is a `bigint`, else `number` (never a literal type). */
export interface VirtualMemoryManagerConstructor {
  new <P>(options: VirtualMemoryOptions<P, number>): VirtualMemoryManager<P, number>;
  new <P>(options: VirtualMemoryOptions<P, bigint>): VirtualMemoryManager<P, bigint>;
  new <P, A extends Address>(options: VirtualMemoryOptions<P, A>): VirtualMemoryManager<P, A>;
  /** The prototype every VMM shares (so `instanceof VirtualMemoryManager` works). */
  readonly prototype: VirtualMemoryManager<unknown, Address>;
}

/** A virtual memory manager over addresses of type `A` (`number` by default); see {@link VirtualMemoryManagerImpl}. */
export type VirtualMemoryManager<P, A extends Address = number> = VirtualMemoryManagerImpl<P, A>;

/** Builds a virtual memory manager; see {@link VirtualMemoryManagerImpl} for the whole API. */
export const VirtualMemoryManager: VirtualMemoryManagerConstructor = VirtualMemoryManagerImpl;
