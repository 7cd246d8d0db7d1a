import type { PhysicalBus } from "../bus.js";
import { MemoryError } from "../errors/memory-error.js";
import { hex } from "../format.js";
import { PAGE_BYTES } from "../paging/geometry.js";
import { DumpError } from "./dump-error.js";
import type { MemorySegment } from "./elf-core.js";
import type { ByteSource } from "./source.js";

/** Default page-cache size: 4096 pages (16 MiB). */
export const DEFAULT_CACHE_PAGES = 4096;

/** Options for {@link DumpMemory}. */
export interface DumpMemoryOptions {
  /** Pages kept in memory at most (least recently used dropped first). Default {@link DEFAULT_CACHE_PAGES}. */
  readonly cachePages?: number;
}

/**
 * The physical memory of a dump as a read-only {@link PhysicalBus}: reads go to the
 * segment holding the address, a 4 KiB page at a time through a bounded LRU cache, so a dump
 * of any size is inspected in bounded memory. Addresses no segment holds are outside RAM.
 *
 * @example
 * const memory = new DumpMemory(source, core.segments);
 * memory.contains(0x1000, 8) && memory.read32(0x1000);
 */
export class DumpMemory implements PhysicalBus {
  /** The segments, by physical address. */
  readonly segments: readonly MemorySegment[];
  /** Page reads from the source so far (cache misses). */
  misses = 0;
  readonly #source: ByteSource;
  readonly #cache = new Map<number, DataView>();
  readonly #capacity: number;

  /**
   * Segments may overlap (a `dump-guest-memory -p` core holds a physical page once per
   * virtual mapping of it): where they do, the first (lowest-addressed) one is used.
   */
  constructor(source: ByteSource, segments: readonly MemorySegment[], options: DumpMemoryOptions = {}) {
    this.#source = source;
    this.#capacity = Math.max(1, options.cachePages ?? DEFAULT_CACHE_PAGES);
    const sorted = [...segments].sort((a, b) => a.physical - b.physical);
    const kept: MemorySegment[] = [];
    let end = 0;
    for (const segment of sorted) {
      const skip = Math.max(0, end - segment.physical);
      if (skip >= segment.memoryBytes) continue;
      kept.push({
        physical: segment.physical + skip,
        offset: segment.offset + skip,
        fileBytes: Math.max(0, segment.fileBytes - skip),
        memoryBytes: segment.memoryBytes - skip,
      });
      end = segment.physical + segment.memoryBytes;
    }
    this.segments = kept;
  }

  /** Bytes of RAM the dump holds. */
  get ramBytes(): number {
    return this.segments.reduce((sum, s) => sum + s.memoryBytes, 0);
  }

  /** Pages now cached. */
  get cachedPages(): number {
    return this.#cache.size;
  }

  /** Whether all of `[address, address + length)` is RAM held by one segment. */
  contains(address: number, length: number): boolean {
    const segment = this.#segmentAt(address);
    return segment !== undefined && address + length <= segment.physical + segment.memoryBytes;
  }

  /** The byte at `address`. @throws {MemoryError} `OutOfBounds` outside the dump's RAM. */
  read8(address: number): number {
    return this.#page(address).getUint8(address % PAGE_BYTES);
  }

  /** The little-endian 16-bit value at `address`. @throws {MemoryError} `OutOfBounds`. */
  read16(address: number): number {
    return address % PAGE_BYTES <= PAGE_BYTES - 2 ? this.#page(address).getUint16(address % PAGE_BYTES, true) : this.read8(address) | (this.read8(address + 1) << 8);
  }

  /** The little-endian 32-bit value at `address` (unsigned). @throws {MemoryError} `OutOfBounds`. */
  read32(address: number): number {
    if (address % PAGE_BYTES <= PAGE_BYTES - 4) return this.#page(address).getUint32(address % PAGE_BYTES, true);
    return (this.read16(address) | (this.read16(address + 2) << 16)) >>> 0;
  }

  /** The little-endian 64-bit value at `address`. @throws {MemoryError} `OutOfBounds`. */
  read64(address: number): bigint {
    return (BigInt(this.read32(address + 4)) << 32n) | BigInt(this.read32(address));
  }

  /** Refuses: a dump is read-only. @throws {DumpError} `ReadOnly`. */
  write8(address: number, _value: number): void {
    throw readOnly(address);
  }

  /** Refuses: a dump is read-only. @throws {DumpError} `ReadOnly`. */
  write16(address: number, _value: number): void {
    throw readOnly(address);
  }

  /** Refuses: a dump is read-only. @throws {DumpError} `ReadOnly`. */
  write32(address: number, _value: number): void {
    throw readOnly(address);
  }

  /** Refuses: a dump is read-only. @throws {DumpError} `ReadOnly`. */
  write64(address: number, _value: bigint): void {
    throw readOnly(address);
  }

  #segmentAt(address: number): MemorySegment | undefined {
    let low = 0;
    let high = this.segments.length - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const segment = this.segments[mid] as MemorySegment;
      if (address < segment.physical) high = mid - 1;
      else if (address >= segment.physical + segment.memoryBytes) low = mid + 1;
      else return segment;
    }
    return undefined;
  }

  /** The cached page holding `address`, read from the source on a miss. */
  #page(address: number): DataView {
    const number = Math.floor(address / PAGE_BYTES);
    const cached = this.#cache.get(number);
    if (cached !== undefined) {
      // Re-insert: a Map iterates in insertion order, so its first key is the least recently used.
      this.#cache.delete(number);
      this.#cache.set(number, cached);
      return cached;
    }
    if (!Number.isSafeInteger(address) || address < 0 || this.#segmentAt(address) === undefined) {
      throw new MemoryError("OutOfBounds", `Cannot read ${hex(address)}: the dump holds no memory there`, { address, length: 1, size: this.ramBytes });
    }
    const bytes = new Uint8Array(PAGE_BYTES);
    const start = number * PAGE_BYTES;
    for (const segment of this.segments) {
      const from = Math.max(start, segment.physical);
      const to = Math.min(start + PAGE_BYTES, segment.physical + segment.fileBytes);
      if (from < to) this.#source.read(segment.offset + (from - segment.physical), bytes.subarray(from - start, to - start));
    }
    this.misses++;
    if (this.#cache.size >= this.#capacity) {
      const oldest = this.#cache.keys().next();
      if (oldest.done !== true) this.#cache.delete(oldest.value);
    }
    const view = new DataView(bytes.buffer);
    this.#cache.set(number, view);
    return view;
  }
}

function readOnly(address: number): DumpError {
  return new DumpError("ReadOnly", `Cannot write ${hex(address)}: a dump is read-only`, { address });
}
