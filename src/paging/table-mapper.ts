import type { PhysicalBus } from "../bus.js";
import { MapperError } from "../errors/mapper-error.js";
import { type ActionText, actionText, describeValue, hex } from "../format.js";
import type { FrameAllocator, Mapper } from "../mapper.js";
import type { Address, Attributes } from "../types.js";
import { PAGE_BYTES, PAGE_SHIFT, levelShift, tableEntries } from "./geometry.js";
import { type PageMapping, listMappings } from "./mappings.js";
import type { EntryCodec } from "./mode.js";
import { attributesProblem } from "../validate.js";
import { type PageRange, toPageRange, toPhysicalPage, virtualAddressOf } from "./pages.js";

/** Options for {@link TableMapper}. */
export interface TableMapperOptions<A extends Address> {
  /** The mode's entry codec (e.g. `x86_64Codec()`, `riscvCodec("riscv-sv39")`). */
  readonly codec: EntryCodec<A>;
  /** The physical memory the tables live in. */
  readonly bus: PhysicalBus;
  /** Where tables come from (normally the PMM); 4 KiB frames. */
  readonly frames: FrameAllocator;
  /** Map aligned runs with large pages (2 MiB, 1 GiB, … where the mode allows). Default false. */
  readonly largePages?: boolean;
}

/** Marks a table that does not exist yet in a plan: every entry is a leaf of the large page being split. */
const SPLIT = -1;

/**
 * The generic {@link Mapper} of every table-based mode: tables are real bytes on a
 * {@link PhysicalBus}, in frames from a {@link FrameAllocator}, laid out as the mode's
 * codec says (RAM plus the root address is what the CPU walks). The payload is the root
 * table's physical address (x86 CR3's table, RISC-V satp.PPN × 4096).
 *
 * - Table entries are permissive (x86: P|RW|US; RISC-V: a pointer), so each leaf alone
 *   decides a page's rights.
 * - With `largePages`, a run aligned (virtually and physically) to a level the mode allows
 *   large pages at becomes one leaf there.
 * - `unmap` of part of a large page first splits it (repeatedly, down to the level needed)
 *   with the same frames and bits; every table left empty, at every level, is freed. The
 *   root is never freed by `unmap` (see {@link destroyRoot}).
 * - All-or-nothing: the whole range is checked and every frame obtained before the first
 *   entry is written.
 *
 * 64-bit modes take `bigint` addresses (`Mapper<number, bigint>`); x86 PAE and the 32-bit
 * modes take numbers (PAE physical addresses may exceed 2^32; numbers are exact below 2^53).
 *
 * @example
 * const mapper = new TableMapper({ codec: x86_64Codec(), bus: ram, frames: pmm, largePages: true });
 * const root = mapper.createRoot();
 * mapper.map(0xffffffff80000000n, 0xffffffff80200000n, 0x200000n, 0x400000n, { kernel: true, writable: true, cachable: true }, root);
 */
export class TableMapper<A extends Address> implements Mapper<number, A> {
  /** Whether aligned runs become large pages. */
  readonly largePages: boolean;
  /** The mode's entry codec. */
  readonly codec: EntryCodec<A>;
  readonly #bus: PhysicalBus;
  readonly #frames: FrameAllocator;

  /** @throws {RangeError} When `frames.blockSize` is not 4096. */
  constructor(options: TableMapperOptions<A>) {
    if (options.frames.blockSize !== PAGE_BYTES) {
      throw new RangeError(`Cannot page with frames of ${String(options.frames.blockSize)} bytes: tables need ${String(PAGE_BYTES)}-byte frames`);
    }
    this.codec = options.codec;
    this.#bus = options.bus;
    this.#frames = options.frames;
    this.largePages = options.largePages ?? false;
  }

  /**
   * Allocates a zeroed root table; its physical address is the payload of `map`/`unmap`.
   *
   * @throws {MapperError} `OutOfMemory` when `frames` has no block; `InvalidPhysicalAddress` for a frame the entries cannot hold.
   */
  createRoot(): number {
    const [root] = this.#takeFrames(1, "create a root table");
    return root ?? 0;
  }

