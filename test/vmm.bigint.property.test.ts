import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { BitmapError } from "../src/errors/bitmap-error.js";
import { VmmError } from "../src/errors/vmm-error.js";
import { PhysicalMemoryManager } from "../src/pmm.js";
import { BLOCK_SIZE, type Attributes } from "../src/types.js";
import { VirtualMemoryManager } from "../src/vmm.js";
import type { VirtualAllocatorName } from "../src/alloc/policies.js";
import { RecordingMapper } from "./helpers/recording-mapper.js";
import { assertProperty } from "./helpers/property.js";

/** fast-check's seed for every property here (printed in the test names, so a failure can be replayed). */
const SEED = 0x64b17;
const B = BigInt(BLOCK_SIZE);
const PAYLOAD = 64;
const MEMORY_BLOCKS = 24;
const ATTRS: Attributes[] = [
  { kernel: true, writable: true, cachable: true },
  { kernel: false, writable: false, cachable: true },
];

/** A space to test: its bounds and the allocator the VMM is built with. */
interface Space {
  readonly name: string;
  readonly start: bigint;
  readonly end: bigint;
  readonly allocator?: VirtualAllocatorName;
}

const SPACES: readonly Space[] = [
  // 45 blocks ending at 2^64: the start block (2^52 − 45) is odd, so alignment needs the phase.
  { name: "the top 45 blocks below 2^64", start: 2n ** 64n - 45n * B, end: 2n ** 64n },
  { name: "45 blocks from 2^53 + 3 blocks, past exact numbers", start: 2n ** 53n + 3n * B, end: 2n ** 53n + 48n * B },
  // 2^35 blocks: the extent tree by default; the same space with the bitmap would need 4 GiB.
  { name: "the x86-64 kernel half [0xFFFF_8000_0000_0000, 2^64)", start: 0xffff_8000_0000_0000n, end: 2n ** 64n },
  { name: "the top 45 blocks below 2^64 with the extent tree", start: 2n ** 64n - 45n * B, end: 2n ** 64n, allocator: "extent" },
];

interface ModelAllocation {
  readonly first: number;
  readonly count: number;
  /** Physical block behind each virtual block (empty: a `set` without physical range). */
  readonly physical: readonly number[];
  readonly attrs: Attributes;
}

type Op =
  | { kind: "alloc"; count: number; at: number | null; align: number; attrs: number }
  | { kind: "set"; first: number; count: number; physical: number | null; attrs: number }
  | { kind: "free"; pick: number; existing: boolean; inside: boolean };

/** The reference: a sorted list of allocations in block numbers, and a boolean per physical block. */
class Model {
  readonly allocations: ModelAllocation[] = [];
  readonly physicalUsed = new Array<boolean>(MEMORY_BLOCKS).fill(false);

  constructor(
    readonly numBlocks: number,
    readonly startBlock: bigint,
  ) {}

  /** The allocation holding block `block`, if any. */
  holding(block: number): ModelAllocation | undefined {
    return this.allocations.find((a) => a.first <= block && block < a.first + a.count);
  }

  isFree(first: number, count: number): boolean {
    return count === 0 || this.allocations.every((a) => a.first + a.count <= first || first + count <= a.first);
  }

  /**
   * Lowest `b` with `[b, b + count)` free and `startBlock + b` a multiple of `alignment`: the
   * lowest fit starts at 0 or at an allocation's end, rounded up to the alignment.
   */
  firstFit(count: number, alignment: number): number | null {
    const candidates = [0, ...this.allocations.map((a) => a.first + a.count)].map((b) => b + Number((BigInt(alignment) - ((this.startBlock + BigInt(b)) % BigInt(alignment))) % BigInt(alignment)));
    const fits = candidates.filter((b) => b + count <= this.numBlocks && this.isFree(b, count));
    return fits.length === 0 ? null : Math.min(...fits);
  }

  /** Blocks worth probing: the space's ends and every allocation's edges and neighbours. */
  probes(): number[] {
    const blocks = new Set([0, 1, this.numBlocks - 2, this.numBlocks - 1]);
    for (const a of this.allocations) for (const b of [a.first - 1, a.first, a.first + a.count - 1, a.first + a.count]) blocks.add(b);
    return [...blocks].filter((b) => b >= 0 && b < this.numBlocks).sort((x, y) => x - y);
  }

