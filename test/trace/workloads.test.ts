import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { AllocEvent, FreeEvent, Trace } from "../../src/trace/format.js";
import { SCENARIOS, generateTrace } from "../../src/trace/workloads.js";

function allocs(trace: Trace): AllocEvent[] {
  return trace.events.filter((e): e is AllocEvent => e.op === "alloc");
}

function frees(trace: Trace): FreeEvent[] {
  return trace.events.filter((e): e is FreeEvent => e.op === "free");
}

describe("test_vmalloc.c scenarios", () => {
  test("fix-size: loops of vmalloc(1 page), a write, vfree, scaled from 1,000,000", () => {
    const trace = generateTrace("fix-size", { scale: 0.0001 });
    assert.equal(trace.events.length, 300);
    assert.deepEqual(trace.events.slice(0, 3).map((e) => e.op), ["alloc", "touch", "free"]);
    assert.ok(allocs(trace).every((e) => e.size === 4096 && e.result === "0xc0000000"), "every page reuses the one just freed");
  });

  test("random-size: 1 to 100 pages from the seed", () => {
    const sizes = allocs(generateTrace("random-size", { scale: 0.0005, seed: 9 })).map((e) => e.size / 4096);
    assert.equal(sizes.length, 500);
    assert.ok(sizes.every((n) => n >= 1 && n <= 100), "sizes within 1..100 pages");
    assert.ok(new Set(sizes).size > 50, `sizes vary (${new Set(sizes).size} distinct)`);
  });

  test("fix-align and random-size-align: 5 pages at THREAD_ALIGN << 1; 1 to 10 pages at up to 2^22", () => {
    const fixed = allocs(generateTrace("fix-align", { scale: 0.0001 }));
    assert.ok(fixed.every((e) => e.size === 5 * 4096 && e.align === "0x8000" && BigInt(e.result!) % 0x8000n === 0n), "aligned to 32 KiB");
    const random = allocs(generateTrace("random-size-align", { scale: 0.0002, seed: 3 }));
    assert.ok(random.every((e) => e.size >= 4096 && e.size <= 10 * 4096 && BigInt(e.align!) <= 1n << 22n && BigInt(e.result!) % BigInt(e.align!) === 0n), "sizes and alignments as the kernel draws them");
  });

  test("align-shift fails, as the kernel says it should, at the first alignment the 1 GiB space cannot hold", () => {
    const events = allocs(generateTrace("align-shift"));
    assert.equal(events.length, 32);
    assert.equal(events.at(-1)!.align, "0x80000000");
    assert.equal(events.at(-1)!.result, null);
    assert.ok(events.slice(0, -1).every((e) => e.result !== null), "every smaller alignment succeeds");
  });

  test("full-fit: the loop's pages land exactly in the holes the freed junk pages left", () => {
    const trace = generateTrace("full-fit", { scale: 0.00001 });
    const all = allocs(trace);
    // Two 16-page pointer arrays, then 8192 pairs, then 10 loop pages.
    assert.equal(all.length, 2 + 2 * 8192 + 10);
    const firstJunk = all[3]!.result;
    assert.equal(frees(trace)[0]!.address, firstJunk);
    assert.ok(all.slice(-10).every((e) => e.result === firstJunk), "each loop page fills the lowest junk hole");
    assert.equal(frees(trace).length, all.length, "everything is freed at the end");
  });
});

describe("synthetic generators", () => {
  test("every size × lifetime generates, frees everything, and LIFO frees the newest, FIFO the oldest", () => {
    for (const name of SCENARIOS.filter((s) => /-(random|lifo|fifo)$/.test(s))) {
      const trace = generateTrace(name, { scale: 0.003, seed: 2 });
      const placed = allocs(trace).filter((e) => e.result !== null);
      assert.equal(placed.length, 30, name);
      assert.equal(frees(trace).length, placed.length, `${name} frees what it allocated`);
    }
    const lifo = generateTrace("uniform-lifo", { scale: 0.03 });
    const lifoFirstFree = lifo.events.findIndex((e) => e.op === "free");
    assert.equal((lifo.events[lifoFirstFree] as FreeEvent).address, (lifo.events[lifoFirstFree - 2] as AllocEvent).result);
    const fifo = generateTrace("uniform-fifo", { scale: 0.03 });
    assert.equal(frees(fifo)[0]!.address, allocs(fifo)[0]!.result);
  });

  test("bimodal sizes are small or large, exponential ones mostly small", () => {
    const bimodal = allocs(generateTrace("bimodal-random", { scale: 0.05 })).map((e) => e.size / 4096);
    assert.ok(bimodal.every((n) => n <= 4 || (n >= 64 && n <= 256)), "1–4 or 64–256 pages");
    const large = bimodal.filter((n) => n >= 64).length;
    assert.ok(large > 20 && large < 90, `about 10% large (${large} of ${bimodal.length})`);
    const exponential = allocs(generateTrace("exponential-random", { scale: 0.05 })).map((e) => e.size / 4096);
    assert.ok(exponential.filter((n) => n <= 8).length > exponential.length / 2, "more than half at or below the mean of 8 pages");
  });

  test("an unknown scenario or a bad scale or seed is refused", () => {
    assert.throws(() => generateTrace("gaussian-lifo"), /Cannot generate "gaussian-lifo": not a scenario/);
    assert.throws(() => generateTrace("fix-size", { scale: 0 }), /the scale must be a positive number/);
    assert.throws(() => generateTrace("fix-size", { seed: -1 }), /the seed must be an integer/);
  });
});
