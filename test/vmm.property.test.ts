import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { BitmapError } from "../src/errors/bitmap-error.js";
import { MapperError } from "../src/errors/mapper-error.js";
import { VmmError } from "../src/errors/vmm-error.js";
import { PhysicalMemoryManager } from "../src/pmm.js";
import { BLOCK_SIZE, type Attributes, type Range } from "../src/types.js";
import { VirtualMemoryManager } from "../src/vmm.js";
import { RecordingMapper } from "./helpers/recording-mapper.js";
import { snapshotStack } from "./helpers/vmm-state.js";
import { assertProperty } from "./helpers/property.js";

const B = BLOCK_SIZE;
const PAYLOAD = 39;
const START_BLOCK = 3;
const NUM_BLOCKS = 24;
const MEMORY_BLOCKS = 20;
const RESERVED_BLOCKS = [2, 3, 9];
const MISALIGNMENT = 7;
const ATTR_CHOICES: Attributes[] = [
  { kernel: true, writable: true, cachable: true },
  { kernel: false, writable: false, cachable: false },
];

type Op =
  | { kind: "alloc"; count: number; at: number | null; misaligned: boolean; attrs: number; fail: number }
  | { kind: "set"; vBlock: number; count: number; pBlock: number | null; pExtra: number; misaligned: boolean; attrs: number; fail: number }
  | { kind: "free"; existing: boolean; pick: number; offset: number; fail: number };

interface ModelAllocation {
  count: number;
  physical: number[];
  attrs: Attributes;
}

/** The reference: plain arrays and a map keyed by the first virtual block, with the seed's rules made strict. */
class Model {
  readonly vUsed = new Array<boolean>(NUM_BLOCKS).fill(false);
  readonly pUsed = new Array<boolean>(MEMORY_BLOCKS).fill(false);
  readonly allocs = new Map<number, ModelAllocation>();

  constructor() {
    for (const block of RESERVED_BLOCKS) this.pUsed[block] = true;
  }

  firstFit(count: number): number | null {
    for (let first = 0; first + count <= NUM_BLOCKS; first++) {
      if (this.vUsed.slice(first, first + count).every((used) => !used)) return first;
    }
    return null;
  }

  physicalOwned(block: number): boolean {
    for (const allocation of this.allocs.values()) if (allocation.physical.includes(block * B)) return true;
    return false;
  }

  add(first: number, allocation: ModelAllocation): void {
    this.allocs.set(first, allocation);
    this.vUsed.fill(true, first, first + allocation.count);
    for (const address of allocation.physical) if (isTakenFromPmm(address / B)) this.pUsed[address / B] = true;
  }

  remove(first: number): void {
    const allocation = this.allocs.get(first)!;
    this.allocs.delete(first);
    this.vUsed.fill(false, first, first + allocation.count);
    for (const address of allocation.physical) if (isTakenFromPmm(address / B)) this.pUsed[address / B] = false;
  }
}

const addressOf = (block: number) => (START_BLOCK + block) * B;
/** Whether a physical block mapped by `set` or `alloc` comes out of the PMM: in memory and not reserved (reserved and device blocks are only mapped). */
const isTakenFromPmm = (block: number) => block < MEMORY_BLOCKS && !RESERVED_BLOCKS.includes(block);

function runsOf(physical: number[]): number {
  let runs = 0;
  for (let i = 0; i < physical.length; i++) if (i === 0 || physical[i] !== physical[i - 1]! + B) runs++;
  return runs;
}

/** What the model says an op does: an error code, or a result with the model already updated. */
type Outcome = { error: string } | { result: number | null | undefined };

function predictAlloc(model: Model, op: Extract<Op, { kind: "alloc" }>): Outcome {
  if (op.at !== null) {
    if (op.at < 0 || op.at >= NUM_BLOCKS) return { error: "OutOfBounds" };
    if (op.misaligned) return { error: "InvalidVirtAddresses" };
    if (op.at + op.count > NUM_BLOCKS) return { error: "OutOfBounds" };
    if (model.vUsed.slice(op.at, op.at + op.count).some(Boolean)) return { error: "AlreadyAllocated" };
  }
  if (op.count === 0 || model.pUsed.filter((used) => !used).length < op.count) return { result: null };
  const first = op.at ?? model.firstFit(op.count);
  if (first === null) return { result: null };
  const physical: number[] = [];
  for (let block = 0; physical.length < op.count; block++) if (!model.pUsed[block]) physical.push(block * B);
  if (op.fail > 0 && op.fail <= runsOf(physical)) return { error: "MapperError" };
  model.add(first, { count: op.count, physical, attrs: ATTR_CHOICES[op.attrs]! });
  return { result: addressOf(first) };
}

