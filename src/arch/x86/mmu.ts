import { MemoryError } from "../../errors/memory-error.js";
import { describeValue } from "../../format.js";
import type { PhysicalMemory } from "../../ram.js";
import { isUnsignedInteger } from "../../validate.js";
import {
  ENTRY_BYTES,
  ENTRY_FRAME_MASK,
  LARGE_PAGE_OFFSET_MASK,
  LARGE_RESERVED_MASK,
  PAGE_OFFSET_MASK,
  PAGE_SIZE,
  PTE_ACCESSED,
  PTE_DIRTY,
  PTE_PRESENT,
  PTE_USER,
  PTE_WRITABLE,
  PT_INDEX_SHIFT,
  isLargePde,
  largeFrameAddress,
  pdIndex,
  ptIndex,
} from "./entry.js";
import { type FaultReason, PF_PRESENT, PF_RSVD, PF_USER, PF_WRITE, PageFault } from "./page-fault.js";
import { type Access, checkVirtualRange, fromLittleEndian, littleEndianBytes } from "./access.js";
import { TLB_LARGE, Tlb, tlbFlagsFor } from "./tlb.js";

export type { Access } from "./access.js";

const DEFAULT_TLB_ENTRIES = 64;
const BYTES_16 = 2;
const BYTES_32 = 4;
/**
 * The hit path's shift and mask as module-local constants: TurboFan folds a local `const`
 * into the code but loads an imported binding from its module cell, with a TDZ check, on
 * every use.
 */
const HIT_PAGE_SHIFT = PT_INDEX_SHIFT;
const HIT_OFFSET_MASK = PAGE_OFFSET_MASK;

/** Options for {@link Mmu}. */
export interface MmuOptions {
  /** The physical memory holding the paging structures and the pages. */
  readonly ram: PhysicalMemory;
  /** TLB slots (direct-mapped); 0 disables the TLB. Default 64. */
  readonly tlbEntries?: number;
  /** CR0.WP: supervisor writes honour read-only pages. Default true. */
  readonly wp?: boolean;
  /** CR4.PSE: PDEs with PS map 4 MiB pages (else PS is ignored). Default false. */
  readonly pse?: boolean;
  /** Initial CR3 (physical address of the page directory). Default 0. */
  readonly cr3?: number;
}

/** Everything one translation looked at, for the CLI and the view (see {@link Mmu.walk}). */
export interface WalkResult {
  /** The virtual address translated. */
  readonly vaddr: number;
  /** The access, with every flag given. */
  readonly access: {
    /** A write (else a read). */
    readonly write: boolean;
    /** From user mode (else supervisor). */
    readonly user: boolean;
    /** An instruction fetch. */
    readonly fetch: boolean;
  };
  /** CR3: the page directory's physical address. */
  readonly cr3: number;
  /** The PDE's index in the directory (bits 22–31 of `vaddr`). */
  readonly pdIndex: number;
  /** The PTE's index in its table (bits 12–21 of `vaddr`). */
  readonly ptIndex: number;
  /** Offset inside the page (22 bits for a 4 MiB page, else 12). */
  readonly offset: number;
  /** The PDE's physical address. */
  readonly pdeAddress: number;
  /** The PDE in RAM after the access (accessed/dirty bits included). */
  readonly pde: number;
  /** Null when the PDE is not present or maps a 4 MiB page. */
  readonly pteAddress: number | null;
  /** The PTE in RAM after the access, or `null` when there is none (as `pteAddress`). */
  readonly pte: number | null;
  /** The PDE maps a 4 MiB page (and CR4.PSE is on). */
  readonly large: boolean;
  /** The translation came from the TLB (RAM may disagree: a stale entry). */
  readonly tlbHit: boolean;
  /** The physical address (up to 2^40 through a PSE-36 4 MiB page), or `null` on a page fault. */
  readonly physical: number | null;
  /** The page fault's error code, or `null` when the access translated. */
  readonly errorCode: number | null;
  /** Why the access faulted, or `null` when it translated. */
  readonly reason: FaultReason | null;
}

