import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { boot } from "../../src/boot/boot.js";
import { DEFAULT_PROFILE } from "../../src/boot/default-profile.js";
import { kernelHalfOf } from "../../src/process/kernel-half.js";
import { parseScript } from "../../src/process/script.js";
import { runScript } from "../../src/process/script-run.js";
import { assertProperty } from "../helpers/property.js";

const NAMES = ["A", "B", "C"] as const;
const BASE = 0x1000_0000;
const PAGE = 0x1000;
const PAGES = 6;

type Op =
  | { op: "spawn" | "exit"; task: number }
  | { op: "fork" | "copy"; task: number; child: number }
  | { op: "map"; task: number; page: number; pages: number; rights: "r" | "rw"; lazy: boolean }
  | { op: "unmap" | "protect"; task: number; page: number; pages: number; rights: "r" | "rw" }
  | { op: "write"; task: number; page: number; offset: number; byte: number }
  | { op: "read"; task: number; page: number; offset: number };

const task = fc.nat(NAMES.length - 1);
const page = fc.nat(PAGES - 1);
const span = fc.integer({ min: 1, max: 3 });
const rights = fc.constantFrom("r" as const, "rw" as const);
const offset = fc.constantFrom(0, 1, 0xfff);
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constantFrom("spawn" as const, "exit" as const), task }),
  fc.record({ op: fc.constantFrom("fork" as const, "copy" as const), task, child: task }),
  fc.record({ op: fc.constant("map" as const), task, page, pages: span, rights, lazy: fc.boolean() }),
  fc.record({ op: fc.constantFrom("unmap" as const, "protect" as const), task, page, pages: span, rights }),
  { arbitrary: fc.record({ op: fc.constant("write" as const), task, page, offset, byte: fc.nat(255) }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant("read" as const), task, page, offset }), weight: 3 },
);
/**
 * The bounds tried. OPT per task included: a fork of such a space gets no bound (OPT's future
 * is the parent's), so the child's copies of the parent's swapped-out pages are resident at once.
 */
const swap = fc.option(
  fc.oneof(
    fc.record({ frames: fc.integer({ min: 1, max: 5 }), policy: fc.constantFrom("fifo", "lru", "clock"), perTask: fc.boolean() }),
    fc.record({ frames: fc.integer({ min: 1, max: 5 }), policy: fc.constant("opt"), perTask: fc.boolean() }),
  ),
  { nil: null },
);

const at = (p: number, o = 0): string => `0x${(BASE + p * PAGE + o).toString(16)}`;

/** The ops as a script after A (all pages demand-paged) and B (all eager) are made, with valid task lifetimes (ops naming a dead task, or a live new name, are dropped). */
function render(ops: readonly Op[], bound: { frames: number; policy: string; perTask: boolean } | null): string {
  const alive = new Set<string>(["A", "B"]);
  const lines = bound === null ? [] : [`swap ${String(bound.frames)} ${bound.policy}${bound.perTask ? " per-task" : ""}`];
  lines.push("spawn A", `map A ${at(0)} ${String(PAGES)} rw lazy`, "spawn B", `map B ${at(0)} ${String(PAGES)} rw`);
  for (const o of ops) {
    const name = NAMES[o.task] ?? "A";
    if (o.op === "spawn") {
      if (alive.has(name)) continue;
      alive.add(name);
      lines.push(`spawn ${name}`);
      continue;
    }
    if (!alive.has(name)) continue;
    switch (o.op) {
      case "exit":
        alive.delete(name);
        lines.push(`exit ${name}`);
        break;
      case "fork":
      case "copy": {
        const child = NAMES[o.child] ?? "A";
        if (alive.has(child)) break;
        alive.add(child);
        lines.push(`${o.op} ${name} ${child}`);
        break;
      }
      case "map":
        lines.push(`map ${name} ${at(o.page)} ${String(o.pages)} ${o.rights}${o.lazy ? " lazy" : ""}`);
        break;
      case "unmap":
        lines.push(`unmap ${name} ${at(o.page)} ${at(o.page + o.pages)}`);
        break;
      case "protect":
        lines.push(`protect ${name} ${at(o.page)} ${at(o.page + o.pages)} ${o.rights}`);
        break;
      case "write":
        lines.push(`write ${name} ${at(o.page, o.offset)} ${String(o.byte)}`);
        break;
      case "read":
        lines.push(`read ${name} ${at(o.page, o.offset)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

test("any script: reads return the task's last write, every frame comes back, the bound holds, no missed invalidation", () => {
  assertProperty(
    fc.property(fc.array(op, { minLength: 10, maxLength: 60 }), swap, (ops, bound) => {
      const script = parseScript(render(ops, bound));
      const run = runScript(script, {
        boot: () => {
          const machine = boot(DEFAULT_PROFILE);
          return { kernel: kernelHalfOf(machine), mmu: machine.mmu };
        },
      });
      // Per task: the bytes written (absent: 0), cleared where a map or unmap succeeds.
      const bytes = new Map<string, Map<number, number>>();
      for (const line of run.lines) {
        const c = line.command;
        const ok = line.detail.type !== "refused" && line.detail.type !== "skipped";
        if (c.kind === "spawn" && ok) bytes.set(c.task, new Map());
        else if ((c.kind === "fork" || c.kind === "copy") && ok) bytes.set(c.child, new Map(bytes.get(c.task)));
        else if (c.kind === "exit") bytes.delete(c.task);
        else if ((c.kind === "map" || c.kind === "unmap") && ok) {
          const [start, end] = c.kind === "map" ? [Number(c.at), Number(c.at) + c.pages * PAGE] : [Number(c.start), Number(c.end)];
          for (const address of [...(bytes.get(c.task)?.keys() ?? [])]) if (address >= start && address < end) bytes.get(c.task)?.delete(address);
        } else if (c.kind === "access" && line.detail.type === "access" && line.detail.physical !== null) {
          const own = bytes.get(c.task);
          if (c.op === "write") own?.set(Number(c.vaddr), c.value);
          else assert.equal(line.detail.value, own?.get(Number(c.vaddr)) ?? 0, `line ${String(c.line)} (${c.text}) reads the task's last write`);
        }
        assert.deepEqual(line.stale, [], `line ${String(c.line)}: no missed invalidation`);
        if (c.kind === "spawn") assert.ok(ok || (bound?.policy === "opt" && !bound.perTask), `line ${String(c.line)}: only an OPT pool's second member is refused`);
      }
      assert.equal(run.pmm.freeAfterExit, run.pmm.freeBefore, "every frame came back");
      if (bound !== null && !bound.perTask) assert.ok(run.tasks.reduce((n, t) => n + t.resident, 0) <= bound.frames, "the system-wide bound holds");
      // A fork or copy of an OPT-bounded task has no bound of its own (OPT's future is the parent's).
      const unbounded = new Set(bound?.policy === "opt" ? run.lines.flatMap((l) => (l.command.kind === "fork" || l.command.kind === "copy" ? [l.command.child] : [])) : []);
      if (bound !== null && bound.perTask) for (const t of run.tasks) if (!unbounded.has(t.name)) assert.ok(t.resident <= bound.frames, `task ${t.name} keeps its bound`);
    }),
    { seed: 0x51_3a7e, numRuns: 100 },
  );
});
