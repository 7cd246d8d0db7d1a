import { ProcessError } from "../errors/process-error.js";
import { entryCodecFor } from "../arch/entry-codec-for.js";
import { describeValue, hex } from "../format.js";
import type { EntryCodec } from "../paging/mode.js";
import { PAGE_BYTES, tableEntries } from "../paging/geometry.js";
import type { Address, Attributes } from "../types.js";
import { attributesProblem } from "../validate.js";
import { VirtualMemoryManagerImpl } from "../vmm.js";
import { type AnyMmu, holdsRoot, invalidatePage, loadRoot } from "./context-switch.js";
import { frameRefsOf } from "./frame-refs.js";
import { type KernelHalf, sameType } from "./kernel-half.js";
import { type Backing, type Paging, type UserRegion, piecesAround } from "./regions.js";
import type { LazyOptions, MapOptions, ResidentPage, SpaceRegion } from "./space-types.js";

export type { LazyOptions, MapOptions, ResidentPage, SpaceRegion } from "./space-types.js";
export { type AnyMmu, invalidatePage } from "./context-switch.js";
import { SwapPool } from "./swap-pool.js";
import { type AccessOp, type FaultCounters, type FaultOutcome, type SwapOptions, UserPages } from "./user-pages.js";

/**
 * A task's address space: its own root table whose kernel-half top-level entries are copies
 * of the kernel's (so kernel tables are shared, never owned), a user VMM over the user half
 * that places the regions, and the user pages behind them (every user frame and table is
 * this space's, or shared copy-on-write with reference counts). Generic over the mode: any
 * {@link KernelHalf} (32-bit x86 from `boot`, every other mode from `bootMode`).
 *
 * Every region is page-managed, whether its frames come at `map` (eager), on first touch
 * (`reserveLazy`) or never (a guard): so `fork` shares every user frame copy-on-write, and
 * `protect` and `unmapRange` work on any part of any region.
 *
 * Ownership: `destroy` frees every user frame, every user table and the root, and nothing
 * of the kernel's, so the PMM's free count returns exactly to where it was before `create`.
 *
 * @example
 * const kernel = kernelHalfOf(boot(DEFAULT_PROFILE));
 * const space = AddressSpace.create(kernel);
 * const at = space.map(2, { kernel: false, writable: true, cachable: true });
 * space.write(at, new Uint8Array([1, 2, 3]));
 * const child = space.copy();   // same user mappings, own frames holding the same bytes
 * space.destroy();
 */
export class AddressSpace<A extends Address> {
  /** The kernel half this space shares (and the mapper, memory and PMM it uses). */
  readonly kernel: KernelHalf<A>;
  /** Physical address of this space's root table (what CR3 / satp holds). */
  readonly root: number;
  /** The user half's VMM: a record per region, no frames (payload: {@link root}). */
  readonly vmm: VirtualMemoryManagerImpl<number, A>;
  readonly #pages: UserPages<A>;
  /** The mode's entry codec: which rights its leaves can express. */
  readonly #codec: EntryCodec<Address>;
  /** Whether this space made its swap pool itself ({@link enableSwap}) rather than joining a shared one. */
  #ownPool = false;
  /** The MMU this space was last loaded into (for TLB invalidations of its own changes). */
  #mmu: AnyMmu | null = null;
  #destroyed = false;

  private constructor(kernel: KernelHalf<A>, root: number) {
    this.kernel = kernel;
    this.root = root;
    this.vmm = new VirtualMemoryManagerImpl<number, A>({ start: kernel.userStart, end: kernel.userEnd, pmm: kernel.pmm, mapper: kernel.mapper, payload: root, memory: kernel.memory });
    this.#pages = new UserPages(kernel, root, frameRefsOf(kernel.pmm), (page) => this.#invalidate([page]));
    this.#codec = entryCodecFor(kernel.geometry.name);
  }