/**
 * The x86 32-bit MMU: walks the page directory at CR3 in {@link PhysicalMemory} as the CPU
 * does (Intel SDM vol. 3 §4.3, §4.6, §4.7, §4.8), caching translations in a {@link Tlb}.
 * Where the SDM leaves a choice, it does what QEMU's TCG does (v7.2,
 * target/i386/tcg/sysemu/excp_helper.c, `mmu_translate`), the machine `kmem verify-qemu` checks it against.
 *
 * - Present: P at both levels, else a fault with error-code P = 0.
 * - 4 MiB pages (CR4.PSE, `pse`, and PS in the PDE): bits 13–20 of the PDE are bits 32–39 of
 *   the frame (PSE-36), so a translation may return a physical address up to 2^40 (exact, a
 *   number); bit 21 is reserved: a walk through such a PDE faults with RSVD and P set
 *   (error code 0x9/0xB/0xD/0xF), before the rights are checked. Without PSE, PS is ignored and
 *   the PDE points at a page table, as the SDM says.
 * - User accesses need U at both levels; user writes need R/W at both levels; supervisor
 *   writes need R/W at both levels only when CR0.WP = 1 (`wp`). A failure faults with P = 1.
 * - Accessed and dirty bits, written back into RAM: a walk that reads a present PDE pointing
 *   at a page table sets that PDE's A before it reads the PTE — so the PDE's A is set even
 *   when the PTE then turns out not present or the rights forbid the access, exactly as
 *   QEMU's `restart_2_nopae` block does. The PTE's A (and D on a write), or the 4 MiB PDE's,
 *   are set only when the access is allowed. A fault at the PDE (not present, reserved bit,
 *   rights of a 4 MiB page) changes no entry.
 * - A TLB hit needs no RAM read. A write through an entry whose D is not known to be set,
 *   or a hit whose cached rights forbid the access, drops the entry and re-walks (the SDM
 *   lets a fault invalidate the entry; re-walking makes the outcome follow RAM).
 * - A physical address past the end of `ram` (including any above 4 GiB) holds no memory:
 *   `translate` returns it, but `read*`/`write*` through it throw `MemoryError`
 *   `OutOfBounds`, as for any physical address past RAM (QEMU would read open bus instead).
 *   A paging structure outside RAM raises the same error.
 *
 * Not modelled: NX and the I/D error-code bit (32-bit paging has no NX; a fetch is checked as
 * a read); PGE and global pages (a CR3 load flushes every entry); PAT, PCD and PWT (no caches:
 * the bits are stored and listed, never acted on); MTRRs; PAE and the 64-bit modes; SMEP, SMAP
 * and protection keys; MAXPHYADDR below 40 and CPUs without PSE-36 (which reserve some of
 * bits 13–20 of a 4 MiB PDE, see entry.ts); the A20 gate; paging-structure caches (a PDE
 * change is seen by the next walk without `invlpg`, where a CPU may still use a cached PDE);
 * the real TLB's geometry (kmem's is direct-mapped, so which stale entries survive differs);
 * atomic (locked) A/D updates, since only one CPU walks.
 *
 * @example
 * const mmu = new Mmu({ ram, cr3: directory });
 * mmu.write32(0xc0001000, 0xcafe, { write: true });
 * mmu.translate(0xc0001000, { user: true }); // throws PageFault, errorCode 0x5, for a kernel page
 */
export class Mmu {
  /** CR0.WP. Changing it needs no TLB flush (rights are checked on every hit). */
  wp: boolean;
  readonly #ram: PhysicalMemory;
  readonly #tlb: Tlb;
  #pse: boolean;
  #cr3: number;
  #reason: FaultReason = "pde-not-present";
  #hits = 0;
  #misses = 0;

  /** @throws {MemoryError} `InvalidSize` when `tlbEntries` is not a non-negative safe integer; `InvalidAddress` for a bad `cr3`. */
  constructor(options: MmuOptions) {
    const { tlbEntries } = options;
    if (tlbEntries !== undefined && !isUnsignedInteger(tlbEntries)) {
      throw new MemoryError("InvalidSize", `Cannot create an MMU with ${describeValue(tlbEntries)} TLB entries: the count must be a non-negative safe integer`, {
        address: 0,
        length: 0,
        size: tlbEntries,
      });
    }
    this.#ram = options.ram;
    this.#tlb = new Tlb(options.tlbEntries ?? DEFAULT_TLB_ENTRIES);
    this.wp = options.wp ?? true;
    this.#pse = options.pse ?? false;
    this.#cr3 = checkVirtualRange(options.cr3 === undefined ? 0 : options.cr3, 1, "load CR3 with");
  }

  /** CR3: the physical address of the current page directory. */
  get cr3(): number {
    return this.#cr3;
  }

  /** CR4.PSE. Changing it flushes the TLB, as writing CR4.PSE does. */
  get pse(): boolean {
    return this.#pse;
  }

  /** Sets CR4.PSE and flushes the TLB. */
  set pse(on: boolean) {
    this.#pse = on;
    this.#tlb.flush();
  }

  /** TLB slots. */
  get tlbEntries(): number {
    return this.#tlb.size;
  }

