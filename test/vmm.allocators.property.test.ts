import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { PhysicalMemoryManager } from "../src/pmm.js";
import { BLOCK_SIZE, type Attributes } from "../src/types.js";
import { VirtualMemoryManager } from "../src/vmm.js";
import { RecordingMapper } from "./helpers/recording-mapper.js";
import { assertProperty } from "./helpers/property.js";

/** fast-check's seed (printed in the test name, so a failure can be replayed). */
const SEED = 0xd1ff;
const B = BLOCK_SIZE;
const START = 0xc000_0000;
const BLOCKS = 96;
const ATTRS: Attributes = { kernel: true, writable: true, cachable: true };

type Op = { kind: "alloc"; count: number; align: number; at: number | null } | { kind: "set"; first: number; count: number } | { kind: "free"; pick: number };

/** One VMM over the 32-bit space `[0xC0000000, +96 blocks)` with the given allocator, and its mapper. */
function stack(allocator: "bitmap" | "extent") {
  const pmm = new PhysicalMemoryManager({ memoryBytes: 128 * B, reserved: [{ start: 0, end: 3 * B }] });
  const mapper = new RecordingMapper({ payload: 0 });
  return { pmm, mapper, vmm: new VirtualMemoryManager({ start: START, end: START + BLOCKS * B, pmm, mapper, payload: 0, allocator }) };
}

/** What an operation returned or threw, comparable with `deepEqual`. */
function outcome(run: () => unknown): unknown {
  try {
    return { result: run() };
  } catch (error) {
    return { error: error instanceof Error ? `${error.name} ${(error as { code?: string }).code ?? ""}: ${error.message}` : String(error) };
  }
}

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("alloc" as const), count: fc.integer({ min: 0, max: 12 }), align: fc.integer({ min: 0, max: 3 }), at: fc.option(fc.integer({ min: 0, max: BLOCKS }), { freq: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("set" as const), first: fc.integer({ min: 0, max: BLOCKS - 1 }), count: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("free" as const), pick: fc.nat({ max: 100 }) }) },
);

describe("the bitmap and extent allocators behind a VMM", () => {
  test(`give identical results for the same random operations on a 32-bit space (fast-check seed ${SEED})`, () => {
    assertProperty(
      fc.property(fc.array(opArbitrary, { minLength: 10, maxLength: 60 }), (ops) => {
        const sides = [stack("bitmap"), stack("extent")];
        for (const op of ops) {
          const results = sides.map(({ vmm }) => {
            if (op.kind === "alloc") {
              const align = 2 ** op.align * B;
              return outcome(() => vmm.alloc(op.count, ATTRS, op.at === null ? { align } : { at: START + op.at * B, align }));
            }
            if (op.kind === "set") return outcome(() => vmm.set({ start: START + op.first * B, end: START + (op.first + op.count) * B }, null, ATTRS));
            const starts = vmm.allocations().map((a) => a.virtual.start);
            return outcome(() => vmm.free(starts.length === 0 ? START : starts[op.pick % starts.length]!));
          });
          assert.deepEqual(results[1], results[0], `${op.kind}: the same result or error`);
          assert.deepEqual(sides[1]!.vmm.allocations(), sides[0]!.vmm.allocations(), "the same allocations");
          assert.deepEqual(sides[1]!.vmm.stats(), sides[0]!.vmm.stats(), "the same fragmentation");
          assert.deepEqual([...sides[1]!.vmm.snapshot()], [...sides[0]!.vmm.snapshot()], "the same used blocks");
          assert.deepEqual(sides[1]!.mapper.snapshot(), sides[0]!.mapper.snapshot(), "the same mapped pages");
        }
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  test("a space too large for a bitmap has no snapshot", () => {
    const pmm = new PhysicalMemoryManager({ memoryBytes: 16 * B });
    const vmm = new VirtualMemoryManager({ start: 0n, end: 2n ** 47n, pmm, mapper: new RecordingMapper<number, bigint>({ payload: 0 }), payload: 0 });
    assert.throws(() => vmm.snapshot(), /Cannot snapshot 34359738368 blocks as a bitmap: at most 2\^30 fit/);
  });
});