  /** This space's page-fault counters (demand paging, copy-on-write, swap). */
  get faults(): Readonly<FaultCounters> {
    return this.#pages.counters;
  }

  /**
   * A new, empty address space sharing `kernel`'s half: one root table (the kernel's
   * top-level entries for the kernel half copied into it). O(top-level entries).
   *
   * @throws {ProcessError} `OutOfMemory` when there is no frame for the root.
   */
  static create<A extends Address>(kernel: KernelHalf<A>): AddressSpace<A> {
    let root: number;
    try {
      root = kernel.mapper.createRoot();
    } catch (error) {
      throw new ProcessError("OutOfMemory", `Cannot create an address space: ${error instanceof Error ? error.message : String(error)}`, {});
    }
    const space = new AddressSpace(kernel, root);
    space.syncKernelHalf();
    return space;
  }

  /**
   * Copies the kernel's top-level entries of the kernel half into this space's root again,
   * as Linux's `sync_global_pgds` does: needed only after the kernel filled a top-level entry
   * that was empty when this space was made (tables below shared entries are seen at once).
   * O(top-level entries).
   */
  syncKernelHalf(): void {
    const { geometry: g, memory } = this.kernel;
    const first = this.kernel.firstSharedEntry * g.entryBytes;
    const bytes = tableEntries(g, g.levels - 1) * g.entryBytes - first;
    memory.writeBytes(this.root + first, memory.readBytes(this.kernel.root + first, bytes));
  }

  /** Whether {@link destroy} was called. */
  get destroyed(): boolean {
    return this.#destroyed;
  }

  /**
   * Maps `pages` zeroed user pages with `attrs` (forced to `kernel: false`), a frame for each
   * now: at `options.at`, or the lowest fit. All-or-nothing. O(pages).
   *
   * @throws {ProcessError} `Destroyed`, `InvalidRange` (a count that is not a positive integer, an `at` that is not an address of the space), `InvalidAttributes` (not `Attributes`, or not expressible in the mode), `OutOfMemory` (no virtual room, frames or tables).
   * @throws {VmmError} for a bad `at` (`AlreadyAllocated`, `InvalidVirtAddresses`).
   */
  map(pages: number, attrs: Attributes, options: MapOptions<A> = {}): A {
    this.#check("map");
    this.#checkPages(pages, "map", options.at);
    if (options.at !== undefined) this.#checkAddress(options.at, "map at");
    const userAttrs = this.#rights(attrs, `map ${String(pages)} pages`);
    const free = this.kernel.pmm.blocksFree();
    if (this.#pages.swapPool === null && pages > free) {
      throw new ProcessError("OutOfMemory", `Cannot map ${String(pages)} pages: ${String(free)} frames are free`, { pages, free });
    }
    const start = this.vmm.reserve(pages, userAttrs, options.at === undefined ? {} : { at: options.at });
    if (start === null) throw new ProcessError("OutOfMemory", `Cannot map ${describeValue(pages)} pages: no room in the user space`, { pages });
    const region = this.#add(start, pages, userAttrs, "eager", options.label ?? "anonymous", null);
    try {
      this.#pages.populate(region);
    } catch (error) {
      this.#pages.regions.remove(region.startPage);
      this.vmm.free(start);
      throw error instanceof ProcessError ? error : outOfMemory(`map ${String(pages)} pages`, error as Error);
    }
    return start;
  }

  /**
   * Reserves `pages` user pages with no frames and no translations (a guard page: every
   * access faults). Returns the start.
   *
   * @throws {ProcessError} `Destroyed`, `InvalidRange` (bad count or address). @throws {VmmError} `AlreadyAllocated` when in use.
   */
  reserve(at: A, pages: number, label = "guard"): A {
    this.#check("reserve");
    const attrs = { kernel: false, writable: false, cachable: true, executable: false };
    this.#reserveAt(at, pages, attrs);
    this.#add(at, pages, attrs, "guard", label, null);
    return at;
  }