  /** Translations served by the TLB since creation. */
  get tlbHits(): number {
    return this.#hits;
  }

  /** Translations that walked the tables since creation. */
  get tlbMisses(): number {
    return this.#misses;
  }

  /** TLB slots currently holding a translation. O(TLB size). */
  tlbOccupancy(): number {
    return this.#tlb.occupancy();
  }

  /**
   * Loads CR3 (switches address space) and flushes the TLB.
   *
   * @throws {MemoryError} `InvalidAddress` when `directory` is not a 32-bit address.
   */
  loadCr3(directory: number): void {
    this.#cr3 = checkVirtualRange(directory, 1, "load CR3 with");
    this.#tlb.flush();
  }

  /** Drops the TLB's translation of the page holding `vaddr` (the whole 4 MiB page if large). */
  invlpg(vaddr: number): void {
    this.#tlb.invalidate(checkVirtualRange(vaddr, 1, "invlpg") >>> PT_INDEX_SHIFT);
  }

  /** Drops every TLB entry. */
  flushTlb(): void {
    this.#tlb.flush();
  }

  /**
   * Translates `vaddr` for `access`: the physical address, or `-1 - errorCode` on a fault.
   * Allocates nothing; a TLB hit is a few typed-array reads.
   *
   * @throws {MemoryError} `InvalidAddress` when `vaddr` is not a 32-bit address.
   */
  tryTranslate(vaddr: number, access?: Access): number {
    return this.#translate(vaddr, access?.write === true, access?.user === true);
  }

  /**
   * Translates `vaddr` for `access` and returns the physical address.
   *
   * @throws {PageFault} With `address` (CR2) and `errorCode` when the access faults.
   * @throws {MemoryError} `InvalidAddress` when `vaddr` is not a 32-bit address.
   * @example
   * mmu.translate(0xc0000123, { write: true }); // 0x00100123
   */
  translate(vaddr: number, access?: Access): number {
    return this.#translateOrThrow(vaddr, access?.write === true, access);
  }

  /**
   * Translates like {@link translate} (same TLB fills and A/D updates, no exception) and
   * explains it: indices, the entries' addresses and values in RAM after the access, whether
   * the TLB answered, and the result or the fault. O(1).
   *
   * @throws {MemoryError} `InvalidAddress` when `vaddr` is not a 32-bit address.
   */
  walk(vaddr: number, access?: Access): WalkResult {
    const write = access?.write === true;
    const user = access?.user === true;
    checkVirtualRange(vaddr, 1, "translate");
    const tlbHit = this.#tlbAnswers(vaddr, write, user);
    const result = this.#translate(vaddr, write, user);
    const pdeAddress = this.#directory() + pdIndex(vaddr) * ENTRY_BYTES;
    const pde = this.#ram.read32(pdeAddress);
    const large = this.#isLarge(pde);
    const tablePresent = (pde & PTE_PRESENT) !== 0 && !large;
    const pteAddress = tablePresent ? ((pde & ENTRY_FRAME_MASK) >>> 0) + ptIndex(vaddr) * ENTRY_BYTES : null;
    return {
      vaddr,
      access: { write, user, fetch: access?.fetch === true },
      cr3: this.#cr3,
      pdIndex: pdIndex(vaddr),
      ptIndex: ptIndex(vaddr),
      offset: large ? vaddr & LARGE_PAGE_OFFSET_MASK : vaddr & PAGE_OFFSET_MASK,
      pdeAddress,
      pde,
      pteAddress,
      pte: pteAddress === null ? null : this.#ram.read32(pteAddress),
      large,
      tlbHit,
      physical: result < 0 ? null : result,
      errorCode: result < 0 ? -1 - result : null,
      reason: result < 0 ? this.#reason : null,
    };
  }

  /** Reads the byte at virtual `vaddr`. @throws {PageFault} @throws {MemoryError} */
  read8(vaddr: number, access?: Access): number {
    return this.#ram.read8(this.#translateOrThrow(vaddr, false, access));
  }

  /** Reads the little-endian 16-bit value at virtual `vaddr` (page-crossing allowed). @throws {PageFault} @throws {MemoryError} */
  read16(vaddr: number, access?: Access): number {
    if (typeof vaddr === "number" && (vaddr & PAGE_OFFSET_MASK) <= PAGE_SIZE - BYTES_16) {
      return this.#ram.read16(this.#translateOrThrow(vaddr, false, access));
    }
    return fromLittleEndian(this.readBytes(vaddr, BYTES_16, access));
  }

