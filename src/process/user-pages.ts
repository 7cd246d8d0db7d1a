import { ProcessError } from "../errors/process-error.js";
import { hex } from "../format.js";
import { PAGE_BYTES } from "../paging/geometry.js";
import type { Address } from "../types.js";
import { AccessedBits } from "./accessed-bits.js";
import type { FrameRefs } from "./frame-refs.js";
import { type KernelHalf, sameType } from "./kernel-half.js";
import { LeafEntries } from "./leaf-entries.js";
import type { ReplacementPolicyName } from "./replacement.js";
import { RegionList, type UserRegion } from "./regions.js";
import type { SwapMember, SwapPool } from "./swap-pool.js";
import type { SwapDevice } from "./swap.js";

/** How an address space pages to swap on its own: at most `frames` resident pages, the rest on `device`. */
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

/** One present page. */
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
 * The user pages of an address space: its regions, and the frame behind each present page
 * (counted in a shared {@link FrameRefs}, so forked spaces can share frames copy-on-write).
 * Fills pages eagerly (`map`) or on the first fault (demand paging), copies or takes over
 * copy-on-write pages, and pages out to a {@link SwapPool} when one bounds the resident
 * pages. Maps and unmaps single pages through the kernel half's mapper. O(log regions) per fault.
 */
export class UserPages<A extends Address> implements SwapMember {
  /** Fault counters. */
  readonly counters: FaultCounters = { minor: 0, major: 0, cowCopies: 0, cowReuses: 0, segfaults: 0, evictions: 0 };
  /** The regions. */
  readonly regions = new RegionList();
  /** The hardware accessed bits of this space's pages (what Clock reads). */
  readonly accessed: AccessedBits;
  readonly #kernel: KernelHalf<A>;
  readonly #root: number;
  readonly #refs: FrameRefs;
  readonly #leaves: LeafEntries;
  readonly #pages = new Map<number, PageEntry>();
  /** Pages on the swap device: page → slot. */
  readonly #swapped = new Map<number, number>();
  /** Drops a page from the TLB of the MMU the space runs in (after an eviction, a cleared accessed bit). */
  readonly #invalidate: (page: number) => void;
  #pool: SwapPool | null = null;
  #member = -1;