  /**
   * Reserves `pages` user pages at `at` for demand paging: no frame and no translation until
   * the first access faults and {@link handleFault} fills the page (zeros, or `backing`'s bytes).
   *
   * @throws {ProcessError} `Destroyed`, `InvalidRange` (bad count or address), `InvalidAttributes` (as {@link map}). @throws {VmmError} `AlreadyAllocated`, `InvalidVirtAddresses`.
   */
  reserveLazy(at: A, pages: number, attrs: Attributes, options: LazyOptions = {}): A {
    this.#check("reserve");
    const userAttrs = this.#rights(attrs, `reserve ${describeValue(pages)} pages at ${describeValue(at)}`);
    this.#reserveAt(at, pages, userAttrs);
    this.#add(at, pages, userAttrs, "lazy", options.label ?? "anonymous", options.backing ?? null);
    return at;
  }

  /**
   * Bounds this space's resident pages to `options.frames` (a per-process limit): a fault
   * beyond it first evicts the policy's victim to `options.device` (written there, unmapped,
   * its TLB entry invalidated in the MMU the space was last loaded into); a fault on a
   * swapped-out page reads it back (a major fault). A fork gets a limit of its own with the
   * same settings (not OPT, whose future is this space's own). For one limit over several
   * spaces, see {@link joinSwap}.
   *
   * @throws {ProcessError} `Destroyed`. @throws {ReplacementError} `InvalidFrames`; OPT without `future`.
   * @throws {ProcessError} `InvalidSwap` when more pages than `frames` are already resident, or the space already pages to swap.
   */
  enableSwap(options: SwapOptions): void {
    this.#check("enable swap");
    this.#checkNoSwap();
    const pool = new SwapPool(options);
    if (this.#pages.residentPages > options.frames) throw new ProcessError("InvalidSwap", `Cannot bound the space to ${String(options.frames)} frames: ${String(this.#pages.residentPages)} pages are resident`, { frames: options.frames });
    this.#pages.joinSwap(pool);
    this.#ownPool = true;
  }

  /**
   * Puts this space under a shared (system-wide) bound: `pool` limits the resident pages of
   * all its members together, and evicts from any of them. A fork joins the same pool.
   * Pages already resident are admitted, evicting others when the pool is full.
   *
   * @throws {ProcessError} `Destroyed`. @throws {ReplacementError} when the pool refuses (OPT takes one space).
   * @throws {ProcessError} `InvalidSwap` when the space already pages to swap.
   */
  joinSwap(pool: SwapPool): void {
    this.#check("join a swap pool");
    this.#checkNoSwap();
    this.#pages.joinSwap(pool);
    this.#ownPool = false;
  }

  /** The pool bounding this space's resident pages, or null. */
  get swapPool(): SwapPool | null {
    return this.#pages.swapPool;
  }

  /** Pages of this space on the swap device. */
  get swappedPages(): number {
    return this.#pages.swappedPages;
  }

  /** The addresses of the pages on the swap device, in order. O(s log s). */
  swappedOut(): A[] {
    return this.#pages.swappedOut().map((page) => this.#address(page));
  }

  /** Reports a completed user access at `vaddr` to the replacement policy (exact LRU, OPT); the access driver calls it. */
  noteAccess(vaddr: A): void {
    if (this.#pages.swapPool !== null) this.#pages.noteAccess(pageOf(vaddr));
  }

  /**
   * The OS's page-fault handler: resolves a fault of a user `op` at `vaddr` (demand paging,
   * copy-on-write, swap-in) or reports a segfault. The caller invalidates the page in the TLB.
   *
   * @throws {ProcessError} `Destroyed`, `InvalidRange` (not an address of the space), `OutOfMemory` (no frame; nothing changed).
   */
  handleFault(vaddr: A, op: AccessOp): FaultOutcome {
    this.#check("handle a fault");
    this.#checkAddress(vaddr, "handle a fault at");
    return this.#pages.fault(pageOf(vaddr), op);
  }

  /**
   * Copy-on-write fork: a new space with the same regions, sharing every present frame
   * (read-only in both where the region is writable, one more reference each); swapped-out
   * pages are copied to new slots. The caller flushes this space's TLB entries (its pages
   * became read-only): `AccessDriver.fork` does.
   *
   * @throws {ProcessError} `Destroyed`, `OutOfMemory` (the partial child is destroyed first).
   */
  fork(): AddressSpace<A> {
    return this.#duplicate("fork", true);
  }

  /**
   * pluto's `VirtualMemoryManager.copy`: a new space with the same user regions (same
   * addresses, attributes and labels), its own root, tables and frames, holding copies of
   * this space's bytes. All-or-nothing. O(user pages).
   *
   * @throws {ProcessError} `Destroyed`, `OutOfMemory` (the partial copy is destroyed first).
   */
  copy(): AddressSpace<A> {
    return this.#duplicate("copy", false);
  }

  /**
   * Unmaps the region starting at `start` and frees its frames and emptied tables.
   *
   * @throws {ProcessError} `Destroyed`, `InvalidRange` (not an address of the space). @throws {VmmError} `NotAllocated`.
   */
  unmap(start: A): void {
    this.#check("unmap");
    this.#checkAddress(start, "unmap");
    // The VMM refuses an address that does not start a region (`NotAllocated`) before anything changes.
    this.vmm.free(start);
    const region = this.#pages.regions.remove(pageOf(start));
    if (region !== undefined) this.#invalidate(this.#pages.release(region.startPage, region.endPage));
  }

  /**
   * mprotect: gives the pages `[start, end)` the rights `attrs`, splitting the regions it
   * cuts (in up to three pieces each; a guard page given rights becomes demand-paged);
   * present pages are re-mapped (copy-on-write ones stay read-only) and dropped from the TLB
   * of the MMU this space is loaded into. All-or-nothing. O(pages in the range).
   *
   * @throws {ProcessError} `Destroyed`, `InvalidRange` (misaligned, empty, or a page of it in
   * no region), `InvalidAttributes` (as {@link map}).
   */
  protect(start: A, end: A, attrs: Attributes): void {
    this.#check("protect");
    const { regions, from, to } = this.#covered(start, end, "protect");
    const userAttrs = this.#rights(attrs, `protect ${hex(start)}–${hex(end)}`);
    for (const region of regions) this.#reshape(region, from, to, { attrs: userAttrs, paging: region.paging === "guard" ? "lazy" : region.paging });
    this.#invalidate(this.#pages.remap(from, to));
  }

  /**
   * munmap of any part of the user regions: unmaps `[start, end)` (frames dropped, swap
   * slots freed, TLB entries invalidated) and keeps the pieces on either side. Unlike Linux,
   * a hole in the range is refused (`InvalidRange`): kmem takes it for a caller's mistake.
   * All-or-nothing. O(pages in the range).
   *
   * @throws {ProcessError} `Destroyed`, `InvalidRange`.
   */
  unmapRange(start: A, end: A): void {
    this.#check("unmap");
    const { regions, from, to } = this.#covered(start, end, "unmap");
    for (const region of regions) this.#reshape(region, from, to, null);
    this.#invalidate(this.#pages.release(from, to));
  }

  /** The regions covering all of `[start, end)`, and the range's pages. */
  #covered(start: A, end: A, action: string): { regions: UserRegion[]; from: number; to: number } {
    this.#checkAddress(start, action);
    this.#checkAddress(end, action);
    const page = BigInt(PAGE_BYTES);
    const s = BigInt(start);
    const e = BigInt(end);
    const regions = s % page === 0n && e % page === 0n && s < e ? this.#pages.regions.covering(Number(s / page), Number(e / page)) : null;
    if (regions === null) {
      throw new ProcessError("InvalidRange", `Cannot ${action} ${hex(start)}–${hex(end)}: not a page-aligned, non-empty range inside the user regions`, { start, end });
    }
    return { regions, from: Number(s / page), to: Number(e / page) };
  }

  /** Splits `region` around `[from, to)`: that part gets `middle`'s rights and paging, or disappears when `middle` is null. The VMM's records follow. */
  #reshape(region: UserRegion, from: number, to: number, middle: { readonly attrs: Attributes; readonly paging: Paging } | null): void {
    const pieces = piecesAround(region, from, to, middle);
    this.vmm.free(this.#address(region.startPage));
    for (const p of pieces) this.vmm.set({ start: this.#address(p.startPage), end: this.#address(p.endPage) }, null, p.attrs);
    this.#pages.regions.split(region, pieces);
  }

  /** The user regions in address order. O(regions + resident pages). */
  regions(): SpaceRegion<A>[] {
    const resident = new Map<number, number>();
    for (const { page } of this.#pages.present()) {
      const region = this.#pages.regions.holding(page);
      if (region !== undefined) resident.set(region.startPage, (resident.get(region.startPage) ?? 0) + 1);
    }
    return this.#pages.regions.all().map((r) => ({
      virtual: { start: this.#address(r.startPage), end: this.#address(r.endPage) },
      attrs: r.attrs,
      frames: resident.get(r.startPage) ?? 0,
      paging: r.paging,
      lazy: r.paging === "lazy",
      label: r.label,
    }));
  }

  /**
   * Every user page with a frame, in address order: the frame, whether it is copy-on-write
   * (how many spaces share a frame: `frameRefsOf(space.kernel.pmm).count(frame)`). O(pages).
   */
  pages(): ResidentPage<A>[] {
    return this.#pages.present().map(({ page, frame, cow }) => {
      const region = this.#pages.regions.holding(page);
      return { vaddr: this.#address(page), frame, writable: (region?.attrs.writable ?? false) && !cow, cow, label: region?.label ?? "anonymous" };
    });
  }

