import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { TraceError } from "../../src/errors/trace-error.js";
import { formatTrace, parseTrace, readTraceAddress, traceAddress, type Trace } from "../../src/trace/format.js";
import { schemaProblems } from "../helpers/trace-schema.js";

const RW = { kernel: true, writable: true, cachable: true };
const HEADER = { kmem: "trace", version: 1, arch: "x86-64", blockSize: 4096, space: { start: "0x1000", end: "0x800000000000" } } as const;

const TRACE: Trace = {
  header: HEADER,
  events: [
    { op: "alloc", size: 8192, attrs: RW, align: "0x4000", result: "0x7fffffffe000", task: 7 },
    { op: "alloc", size: 4096, attrs: RW, at: "0x1000", result: null, error: "AlreadyAllocated" },
    { op: "set", address: "0xb8000", size: 4096, physical: "0xb8000", attrs: { ...RW, cachable: false } },
    { op: "map", address: "0x400000", size: 4096, attrs: { ...RW, kernel: false, executable: true } },
    { op: "protect", address: "0x400000", size: 4096, attrs: { ...RW, writable: false } },
    { op: "touch", address: "0x400010", access: "fetch", user: true },
    { op: "unmap", address: "0x400000", size: 4096 },
    { op: "free", address: "0x7fffffffe000", task: 7 },
  ],
};

describe("trace format", () => {
  test("addresses are exact 0x strings up to 2^64 − 1", () => {
    assert.equal(traceAddress(0xffff_ffff_ffff_f000n), "0xfffffffffffff000");
    assert.equal(readTraceAddress("0xFFFFFFFFFFFFF000"), 0xffff_ffff_ffff_f000n);
    assert.throws(() => readTraceAddress("4096"), TypeError);
    assert.throws(() => readTraceAddress("0x10000000000000000"), TypeError);
  });

  test("a trace with every op survives format and parse unchanged, and the schema accepts every line", () => {
    const text = formatTrace(TRACE);
    assert.deepEqual(parseTrace(text), TRACE);
    assert.equal(schemaProblems(text), "");
  });

  test("bad lines are refused with their line number and field, by the parser and by the schema", () => {
    const cases: Array<[string, RegExp]> = [
      ['{"op":"free","address":"0x1000"}', /line 1: the first line must be a header/],
      [`${JSON.stringify(HEADER)}\n{"op":"alloc","size":100,"attrs":${JSON.stringify(RW)}}`, /line 2: size must be a positive multiple of 4096, not 100/],
      [`${JSON.stringify(HEADER)}\n\n{"op":"free","address":4096}`, /line 3: address must be a 0x… address, not 4096/],
      [`${JSON.stringify(HEADER)}\n{"op":"touch","address":"0x1000","access":"exec"}`, /line 2: access must be read, write or fetch/],
      [`${JSON.stringify(HEADER)}\n{"op":"grow"}`, /line 2: op must be one of alloc, free, set, map, unmap, protect, touch/],
      [`${JSON.stringify(HEADER)}\n{"op":"map","address":"0x1000","size":4096,"attrs":{"kernel":true}}`, /line 2: attrs.writable must be a boolean/],
      [`${JSON.stringify(HEADER)}\nnot json`, /line 2: not JSON/],
    ];
    for (const [text, message] of cases) {
      assert.throws(() => parseTrace(text), (error: unknown) => error instanceof TraceError && error.code === "InvalidTrace" && message.test(error.message), text);
      // The schema checks each line alone: the order of lines (header first) is the parser's.
      if (text.startsWith("{\"kmem\"") && !text.includes("not json")) assert.notEqual(schemaProblems(text), "", `the schema also rejects ${text}`);
    }
  });

  test("a trace without a header line is refused", () => {
    assert.throws(() => parseTrace("\n\n"), /Cannot read trace: it has no header line/);
  });
});
