import { ProcessError } from "../errors/process-error.js";
import { hex } from "../format.js";
import { PAGE_BYTES } from "../paging/geometry.js";
import type { Address, Attributes } from "../types.js";
import { AccessedBits } from "./accessed-bits.js";
import type { FrameRefs } from "./frame-refs.js";
import { type KernelHalf, sameType } from "./kernel-half.js";
import { type ReplacementPolicy, type ReplacementPolicyName, createReplacementPolicy } from "./replacement.js";
import type { SwapDevice } from "./swap.js";

/** How an address space pages to swap: at most `frames` resident lazy pages, the rest on `device`. */
export interface SwapOptions {
  /** Resident-page limit of this space (a positive integer). */
  readonly frames: number;
  /** Which page to evict: FIFO, LRU (exact: every access reported), Clock (the MMU's accessed bits), OPT (needs `future`). */
  readonly policy: ReplacementPolicyName;
  /** Where evicted pages go. */
  readonly device: SwapDevice;
  /** OPT only: the page numbers (address / 4096) this space will access, in order. */
  readonly future?: readonly number[];
}

/** File bytes behind a demand-paged region: `data[0]` belongs `at` bytes after the region's start; the rest is zero. */
export interface Backing {
  /** The file bytes. */
  readonly data: Uint8Array;
  /** Offset of `data[0]` from the region's start, in bytes. */
  readonly at: number;
}

/** A region whose pages get frames on first touch. Pages are page numbers (address / 4096). */
export interface LazyRegion {
  /** First page. */
  readonly startPage: number;
  /** End page, exclusive. */
  readonly endPage: number;
  /** The rights its pages get. */
  readonly attrs: Attributes;
  /** File-backed (an ELF segment), or null: anonymous, zero-filled. */
  readonly backing: Backing | null;
}

/** An enabled swap: its options, the policy instance and the TLB invalidation callback. */
interface SwapState {
  readonly options: SwapOptions;
  readonly policy: ReplacementPolicy<number>;
  readonly invalidate: (page: number) => void;
}

/** One present page of a lazy region. */
interface PageEntry {
  frame: number;
  /** Shared after a fork and mapped read-only until a write copies it or takes it over. */
  cow: boolean;
}

/** The three kinds of user access. */
export type AccessOp = "read" | "write" | "fetch";

/**
 * How a fault was resolved: `minor` (zero-filled page), `major` (read from the file image),
 * `cow-copy` / `cow-reuse` (a write to a copy-on-write page copied it, or took it over as the
 * last reference), `spurious` (the page was already fine: a stale TLB entry), or `segfault`
 * with the reason (no region, a write to a read-only region, a fetch from a non-executable one).
 */
export type FaultOutcome = ResolvedFault | Segfault;

/** A fault the OS resolved (see {@link FaultOutcome}). */
export interface ResolvedFault {
  /** How it was resolved. */
  readonly kind: "minor" | "major" | "cow-copy" | "cow-reuse" | "spurious";
  /** The faulting page (address / 4096). */
  readonly page: number;
}

/** A fault the OS refused: the access is not allowed (see {@link FaultOutcome}). */
export interface Segfault {
  /** Always `"segfault"`. */
  readonly kind: "segfault";
  /** The faulting page (address / 4096). */
  readonly page: number;
  /** No region there, a write to a read-only region, or a fetch from a non-executable one. */
  readonly reason: "unmapped" | "read-only" | "no-execute";
}

/** Fault counters of one address space. */
export interface FaultCounters {
  /** Faults resolved without I/O: zero-fill and copy-on-write. */
  minor: number;
  /** Faults that read the page from the file image (or, with swap, from the swap device). */
  major: number;
  /** Copy-on-write faults that copied the page. */
  cowCopies: number;
  /** Copy-on-write faults that took the frame over (last reference). */
  cowReuses: number;
  /** Faults that were not resolved. */
  segfaults: number;
  /** Pages written to swap to free a frame. */
  evictions: number;
}

/**
 * The demand-paged part of an address space: regions reserved in the VMM without frames,
 * and the pages that got a frame on first touch (frames counted in a shared {@link FrameRefs},
 * so forked spaces can share them copy-on-write). Maps and unmaps single pages through the
 * kernel half's mapper. O(1) per page fault (O(regions) to find the region).
 */
