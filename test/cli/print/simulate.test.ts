import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { renderSimulation, simulationJson, simulationPassed } from "../../../src/cli/print/simulate.js";
import { parseScript } from "../../../src/process/script.js";
import type { LineResult, ScriptRun } from "../../../src/process/script-results.js";

const [spawn, read] = parseScript("spawn A\nread A 0x10000000\n");

/** A run as the runner would report a missed invalidation and a leak (kmem itself makes neither). */
function brokenRun(): ScriptRun {
  const lines: LineResult[] = [
    { command: spawn!, detail: { type: "created", task: "A", root: 0x3000, entry: null, shared: 0 }, frames: 1, evicted: [], evictions: 0, stale: [] },
    {
      command: read!,
      detail: { type: "access", faults: [], physical: 0x5000, value: 7 },
      frames: 0,
      evicted: [],
      evictions: 0,
      stale: [{ vaddr: 0x1000_0000, access: { user: true }, cached: 0x5000, tables: -15 }],
    },
  ];
  const tasks = [{ name: "A", createdAt: 1, exitedAt: null, root: 0x3000, regions: [], resident: 1, swapped: 0, faults: { minor: 0, major: 0, cowCopies: 0, cowReuses: 0, segfaults: 0, evictions: 0 } }];
  return { arch: "x86", lines, tasks, shared: [], accesses: 1, pmm: { freeBefore: 100, freeAtEnd: 97, freeAfterExit: 99 } };
}

describe("kmem simulate's printer", () => {
  test("a missed invalidation is printed on its line and in the audit, a leak in the PMM line; the run does not pass", () => {
    const run = brokenRun();
    const text = renderSimulation(run, "Simulating t");
    assert.match(text, /\n2 {2}read A 0x10000000 {2}no fault → 0x00005000 = 0x07; MISSED INVALIDATION at 0x10000000: the TLB gave 0x00005000, the tables give a fault\n/);
    assert.match(text, /\nTLB audit: 1 access, 1 MISSED INVALIDATION \(above\)\n/);
    assert.match(text, /\nPMM: 100 free blocks before, 97 at the end, 99 after exiting the 1 task still alive: LEAK: 1 block did not come back\n$/);
    assert.equal(simulationPassed(run), false);
    const json = simulationJson(run) as { lines: { stale: unknown[] }[]; pmm: { restored: boolean } };
    assert.deepEqual(json.lines[1]?.stale, [{ vaddr: "0x10000000", cached: "0x00005000", tables: null }]);
    assert.equal(json.pmm.restored, false);
  });

  test("either fault alone fails the run; neither passes it", () => {
    const run = brokenRun();
    assert.equal(simulationPassed({ ...run, pmm: { ...run.pmm, freeAfterExit: 100 } }), false, "the stale translation alone");
    const clean = run.lines.map((l) => ({ ...l, stale: [] }));
    assert.equal(simulationPassed({ ...run, lines: clean }), false, "the leak alone");
    assert.equal(simulationPassed({ ...run, lines: clean, pmm: { ...run.pmm, freeAfterExit: 100 } }), true);
  });
});
