import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { VmmError } from "../../src/errors/vmm-error.js";
import { TRACE_VERSION, formatTrace, parseTrace, type Trace, type TraceEvent, type TraceHeader } from "../../src/trace/format.js";
import { TraceRecorder } from "../../src/trace/recorder.js";
import { compare, replay } from "../../src/trace/replay.js";
import { type ReplayTarget, replayTarget } from "../../src/trace/target.js";
import { generateTrace } from "../../src/trace/workloads.js";
import { schemaProblems } from "../helpers/trace-schema.js";

const KERNEL_RW = { kernel: true, writable: true, cachable: true };
const USER_RW = { kernel: false, writable: true, cachable: true, executable: false };
const HEADER_32: TraceHeader = { kmem: "trace", version: TRACE_VERSION, arch: "x86", blockSize: 4096, space: { start: "0xc0000000", end: "0x100000000" } };
const HEADER_64: TraceHeader = { kmem: "trace", version: TRACE_VERSION, arch: "x86-64", blockSize: 4096, space: { start: "0x1000", end: "0x800000000000" } };

/** Every address replay placed an alloc or map event at, by event index. */
function placements(trace: Trace, config: Parameters<typeof replay>[1]): Map<number, bigint | null> {
  const placed = new Map<number, bigint | null>();
  replay(trace, config, { onPlaced: (event, address) => placed.set(event, address) });
  return placed;
}

describe("TraceRecorder", () => {
  test("records every call with its result or error code, and replay on the same policies gets the same addresses", () => {
    const target = replayTarget(HEADER_32, { allocator: "bitmap", pmm: "lowest" }) as ReplayTarget<number>;
    const recorder = new TraceRecorder(target.vmm, { task: 3, source: "a test" });
    const a = recorder.alloc(4, KERNEL_RW)!;
    const b = recorder.alloc(1, KERNEL_RW, { align: 0x10000 })!;
    assert.throws(() => recorder.alloc(2, KERNEL_RW, a), VmmError);
    recorder.set({ start: 0xd000_0000, end: 0xd000_2000 }, null, KERNEL_RW);
    recorder.touch(a + 0x10, "write");
    recorder.free(a);
    assert.throws(() => recorder.free(a), VmmError);
    assert.throws(() => recorder.free(-4096), VmmError);
    assert.throws(() => recorder.set({ start: 0xd000_0000, end: 0xd000_1000 }, null, { kernel: true } as never), VmmError);
    const c = recorder.alloc(2, KERNEL_RW)!;
    const text = recorder.text();
    assert.equal(schemaProblems(text), "");
    const trace = parseTrace(text);
    assert.deepEqual(trace.header.source, "a test");
    assert.deepEqual(
      trace.events.map((e) => [e.op, e.task, "result" in e ? e.result : undefined, e.error]),
      [
        ["alloc", 3, "0xc0000000", undefined],
        ["alloc", 3, "0xc0010000", undefined],
        ["alloc", 3, undefined, "AlreadyAllocated"],
        ["set", 3, undefined, undefined],
        ["touch", 3, undefined, undefined],
        ["free", 3, undefined, undefined],
        ["free", 3, undefined, "NotAllocated"],
        // free(-4096) and set with bad attributes: refused, nothing a trace can hold, not recorded.
        ["alloc", 3, "0xc0000000", undefined],
      ],
    );
    assert.deepEqual([a, b, c], [0xc000_0000, 0xc001_0000, 0xc000_0000]);
    const placed = placements(trace, { allocator: "bitmap", pmm: "lowest" });
    assert.deepEqual([...placed], [[0, 0xc000_0000n], [1, 0xc001_0000n], [2, null], [7, 0xc000_0000n]]);
    const result = replay(trace, { allocator: "extent", pmm: "buddy" });
    assert.equal(result.failedAllocs, 1, "the alloc at a used address fails again");
    assert.equal(result.failedOps, 1, "the double free fails again");
    assert.deepEqual([result.touches, result.faults], [1, 0]);
  });
});

