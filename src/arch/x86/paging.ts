import { MapperError } from "../../errors/mapper-error.js";
import { type ActionText, actionText, describeNumberAddress, hex } from "../../format.js";
import type { FrameAllocator, Mapper } from "../../mapper.js";
import type { PhysicalMemory } from "../../ram.js";
import type { Attributes } from "../../types.js";
import { attributesProblem } from "../../validate.js";
import { type WalkOptions, type X86Mapping, listMappings, pageTables } from "./mappings.js";
import {
  ADDRESS_LIMIT,
  ENTRIES_PER_TABLE,
  ENTRY_AVAILABLE_MASK,
  ENTRY_BYTES,
  ENTRY_FRAME_MASK,
  LARGE_FRAME_MASK,
  LARGE_HIGH_FRAME_MASK,
  LARGE_PAGE_SIZE,
  LARGE_RESERVED_MASK,
  PAGE_SIZE,
  PDE_LARGE_PAT,
  PTE_ACCESSED,
  PTE_CACHE_DISABLE,
  PTE_DIRTY,
  PTE_GLOBAL,
  PTE_PAT,
  PTE_PRESENT,
  PTE_USER,
  PTE_WRITABLE,
  PTE_WRITE_THROUGH,
  TABLE_BYTES,
  encodeLargePde,
  encodePte,
  encodeTablePde,
  isLargePde,
  pdIndex,
  ptIndex,
} from "./entry.js";

export type { X86Mapping } from "./mappings.js";

/** The bits a 4 MiB PDE hands down to each PTE when it is split into a table. */
const SPLIT_INHERITED_BITS =
  PTE_PRESENT | PTE_WRITABLE | PTE_USER | PTE_WRITE_THROUGH | PTE_CACHE_DISABLE | PTE_ACCESSED | PTE_DIRTY | PTE_GLOBAL | ENTRY_AVAILABLE_MASK;

/** Options for {@link X86Paging}. */
export interface X86PagingOptions {
  /** The physical memory the directory and tables live in. */
  readonly ram: PhysicalMemory;
  /** Where page directories and page tables come from (normally the PMM). */
  readonly frames: FrameAllocator;
  /** Map 4 MiB-aligned 4 MiB runs with one PS PDE (needs CR4.PSE in the MMU). Default false. */
  readonly largePages?: boolean;
  /**
   * CR4.PSE of the MMU that walks these tables: how {@link X86Paging.mappings} and
   * {@link X86Paging.tablesInUse} read a PDE with PS (a 4 MiB page, or — without PSE — a
   * pointer to a page table, as the MMU walks it). Default: `largePages`.
   */
  readonly pse?: boolean;
}

/** What one directory slot of a range will receive, decided before any byte is written. */
interface SlotPlan {
  readonly pdeAddress: number;
  readonly vFrom: number;
  readonly vTo: number;
  readonly pFrom: number;
  /** `table`: entries in an existing table; `new`: a fresh table; `large`: one PS PDE (map) or clear it (unmap); `split`: a PS PDE turned into a table first. */
  readonly kind: "table" | "new" | "large" | "split";
  /** The existing table, or the old PDE for `split`. */
  readonly existing: number;
}

/**
 * The x86 32-bit two-level paging {@link Mapper}: page directories and page tables are real
 * bytes in {@link PhysicalMemory}, in frames from a {@link FrameAllocator}, laid out exactly
 * as Intel SDM vol. 3 §4.3 says — RAM plus CR3 is what a CPU would walk. The payload is a
 * directory's physical address (the CR3 value).
 *
 * PDEs pointing at tables are present|writable|user ({@link kmem/x86!TABLE_PDE_FLAGS}); each PTE
 * alone carries the page's permissions. A table is taken from `frames` (and zeroed) on first
 * use and returned when its last present entry is unmapped. Unmapping part of a 4 MiB page
 * splits it into a table of 1024 PTEs with the same frames and bits, then clears the part.
 *
 * Every `map` and `unmap` is all-or-nothing: the whole range and the frames for new tables
 * are checked and obtained before the first entry is written.
 *
 * @example
 * const paging = new X86Paging({ ram, frames: pmm });
 * const cr3 = paging.createDirectory();
 * paging.map(0xc0000000, 0xc0002000, 0x100000, 0x102000, { kernel: true, writable: true, cachable: true }, cr3);
 */