  /**
   * Frees every table under `root` and `root` itself (the mapped pages are not touched).
   *
   * @throws {MapperError} `InvalidPhysicalAddress` for a bad root.
   */
  destroyRoot(root: number): void {
    this.#checkRoot(root, "destroy a root table");
    for (const table of this.tables(root)) this.#frames.free(table);
  }

  /**
   * Every table frame reachable from `root`, root first, in walk order. O(entries).
   *
   * @throws {MapperError} `InvalidPhysicalAddress` for a bad root.
   */
  tables(root: number): number[] {
    this.#checkRoot(root, "list tables");
    const out: number[] = [];
    const visit = (table: number, level: number): void => {
      out.push(table);
      if (level === 0) return;
      for (let i = 0; i < tableEntries(this.codec.geometry, level); i++) {
        const [lo, hi] = this.#read(table, i);
        if (this.codec.isPresent(lo, hi) && !this.codec.isLeaf(lo, hi, level)) visit(this.codec.pageNumber(lo, hi, level) * PAGE_BYTES, level - 1);
      }
    };
    visit(root, this.codec.geometry.levels - 1);
    return out;
  }

  /**
   * Every present page (or large page) under `root`, in address order, with its attributes
   * combined over the path. O(entries of the reachable tables).
   *
   * @throws {MapperError} `InvalidPhysicalAddress` for a bad root.
   */
  mappings(root: number): PageMapping<A>[] {
    this.#checkRoot(root, "list mappings");
    return listMappings(this.codec, this.#bus, root);
  }

  /**
   * Maps `[vStart, vEnd)` to `[pStart, pEnd)` with `attrs` under `root`. O(pages + tables).
   *
   * @throws {MapperError} `InvalidVirtualAddress` (outside the mode's space, non-canonical,
   * start > end), `InvalidPhysicalAddress` (beyond what entries hold; a bad root),
   * `MisalignedVirtualAddress` / `MisalignedPhysicalAddress`, `AddressMismatch`,
   * `InvalidAttributes` (not booleans, or not encodable: `executable: false` without NX),
   * `AlreadyMapped`, `OutOfMemory`.
   */
  map(vStart: A, vEnd: A, pStart: A, pEnd: A, attrs: Attributes, root: number): void {
    const action = (): string => `map ${hex(vStart)}–${hex(vEnd)} to ${hex(pStart)}–${hex(pEnd)}`;
    this.#checkRoot(root, action);
    const range = toPageRange(vStart, vEnd, this.codec.geometry, action);
    const pFrom = toPhysicalPage(pStart, this.codec.physicalLimit, action, "start");
    const pTo = toPhysicalPage(pEnd, this.codec.physicalLimit, action, "end");
    if (pTo < pFrom || pTo - pFrom !== range.to - range.from) {
      throw new MapperError("AddressMismatch", `Cannot ${actionText(action)}: the virtual range is ${String(range.to - range.from)} pages but the physical range is ${String(pTo - pFrom)}`, {
        pages: range.to - range.from,
        physicalPages: pTo - pFrom,
      });
    }
    this.#checkAttributes(attrs, action);
    const top = this.codec.geometry.levels - 1;
    const count = this.#planMap(root, top, range, pFrom, action);
    const fresh = this.#takeFrames(count, action);
    this.#applyMap(root, top, range.from, range.to, pFrom, attrs, fresh);
  }

  /**
   * Removes the translations of `[vStart, vEnd)` under `root`, splitting large pages that
   * are partly covered and freeing every table left empty. O(pages + touched tables × entries).
   *
   * @throws {MapperError} `InvalidVirtualAddress`, `MisalignedVirtualAddress`, `NotMapped`
   * (a page of the range is not mapped), `OutOfMemory` (no frame to split a large page),
   * `InvalidPhysicalAddress` (a bad root).
   */
  unmap(vStart: A, vEnd: A, root: number): void {
    const action = (): string => `unmap ${hex(vStart)}–${hex(vEnd)}`;
    this.#checkRoot(root, action);
    const range = toPageRange(vStart, vEnd, this.codec.geometry, action);
    const top = this.codec.geometry.levels - 1;
    const count = this.#planUnmap(root, top, range.from, range.to, action);
    const fresh = this.#takeFrames(count, action);
    this.#applyUnmap(root, top, range.from, range.to, fresh);
  }

  /** Counts the tables a map needs, throwing `AlreadyMapped` for a present page; writes nothing. */
  #planMap(table: number | null, level: number, range: PageRange, pFrom: number, action: ActionText): number {
    let count = 0;
    this.#chunks(level, range.from, range.to, (index, from, to) => {
      const p = pFrom + (from - range.from);
      if (table !== null) {
        const [lo, hi] = this.#read(table, index);
        if (this.codec.isPresent(lo, hi)) {
          if (level === 0 || this.codec.isLeaf(lo, hi, level)) {
            throw new MapperError("AlreadyMapped", `Cannot ${actionText(action)}: ${hex(virtualAddressOf(from, this.codec.geometry))} is already mapped`, { page: from, level });
          }
          count += this.#planMap(this.codec.pageNumber(lo, hi, level) * PAGE_BYTES, level - 1, { ...range, from, to }, p, action);
          return;
        }
      }
      if (level === 0 || this.#canBeLarge(level, from, to, p)) return;
      count += 1 + this.#planMap(null, level - 1, { ...range, from, to }, p, action);
    });
    return count;
  }

  #applyMap(table: number, level: number, vFrom: number, vTo: number, pFrom: number, attrs: Attributes, fresh: number[]): void {
    this.#chunks(level, vFrom, vTo, (index, from, to) => {
      const p = pFrom + (from - vFrom);
      const [lo, hi] = this.#read(table, index);
      if (this.codec.isPresent(lo, hi)) {
        this.#applyMap(this.codec.pageNumber(lo, hi, level) * PAGE_BYTES, level - 1, from, to, p, attrs, fresh);
      } else if (level === 0 || this.#canBeLarge(level, from, to, p)) {
        this.#write(table, index, this.codec.encodeLeaf(p, level, attrs));
      } else {
        const child = fresh.shift() ?? 0;
        this.#write(table, index, this.codec.encodeTable(child / PAGE_BYTES, level));
        this.#applyMap(child, level - 1, from, to, p, attrs, fresh);
      }
    });
  }

  /** Counts the tables an unmap needs to split large pages, throwing `NotMapped`; writes nothing. */
  #planUnmap(table: number, level: number, vFrom: number, vTo: number, action: ActionText): number {
    let count = 0;
    this.#chunks(level, vFrom, vTo, (index, from, to) => {
      let leaf = true;
      let child = 0;
      if (table !== SPLIT) {
        const [lo, hi] = this.#read(table, index);
        if (!this.codec.isPresent(lo, hi)) {
          throw new MapperError("NotMapped", `Cannot ${actionText(action)}: ${hex(virtualAddressOf(from, this.codec.geometry))} is not mapped`, { page: from, level });
        }
        leaf = level === 0 || this.codec.isLeaf(lo, hi, level);
        child = leaf ? 0 : this.codec.pageNumber(lo, hi, level) * PAGE_BYTES;
      }
      if (!leaf) count += this.#planUnmap(child, level - 1, from, to, action);
      else if (to - from !== this.#spanPages(level)) count += 1 + this.#planUnmap(SPLIT, level - 1, from, to, action);
    });
    return count;
  }

  #applyUnmap(table: number, level: number, vFrom: number, vTo: number, fresh: number[]): void {
    this.#chunks(level, vFrom, vTo, (index, from, to) => {
      const [lo, hi] = this.#read(table, index);
      const leaf = level === 0 || this.codec.isLeaf(lo, hi, level);
      if (leaf && to - from === this.#spanPages(level)) {
        this.#write(table, index, { lo: 0, hi: 0 });
        return;
      }
      let child: number;
      if (leaf) {
        child = fresh.shift() ?? 0;
        for (let i = 0; i < tableEntries(this.codec.geometry, level - 1); i++) this.#write(child, i, this.codec.splitLeaf(lo, hi, level, i));
        this.#write(table, index, this.codec.encodeTable(child / PAGE_BYTES, level));
      } else {
        child = this.codec.pageNumber(lo, hi, level) * PAGE_BYTES;
      }
      this.#applyUnmap(child, level - 1, from, to, fresh);
      if (this.#isEmpty(child, level - 1)) {
        this.#write(table, index, { lo: 0, hi: 0 });
        this.#frames.free(child);
      }
    });
  }

  /** Calls `visit(index, from, to)` for each entry of a level-`level` table that `[vFrom, vTo)` (page numbers) touches. */
  #chunks(level: number, vFrom: number, vTo: number, visit: (index: number, from: number, to: number) => void): void {
    const span = this.#spanPages(level);
    const entries = tableEntries(this.codec.geometry, level);
    for (let from = vFrom; from < vTo; ) {
      const to = Math.min(vTo, (Math.floor(from / span) + 1) * span);
      visit(Math.floor(from / span) % entries, from, to);
      from = to;
    }
  }

  #spanPages(level: number): number {
    return 2 ** (levelShift(this.codec.geometry, level) - PAGE_SHIFT);
  }

  #canBeLarge(level: number, from: number, to: number, p: number): boolean {
    const span = this.#spanPages(level);
    return this.largePages && (this.codec.geometry.largeLevels & (1 << level)) !== 0 && to - from === span && p % span === 0;
  }

  #isEmpty(table: number, level: number): boolean {
    for (let i = 0; i < tableEntries(this.codec.geometry, level); i++) {
      const [lo, hi] = this.#read(table, i);
      if (this.codec.isPresent(lo, hi)) return false;
    }
    return true;
  }

  #read(table: number, index: number): [number, number] {
    const address = table + index * this.codec.geometry.entryBytes;
    return [this.#bus.read32(address), this.codec.geometry.entryBytes === 8 ? this.#bus.read32(address + 4) : 0];
  }

  #write(table: number, index: number, entry: { readonly lo: number; readonly hi: number }): void {
    const address = table + index * this.codec.geometry.entryBytes;
    this.#bus.write32(address, entry.lo);
    if (this.codec.geometry.entryBytes === 8) this.#bus.write32(address + 4, entry.hi);
  }

  #checkRoot(root: number, action: ActionText): void {
    if (Number.isSafeInteger(root) && root >= 0 && root % PAGE_BYTES === 0 && root < this.codec.physicalLimit) return;
    throw new MapperError("InvalidPhysicalAddress", `Cannot ${actionText(action)}: root table ${describeValue(root)} is not a page-aligned physical address below ${hex(this.codec.physicalLimit)}`, {
      root,
    });
  }

  #checkAttributes(attrs: Attributes, action: ActionText): void {
    const problem = attributesProblem(attrs);
    if (problem !== null) throw new MapperError("InvalidAttributes", `Cannot ${actionText(action)}: ${problem.message}`, { field: problem.field });
    const why = this.codec.unsupported(attrs);
    if (why !== null) throw new MapperError("InvalidAttributes", `Cannot ${actionText(action)}: ${why}`, {});
  }

  /** Takes `count` zeroed frames, or none at all (returning what it took) and throws. */
  #takeFrames(count: number, action: ActionText): number[] {
    const taken: number[] = [];
    try {
      while (taken.length < count) {
        const frame = this.#frames.alloc();
        if (frame === null) {
          throw new MapperError("OutOfMemory", `Cannot ${actionText(action)}: no free frame for a page table (${String(count)} needed)`, { needed: count });
        }
        taken.push(frame);
        if (frame % PAGE_BYTES !== 0 || frame + PAGE_BYTES > this.codec.physicalLimit) {
          throw new MapperError("InvalidPhysicalAddress", `Cannot ${actionText(action)}: the frame allocator gave ${hex(frame)}, which the entries cannot hold`, { frame });
        }
        for (let offset = 0; offset < PAGE_BYTES; offset += 4) this.#bus.write32(frame + offset, 0);
      }
    } catch (error) {
      for (const frame of taken) this.#frames.free(frame);
      throw error;
    }
    return taken;
  }
}