describe("replay", () => {
  test("is deterministic: the same scenario and seed give the same trace and the same addresses; another seed does not", () => {
    const first = formatTrace(generateTrace("random-size-align", { scale: 0.0001, seed: 5 }));
    assert.equal(formatTrace(generateTrace("random-size-align", { scale: 0.0001, seed: 5 })), first);
    assert.notEqual(formatTrace(generateTrace("random-size-align", { scale: 0.0001, seed: 6 })), first);
    const trace = parseTrace(first);
    const config = { allocator: "extent", pmm: "buddy" } as const;
    assert.deepEqual(placements(trace, config), placements(trace, config));
    assert.equal(replay(trace, config).addressDigest, replay(trace, config).addressDigest);
  });

  test("an allocation re-placed by the allocator carries later touches, unmaps and protects with it", () => {
    const at = (offset: number): string => `0x${(0x7f00_0000_0000 + offset).toString(16)}`;
    const events: TraceEvent[] = [
      { op: "alloc", size: 3 * 4096, attrs: USER_RW, result: at(0) },
      { op: "touch", address: at(0x1008), access: "write", user: true },
      { op: "unmap", address: at(0x1000), size: 4096 },
      { op: "touch", address: at(0x10), access: "read", user: true },
      { op: "touch", address: at(0x1010), access: "read", user: true },
      { op: "touch", address: at(0x2010), access: "read", user: true },
      { op: "protect", address: at(0x2000), size: 4096, attrs: { ...USER_RW, writable: false } },
      { op: "touch", address: at(0x2010), access: "write", user: true },
      { op: "touch", address: at(0x2010), access: "read", user: true },
    ];
    const trace: Trace = { header: HEADER_64, events };
    assert.equal(schemaProblems(formatTrace(trace)), "");
    const placed = placements(trace, { allocator: "extent", pmm: "lowest" });
    assert.deepEqual([...placed], [[0, 0x1000n]], "the extent tree puts it at the lowest fit, not where the program got it");
    const result = replay(trace, { allocator: "extent", pmm: "lowest" });
    // Faults: the unmapped middle page, and the write to the page made read-only.
    assert.deepEqual([result.touches, result.faults, result.failedAllocs, result.failedOps], [6, 2, 0, 0]);
  });

  test("counts mapper calls, page-table pages and TLB hits", () => {
    const events: TraceEvent[] = [{ op: "alloc", size: 4096, attrs: KERNEL_RW, result: "0xc0000000" }];
    for (let i = 0; i < 10; i++) events.push({ op: "touch", address: `0xc00000${(i * 8).toString(16).padStart(2, "0")}`, access: "read" });
    events.push({ op: "free", address: "0xc0000000" });
    const result = replay({ header: HEADER_32, events }, { allocator: "bitmap", pmm: "lowest" }, { samples: 1000 });
    assert.deepEqual(result.mapperCalls, { map: 1, unmap: 1 });
    assert.equal(result.tlbHitRate, 0.9, "one miss, then nine hits on the same page");
    assert.deepEqual(result.pageTablePages, { peak: 2, final: 1 }, "the directory and one table, freed with its last page");
    assert.equal(result.timeline.length, events.length + 1, "one sample per event, plus the start");
  });

  test("compare runs every allocator × PMM combination on its own machine", () => {
    const trace = generateTrace("fix-align", { scale: 0.0001 });
    const results = compare(trace, { allocators: ["bitmap", "extent"], pmms: ["lowest", "buddy"] });
    assert.deepEqual(results.map((r) => `${r.config.allocator}/${r.config.pmm}`), ["bitmap/lowest", "bitmap/buddy", "extent/lowest", "extent/buddy"]);
    for (const r of results) assert.deepEqual([r.events, r.allocs, r.failedAllocs, r.failedOps], [200, 100, 0, 0], `${r.config.allocator}/${r.config.pmm}`);
  });
});