export class X86Paging implements Mapper<number> {
  /** Whether 4 MiB-aligned 4 MiB runs become PS PDEs. */
  readonly largePages: boolean;
  /** CR4.PSE as the enumerations assume it (see {@link X86PagingOptions.pse}). */
  readonly pse: boolean;
  readonly #ram: PhysicalMemory;
  readonly #frames: FrameAllocator;

  /**
   * Creates a mapper over `ram` taking table frames from `frames`.
   *
   * @throws {RangeError} When `frames.blockSize` is not 4096, or `largePages` is asked for with `pse` false.
   */
  constructor(options: X86PagingOptions) {
    if (options.frames.blockSize !== PAGE_SIZE) {
      throw new RangeError(`Cannot page with frames of ${String(options.frames.blockSize)} bytes: x86 tables need ${String(PAGE_SIZE)}-byte frames`);
    }
    this.#ram = options.ram;
    this.#frames = options.frames;
    this.largePages = options.largePages ?? false;
    this.pse = options.pse ?? this.largePages;
    if (this.largePages && !this.pse) {
      throw new RangeError("Cannot map 4 MiB pages with pse false: without CR4.PSE the MMU walks a PS PDE as a page table");
    }
  }

  /**
   * Allocates a zeroed page directory and returns its physical address (a CR3 value).
   *
   * @throws {MapperError} `OutOfMemory` when `frames` has no block; `InvalidPhysicalAddress` when it gives one outside RAM.
   */
  createDirectory(): number {
    const frame = this.#takeFrame("create a page directory", 1);
    this.#ram.fill(frame, TABLE_BYTES, 0);
    return frame;
  }