  /** What the lowest-first PMM hands out: an aligned contiguous run when asked and available, else the lowest free blocks. */
  takePhysical(count: number, alignment: number): number[] {
    const free = (b: number): boolean => b < MEMORY_BLOCKS && !this.physicalUsed[b];
    let blocks: number[] | null = null;
    if (alignment > 1) {
      for (let b = 0; blocks === null && b + count <= MEMORY_BLOCKS; b += alignment) {
        if (Array.from({ length: count }, (_, i) => b + i).every(free)) blocks = Array.from({ length: count }, (_, i) => b + i);
      }
    }
    blocks ??= Array.from({ length: MEMORY_BLOCKS }, (_, b) => b).filter(free).slice(0, count);
    for (const b of blocks) this.physicalUsed[b] = true;
    return blocks;
  }

  add(allocation: ModelAllocation): void {
    this.allocations.push(allocation);
    this.allocations.sort((a, b) => a.first - b.first);
    for (const b of allocation.physical) if (b < MEMORY_BLOCKS) this.physicalUsed[b] = true;
  }

  remove(allocation: ModelAllocation): void {
    this.allocations.splice(this.allocations.indexOf(allocation), 1);
    for (const b of allocation.physical) if (b < MEMORY_BLOCKS) this.physicalUsed[b] = false;
  }

  /** Whether physical block `block` backs any allocation (device blocks past memory included). */
  owns(block: number): boolean {
    return this.allocations.some((a) => a.physical.includes(block));
  }
}

type Outcome = { error: string } | { result: bigint | null | undefined };

function run(space: Space, ops: readonly Op[]): void {
  const pmm = new PhysicalMemoryManager({ memoryBytes: BigInt(MEMORY_BLOCKS) * B });
  const mapper = new RecordingMapper<number, bigint>({ payload: PAYLOAD });
  const vmm = new VirtualMemoryManager({ start: space.start, end: space.end, pmm, mapper, payload: PAYLOAD, ...(space.allocator === undefined ? {} : { allocator: space.allocator }) });
  const numBlocks = Number((space.end - space.start) / B);
  const model = new Model(numBlocks, space.start / B);
  const address = (block: number): bigint => space.start + BigInt(block) * B;
  for (const op of ops) {
    let outcome: Outcome;
    let act: () => bigint | null | void;
    if (op.kind === "alloc") {
      const alignment = 2 ** op.align;
      const attrs = ATTRS[op.attrs]!;
      const options = op.at === null ? { align: BigInt(alignment) * B } : { at: address(op.at), align: alignment * BLOCK_SIZE };
      outcome = predictAlloc(model, op, alignment);
      act = () => vmm.alloc(op.count, attrs, options);
    } else if (op.kind === "set") {
      const virtual = { start: address(op.first), end: address(op.first + op.count) };
      const physical = op.physical === null ? null : { start: BigInt(op.physical) * B, end: BigInt(op.physical + op.count) * B };
      outcome = predictSet(model, op);
      act = () => vmm.set(virtual, physical, ATTRS[op.attrs]!);
    } else {
      const target = op.existing && model.allocations.length > 0 ? model.allocations[op.pick % model.allocations.length]! : undefined;
      const block = target === undefined ? op.pick % numBlocks : target.first + (op.inside && target.count > 1 ? 1 : 0);
      const holder = model.holding(block);
      if (holder !== undefined && holder.first === block) {
        model.remove(holder);
        outcome = { result: undefined };
      } else outcome = { error: "NotAllocated" };
      act = () => vmm.free(address(block));
    }
    if ("error" in outcome) {
      const code = outcome.error;
      assert.throws(act, (error: unknown) => (error instanceof VmmError || error instanceof BitmapError) && error.code === code, `${op.kind} throws ${code}`);
    } else {
      const result = act();
      assert.equal(result, outcome.result, `${op.kind} result`);
    }
    check(model, vmm, pmm, mapper, address);
  }
}

function predictAlloc(model: Model, op: Extract<Op, { kind: "alloc" }>, alignment: number): Outcome {
  if (op.at !== null) {
    if (op.at >= model.numBlocks) return { error: "OutOfBounds" };
    if (op.at + op.count > model.numBlocks) return { error: "OutOfBounds" };
    if ((model.startBlock + BigInt(op.at)) % BigInt(alignment) !== 0n) return { error: "InvalidVirtAddresses" };
    if (!model.isFree(op.at, op.count)) return { error: "AlreadyAllocated" };
  }
  const freePhysical = model.physicalUsed.filter((used) => !used).length;
  if (op.count === 0 || freePhysical < op.count) return { result: null };
  const first = op.at ?? model.firstFit(op.count, alignment);
  if (first === null) return { result: null };
  model.add({ first, count: op.count, physical: model.takePhysical(op.count, alignment), attrs: ATTRS[op.attrs]! });
  return { result: model.startBlock * B + BigInt(first) * B };
}