function setRanges(op: Extract<Op, { kind: "set" }>): { virtual: Range; physical: Range | null } {
  const virtual = { start: addressOf(op.vBlock), end: addressOf(op.vBlock + op.count) };
  if (op.pBlock === null) return { virtual, physical: null };
  const shift = op.misaligned ? MISALIGNMENT : 0;
  return { virtual, physical: { start: op.pBlock * B + shift, end: (op.pBlock + op.count + op.pExtra) * B + shift } };
}

function predictSet(model: Model, op: Extract<Op, { kind: "set" }>): Outcome {
  if (op.count === 0) return { error: "InvalidVirtAddresses" };
  if (op.vBlock < 0 || op.vBlock + op.count > NUM_BLOCKS) return { error: "OutOfBounds" };
  if (op.pBlock !== null) {
    if (op.misaligned || op.count + op.pExtra <= 0) return { error: "InvalidPhysAddresses" };
    if (op.pExtra !== 0) return { error: "PhysicalVirtualMismatch" };
  }
  if (model.vUsed.slice(op.vBlock, op.vBlock + op.count).some(Boolean)) return { error: "AlreadyAllocated" };
  const physical: number[] = [];
  if (op.pBlock !== null) {
    for (let block = op.pBlock; block < op.pBlock + op.count; block++) {
      if (isTakenFromPmm(block) ? model.pUsed[block] : model.physicalOwned(block)) return { error: "PhysicalAlreadyAllocated" };
      physical.push(block * B);
    }
    if (op.fail === 1) return { error: "MapperError" };
  }
  model.add(op.vBlock, { count: op.count, physical, attrs: ATTR_CHOICES[op.attrs]! });
  return { result: undefined };
}

function freeAddress(model: Model, op: Extract<Op, { kind: "free" }>): number {
  const starts = [...model.allocs.keys()].sort((a, b) => a - b);
  const block = op.existing && starts.length > 0 ? starts[op.pick % starts.length]! : op.pick - 1;
  return addressOf(block) + op.offset;
}

function predictFree(model: Model, vaddr: number): Outcome & { fail?: boolean } {
  if (vaddr < addressOf(0) || vaddr >= addressOf(NUM_BLOCKS)) return { error: "OutOfBounds" };
  const first = (vaddr - addressOf(0)) / B;
  const allocation = model.allocs.get(first);
  if (allocation === undefined) return { error: "NotAllocated" };
  return { result: undefined, fail: allocation.physical.length > 0 };
}