  /**
   * Returns the directory's page tables and the directory itself to `frames`.
   * The pages it maps are not touched (they belong to whoever mapped them).
   *
   * @throws {MapperError} `InvalidPhysicalAddress` when `directory` is not a directory in RAM.
   */
  destroyDirectory(directory: number): void {
    this.#checkDirectory(directory, "destroy directory");
    // kmem writes PS only in 4 MiB PDEs, never in a PDE pointing at a table it took from `frames`.
    for (const table of pageTables(this.#ram, directory, { pse: true })) {
      this.#frames.free(table);
    }
    this.#ram.fill(directory, TABLE_BYTES, 0);
    this.#frames.free(directory);
  }

  /**
   * Maps `[vStart, vEnd)` to `[pStart, pEnd)` with `attrs` in `directory`. O(pages).
   *
   * @throws {MapperError} `InvalidVirtualAddress` / `InvalidPhysicalAddress` (not within
   * 32 bits, or start > end; also a bad directory), `MisalignedVirtualAddress` /
   * `MisalignedPhysicalAddress`, `AddressMismatch` (lengths differ), `AlreadyMapped`
   * (a page of the range is present), `OutOfMemory` (no frame for a new table),
   * `InvalidAttributes` (`attrs` not an `Attributes`; the message names the field).
   */
  map(vStart: number, vEnd: number, pStart: number, pEnd: number, attrs: Attributes, directory: number): void {
    const action = (): string => `map ${numberRange(vStart, vEnd)} to ${numberRange(pStart, pEnd)}`;
    this.#checkDirectory(directory, action);
    checkRange(vStart, vEnd, "virtual", action);
    checkRange(pStart, pEnd, "physical", action);
    const problem = attributesProblem(attrs);
    if (problem !== null) {
      throw new MapperError("InvalidAttributes", `Cannot ${actionText(action)}: ${problem.message}`, { field: problem.field });
    }
    if (vEnd - vStart !== pEnd - pStart) {
      throw new MapperError("AddressMismatch", `Cannot ${actionText(action)}: the virtual range is ${hex(vEnd - vStart)} bytes but the physical range is ${hex(pEnd - pStart)}`, {
        vStart,
        vEnd,
        pStart,
        pEnd,
      });
    }
    const plans: SlotPlan[] = [];
    let newTables = 0;
    forEachSlot(vStart, vEnd, (vFrom, vTo) => {
      const pFrom = pStart + (vFrom - vStart);
      const pdeAddress = directory + pdIndex(vFrom) * ENTRY_BYTES;
      const pde = this.#ram.read32(pdeAddress);
      if ((pde & PTE_PRESENT) !== 0) {
        if (isLargePde(pde)) {
          throw alreadyMapped(action, vFrom, pde);
        }
        const table = (pde & ENTRY_FRAME_MASK) >>> 0;
        for (let v = vFrom; v < vTo; v += PAGE_SIZE) {
          const pte = this.#ram.read32(table + ptIndex(v) * ENTRY_BYTES);
          if ((pte & PTE_PRESENT) !== 0) {
            throw alreadyMapped(action, v, pte);
          }
        }
        plans.push({ pdeAddress, vFrom, vTo, pFrom, kind: "table", existing: table });
      } else if (this.largePages && vTo - vFrom === LARGE_PAGE_SIZE && pFrom % LARGE_PAGE_SIZE === 0) {
        plans.push({ pdeAddress, vFrom, vTo, pFrom, kind: "large", existing: 0 });
      } else {
        plans.push({ pdeAddress, vFrom, vTo, pFrom, kind: "new", existing: 0 });
        newTables++;
      }
    });
    const tables = this.#takeFrames(newTables, action);
    let next = 0;
    for (const plan of plans) {
      if (plan.kind === "large") {
        this.#ram.write32(plan.pdeAddress, encodeLargePde(plan.pFrom, attrs));
        continue;
      }
      let table = plan.existing;
      if (plan.kind === "new") {
        table = tables[next++] ?? 0;
        this.#ram.write32(plan.pdeAddress, encodeTablePde(table));
      }
      for (let v = plan.vFrom, p = plan.pFrom; v < plan.vTo; v += PAGE_SIZE, p += PAGE_SIZE) {
        this.#ram.write32(table + ptIndex(v) * ENTRY_BYTES, encodePte(p, attrs));
      }
    }
  }

  /**
   * Removes the translations of `[vStart, vEnd)` in `directory`, freeing every table left
   * empty; part of a 4 MiB page is first split into a table. O(pages) plus a scan of each
   * touched table.
   *
   * @throws {MapperError} `InvalidVirtualAddress` (not within 32 bits, start > end; also a
   * bad directory as `InvalidPhysicalAddress`; also part of a 4 MiB PDE with bits 13–21 set,
   * which cannot be split into PTEs), `MisalignedVirtualAddress`, `NotMapped`
   * (a page of the range is not present), `OutOfMemory` (no frame to split a 4 MiB page).
   */
  unmap(vStart: number, vEnd: number, directory: number): void {
    const action = (): string => `unmap ${numberRange(vStart, vEnd)}`;
    this.#checkDirectory(directory, action);
    checkRange(vStart, vEnd, "virtual", action);
    const plans: SlotPlan[] = [];
    let splits = 0;
    forEachSlot(vStart, vEnd, (vFrom, vTo) => {
      const pdeAddress = directory + pdIndex(vFrom) * ENTRY_BYTES;
      const pde = this.#ram.read32(pdeAddress);
      if ((pde & PTE_PRESENT) === 0) {
        throw notMapped(action, vFrom, pde);
      }
      if (isLargePde(pde)) {
        const whole = vTo - vFrom === LARGE_PAGE_SIZE;
        if (!whole && (pde & (LARGE_HIGH_FRAME_MASK | LARGE_RESERVED_MASK)) !== 0) {
          throw new MapperError(
            "InvalidPhysicalAddress",
            `Cannot ${actionText(action)}: the 4 MiB PDE ${hex(pde)} of ${hex(vFrom)} sets bits 13–21 (a frame above 4 GiB, or its reserved bit), which 4 KiB PTEs cannot express`,
            { address: vFrom, entry: pde },
          );
        }
        plans.push({ pdeAddress, vFrom, vTo, pFrom: 0, kind: whole ? "large" : "split", existing: pde });
        splits += whole ? 0 : 1;
        return;
      }
      const table = (pde & ENTRY_FRAME_MASK) >>> 0;
      for (let v = vFrom; v < vTo; v += PAGE_SIZE) {
        const pte = this.#ram.read32(table + ptIndex(v) * ENTRY_BYTES);
        if ((pte & PTE_PRESENT) === 0) {
          throw notMapped(action, v, pte);
        }
      }
      plans.push({ pdeAddress, vFrom, vTo, pFrom: 0, kind: "table", existing: table });
    });
    const fresh = this.#takeFrames(splits, action);
    let next = 0;
    for (const plan of plans) {
      if (plan.kind === "large") {
        this.#ram.write32(plan.pdeAddress, 0);
        continue;
      }
      let table = plan.existing;
      if (plan.kind === "split") {
        table = fresh[next++] ?? 0;
        this.#fillSplitTable(table, plan.existing);
        this.#ram.write32(plan.pdeAddress, encodeTablePde(table));
      }
      for (let v = plan.vFrom; v < plan.vTo; v += PAGE_SIZE) {
        this.#ram.write32(table + ptIndex(v) * ENTRY_BYTES, 0);
      }
      if (this.#tableIsEmpty(table)) {
        this.#ram.write32(plan.pdeAddress, 0);
        this.#frames.free(table);
      }
    }
  }

  /**
   * The number of page tables `directory` points at as the MMU walks it (with CR4.PSE as
   * `options.pse`, default {@link X86Paging.pse}, 4 MiB PDEs are not tables). O(1024).
   *
   * @throws {MapperError} `InvalidPhysicalAddress` when `directory` is not a directory in RAM.
   */
  tablesInUse(directory: number, options: Partial<WalkOptions> = {}): number {
    this.#checkDirectory(directory, "count tables");
    return pageTables(this.#ram, directory, { pse: options.pse ?? this.pse }).length;
  }

  /**
   * Every page of `directory` the MMU translates (with CR4.PSE as `options.pse`, default
   * {@link X86Paging.pse}), read back from RAM, in address order (a 4 MiB PDE is one entry
   * of size 4 MiB; without PSE a PS PDE is walked as a table pointer, as the MMU does).
   * Permissions combine both levels, as the MMU sees them. O(entries).
   *
   * @throws {MapperError} `InvalidPhysicalAddress` when `directory` is not a directory in RAM.
   * @throws {MemoryError} `OutOfBounds` when a PDE points at a table outside RAM.
   */
  mappings(directory: number, options: Partial<WalkOptions> = {}): X86Mapping[] {
    this.#checkDirectory(directory, "list mappings");
    return listMappings(this.#ram, directory, { pse: options.pse ?? this.pse });
  }

  #checkDirectory(directory: number, action: ActionText): void {
    if (Number.isSafeInteger(directory) && directory >= 0 && directory % PAGE_SIZE === 0 && directory + TABLE_BYTES <= this.#ram.size) {
      return;
    }
    throw new MapperError(
      "InvalidPhysicalAddress",
      `Cannot ${actionText(action)}: page directory ${describeNumberAddress(directory)} is not a page-aligned frame inside ${hex(this.#ram.size)} bytes of RAM`,
      { directory },
    );
  }

  /** Takes `count` zeroed frames, or none at all (returning what it took) and throws. */
  #takeFrames(count: number, action: ActionText): number[] {
    const taken: number[] = [];
    try {
      while (taken.length < count) {
        taken.push(this.#takeFrame(action, count));
      }
    } catch (error) {
      for (const frame of taken) {
        this.#frames.free(frame);
      }
      throw error;
    }
    for (const frame of taken) {
      this.#ram.fill(frame, TABLE_BYTES, 0);
    }
    return taken;
  }

  /** Takes one frame usable as a table (page-aligned, inside RAM), or throws having taken none. */
  #takeFrame(action: ActionText, needed: number): number {
    const frame = this.#frames.alloc();
    if (frame === null) {
      throw new MapperError("OutOfMemory", `Cannot ${actionText(action)}: no free frame for a page table (${String(needed)} needed)`, { needed });
    }
    if (frame % PAGE_SIZE !== 0 || frame + TABLE_BYTES > this.#ram.size) {
      this.#frames.free(frame);
      throw new MapperError("InvalidPhysicalAddress", `Cannot ${actionText(action)}: the frame allocator gave ${hex(frame)}, which is not a frame inside RAM`, {
        frame,
      });
    }
    return frame;
  }

  /** Writes into `table` the 1024 PTEs equivalent to the 4 MiB PDE `pde`. */
  #fillSplitTable(table: number, pde: number): void {
    const base = (pde & LARGE_FRAME_MASK) >>> 0;
    const bits = (pde & SPLIT_INHERITED_BITS) | ((pde & PDE_LARGE_PAT) !== 0 ? PTE_PAT : 0);
    for (let pti = 0; pti < ENTRIES_PER_TABLE; pti++) {
      this.#ram.write32(table + pti * ENTRY_BYTES, (base + pti * PAGE_SIZE + bits) >>> 0);
    }
  }