  constructor(kernel: KernelHalf<A>, root: number, refs: FrameRefs, invalidate: (page: number) => void) {
    this.#kernel = kernel;
    this.#root = root;
    this.#refs = refs;
    this.#invalidate = invalidate;
    this.#leaves = new LeafEntries(kernel.memory, kernel.geometry, root);
    this.accessed = new AccessedBits(kernel.memory, this.#leaves, invalidate);
  }

  /**
   * Puts this space's pages under `pool`'s bound; pages already resident are admitted in page
   * order (evicting others of the pool if it is full).
   *
   * @throws {ReplacementError} when the pool refuses another member (OPT takes one).
   */
  joinSwap(pool: SwapPool): void {
    const member = pool.join(this);
    this.#pool = pool;
    this.#member = member;
    for (const page of [...this.#pages.keys()].sort((a, b) => a - b)) pool.admit(member, page);
  }

  /** The pool bounding this space's pages, or null. */
  get swapPool(): SwapPool | null {
    return this.#pool;
  }

  /** Pages of this space on the swap device. */
  get swappedPages(): number {
    return this.#swapped.size;
  }

  /** Present pages. */
  get residentPages(): number {
    return this.#pages.size;
  }

  /** Reports one completed access to `page` to the swap policy (LRU's order, OPT's position). */
  noteAccess(page: number): void {
    this.#pool?.reference(this.#member, page);
  }

  /** Every present page with its frame, in page order. O(p log p) for p present pages. */
  present(): { page: number; frame: number; cow: boolean }[] {
    return [...this.#pages.entries()].sort((a, b) => a[0] - b[0]).map(([page, e]) => ({ page, frame: e.frame, cow: e.cow }));
  }

  /** Present pages of `[fromPage, toPage)` with their frames, in page order. O(pages in the range) or O(present), the smaller. */
  presentBetween(fromPage: number, toPage: number): { page: number; frame: number; cow: boolean }[] {
    if (toPage - fromPage > this.#pages.size) return this.present().filter((p) => p.page >= fromPage && p.page < toPage);
    const out: { page: number; frame: number; cow: boolean }[] = [];
    for (let page = fromPage; page < toPage; page++) {
      const entry = this.#pages.get(page);
      if (entry !== undefined) out.push({ page, frame: entry.frame, cow: entry.cow });
    }
    return out;
  }

  /** The frame behind `page`, or null when it has none. */
  frameOf(page: number): number | null {
    return this.#pages.get(page)?.frame ?? null;
  }

  /**
   * The OS's page-fault handler for an access `op` to `page`: fills (zeros, file bytes, or the
   * swapped-out copy), copies or takes over the page, or reports a segfault (no state change).
   * The caller invalidates the page in the TLB.
   *
   * @throws {ProcessError} `OutOfMemory` when no frame is free (nothing changed).
   */
  fault(page: number, op: AccessOp): FaultOutcome {
    const region = this.regions.holding(page);
    const deny =
      region === undefined || region.paging === "guard"
        ? "unmapped"
        : op === "write" && !region.attrs.writable
          ? "read-only"
          : op === "fetch" && this.#kernel.noExecute && region.attrs.executable === false
            ? "no-execute"
            : null;
    if (region === undefined || deny !== null) {
      this.counters.segfaults++;
      return { kind: "segfault", page, reason: deny ?? "unmapped" };
    }
    const entry = this.#pages.get(page);
    if (entry === undefined) return this.#fill(region, page, true);
    if (op === "write" && entry.cow) return this.#breakCow(region, page, entry);
    return { kind: "spurious", page };
  }

  /**
   * Gives every page of `region` a frame now (zeros, or its file bytes), as `map` does; not
   * counted as faults. All-or-nothing: on failure the pages filled are released.
   *
   * @throws {ProcessError} `OutOfMemory`.
   */
  populate(region: UserRegion): void {
    for (let page = region.startPage; page < region.endPage; page++) {
      try {
        this.#fill(region, page, false);
      } catch (error) {
        this.release(region.startPage, page);
        throw error;
      }
    }
  }

  /** Re-maps the present pages of `[fromPage, toPage)` with their regions' rights (copy-on-write pages stay read-only); returns them. */
  remap(fromPage: number, toPage: number): number[] {
    const done: number[] = [];
    for (const { page, frame, cow } of this.presentBetween(fromPage, toPage)) {
      const region = this.regions.holding(page);
      if (region === undefined) continue;
      this.#rewrite(region, page, frame, region.attrs.writable && !cow);
      done.push(page);
    }
    return done;
  }

  /** Unmaps and forgets the pages of `[fromPage, toPage)` (frames dropped, swap slots freed); returns the pages that were mapped. */
  release(fromPage: number, toPage: number): number[] {
    const done: number[] = [];
    for (const { page, frame } of this.presentBetween(fromPage, toPage)) {
      this.#unmapPage(page);
      this.#pages.delete(page);
      this.#refs.drop(frame);
      this.#pool?.remove(this.#member, page);
      done.push(page);
    }
    for (const [page, slot] of [...this.#swapped]) {
      if (page < fromPage || page >= toPage) continue;
      this.#pool?.device.free(slot);
      this.#swapped.delete(page);
    }
    return done;
  }

  /**
   * Drops every frame and swap slot and leaves the swap pool, without touching the tables:
   * for a space about to free its whole root (which frees the tables). O(resident + swapped).
   */
  discard(): void {
    for (const [page, entry] of this.#pages) {
      this.#refs.drop(entry.frame);
      this.#pool?.remove(this.#member, page);
    }
    this.#pages.clear();
    for (const slot of this.#swapped.values()) this.#pool?.device.free(slot);
    this.#swapped.clear();
    this.#pool?.leave(this.#member);
    this.#pool = null;
  }

  /**
   * Shares `region`'s present pages with `child` (which has the region): both map them
   * read-only, copy-on-write when the region is writable; each frame gains a reference.
   * Swapped-out pages get a copy in a slot of the child's own.
   */
  shareInto(child: UserPages<A>, region: UserRegion): void {
    const shared = this.presentBetween(region.startPage, region.endPage);
    for (const { page, frame } of shared) {
      const cow = region.attrs.writable;
      const entry = this.#pages.get(page);
      if (cow && entry !== undefined && !entry.cow) {
        this.#rewrite(region, page, frame, false);
        entry.cow = true;
      }
      child.#mapPage(region, page, frame, false);
      child.#pages.set(page, { frame, cow });
      this.#refs.share(frame);
    }
    this.#copySwapped(child, region);
    for (const { page } of shared) child.#admit(page);
  }

  /** Gives `child` (which has the region) its own copy of every present page of `region`. @throws {ProcessError} `OutOfMemory` (pages copied so far stay with the child, which the caller destroys). */
  copyInto(child: UserPages<A>, region: UserRegion): void {
    const copied = this.presentBetween(region.startPage, region.endPage);
    const memory = this.#kernel.memory;
    for (const { page, frame } of copied) {
      const fresh = child.#takeFrame(page);
      memory.writeBytes(fresh, memory.readBytes(frame, PAGE_BYTES));
      child.#pages.set(page, { frame: fresh, cow: false });
      child.#mapPage(region, page, fresh, region.attrs.writable);
    }
    this.#copySwapped(child, region);
    for (const { page } of copied) child.#admit(page);
  }

  /**
   * Swap pool callback: writes `page` to the device, unmaps it, drops its frame (a shared
   * frame stays with its other users) and drops it from the TLB.
   *
   * @throws {ProcessError} `OutOfMemory` when the device is full (nothing changed).
   */
  evict(page: number): void {
    const entry = this.#pages.get(page);
    const pool = this.#pool;
    if (entry === undefined || pool === null) return;
    const slot = pool.device.write(this.#kernel.memory.readBytes(entry.frame, PAGE_BYTES));
    this.#unmapPage(page);
    this.#pages.delete(page);
    this.#refs.drop(entry.frame);
    this.#swapped.set(page, slot);
    this.counters.evictions++;
    this.#invalidate(page);
  }

  /** Gives `child` its own copy of every page of `region` this space has on swap: in a slot of the child's device, or in a frame when the child has no bound. */
  #copySwapped(child: UserPages<A>, region: UserRegion): void {
    const device = this.#pool?.device;
    if (device === undefined) return;
    for (const [page, slot] of this.#swapped) {
      if (page < region.startPage || page >= region.endPage) continue;
      if (child.#pool !== null) {
        child.#swapped.set(page, child.#pool.device.write(device.read(slot)));
        continue;
      }
      // A child without a bound (an OPT parent's) cannot page: its copy is resident at once.
      const fresh = child.#takeFrame(page);
      this.#kernel.memory.writeBytes(fresh, device.read(slot));
      child.#pages.set(page, { frame: fresh, cow: false });
      child.#mapPage(region, page, fresh, region.attrs.writable);
    }
  }

  /** Pages on the swap device, in page order. */
  swappedOut(): number[] {
    return [...this.#swapped.keys()].sort((a, b) => a - b);
  }

  /** Admits `page` to the swap pool (which may first evict another page). */
  #admit(page: number): void {
    this.#pool?.admit(this.#member, page);
  }

  #fill(region: UserRegion, page: number, counted: boolean): FaultOutcome {
    this.#pool?.makeRoom();
    const frame = this.#takeFrame(page);
    const memory = this.#kernel.memory;
    memory.writeBytes(frame, new Uint8Array(PAGE_BYTES));
    let fromFile = false;
    const slot = this.#swapped.get(page);
    if (slot !== undefined && this.#pool !== null) {
      memory.writeBytes(frame, this.#pool.device.read(slot));
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
    if (slot !== undefined && this.#pool !== null) {
      this.#pool.device.free(slot);
      this.#swapped.delete(page);
    }
    this.#pages.set(page, { frame, cow: false });
    this.#admit(page);
    if (counted && fromFile) this.counters.major++;
    else if (counted) this.counters.minor++;
    return { kind: fromFile ? "major" : "minor", page };
  }

  #breakCow(region: UserRegion, page: number, entry: PageEntry): FaultOutcome {
    this.counters.minor++;
    if (this.#refs.count(entry.frame) === 1) {
      this.#rewrite(region, page, entry.frame, true);
      entry.cow = false;
      this.counters.cowReuses++;
      return { kind: "cow-reuse", page };
    }
    const fresh = this.#takeFrame(page);
    const memory = this.#kernel.memory;
    memory.writeBytes(fresh, memory.readBytes(entry.frame, PAGE_BYTES));
    this.#rewrite(region, page, fresh, true);
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

  /** Maps `page` (not mapped now) to `frame`: the leaf written in place when its table exists, else through the mapper (which makes the tables). */
  #mapPage(region: UserRegion, page: number, frame: number, writable: boolean): void {
    const attrs = { ...region.attrs, kernel: false, writable };
    if (this.#leaves.install(page, frame, attrs)) return;
    const start = this.#address(page);
    const phys = sameType(this.#kernel.userStart, frame);
    this.#kernel.mapper.map(start, this.#address(page + 1), phys, sameType(this.#kernel.userStart, frame + PAGE_BYTES), attrs, this.#root);
  }

  /** Points the present leaf of `page` at `frame` with the region's rights (writable or not), in place. */
  #rewrite(region: UserRegion, page: number, frame: number, writable: boolean): void {
    this.#leaves.rewrite(page, frame, { ...region.attrs, kernel: false, writable });
  }

  #unmapPage(page: number): void {
    this.#kernel.mapper.unmap(this.#address(page), this.#address(page + 1), this.#root);
  }

  #address(page: number): A {
    return sameType(this.#kernel.userStart, BigInt(page) * BigInt(PAGE_BYTES));
  }
}