  /** The physical address behind `vaddr` in this space's pages now, or null (no frame yet, swapped out, a guard, no region). O(1). */
  physicalAddress(vaddr: A): number | null {
    this.#checkAddress(vaddr, "translate");
    const frame = this.#pages.frameOf(pageOf(vaddr));
    return frame === null ? null : frame + Number(BigInt(vaddr) % BigInt(PAGE_BYTES));
  }

  /**
   * Copies `data` into user memory at `vaddr` through this space's pages (as the kernel's
   * `copy_to_user`, ignoring the pages' write protection; a demand-paged or swapped-out page
   * is filled first, a copy-on-write one copied). O(bytes).
   *
   * @throws {ProcessError} `Destroyed`, `InvalidRange` (not an address, a negative length, a page in no region or a guard), `OutOfMemory` (no frame for a page).
   */
  write(vaddr: A, data: Uint8Array): void {
    this.#check("write");
    this.#bytes(vaddr, data.length, "write", (physical, from, to) => this.kernel.memory.writeBytes(physical, data.subarray(from, to)));
  }

  /**
   * Reads `length` bytes of user memory at `vaddr` through this space's pages. O(bytes).
   *
   * @throws {ProcessError} `Destroyed`, `InvalidRange` (as {@link write}), `OutOfMemory` (no frame for a page).
   */
  read(vaddr: A, length: number): Uint8Array {
    this.#check("read");
    this.#checkLength(vaddr, length, "read");
    const out = new Uint8Array(length);
    this.#bytes(vaddr, length, "read", (physical, from, to) => out.set(this.kernel.memory.readBytes(physical, to - from), from));
    return out;
  }