  #tableIsEmpty(table: number): boolean {
    for (let pti = 0; pti < ENTRIES_PER_TABLE; pti++) {
      if ((this.#ram.read32(table + pti * ENTRY_BYTES) & PTE_PRESENT) !== 0) {
        return false;
      }
    }
    return true;
  }
}

/** `0x…–0x…` for a range of number addresses, each bound shown as given when it is not one. */
function numberRange(start: number, end: number): string {
  return `${describeNumberAddress(start)}–${describeNumberAddress(end)}`;
}

/** Calls `visit` once per directory slot the non-empty range touches, with the slot's part of it. */
function forEachSlot(vStart: number, vEnd: number, visit: (vFrom: number, vTo: number) => void): void {
  for (let vFrom = vStart; vFrom < vEnd; ) {
    const vTo = Math.min(vEnd, (Math.floor(vFrom / LARGE_PAGE_SIZE) + 1) * LARGE_PAGE_SIZE);
    visit(vFrom, vTo);
    vFrom = vTo;
  }
}

function checkRange(start: number, end: number, kind: "virtual" | "physical", action: ActionText): void {
  const isAddress = (a: number): boolean => Number.isSafeInteger(a) && a >= 0 && a <= ADDRESS_LIMIT;
  if (!isAddress(start) || !isAddress(end) || start > end) {
    throw new MapperError(
      kind === "virtual" ? "InvalidVirtualAddress" : "InvalidPhysicalAddress",
      `Cannot ${actionText(action)}: the ${kind} range ${numberRange(start, end)} must lie within 32 bits with start ≤ end`,
      { start, end },
    );
  }
  if (start % PAGE_SIZE !== 0 || end % PAGE_SIZE !== 0) {
    throw new MapperError(
      kind === "virtual" ? "MisalignedVirtualAddress" : "MisalignedPhysicalAddress",
      `Cannot ${actionText(action)}: the ${kind} range ${numberRange(start, end)} is not ${hex(PAGE_SIZE)}-aligned`,
      { start, end },
    );
  }
}

function alreadyMapped(action: ActionText, vaddr: number, entry: number): MapperError {
  return new MapperError("AlreadyMapped", `Cannot ${actionText(action)}: ${hex(vaddr)} is already mapped (entry ${hex(entry)})`, { address: vaddr, entry });
}

function notMapped(action: ActionText, vaddr: number, entry: number): MapperError {
  return new MapperError("NotMapped", `Cannot ${actionText(action)}: ${hex(vaddr)} is not mapped (entry ${hex(entry)})`, { address: vaddr, entry });
}
