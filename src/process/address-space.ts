import type { Mmu } from "../arch/x86/mmu.js";
import { X86Mmu } from "../arch/x86/cpu.js";
import { RiscvMmu } from "../arch/riscv/cpu.js";
import { ProcessError } from "../errors/process-error.js";
import { hex } from "../format.js";
import { PAGE_BYTES, tableEntries } from "../paging/geometry.js";
import type { Address, Attributes, Range } from "../types.js";
import { attributesProblem } from "../validate.js";
import { VirtualMemoryManagerImpl } from "../vmm.js";
import { frameRefsOf } from "./frame-refs.js";
import { type KernelHalf, sameType } from "./kernel-half.js";
import { type AccessOp, type Backing, type FaultCounters, type FaultOutcome, LazyPages, type SwapOptions } from "./lazy-pages.js";

/** An MMU an address space can be loaded into: 32-bit `Mmu`, any-mode `X86Mmu`, or `RiscvMmu`. */
export type AnyMmu = Mmu | X86Mmu | RiscvMmu;

/** One user region of an address space, as `kmem load-elf` prints it. */
export interface SpaceRegion<A extends Address> {
  /** Its pages, end exclusive. */
  readonly virtual: Range<A>;
  /** The rights it is mapped with (`kernel` false). */
  readonly attrs: Attributes;
  /** Frames behind it now (0 for a guard page; for a demand-paged region, the pages touched so far). */
  readonly frames: number;
  /** Demand-paged: pages get frames on first touch. */
  readonly lazy: boolean;
  /** Its name in listings (`PT_LOAD 0`, `stack`, `stack guard`, …). */
  readonly label: string;
}

/** One user page that has a frame, as {@link AddressSpace.pages} lists it. */
export interface ResidentPage<A extends Address> {
  /** The page's address. */
  readonly vaddr: A;
  /** The physical frame behind it. */
  readonly frame: number;
  /** Whether the page is mapped writable now (false for a copy-on-write page until its write fault). */
  readonly writable: boolean;
  /** Shared after a fork, read-only until a write copies it or takes it over. */
  readonly cow: boolean;
  /** Its region's label. */
  readonly label: string;
}

/** Options of {@link AddressSpace.map}. */
export interface MapOptions<A extends Address> {
  /** Where the region must start (else first fit). */
  readonly at?: A;
  /** A name for listings (default `"anonymous"`). */
  readonly label?: string;
}

/** Options of {@link AddressSpace.reserveLazy}. */
export interface LazyOptions {
  /** A name for listings (default `"anonymous"`). */
  readonly label?: string;
  /** File bytes behind the region (an ELF segment); without, pages are zero-filled. */
  readonly backing?: Backing;
}