  #duplicate(action: string, share: boolean): AddressSpace<A> {
    this.#check(action);
    const child = AddressSpace.create(this.kernel);
    try {
      const pool = this.#pages.swapPool;
      if (pool !== null && !this.#ownPool) child.joinSwap(pool);
      else if (pool !== null && pool.policyName !== "opt") child.enableSwap({ frames: pool.frames, policy: pool.policyName, device: pool.device });
      for (const region of this.#pages.regions.all()) {
        const start = this.#address(region.startPage);
        child.#reserveAt(start, region.endPage - region.startPage, region.attrs);
        child.#pages.regions.add(region);
        if (share) this.#pages.shareInto(child.#pages, region);
        else this.#pages.copyInto(child.#pages, region);
      }
    } catch (error) {
      child.destroy();
      throw error;
    }
    if (share) this.#invalidateAll();
    return child;
  }

  /**
   * Frees every user frame, every user table and the root (the kernel half's tables are
   * only unlinked); afterwards every operation throws `Destroyed`. O(user pages + tables).
   *
   * @throws {ProcessError} `Destroyed` when called twice.
   */
  destroy(): void {
    this.#check("destroy");
    this.#pages.discard();
    for (const region of this.#pages.regions.all()) {
      this.vmm.free(this.#address(region.startPage));
      this.#pages.regions.remove(region.startPage);
    }
    this.#invalidateAll();
    const g = this.kernel.geometry;
    this.kernel.memory.writeBytes(this.root + this.kernel.firstSharedEntry * g.entryBytes, new Uint8Array((tableEntries(g, g.levels - 1) - this.kernel.firstSharedEntry) * g.entryBytes));
    this.kernel.mapper.destroyRoot(this.root);
    this.#destroyed = true;
  }

  /**
   * Loads this space into `mmu` as a context switch does: CR3 (non-global TLB entries are
   * dropped, global kernel ones survive with CR4.PGE) or satp (MODE kept; `asid` written to
   * satp.ASID, default 0).
   *
   * @throws {ProcessError} `Destroyed`. @throws {CpuStateError | RiscvStateError} when the MMU refuses the root.
   */
  activate(mmu: AnyMmu, options: { readonly asid?: number } = {}): void {
    this.#check("activate");
    this.#mmu = mmu;
    loadRoot(mmu, this.root, options.asid ?? 0);
  }

  /** Whether `mmu` currently translates through this space. */
  isActive(mmu: AnyMmu): boolean {
    return holdsRoot(mmu, this.root);
  }

  /** Reserves `[at, at + pages)` in the VMM (no frames). */
  #reserveAt(at: A, pages: number, attrs: Attributes): void {
    this.#checkAddress(at, "reserve");
    this.#checkPages(pages, "reserve", at);
    this.vmm.set({ start: at, end: sameType(at, BigInt(at) + BigInt(pages) * BigInt(PAGE_BYTES)) }, null, attrs);
  }

