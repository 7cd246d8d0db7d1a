import { MapperError } from "../../src/errors/mapper-error.js";
import { hex, hexRange } from "../../src/format.js";
import type { Mapper } from "../../src/mapper.js";
import { BLOCK_SIZE, type Attributes } from "../../src/types.js";

/** One mapped page as the recording mapper holds it. */
export interface RecordedPage {
  readonly virt: number;
  readonly phys: number;
  readonly attrs: Attributes;
}

/** One call the mapper received. */
export type RecordedCall =
  | { readonly kind: "map"; readonly vStart: number; readonly vEnd: number; readonly pStart: number; readonly pEnd: number }
  | { readonly kind: "unmap"; readonly vStart: number; readonly vEnd: number };

/** How to build a {@link RecordingMapper}. */
export interface RecordingMapperOptions<P> {
  /** Every call must carry this payload (the seed's test mapper checks for 39). */
  readonly payload: P;
  readonly blockSize?: number;
}

/**
 * A test {@link Mapper} that records every page it maps (like the seed's `test_allocations`
 * bitmap, plus the physical address and attributes), validates its arguments the way a real
 * mapper must, and can be told to fail on its k-th call to exercise rollback.
 * Both calls are all-or-nothing: they validate everything before recording anything.
 */
export class RecordingMapper<P> implements Mapper<P> {
  /** Every call received, failed ones included, in order. */
  readonly calls: RecordedCall[] = [];
  private readonly pages = new Map<number, RecordedPage>();
  private readonly payload: P;
  private readonly blockSize: number;
  private failAt = 0;

  constructor(options: RecordingMapperOptions<P>) {
    this.payload = options.payload;
    this.blockSize = options.blockSize ?? BLOCK_SIZE;
  }

  /** Makes the `k`-th call from now (1-based, map or unmap) throw a `MapperError` `OutOfMemory`; 0 disarms. */
  failOnCall(k: number): void {
    this.failAt = k === 0 ? 0 : this.calls.length + k;
  }

  map(vStart: number, vEnd: number, pStart: number, pEnd: number, attrs: Attributes, payload: P): void {
    this.calls.push({ kind: "map", vStart, vEnd, pStart, pEnd });
    this.checkCall(payload);
    this.checkAligned(vStart, vEnd, "MisalignedVirtualAddress");
    this.checkAligned(pStart, pEnd, "MisalignedPhysicalAddress");
    if (vEnd - vStart !== pEnd - pStart || vEnd <= vStart) {
      throw new MapperError("AddressMismatch", `Cannot map ${hexRange(vStart, vEnd)} to ${hexRange(pStart, pEnd)}: the sizes differ or are empty`, { vStart, vEnd, pStart, pEnd });
    }
    for (let v = vStart; v < vEnd; v += this.blockSize) {
      if (this.pages.has(v)) throw new MapperError("AlreadyMapped", `Cannot map ${hex(v)}: already mapped`, { address: v });
    }
    const copy = { kernel: attrs.kernel, writable: attrs.writable, cachable: attrs.cachable };
    for (let v = vStart, p = pStart; v < vEnd; v += this.blockSize, p += this.blockSize) this.pages.set(v, { virt: v, phys: p, attrs: copy });
  }

  unmap(vStart: number, vEnd: number, payload: P): void {
    this.calls.push({ kind: "unmap", vStart, vEnd });
    this.checkCall(payload);
    this.checkAligned(vStart, vEnd, "MisalignedVirtualAddress");
    for (let v = vStart; v < vEnd; v += this.blockSize) {
      if (!this.pages.has(v)) throw new MapperError("NotMapped", `Cannot unmap ${hex(v)}: not mapped`, { address: v });
    }
    for (let v = vStart; v < vEnd; v += this.blockSize) this.pages.delete(v);
  }

  /** Whether the page containing `vaddr` is mapped (the seed's `allocations.isSet`). */
  isMapped(vaddr: number): boolean {
    return this.pages.has(vaddr - (vaddr % this.blockSize));
  }

  /** The recorded page at page address `vaddr`, if any. */
  page(vaddr: number): RecordedPage | undefined {
    return this.pages.get(vaddr);
  }

  /** Number of `map` calls received. */
  get mapCalls(): number {
    return this.calls.filter((call) => call.kind === "map").length;
  }

  /** Every mapped page in virtual address order: the mapper's whole state, for snapshot comparisons. */
  snapshot(): RecordedPage[] {
    return [...this.pages.values()].sort((a, b) => a.virt - b.virt);
  }

  private checkCall(payload: P): void {
    if (payload !== this.payload) throw new Error(`RecordingMapper: expected payload ${String(this.payload)}, got ${String(payload)}`);
    if (this.failAt !== 0 && this.calls.length === this.failAt) {
      this.failAt = 0;
      throw new MapperError("OutOfMemory", `Cannot complete mapper call ${this.calls.length}: failure injected by the test`, { call: this.calls.length });
    }
  }

  private checkAligned(start: number, end: number, code: "MisalignedVirtualAddress" | "MisalignedPhysicalAddress"): void {
    if (start % this.blockSize !== 0 || end % this.blockSize !== 0) {
      throw new MapperError(code, `Cannot use ${hexRange(start, end)}: not aligned to ${this.blockSize} bytes`, { start, end });
    }
  }
}