function checkInvariants(model: Model, vmm: VirtualMemoryManager<number>, pmm: PhysicalMemoryManager, mapper: RecordingMapper<number>): void {
  const listed = vmm.allocations();
  const expected = [...model.allocs.entries()].sort(([a], [b]) => a - b).map(([first, allocation]) => ({
    virtual: { start: addressOf(first), end: addressOf(first + allocation.count) },
    physical: allocation.physical,
    attrs: allocation.attrs,
  }));
  assert.deepEqual(listed, expected, "allocation table matches the model");
  const union = new Array<boolean>(NUM_BLOCKS).fill(false);
  for (const { virtual } of listed) for (let a = virtual.start; a < virtual.end; a += B) union[a / B - START_BLOCK] = true;
  for (let block = 0; block < NUM_BLOCKS; block++) assert.equal(vmm.isSet(addressOf(block)), union[block], `VMM bit ${block} == union of allocations`);
  assert.equal(vmm.blocksUsed, union.filter(Boolean).length);
  const backing = new Set(RESERVED_BLOCKS);
  for (const { physical } of listed) for (const address of physical) if (address / B < MEMORY_BLOCKS) backing.add(address / B);
  for (let block = 0; block < MEMORY_BLOCKS; block++) assert.equal(pmm.isSet(block * B), backing.has(block), `PMM block ${block} == reserved ∪ backing`);
  assert.equal(pmm.blocksFree(), MEMORY_BLOCKS - backing.size);
  const pages: unknown[] = [];
  for (const { virtual, physical, attrs } of listed) {
    physical.forEach((phys, i) => {
      const virt = virtual.start + i * B;
      assert.equal(vmm.virtToPhys(virt + 5), phys + 5);
      assert.equal(vmm.physToVirt(phys + 5), virt + 5);
      pages.push({ virt, phys, attrs });
    });
  }
  assert.deepEqual(mapper.snapshot(), pages, "the mapper's pages == the allocation table");
}

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("alloc" as const), count: fc.integer({ min: 0, max: 6 }), at: fc.constant(null), misaligned: fc.constant(false), attrs: fc.integer({ min: 0, max: 1 }), fail: fc.constantFrom(0, 0, 0, 1, 2, 3) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("alloc" as const), count: fc.integer({ min: 0, max: 4 }), at: fc.integer({ min: -1, max: NUM_BLOCKS }), misaligned: fc.boolean(), attrs: fc.integer({ min: 0, max: 1 }), fail: fc.constantFrom(0, 0, 1, 2) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("set" as const), vBlock: fc.integer({ min: -1, max: NUM_BLOCKS }), count: fc.integer({ min: 0, max: 4 }), pBlock: fc.option(fc.integer({ min: 0, max: MEMORY_BLOCKS + 4 })), pExtra: fc.constantFrom(0, 0, 0, 1, -1), misaligned: fc.constantFrom(false, false, false, true), attrs: fc.integer({ min: 0, max: 1 }), fail: fc.constantFrom(0, 0, 0, 1) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("free" as const), existing: fc.constantFrom(true, true, true, false), pick: fc.integer({ min: 0, max: NUM_BLOCKS + 1 }), offset: fc.constantFrom(0, 0, 0, B, 12), fail: fc.constantFrom(0, 0, 0, 1) }) },
);

describe("VirtualMemoryManager against a reference model", () => {
  test("random set/alloc/fixed alloc/free sequences, with failing ops and a failing mapper, keep every invariant", () => {
    assertProperty(fc.property(fc.array(opArbitrary, { minLength: 5, maxLength: 40, size: "max" }), (ops) => {
      const pmm = new PhysicalMemoryManager({ memoryBytes: MEMORY_BLOCKS * B, reserved: RESERVED_BLOCKS.map((block) => ({ start: block * B, end: block * B + 1 })) });
      const mapper = new RecordingMapper({ payload: PAYLOAD });
      const vmm = new VirtualMemoryManager({ start: addressOf(0), end: addressOf(NUM_BLOCKS), pmm, mapper, payload: PAYLOAD });
      const model = new Model();
      for (const op of ops) {
        const before = snapshotStack(vmm, pmm, mapper);
        let outcome: Outcome;
        let run: () => number | null | void;
        if (op.kind === "alloc") {
          outcome = predictAlloc(model, op);
          const attrs = ATTR_CHOICES[op.attrs]!;
          const at = op.at === null ? undefined : addressOf(op.at) + (op.misaligned ? MISALIGNMENT : 0);
          run = () => (at === undefined ? vmm.alloc(op.count, attrs) : vmm.alloc(op.count, attrs, at));
        } else if (op.kind === "set") {
          outcome = predictSet(model, op);
          const { virtual, physical } = setRanges(op);
          run = () => vmm.set(virtual, physical, ATTR_CHOICES[op.attrs]!);
        } else {
          const vaddr = freeAddress(model, op);
          const predicted = predictFree(model, vaddr);
          if ("result" in predicted && op.fail === 1 && predicted.fail) outcome = { error: "MapperError" };
          else {
            outcome = predicted;
            if ("result" in predicted) model.remove((vaddr - addressOf(0)) / B);
          }
          run = () => vmm.free(vaddr);
        }
        mapper.failOnCall(op.fail);
        try {
          if ("error" in outcome) {
            const code = outcome.error;
            assert.throws(run, (error: unknown) => (code === "MapperError" ? error instanceof MapperError : (error instanceof BitmapError || error instanceof VmmError) && error.code === code));
            assert.deepEqual(snapshotStack(vmm, pmm, mapper), before, `a failing ${op.kind} changes nothing`);
          } else {
            assert.equal(run(), outcome.result);
          }
        } finally {
          mapper.failOnCall(0);
        }
        checkInvariants(model, vmm, pmm, mapper);
      }
    }), { seed: 0x5eed30, numRuns: 300 });
  });
});