function predictSet(model: Model, op: Extract<Op, { kind: "set" }>): Outcome {
  if (op.count === 0) return { error: "InvalidVirtAddresses" };
  if (op.first + op.count > model.numBlocks) return { error: "OutOfBounds" };
  if (!model.isFree(op.first, op.count)) return { error: "AlreadyAllocated" };
  const physical: number[] = [];
  if (op.physical !== null) {
    for (let b = op.physical; b < op.physical + op.count; b++) {
      if (b < MEMORY_BLOCKS ? model.physicalUsed[b] : model.owns(b)) return { error: "PhysicalAlreadyAllocated" };
      physical.push(b);
    }
  }
  model.add({ first: op.first, count: op.count, physical, attrs: ATTRS[op.attrs]! });
  return { result: undefined };
}

/** Every observable of the VMM, the PMM and the mapper against the model; all addresses bigints. */
function check(model: Model, vmm: VirtualMemoryManager<number, bigint>, pmm: PhysicalMemoryManager<bigint>, mapper: RecordingMapper<number, bigint>, address: (block: number) => bigint): void {
  const expected = model.allocations.map((a) => ({ virtual: { start: address(a.first), end: address(a.first + a.count) }, physical: a.physical.map((b) => BigInt(b) * B), attrs: a.attrs }));
  assert.deepEqual(vmm.allocations(), expected, "allocations() == the model");
  assert.equal(vmm.blocksUsed, model.allocations.reduce((sum, a) => sum + a.count, 0), "blocksUsed");
  for (const b of model.probes()) {
    const holder = model.holding(b);
    assert.equal(vmm.isSet(address(b)), holder !== undefined, `isSet(block ${b})`);
    assert.deepEqual(vmm.allocationAt(address(b) + 7n)?.virtual ?? null, holder === undefined ? null : { start: address(holder.first), end: address(holder.first + holder.count) }, `allocationAt(block ${b})`);
  }
  const pages: unknown[] = [];
  for (const a of model.allocations) {
    a.physical.forEach((p, i) => {
      const virt = address(a.first + i);
      const phys = BigInt(p) * B;
      assert.equal(vmm.virtToPhys(virt + 5n), phys + 5n, "virtToPhys");
      assert.equal(vmm.physToVirt(phys + 5n), virt + 5n, "physToVirt");
      pages.push({ virt, phys, attrs: a.attrs });
    });
  }
  assert.deepEqual(mapper.snapshot().map((page) => ({ ...page, attrs: { ...page.attrs } })), pages, "the mapper's pages == the model's");
  assert.ok(mapper.calls.every((call) => typeof call.vStart === "bigint" && typeof call.vEnd === "bigint"), "every mapper call carries bigints");
  assert.equal(pmm.blocksFree(), model.physicalUsed.filter((used) => !used).length, "PMM free blocks");
  for (let b = 0; b < MEMORY_BLOCKS; b++) assert.equal(pmm.isSet(BigInt(b) * B), model.physicalUsed[b], `PMM block ${b}`);
}

/** A block in `[0, max]`: mostly near either end (where operations collide), sometimes anywhere. */
function blockArbitrary(max: number): fc.Arbitrary<number> {
  return fc.oneof(fc.integer({ min: 0, max: Math.min(40, max) }), fc.integer({ min: Math.max(0, max - 40), max }), fc.integer({ min: 0, max }));
}

function opArbitrary(numBlocks: number): fc.Arbitrary<Op> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant("alloc" as const), count: fc.integer({ min: 0, max: 6 }), at: fc.constant(null), align: fc.integer({ min: 0, max: 3 }), attrs: fc.integer({ min: 0, max: 1 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("alloc" as const), count: fc.integer({ min: 0, max: 4 }), at: blockArbitrary(numBlocks), align: fc.integer({ min: 0, max: 2 }), attrs: fc.integer({ min: 0, max: 1 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("set" as const), first: blockArbitrary(numBlocks - 1), count: fc.integer({ min: 0, max: 3 }), physical: fc.option(fc.integer({ min: 0, max: MEMORY_BLOCKS + 3 })), attrs: fc.integer({ min: 0, max: 1 }) }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant("free" as const), pick: fc.nat({ max: 1000 }), existing: fc.constantFrom(true, true, true, false), inside: fc.constantFrom(false, false, true) }) },
  );
}

describe("a bigint VirtualMemoryManager against a reference model", () => {
  for (const space of SPACES) {
    test(`${space.name}: random alloc (aligned, fixed) / set / free sequences keep every observable exact (fast-check seed ${SEED})`, () => {
      const numBlocks = Number((space.end - space.start) / B);
      assertProperty(fc.property(fc.array(opArbitrary(numBlocks), { minLength: 5, maxLength: 40 }), (ops) => run(space, ops)), { seed: SEED, numRuns: 100 });
    });
  }
});