export class LazyPages<A extends Address> {
  readonly counters: FaultCounters = { minor: 0, major: 0, cowCopies: 0, cowReuses: 0, segfaults: 0, evictions: 0 };
  readonly #kernel: KernelHalf<A>;
  readonly #root: number;
  readonly #refs: FrameRefs;
  readonly #regions = new Map<number, LazyRegion>();
  readonly #pages = new Map<number, PageEntry>();
  /** Pages on the swap device: page → slot. */
  readonly #swapped = new Map<number, number>();
  #swap: SwapState | null = null;

  constructor(kernel: KernelHalf<A>, root: number, refs: FrameRefs) {
    this.#kernel = kernel;
    this.#root = root;
    this.#refs = refs;
  }

  /**
   * Bounds this space's resident lazy pages to `options.frames`, evicting by the policy to
   * `options.device`. `invalidate(page)` drops a page from the TLB (after an eviction, or
   * when Clock clears an accessed bit). Pages already resident are admitted in page order.
   *
   * @throws {ReplacementError} `InvalidFrames` (bad count), and for OPT without `future`.
   * @throws {RangeError} when more pages than `frames` are already resident.
   */
  enableSwap(options: SwapOptions, invalidate: (page: number) => void): void {
    const policy = createReplacementPolicy<number>(options.policy, {
      frames: options.frames,
      ...(options.future === undefined ? {} : { future: options.future }),
      ...(options.policy === "clock" ? { referenceBits: new AccessedBits(this.#kernel.memory, this.#kernel.geometry, this.#root, invalidate) } : {}),
    });
    if (this.#pages.size > options.frames) throw new RangeError(`Cannot bound the space to ${String(options.frames)} frames: ${String(this.#pages.size)} pages are resident`);
    for (const page of [...this.#pages.keys()].sort((a, b) => a - b)) policy.admit(page);
    this.#swap = { options, policy, invalidate };
  }

  /** The swap settings, or null. */
  get swapOptions(): SwapOptions | null {
    return this.#swap?.options ?? null;
  }

  /** Pages of this space on the swap device. */
  get swappedPages(): number {
    return this.#swapped.size;
  }

  /** Reports one completed access to `page` to the replacement policy (LRU's order, OPT's position). */
  noteAccess(page: number): void {
    if (this.#swap !== null && this.#swap.policy.has(page)) this.#swap.policy.reference(page);
  }

  /** Records a region (already reserved in the VMM). */
  add(region: LazyRegion): void {
    this.#regions.set(region.startPage, region);
  }

  /** The region starting at `startPage`. */
  region(startPage: number): LazyRegion | undefined {
    return this.#regions.get(startPage);
  }

  /** The region holding `page`. O(regions). */
  regionOf(page: number): LazyRegion | undefined {
    for (const r of this.#regions.values()) if (page >= r.startPage && page < r.endPage) return r;
    return undefined;
  }

  /** Present pages of `region` with their frames, in page order. */
  presentPages(region: LazyRegion): { page: number; frame: number; cow: boolean }[] {
    const out: { page: number; frame: number; cow: boolean }[] = [];
    for (let page = region.startPage; page < region.endPage; page++) {
      const entry = this.#pages.get(page);
      if (entry !== undefined) out.push({ page, frame: entry.frame, cow: entry.cow });
    }
    return out;
  }

  /** The frame behind `page`, or null when it has none yet. */
  frameOf(page: number): number | null {
    return this.#pages.get(page)?.frame ?? null;
  }

  /**
   * The OS's page-fault handler for an access `op` to `page`: populates, copies or takes over
   * the page, or reports a segfault (no state change). The caller invalidates the page in the TLB.
   *
   * @throws {ProcessError} `OutOfMemory` when no frame is free (nothing changed).
   */
  fault(page: number, op: AccessOp): FaultOutcome {
    const region = this.regionOf(page);
    const deny = region === undefined ? "unmapped" : op === "write" && !region.attrs.writable ? "read-only" : op === "fetch" && this.#kernel.noExecute && region.attrs.executable === false ? "no-execute" : null;
    if (region === undefined || deny !== null) {
      this.counters.segfaults++;
      return { kind: "segfault", page, reason: deny ?? "unmapped" };
    }
    const entry = this.#pages.get(page);
    if (entry === undefined) return this.#populate(region, page);
    if (op === "write" && entry.cow) return this.#breakCow(region, page, entry);
    return { kind: "spurious", page };
  }

  /**
   * Replaces `old` by `pieces` (consecutive sub-ranges covering any part of it, each with its
   * own attributes); file backing is carried over at the same addresses. Pages are untouched.
   */
  splitRegion(old: LazyRegion, pieces: readonly { readonly startPage: number; readonly endPage: number; readonly attrs: Attributes }[]): void {
    this.#regions.delete(old.startPage);
    for (const piece of pieces) {
      const shift = (piece.startPage - old.startPage) * PAGE_BYTES;
      this.#regions.set(piece.startPage, { ...piece, backing: old.backing === null ? null : { data: old.backing.data, at: old.backing.at - shift } });
    }
  }

  /** Re-maps the present pages of `[fromPage, toPage)` with their region's attributes (copy-on-write pages stay read-only); returns them. */
  remap(fromPage: number, toPage: number): number[] {
    const done: number[] = [];
    for (let page = fromPage; page < toPage; page++) {
      const entry = this.#pages.get(page);
      const region = this.regionOf(page);
      if (entry === undefined || region === undefined) continue;
      this.#unmapPage(page);
      this.#mapPage(region, page, entry.frame, region.attrs.writable && !entry.cow);
      done.push(page);
    }
    return done;
  }

  /** Unmaps and forgets the pages of `[fromPage, toPage)` (frames dropped, swap slots freed); returns the pages that were mapped. */
  releasePages(fromPage: number, toPage: number): number[] {
    const done: number[] = [];
    for (let page = fromPage; page < toPage; page++) {
      const entry = this.#pages.get(page);
      if (entry !== undefined) {
        this.#unmapPage(page);
        this.#pages.delete(page);
        this.#refs.drop(entry.frame);
        if (this.#swap?.policy.has(page) === true) this.#swap.policy.remove(page);
        done.push(page);
      }
      const slot = this.#swapped.get(page);
      if (slot !== undefined && this.#swap !== null) this.#swap.options.device.free(slot);
      this.#swapped.delete(page);
    }
    return done;
  }

  /** Unmaps every present page of the region at `startPage`, drops its frames, forgets the region. */
  release(startPage: number): void {
    const region = this.#regions.get(startPage);
    if (region === undefined) return;
    this.releasePages(region.startPage, region.endPage);
    this.#regions.delete(startPage);
  }

  /**
   * Shares `region`'s present pages with `child` (which has the region): both map them
   * read-only, copy-on-write when the region is writable; each frame gains a reference.
   */
  shareInto(child: LazyPages<A>, region: LazyRegion): void {
    for (const { page, frame } of this.presentPages(region)) {
      const cow = region.attrs.writable;
      if (cow) {
        const entry = this.#pages.get(page);
        if (entry !== undefined && !entry.cow) {
          this.#unmapPage(page);
          this.#mapPage(region, page, frame, false);
          entry.cow = true;
        }
      }
      child.#mapPage(region, page, frame, !cow && region.attrs.writable);
      child.#pages.set(page, { frame, cow });
      this.#refs.share(frame);
      child.#swap?.policy.admit(page);
    }
    this.#copySwapped(child, region);
  }

  /** Gives `child` its own swap slot (a copy) of every page of `region` this space has on swap. */
  #copySwapped(child: LazyPages<A>, region: LazyRegion): void {
    const device = this.#swap?.options.device;
    if (device === undefined) return;
    for (let page = region.startPage; page < region.endPage; page++) {
      const slot = this.#swapped.get(page);
      if (slot === undefined) continue;
      const target = child.#swap?.options.device ?? device;
      child.#swapped.set(page, target.write(device.read(slot)));
    }
  }

  /** Gives `child` (which has the region) its own copy of every present page of `region`. @throws {ProcessError} `OutOfMemory` (pages copied so far stay with the child, which the caller destroys). */
  copyInto(child: LazyPages<A>, region: LazyRegion): void {
    for (const { page, frame } of this.presentPages(region)) {
      const fresh = child.#takeFrame(page);
      const memory = this.#kernel.memory;
      memory.writeBytes(fresh, memory.readBytes(frame, PAGE_BYTES));
      child.#pages.set(page, { frame: fresh, cow: false });
      child.#mapPage(region, page, fresh, region.attrs.writable);
      child.#swap?.policy.admit(page);
    }
    this.#copySwapped(child, region);
  }

  #populate(region: LazyRegion, page: number): FaultOutcome {
    if (this.#swap !== null && this.#pages.size >= this.#swap.options.frames) this.#evict(this.#swap);
    const frame = this.#takeFrame(page);
    const memory = this.#kernel.memory;
    memory.writeBytes(frame, new Uint8Array(PAGE_BYTES));
    let fromFile = false;
    const slot = this.#swapped.get(page);
    if (slot !== undefined && this.#swap !== null) {
      memory.writeBytes(frame, this.#swap.options.device.read(slot));
      this.#swap.options.device.free(slot);
      this.#swapped.delete(page);
      fromFile = true;
    } else if (region.backing !== null) {
      const pageAt = (page - region.startPage) * PAGE_BYTES;
      const { data, at } = region.backing;
      const from = Math.max(pageAt, at);
      const to = Math.min(pageAt + PAGE_BYTES, at + data.length);
      if (from < to) {
        memory.writeBytes(frame + (from - pageAt), data.subarray(from - at, to - at));
        fromFile = true;
      }
    }
    try {
      this.#mapPage(region, page, frame, region.attrs.writable);
    } catch (error) {
      this.#refs.drop(frame);
      throw new ProcessError("OutOfMemory", `Cannot map ${hex(this.#address(page))}: ${error instanceof Error ? error.message : String(error)}`, { page });
    }
    this.#pages.set(page, { frame, cow: false });
    this.#swap?.policy.admit(page);
    if (fromFile) this.counters.major++;
    else this.counters.minor++;
    return { kind: fromFile ? "major" : "minor", page };
  }

  /** Writes the policy's victim to swap, unmaps it, drops its frame (a shared frame stays with its other users). */
  #evict(swap: SwapState): void {
    const victim = swap.policy.evict();
    const entry = this.#pages.get(victim);
    if (entry === undefined) return;
    let slot: number;
    try {
      slot = swap.options.device.write(this.#kernel.memory.readBytes(entry.frame, PAGE_BYTES));
    } catch (error) {
      swap.policy.admit(victim);
      throw error;
    }
    this.#unmapPage(victim);
    this.#pages.delete(victim);
    this.#refs.drop(entry.frame);
    this.#swapped.set(victim, slot);
    this.counters.evictions++;
    swap.invalidate(victim);
  }

  #breakCow(region: LazyRegion, page: number, entry: PageEntry): FaultOutcome {
    this.counters.minor++;
    if (this.#refs.count(entry.frame) === 1) {
      this.#unmapPage(page);
      this.#mapPage(region, page, entry.frame, true);
      entry.cow = false;
      this.counters.cowReuses++;
      return { kind: "cow-reuse", page };
    }
    const fresh = this.#takeFrame(page);
    const memory = this.#kernel.memory;
    memory.writeBytes(fresh, memory.readBytes(entry.frame, PAGE_BYTES));
    this.#unmapPage(page);
    this.#mapPage(region, page, fresh, true);
    this.#refs.drop(entry.frame);
    entry.frame = fresh;
    entry.cow = false;
    this.counters.cowCopies++;
    return { kind: "cow-copy", page };
  }

  #takeFrame(page: number): number {
    const frame = this.#refs.take();
    if (frame === null) throw new ProcessError("OutOfMemory", `Cannot give ${hex(this.#address(page))} a frame: physical memory is full`, { page });
    return frame;
  }

  #mapPage(region: LazyRegion, page: number, frame: number, writable: boolean): void {
    const start = this.#address(page);
    const phys = sameType(this.#kernel.userStart, frame);
    this.#kernel.mapper.map(start, this.#address(page + 1), phys, sameType(this.#kernel.userStart, frame + PAGE_BYTES), { ...region.attrs, kernel: false, writable }, this.#root);
  }

  #unmapPage(page: number): void {
    this.#kernel.mapper.unmap(this.#address(page), this.#address(page + 1), this.#root);
  }

  #address(page: number): A {
    return sameType(this.#kernel.userStart, BigInt(page) * BigInt(PAGE_BYTES));
  }
}
