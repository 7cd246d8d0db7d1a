import { MapperError } from "../../src/errors/mapper-error.js";
import { hex, hexRange } from "../../src/format.js";
import type { Mapper } from "../../src/mapper.js";
import { BLOCK_SIZE, type Address, type Attributes } from "../../src/types.js";

/** One mapped page as the recording mapper holds it (addresses of the driving VMM's type). */
export interface RecordedPage<A extends Address = number> {
  readonly virt: A;
  readonly phys: A;
  readonly attrs: Attributes;
}

/** One call the mapper received. */
export type RecordedCall<A extends Address = number> =
  | { readonly kind: "map"; readonly vStart: A; readonly vEnd: A; readonly pStart: A; readonly pEnd: A }
  | { readonly kind: "unmap"; readonly vStart: A; readonly vEnd: A };

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
 * Works for `number` and `bigint` VMMs alike (`A`); it keeps pages by `bigint` key and
 * rejects a call whose four addresses are not all of one type.
 */
export class RecordingMapper<P, A extends Address = number> implements Mapper<P, A> {
  /** Every call received, failed ones included, in order. */
  readonly calls: RecordedCall<A>[] = [];
  private readonly pages = new Map<bigint, RecordedPage<A>>();
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

  map(vStart: A, vEnd: A, pStart: A, pEnd: A, attrs: Attributes, payload: P): void {
    this.calls.push({ kind: "map", vStart, vEnd, pStart, pEnd });
    this.checkCall(payload);
    this.checkTypes([vStart, vEnd, pStart, pEnd]);
    this.checkAligned(vStart, vEnd, "MisalignedVirtualAddress");
    this.checkAligned(pStart, pEnd, "MisalignedPhysicalAddress");
    const [v0, v1, p0, p1] = [BigInt(vStart), BigInt(vEnd), BigInt(pStart), BigInt(pEnd)];
    if (v1 - v0 !== p1 - p0 || v1 <= v0) {
      throw new MapperError("AddressMismatch", `Cannot map ${hexRange(vStart, vEnd)} to ${hexRange(pStart, pEnd)}: the sizes differ or are empty`, { vStart: Number(vStart), vEnd: Number(vEnd), pStart: Number(pStart), pEnd: Number(pEnd) });
    }
    const size = BigInt(this.blockSize);
    for (let v = v0; v < v1; v += size) {
      if (this.pages.has(v)) throw new MapperError("AlreadyMapped", `Cannot map ${hex(v)}: already mapped`, { address: Number(v) });
    }
    const copy = { kernel: attrs.kernel, writable: attrs.writable, cachable: attrs.cachable };
    const same = (value: bigint): A => (typeof vStart === "bigint" ? value : Number(value)) as A;
    for (let v = v0, p = p0; v < v1; v += size, p += size) this.pages.set(v, { virt: same(v), phys: same(p), attrs: copy });
  }

  unmap(vStart: A, vEnd: A, payload: P): void {
    this.calls.push({ kind: "unmap", vStart, vEnd });
    this.checkCall(payload);
    this.checkTypes([vStart, vEnd]);
    this.checkAligned(vStart, vEnd, "MisalignedVirtualAddress");
    const size = BigInt(this.blockSize);
    for (let v = BigInt(vStart); v < BigInt(vEnd); v += size) {
      if (!this.pages.has(v)) throw new MapperError("NotMapped", `Cannot unmap ${hex(v)}: not mapped`, { address: Number(v) });
    }
    for (let v = BigInt(vStart); v < BigInt(vEnd); v += size) this.pages.delete(v);
  }

  /** Whether the page containing `vaddr` is mapped (the seed's `allocations.isSet`). */
  isMapped(vaddr: A): boolean {
    const v = BigInt(vaddr);
    return this.pages.has(v - (v % BigInt(this.blockSize)));
  }

  /** The recorded page at page address `vaddr`, if any. */
  page(vaddr: A): RecordedPage<A> | undefined {
    return this.pages.get(BigInt(vaddr));
  }

  /** Number of `map` calls received. */
  get mapCalls(): number {
    return this.calls.filter((call) => call.kind === "map").length;
  }

  /** Every mapped page in virtual address order: the mapper's whole state, for snapshot comparisons. */
  snapshot(): RecordedPage<A>[] {
    return [...this.pages.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, page]) => page);
  }

  private checkCall(payload: P): void {
    if (payload !== this.payload) throw new Error(`RecordingMapper: expected payload ${String(this.payload)}, got ${String(payload)}`);
    if (this.failAt !== 0 && this.calls.length === this.failAt) {
      this.failAt = 0;
      throw new MapperError("OutOfMemory", `Cannot complete mapper call ${this.calls.length}: failure injected by the test`, { call: this.calls.length });
    }
  }

  /** Rejects a call that mixes `number` and `bigint` addresses (a VMM must speak one type). */
  private checkTypes(addresses: readonly A[]): void {
    if (new Set(addresses.map((address) => typeof address)).size !== 1) throw new TypeError(`RecordingMapper: mixed address types ${addresses.map(String).join(", ")}`);
  }

  private checkAligned(start: A, end: A, code: "MisalignedVirtualAddress" | "MisalignedPhysicalAddress"): void {
    const misaligned = (address: A): boolean => (typeof address === "bigint" ? address % BigInt(this.blockSize) !== 0n : address % this.blockSize !== 0);
    if (misaligned(start) || misaligned(end)) {
      throw new MapperError(code, `Cannot use ${hexRange(start, end)}: not aligned to ${this.blockSize} bytes`, { start: Number(start), end: Number(end) });
    }
  }
}