  /** Reads the little-endian 32-bit value at virtual `vaddr` (page-crossing allowed). @throws {PageFault} @throws {MemoryError} */
  read32(vaddr: number, access?: Access): number {
    if (typeof vaddr === "number" && (vaddr & PAGE_OFFSET_MASK) <= PAGE_SIZE - BYTES_32) {
      return this.#ram.read32(this.#translateOrThrow(vaddr, false, access));
    }
    return fromLittleEndian(this.readBytes(vaddr, BYTES_32, access));
  }

  /** Writes a byte at virtual `vaddr` (a write access). @throws {PageFault} @throws {MemoryError} */
  write8(vaddr: number, value: number, access?: Access): void {
    this.#ram.write8(this.#translateOrThrow(vaddr, true, access), value);
  }

  /** Writes a little-endian 16-bit value at virtual `vaddr`; both pages are checked before any byte is written. @throws {PageFault} @throws {MemoryError} */
  write16(vaddr: number, value: number, access?: Access): void {
    if (typeof vaddr === "number" && (vaddr & PAGE_OFFSET_MASK) <= PAGE_SIZE - BYTES_16) {
      this.#ram.write16(this.#translateOrThrow(vaddr, true, access), value);
      return;
    }
    this.writeBytes(vaddr, littleEndianBytes(value, BYTES_16), access);
  }

  /** Writes a little-endian 32-bit value at virtual `vaddr`; both pages are checked before any byte is written. @throws {PageFault} @throws {MemoryError} */
  write32(vaddr: number, value: number, access?: Access): void {
    if (typeof vaddr === "number" && (vaddr & PAGE_OFFSET_MASK) <= PAGE_SIZE - BYTES_32) {
      this.#ram.write32(this.#translateOrThrow(vaddr, true, access), value);
      return;
    }
    this.writeBytes(vaddr, littleEndianBytes(value, BYTES_32), access);
  }

  /**
   * Copies `length` bytes starting at virtual `vaddr`, translating each page (all pages
   * are translated before any byte is copied).
   *
   * @throws {PageFault} For the first page that faults.
   * @throws {MemoryError} `InvalidAddress` when `vaddr` or `length` is not a non-negative safe
   * integer or the range passes 4 GiB (checked before anything is allocated or translated).
   */
  readBytes(vaddr: number, length: number, access?: Access): Uint8Array {
    const pages = this.#translateRange(vaddr, length, false, access);
    const out = new Uint8Array(length);
    let done = 0;
    for (const physical of pages) {
      const chunk = Math.min(length - done, PAGE_SIZE - (physical & PAGE_OFFSET_MASK));
      out.set(this.#ram.readBytes(physical, chunk), done);
      done += chunk;
    }
    return out;
  }

  /**
   * Writes `data` starting at virtual `vaddr`; every page is translated for writing before
   * any byte is written, so a fault leaves memory unchanged.
   *
   * @throws {PageFault} For the first page that faults. @throws {MemoryError}
   */
  writeBytes(vaddr: number, data: Uint8Array, access?: Access): void {
    const pages = this.#translateRange(vaddr, data.length, true, access);
    let done = 0;
    for (const physical of pages) {
      const chunk = Math.min(data.length - done, PAGE_SIZE - (physical & PAGE_OFFSET_MASK));
      this.#ram.writeBytes(physical, data.subarray(done, done + chunk));
      done += chunk;
    }
  }

  /** Translates for a `write` (or read) with `access`'s privilege, or throws the fault. Allocates only to throw. */
  #translateOrThrow(vaddr: number, write: boolean, access: Access | undefined): number {
    const result = this.#translate(vaddr, write, access?.user === true);
    if (result < 0) {
      throw new PageFault(vaddr, -1 - result, { reason: this.#reason, fetch: access?.fetch === true });
    }
    return result;
  }

  #translate(vaddr: number, write: boolean, user: boolean): number {
    // One combined check: a number that is its own unsigned 32-bit value (typeof first, so a bigint or an object never reaches `>>>`).
    if (typeof vaddr !== "number" || vaddr >>> 0 !== vaddr) {
      checkVirtualRange(vaddr, 1, "translate");
    }
    const frame = this.#tlb.frameFor(vaddr >>> HIT_PAGE_SHIFT, write, user, this.wp);
    if (frame >= 0) {
      this.#hits++;
      return frame + (vaddr & HIT_OFFSET_MASK);
    }
    return this.#translateMiss(vaddr, write, user);
  }

  /** A TLB miss, or a hit whose cached rights or D bit do not allow the access: drop the entry and walk. */
  #translateMiss(vaddr: number, write: boolean, user: boolean): number {
    const vpn = vaddr >>> PT_INDEX_SHIFT;
    if (this.#tlb.lookup(vpn) >= 0) {
      this.#tlb.invalidate(vpn);
    }
    this.#misses++;
    return this.#walkTables(vaddr, write, user);
  }