  /** Records a region over VMM-reserved pages. */
  #add(at: A, pages: number, attrs: Attributes, paging: Paging, label: string, backing: Backing | null): UserRegion {
    const startPage = pageOf(at);
    const region: UserRegion = { startPage, endPage: startPage + pages, attrs, backing, paging, label };
    this.#pages.regions.add(region);
    return region;
  }

  /**
   * `attrs` as a user page's rights: not kernel, never global (a global user page would
   * outlive a CR3 switch in the TLB).
   *
   * @throws {ProcessError} `InvalidAttributes` when `attrs` is not an `Attributes`, or the mode cannot express it (`executable: false` without NX).
   */
  #rights(attrs: Attributes, action: string): Attributes {
    const problem = attributesProblem(attrs);
    if (problem !== null) throw new ProcessError("InvalidAttributes", `Cannot ${action}: ${problem.message}`, { field: problem.field });
    const { global: _global, ...rest } = attrs;
    const rights = { ...rest, kernel: false };
    const why = this.#codec.unsupported(rights);
    if (why !== null) throw new ProcessError("InvalidAttributes", `Cannot ${action}: ${why}`, { field: "attrs.executable" });
    return rights;
  }

  /** @throws {ProcessError} `InvalidRange` unless `pages` is a positive safe integer. */
  #checkPages(pages: number, action: string, at: A | undefined): void {
    if (!Number.isSafeInteger(pages) || pages < 1) {
      throw new ProcessError("InvalidRange", `Cannot ${action} ${describeValue(pages)} pages${at === undefined ? "" : ` at ${describeValue(at)}`}: the count must be a positive integer`, { pages });
    }
  }

  /** @throws {ProcessError} `InvalidRange` unless `value` is a non-negative integer of this space's address type. */
  #checkAddress(value: A, action: string): void {
    const wide = typeof this.kernel.userStart === "bigint";
    const ok = wide ? typeof value === "bigint" && value >= 0n : typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
    if (!ok) {
      throw new ProcessError("InvalidRange", `Cannot ${action} ${describeValue(value)}: not an address of this space (a non-negative ${wide ? "bigint" : "safe integer"})`, { address: value });
    }
  }

  /** @throws {ProcessError} `InvalidRange` for a bad address or a length that is not a non-negative safe integer. */
  #checkLength(vaddr: A, length: number, action: string): void {
    this.#checkAddress(vaddr, action);
    if (!Number.isSafeInteger(length) || length < 0) throw new ProcessError("InvalidRange", `Cannot ${action} ${describeValue(length)} bytes at ${hex(vaddr)}: the length must be a non-negative integer`, { length });
  }

  #checkNoSwap(): void {
    if (this.#pages.swapPool !== null) throw new ProcessError("InvalidSwap", `Cannot bound the space at root ${hex(this.root)} again: it already pages to swap`, { root: this.root });
  }

  /** Drops `pages` from the TLB of the MMU this space is loaded into (none when it is not running). */
  #invalidate(pages: readonly number[]): void {
    const mmu = this.#mmu;
    if (mmu === null || !this.isActive(mmu)) return;
    for (const p of pages) invalidatePage(mmu, this.#address(p));
  }

  /** Drops this space's non-global TLB entries when it is running (a CR3 / satp reload). */
  #invalidateAll(): void {
    const mmu = this.#mmu;
    if (mmu !== null && this.isActive(mmu)) this.activate(mmu);
  }

  #address(page: number): A {
    return sameType(this.kernel.userStart, BigInt(page) * BigInt(PAGE_BYTES));
  }

  #bytes(vaddr: A, length: number, action: string, each: (physical: number, from: number, to: number) => void): void {
    this.#checkLength(vaddr, length, action);
    let offset = 0;
    const base = BigInt(vaddr);
    while (offset < length) {
      const address = base + BigInt(offset);
      const within = Number(address % BigInt(PAGE_BYTES));
      const to = Math.min(length, offset + PAGE_BYTES - within);
      const page = Number(address / BigInt(PAGE_BYTES));
      const region = this.#pages.regions.holding(page);
      if (region !== undefined && region.paging !== "guard") this.#pages.fault(page, action === "write" && region.attrs.writable ? "write" : "read");
      const frame = this.#pages.frameOf(page);
      if (frame === null) {
        const why = region === undefined ? "no user region holds it" : "it is a guard page";
        throw new ProcessError("InvalidRange", `Cannot ${action} ${hex(sameType(vaddr, address))}: ${why}`, { address: sameType(vaddr, address) });
      }
      each(frame + within, offset, to);
      offset = to;
    }
  }

  #check(action: string): void {
    if (this.#destroyed) throw new ProcessError("Destroyed", `Cannot ${action}: the address space at root ${hex(this.root)} was destroyed`, { root: this.root });
  }
}

function pageOf(vaddr: Address): number {
  return typeof vaddr === "number" ? Math.floor(vaddr / PAGE_BYTES) : Number(vaddr / BigInt(PAGE_BYTES));
}

function outOfMemory(action: string, cause: Error): ProcessError {
  return new ProcessError("OutOfMemory", `Cannot ${action}: ${cause.message}`, {});
}
