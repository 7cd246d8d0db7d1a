import type { AddressCodec } from "./address.js";
import { BitmapError } from "./errors/bitmap-error.js";
import { VmmError } from "./errors/vmm-error.js";
import { describeValue, hex, hexRange } from "./format.js";
import type { Address, Range } from "./types.js";
import { attributesProblem } from "./validate.js";

/**
 * A VMM's address space `[start, end)` as its argument checks see it (internal to `vmm.ts`):
 * every public address becomes a block number here, or is refused with the seed's error —
 * `VmmError` `InvalidVirtAddresses` / `InvalidPhysAddresses` / `PhysicalVirtualMismatch` /
 * `InvalidAttributes`, `BitmapError` `OutOfBounds` for an address outside the space — with
 * a message naming the value. Nothing here changes state.
 */
export class VmmSpace<A extends Address> {
  /** `start / blockSize`: block `b` of this space is absolute block `startBlock + b`. */
  readonly startBlock: number;
  readonly blockSize: number;

  constructor(
    readonly codec: AddressCodec<A>,
    readonly start: A,
    readonly end: A,
    readonly numBlocks: number,
  ) {
    this.startBlock = codec.blockOf(start);
    this.blockSize = codec.blockSize;
  }

  /** The address of block `block` of this space. */
  addressOf(block: number): A {
    return this.codec.addressOf(this.startBlock + block, 0);
  }

  /** What an address of this space is, for messages: a non-negative safe integer or a non-negative bigint. */
  addressKind(): string {
    return this.codec.type === "number" ? "a non-negative safe integer" : "a non-negative bigint";
  }

  /** The block of this space holding `vaddr` (any byte). */
  blockOf(vaddr: A, action: string): number {
    if (!this.codec.accepts(vaddr)) {
      throw new VmmError("InvalidVirtAddresses", `Cannot ${action} ${this.codec.show(vaddr)}: not an address (${this.addressKind()})`, { address: vaddr });
    }
    if (vaddr < this.start || vaddr >= this.end) throw this.outOfBounds(vaddr, `Cannot ${action} ${hex(vaddr)}`);
    return this.codec.blockOf(vaddr) - this.startBlock;
  }

  /** Validates a virtual range (block-aligned, non-empty unless `allowEmpty`, inside the space); its first block. */
  checkVirtualRange(range: Range<A>, action: string, allowEmpty = false): number {
    if (typeof range !== "object" || range === null) {
      throw new VmmError("InvalidVirtAddresses", `Cannot ${action} ${describeValue(range)}: not a range { start, end }`, { start: null, end: null });
    }
    const { start, end } = range;
    let problem: string | null = null;
    if (!this.codec.accepts(start) || !this.codec.accepts(end)) problem = this.notAddresses();
    else if (!this.isBlockAddress(start) || !this.isBlockAddress(end)) problem = `not aligned to the ${this.blockSize}-byte block size`;
    else if (end < start || (end === start && !allowEmpty)) problem = "the range is empty or inverted";
    if (problem !== null) throw new VmmError("InvalidVirtAddresses", `Cannot ${action} ${this.codec.showRange(start, end)}: ${problem}`, { start, end });
    if (start < this.start || end > this.end) {
      const outside = start < this.start ? start : this.codec.addressOf(this.codec.blockOf(end) - 1, 0);
      throw this.outOfBounds(outside, `Cannot ${action} ${hexRange(start, end)}`);
    }
    return this.codec.blockOf(start) - this.startBlock;
  }

  /** Validates the physical range of a `set` of `count` blocks; its first (absolute) block. */
  checkPhysicalRange(virtual: Range<A>, physical: Range<A>, count: number): number {
    if (typeof physical !== "object") {
      throw new VmmError("InvalidPhysAddresses", `Cannot map ${hexRange(virtual.start, virtual.end)} to physical ${describeValue(physical)}: not a range { start, end } or null`, { start: null, end: null });
    }
    const { start, end } = physical;
    let problem: string | null = null;
    if (!this.codec.accepts(start) || !this.codec.accepts(end)) problem = this.notAddresses();
    else if (!this.isBlockAddress(start) || !this.isBlockAddress(end)) problem = `not aligned to the ${this.blockSize}-byte block size`;
    else if (end <= start) problem = "the range is empty or inverted";
    if (problem !== null) throw new VmmError("InvalidPhysAddresses", `Cannot map ${hexRange(virtual.start, virtual.end)} to physical ${this.codec.showRange(start, end)}: ${problem}`, { start, end });
    const first = this.codec.blockOf(start);
    if (this.codec.blockOf(end) - first !== count) {
      const sizes = { virtualSize: this.codec.difference(virtual.end, virtual.start), physicalSize: this.codec.difference(end, start) };
      throw new VmmError("PhysicalVirtualMismatch", `Cannot map ${hexRange(virtual.start, virtual.end)} to physical ${hexRange(start, end)}: the sizes differ`, sizes);
    }
    return first;
  }

  /** Throws `InvalidAttributes`, naming the field, unless `attrs` is a valid `Attributes`. */
  checkAttributes(attrs: unknown, action: string): void {
    const problem = attributesProblem(attrs);
    if (problem !== null) throw new VmmError("InvalidAttributes", `Cannot ${action}: ${problem.message}`, { field: problem.field });
  }

  /** The seed's error for an address outside the managed space: `BitmapError` `OutOfBounds`, naming the address. */
  private outOfBounds(vaddr: A, what: string): BitmapError {
    const index = Math.floor(this.codec.difference(vaddr, this.start) / this.blockSize);
    return new BitmapError("OutOfBounds", `${what}: outside the managed range ${hexRange(this.start, this.end)}`, { index, numEntries: this.numBlocks });
  }

  /** Why a range whose bounds are not both addresses of this space's type is refused. */
  private notAddresses(): string {
    return this.codec.type === "number" ? "its bounds must be addresses (non-negative safe integers)" : "its bounds must be addresses (non-negative bigints)";
  }

  private isBlockAddress(address: A): boolean {
    return this.codec.accepts(address) && this.codec.offsetOf(address) === 0;
  }
}