  /** The CPU's table walk; fills the TLB on success. Returns physical or `-1 - errorCode`. */
  #walkTables(vaddr: number, write: boolean, user: boolean): number {
    const accessBits = (write ? PF_WRITE : 0) | (user ? PF_USER : 0);
    const pdeAddress = this.#directory() + pdIndex(vaddr) * ENTRY_BYTES;
    const pde = this.#ram.read32(pdeAddress);
    if ((pde & PTE_PRESENT) === 0) {
      this.#reason = "pde-not-present";
      return -1 - accessBits;
    }
    if (this.#isLarge(pde)) {
      return this.#walkLarge(vaddr, pdeAddress, pde, write, user, accessBits);
    }
    // A before the PTE is even read, as QEMU's restart_2_nopae block does: a fault below keeps it.
    if ((pde & PTE_ACCESSED) === 0) {
      this.#ram.write32(pdeAddress, (pde | PTE_ACCESSED) >>> 0);
    }
    const pteAddress = ((pde & ENTRY_FRAME_MASK) >>> 0) + ptIndex(vaddr) * ENTRY_BYTES;
    const pte = this.#ram.read32(pteAddress);
    if ((pte & PTE_PRESENT) === 0) {
      this.#reason = "pte-not-present";
      return -1 - accessBits;
    }
    const rights = pde & pte;
    if (!this.#allows(rights, write, user)) {
      return -1 - (PF_PRESENT | accessBits);
    }
    const updated = (pte | PTE_ACCESSED | (write ? PTE_DIRTY : 0)) >>> 0;
    if (updated !== pte) {
      this.#ram.write32(pteAddress, updated);
    }
    const frame = (pte & ENTRY_FRAME_MASK) >>> 0;
    this.#tlb.fill(vaddr >>> PT_INDEX_SHIFT, frame, tlbFlagsFor(rights, updated));
    return frame + (vaddr & PAGE_OFFSET_MASK);
  }

  /** The walk's end at a 4 MiB PDE: reserved bits, then rights, then A/D; the frame may lie above 4 GiB. */
  #walkLarge(vaddr: number, pdeAddress: number, pde: number, write: boolean, user: boolean, accessBits: number): number {
    if ((pde & LARGE_RESERVED_MASK) !== 0) {
      this.#reason = "reserved-bit";
      return -1 - (PF_RSVD | PF_PRESENT | accessBits);
    }
    if (!this.#allows(pde, write, user)) {
      return -1 - (PF_PRESENT | accessBits);
    }
    const updated = (pde | PTE_ACCESSED | (write ? PTE_DIRTY : 0)) >>> 0;
    if (updated !== pde) {
      this.#ram.write32(pdeAddress, updated);
    }
    const physical = largeFrameAddress(pde) + (vaddr & LARGE_PAGE_OFFSET_MASK);
    this.#tlb.fill(vaddr >>> PT_INDEX_SHIFT, physical - (vaddr & PAGE_OFFSET_MASK), tlbFlagsFor(pde, updated) | TLB_LARGE);
    return physical;
  }

  /** Checks combined `rights` for the access, recording the reason on failure. */
  #allows(rights: number, write: boolean, user: boolean): boolean {
    if (user && (rights & PTE_USER) === 0) {
      this.#reason = "user-supervisor";
      return false;
    }
    if (write && (rights & PTE_WRITABLE) === 0 && (user || this.wp)) {
      this.#reason = "read-only";
      return false;
    }
    return true;
  }

  #isLarge(pde: number): boolean {
    return this.#pse && isLargePde(pde);
  }

  #directory(): number {
    return (this.#cr3 & ENTRY_FRAME_MASK) >>> 0;
  }

  #tlbAnswers(vaddr: number, write: boolean, user: boolean): boolean {
    return this.#tlb.frameFor(vaddr >>> PT_INDEX_SHIFT, write, user, this.wp) >= 0;
  }

  /** Translates the first byte of every page `[vaddr, vaddr + length)` touches, or throws the first fault. */
  #translateRange(vaddr: number, length: number, write: boolean, access: Access | undefined): number[] {
    checkVirtualRange(vaddr, length, "access");
    const pages: number[] = [];
    for (let v = vaddr; v < vaddr + length; v = (Math.floor(v / PAGE_SIZE) + 1) * PAGE_SIZE) {
      pages.push(this.#translateOrThrow(v, write, access));
    }
    return pages;
  }
}