/**
 * A task's address space: its own root table whose kernel-half top-level entries are copies
 * of the kernel's (so kernel tables are shared, never owned), and a user VMM over the user
 * half that owns every user frame and user table. Generic over the mode: any
 * {@link KernelHalf} (32-bit x86 from `boot`, x86-64, RISC-V with `TableMapper`).
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
  /** The user half's VMM (payload: {@link root}). */
  readonly vmm: VirtualMemoryManagerImpl<number, A>;
  /** Label and full attributes per region start (the VMM's records keep only kernel/writable/cachable). */
  readonly #info = new Map<string, { readonly label: string; readonly attrs: Attributes }>();
  readonly #lazy: LazyPages<A>;
  /** The MMU this space was last loaded into (for TLB invalidations of its own changes). */
  #mmu: AnyMmu | null = null;
  #destroyed = false;

  private constructor(kernel: KernelHalf<A>, root: number) {
    this.kernel = kernel;
    this.root = root;
    this.vmm = new VirtualMemoryManagerImpl<number, A>({ start: kernel.userStart, end: kernel.userEnd, pmm: kernel.pmm, mapper: kernel.mapper, payload: root, memory: kernel.memory });
    this.#lazy = new LazyPages(kernel, root, frameRefsOf(kernel.pmm));
  }

  /** This space's page-fault counters (demand paging and copy-on-write). */
  get faults(): Readonly<FaultCounters> {
    return this.#lazy.counters;
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
    const g = kernel.geometry;
    const entries = tableEntries(g, g.levels - 1);
    for (let i = kernel.firstSharedEntry; i < entries; i++) {
      const offset = i * g.entryBytes;
      for (let word = 0; word < g.entryBytes; word += 4) kernel.memory.write32(root + offset + word, kernel.memory.read32(kernel.root + offset + word));
    }
    return new AddressSpace(kernel, root);
  }

  /** Whether {@link destroy} was called. */
  get destroyed(): boolean {
    return this.#destroyed;
  }

  /**
   * Allocates `pages` zeroed user pages with `attrs` (forced to `kernel: false`). O(pages).
   *
   * @throws {ProcessError} `Destroyed`, `OutOfMemory` (no virtual room, frames or tables).
   * @throws {VmmError} for a bad `at` (`AlreadyAllocated`, `InvalidVirtAddresses`) or attributes.
   */
  map(pages: number, attrs: Attributes, options: MapOptions<A> = {}): A {
    this.#check("map");
    const userAttrs = { ...attrs, kernel: false };
    let start: A | null;
    try {
      start = this.vmm.alloc(pages, userAttrs, options.at === undefined ? {} : { at: options.at });
    } catch (error) {
      if (error instanceof Error && "code" in error && error.code === "OutOfMemory") throw outOfMemory(`map ${String(pages)} pages`, error);
      throw error;
    }
    if (start === null) throw new ProcessError("OutOfMemory", `Cannot map ${String(pages)} pages: no room in the user space or no free frames`, { pages });
    for (const frame of this.vmm.allocationAt(start)?.physical ?? []) this.kernel.memory.writeBytes(Number(frame), new Uint8Array(PAGE_BYTES));
    this.#info.set(String(start), { label: options.label ?? "anonymous", attrs: userAttrs });
    return start;
  }

  /**
   * Reserves `pages` user pages with no frames and no translations (a guard page: every
   * access faults). Returns the start.
   *
   * @throws {ProcessError} `Destroyed`. @throws {VmmError} `AlreadyAllocated` when in use.
   */
  reserve(at: A, pages: number, label = "guard"): A {
    this.#check("reserve");
    const end = sameType(at, BigInt(at) + BigInt(pages * PAGE_BYTES));
    const attrs = { kernel: false, writable: false, cachable: true, executable: false };
    this.vmm.set({ start: at, end }, null, attrs);
    this.#info.set(String(at), { label, attrs });
    return at;
  }

  /**
   * Reserves `pages` user pages at `at` for demand paging: no frame and no translation until
   * the first access faults and {@link handleFault} fills the page (zeros, or `backing`'s bytes).
   *
   * @throws {ProcessError} `Destroyed`. @throws {VmmError} `AlreadyAllocated`, `InvalidVirtAddresses`, `InvalidAttributes`.
   */
  reserveLazy(at: A, pages: number, attrs: Attributes, options: LazyOptions = {}): A {
    this.#check("reserve");
    const userAttrs = { ...attrs, kernel: false };
    const end = sameType(at, BigInt(at) + BigInt(pages * PAGE_BYTES));
    this.vmm.set({ start: at, end }, null, userAttrs);
    const startPage = pageOf(at);
    this.#lazy.add({ startPage, endPage: startPage + pages, attrs: userAttrs, backing: options.backing ?? null });
    this.#info.set(String(at), { label: options.label ?? "anonymous", attrs: userAttrs });
    return at;
  }

  /**
   * Bounds this space's resident demand-paged pages to `options.frames`: a fault beyond it
   * first evicts the policy's victim to `options.device` (written there, unmapped, its TLB
   * entry invalidated in the MMU the space was last loaded into); a fault on a swapped-out
   * page reads it back (a major fault). A fork inherits the setting (not OPT, whose future is
   * this space's own).
   *
   * @throws {ProcessError} `Destroyed`. @throws {ReplacementError} `InvalidFrames`; OPT without `future`.
   * @throws {RangeError} when more pages than `frames` are already resident.
   */
  enableSwap(options: SwapOptions): void {
    this.#check("enable swap");
    this.#lazy.enableSwap(options, (page) => {
      if (this.#mmu !== null && this.isActive(this.#mmu)) invalidatePage(this.#mmu, sameType(this.kernel.userStart, BigInt(page) * BigInt(PAGE_BYTES)));
    });
  }

  /** Pages of this space on the swap device. */
  get swappedPages(): number {
    return this.#lazy.swappedPages;
  }

  /** Reports a completed user access at `vaddr` to the replacement policy (exact LRU, OPT); the access driver calls it. */
  noteAccess(vaddr: A): void {
    this.#lazy.noteAccess(pageOf(vaddr));
  }

  /**
   * The OS's page-fault handler: resolves a fault of a user `op` at `vaddr` (demand paging,
   * copy-on-write) or reports a segfault. The caller invalidates the page in the TLB.
   *
   * @throws {ProcessError} `Destroyed`, `OutOfMemory` (no frame; nothing changed).
   */
  handleFault(vaddr: A, op: AccessOp): FaultOutcome {
    this.#check("handle a fault");
    return this.#lazy.fault(pageOf(vaddr), op);
  }

  /**
   * Copy-on-write fork: a new space with the same regions; demand-paged regions share every
   * present frame (read-only in both when writable, one more reference each), other regions
   * are copied. The caller flushes this space's TLB entries (its pages became read-only).
   *
   * @throws {ProcessError} `Destroyed`, `OutOfMemory` (the partial child is destroyed first).
   */
  fork(): AddressSpace<A> {
    return this.#duplicate("fork", true);
  }

  /**
   * Unmaps the region starting at `start` and frees its frames and emptied tables.
   *
   * @throws {ProcessError} `Destroyed`. @throws {VmmError} `NotAllocated`.
   */
  unmap(start: A): void {
    this.#check("unmap");
    if (this.vmm.allocationAt(start)?.virtual.start === start) this.#lazy.release(pageOf(start));
    this.vmm.free(start);
    this.#info.delete(String(start));
  }

  /**
   * mprotect: gives the pages `[start, end)` of a demand-paged region the attributes `attrs`,
   * splitting the region in up to three; present pages are re-mapped (copy-on-write ones stay
   * read-only) and dropped from the TLB of the MMU this space is loaded into. All-or-nothing.
   * O(pages in the range).
   *
   * @throws {ProcessError} `Destroyed`, `InvalidRange` (misaligned, empty, not inside one
   * demand-paged region), `InvalidAttributes`.
   */
  protect(start: A, end: A, attrs: Attributes): void {
    const problem = attributesProblem(attrs);
    if (problem !== null) throw new ProcessError("InvalidAttributes", `Cannot protect ${hex(start)}–${hex(end)}: ${problem.message}`, { field: problem.field });
    const { region, from, to } = this.#lazyRange(start, end, "protect");
    const userAttrs = { ...attrs, kernel: false };
    this.#split(region, from, to, userAttrs);
    this.#invalidate(this.#lazy.remap(from, to));
  }

  /**
   * munmap of part of a demand-paged region: unmaps `[start, end)` (frames dropped, swap
   * slots freed, TLB entries invalidated) and keeps the pieces on either side. All-or-nothing.
   * O(pages in the range).
   *
   * @throws {ProcessError} `Destroyed`, `InvalidRange`.
   */
  unmapRange(start: A, end: A): void {
    const { region, from, to } = this.#lazyRange(start, end, "unmap");
    this.#split(region, from, to, null);
    this.#invalidate(this.#lazy.releasePages(from, to));
  }

  /** The demand-paged region holding all of `[start, end)`, and the range's pages. */
  #lazyRange(start: A, end: A, action: string): { region: NonNullable<ReturnType<LazyPages<A>["regionOf"]>>; from: number; to: number } {
    this.#check(action);
    const page = BigInt(PAGE_BYTES);
    const s = BigInt(start);
    const e = BigInt(end);
    const region = s % page === 0n && e % page === 0n && s < e ? this.#lazy.regionOf(Number(s / page)) : undefined;
    if (region === undefined || Number(e / page) > region.endPage) {
      throw new ProcessError("InvalidRange", `Cannot ${action} ${hex(start)}–${hex(end)}: not a page-aligned, non-empty range inside one demand-paged region`, { start, end });
    }
    return { region, from: Number(s / page), to: Number(e / page) };
  }

  /** Splits `region` around `[from, to)`: the middle gets `attrs`, or disappears when `attrs` is null. VMM reservations follow. */
  #split(region: NonNullable<ReturnType<LazyPages<A>["regionOf"]>>, from: number, to: number, attrs: Attributes | null): void {
    const label = this.#info.get(String(this.#address(region.startPage)))?.label ?? "anonymous";
    const pieces = [
      { startPage: region.startPage, endPage: from, attrs: region.attrs },
      ...(attrs === null ? [] : [{ startPage: from, endPage: to, attrs }]),
      { startPage: to, endPage: region.endPage, attrs: region.attrs },
    ].filter((p) => p.endPage > p.startPage);
    this.vmm.free(this.#address(region.startPage));
    this.#info.delete(String(this.#address(region.startPage)));
    for (const p of pieces) {
      this.vmm.set({ start: this.#address(p.startPage), end: this.#address(p.endPage) }, null, p.attrs);
      this.#info.set(String(this.#address(p.startPage)), { label, attrs: p.attrs });
    }
    this.#lazy.splitRegion(region, pieces);
  }

  /** Drops `pages` from the TLB of the MMU this space is loaded into (none when it is not running). */
  #invalidate(pages: readonly number[]): void {
    const mmu = this.#mmu;
    if (mmu === null || !this.isActive(mmu)) return;
    for (const p of pages) invalidatePage(mmu, this.#address(p));
  }

  #address(page: number): A {
    return sameType(this.kernel.userStart, BigInt(page) * BigInt(PAGE_BYTES));
  }

  /** The user regions in address order. O(regions). */
  regions(): SpaceRegion<A>[] {
    const out: SpaceRegion<A>[] = [];
    for (const a of this.vmm.allocations()) {
      const info = this.#info.get(String(a.virtual.start));
      const lazy = this.#lazy.region(pageOf(a.virtual.start));
      const frames = lazy === undefined ? a.physical.length : this.#lazy.presentPages(lazy).length;
      out.push({ virtual: a.virtual, attrs: info?.attrs ?? a.attrs, frames, label: info?.label ?? "anonymous", lazy: lazy !== undefined });
    }
    return out;
  }

  /**
   * Every user page with a frame, in address order: the frame, whether it is copy-on-write
   * (how many spaces share a frame: `frameRefsOf(space.kernel.pmm).count(frame)`). O(pages).
   */
  pages(): ResidentPage<A>[] {
    const out: ResidentPage<A>[] = [];
    for (const region of this.regions()) {
      const start = pageOf(region.virtual.start);
      const lazy = this.#lazy.region(start);
      if (lazy !== undefined) {
        for (const p of this.#lazy.presentPages(lazy)) out.push({ vaddr: this.#address(p.page), frame: p.frame, writable: region.attrs.writable && !p.cow, cow: p.cow, label: region.label });
        continue;
      }
      const end = pageOf(region.virtual.end);
      for (let page = start; page < end && region.frames > 0; page++) {
        out.push({ vaddr: this.#address(page), frame: Number(this.vmm.virtToPhys(this.#address(page))), writable: region.attrs.writable, cow: false, label: region.label });
      }
    }
    return out;
  }

  /**
   * Copies `data` into user memory at `vaddr` through this space's tables (as the kernel's
   * `copy_to_user`, ignoring the pages' write protection). O(bytes).
   *
   * @throws {ProcessError} `Destroyed`. @throws {VmmError} `NotAllocated` when a page has no frame.
   */
  write(vaddr: A, data: Uint8Array): void {
    this.#check("write");
    this.#pages(vaddr, data.length, "write", (physical, from, to) => this.kernel.memory.writeBytes(physical, data.subarray(from, to)));
  }

  /**
   * Reads `length` bytes of user memory at `vaddr` through this space's tables. O(bytes).
   *
   * @throws {ProcessError} `Destroyed`. @throws {VmmError} `NotAllocated` when a page has no frame.
   */
  read(vaddr: A, length: number): Uint8Array {
    this.#check("read");
    const out = new Uint8Array(length);
    this.#pages(vaddr, length, "read", (physical, from, to) => out.set(this.kernel.memory.readBytes(physical, to - from), from));
    return out;
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

  #duplicate(action: string, share: boolean): AddressSpace<A> {
    this.#check(action);
    const child = AddressSpace.create(this.kernel);
    try {
      const swap = this.#lazy.swapOptions;
      if (swap !== null && swap.policy !== "opt") child.enableSwap({ frames: swap.frames, policy: swap.policy, device: swap.device });
      for (const region of this.regions()) {
        const { start, end } = region.virtual;
        const pages = Number((BigInt(end) - BigInt(start)) / BigInt(PAGE_BYTES));
        const lazy = this.#lazy.region(pageOf(start));
        if (lazy !== undefined) {
          child.reserveLazy(start, pages, region.attrs, { label: region.label, ...(lazy.backing === null ? {} : { backing: lazy.backing }) });
          if (share) this.#lazy.shareInto(child.#lazy, lazy);
          else this.#lazy.copyInto(child.#lazy, lazy);
          continue;
        }
        if (region.frames === 0) {
          child.reserve(start, pages, region.label);
          continue;
        }
        child.map(pages, region.attrs, { at: start, label: region.label });
        child.write(start, this.read(start, pages * PAGE_BYTES));
      }
    } catch (error) {
      child.destroy();
      throw error;
    }
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
    for (const region of this.regions()) this.unmap(region.virtual.start);
    const g = this.kernel.geometry;
    this.kernel.memory.writeBytes(this.root + this.kernel.firstSharedEntry * g.entryBytes, new Uint8Array((tableEntries(g, g.levels - 1) - this.kernel.firstSharedEntry) * g.entryBytes));
    this.kernel.mapper.destroyRoot(this.root);
    this.#info.clear();
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
    if (mmu instanceof X86Mmu) mmu.setState({ cr3: this.root });
    else if (mmu instanceof RiscvMmu) mmu.setState({ satp: satpFor(mmu, this.root, options.asid ?? 0) });
    else mmu.loadCr3(this.root);
  }

  /** Whether `mmu` currently translates through this space. */
  isActive(mmu: AnyMmu): boolean {
    if (mmu instanceof X86Mmu) return mmu.state.cr3 - (mmu.state.cr3 % PAGE_BYTES) === this.root;
    if (mmu instanceof RiscvMmu) return Number(BigInt(mmu.state.satp) & (mmu.xlen === 64 ? 0xfff_ffff_ffffn : 0x3f_ffffn)) * PAGE_BYTES === this.root;
    return mmu.cr3 === this.root;
  }

  #pages(vaddr: A, length: number, action: string, each: (physical: number, from: number, to: number) => void): void {
    let offset = 0;
    const base = BigInt(vaddr);
    while (offset < length) {
      const address = base + BigInt(offset);
      const within = Number(address % BigInt(PAGE_BYTES));
      const to = Math.min(length, offset + PAGE_BYTES - within);
      const page = Number(address / BigInt(PAGE_BYTES));
      const lazy = this.#lazy.regionOf(page);
      if (lazy !== undefined) {
        this.#lazy.fault(page, action === "write" && lazy.attrs.writable ? "write" : "read");
        const frame = this.#lazy.frameOf(page);
        if (frame === null) throw new ProcessError("OutOfMemory", `Cannot ${action} ${hex(sameType(vaddr, address))}: no frame there`, { address: sameType(vaddr, address) });
        each(frame + within, offset, to);
        offset = to;
        continue;
      }
      const allocation = this.vmm.allocationAt(sameType(vaddr, address));
      if (allocation === null || allocation.physical.length === 0) {
        throw new ProcessError("OutOfMemory", `Cannot ${action} ${hex(sameType(vaddr, address))}: no frame there`, { address: sameType(vaddr, address) });
      }
      each(Number(this.vmm.virtToPhys(sameType(vaddr, address))), offset, to);
      offset = to;
    }
  }

  #check(action: string): void {
    if (this.#destroyed) throw new ProcessError("Destroyed", `Cannot ${action}: the address space at root ${hex(this.root)} was destroyed`, { root: this.root });
  }
}

/** Drops the TLB entry of the page holding `vaddr` in `mmu` (`invlpg` / `sfence.vma vaddr`). */
export function invalidatePage(mmu: AnyMmu, vaddr: Address): void {
  if (mmu instanceof RiscvMmu) mmu.sfenceVma(vaddr);
  else if (mmu instanceof X86Mmu) mmu.invlpg(vaddr);
  else mmu.invlpg(Number(vaddr));
}

function pageOf(vaddr: Address): number {
  return Number(BigInt(vaddr) / BigInt(PAGE_BYTES));
}

function outOfMemory(action: string, cause: Error): ProcessError {
  return new ProcessError("OutOfMemory", `Cannot ${action}: ${cause.message}`, {});
}

/** satp with `mmu`'s current MODE, `asid` and the root's PPN. */
function satpFor(mmu: RiscvMmu, root: number, asid: number): bigint | number {
  const ppn = BigInt(root / PAGE_BYTES);
  if (mmu.xlen === 64) return (BigInt(mmu.state.satp) & (0xfn << 60n)) | (BigInt(asid) << 44n) | ppn;
  return Number((BigInt(mmu.state.satp) & (1n << 31n)) | (BigInt(asid) << 22n) | ppn);
}
