import { hex, printable } from "../../format.js";
import { PAGE_BYTES } from "../../paging/geometry.js";
import type { TaskPage, LineResult, ScriptRun, TaskSummary } from "../../process/script-results.js";
import type { StaleTranslation } from "../../process/tlb-audit.js";
import type { FaultCounters, FaultOutcome } from "../../process/user-pages.js";
import type { Address } from "../../types.js";

/** The widest command column before a long command pushes its result further right. */
const MAX_COMMAND_COLUMN = 40;
const BYTE_DIGITS = 2;

/** Whether every task's exit returned every frame and the audit found no stale translation: `kmem simulate`'s exit status 0. */
export function simulationPassed(run: ScriptRun): boolean {
  return run.pmm.freeAfterExit === run.pmm.freeBefore && run.lines.every((l) => l.stale.length === 0);
}

/** `kmem simulate`'s text: one line per script line, then the tasks, the shared frames, the audit and the PMM check. */
export function renderSimulation(run: ScriptRun, title: string): string {
  const width = Math.min(MAX_COMMAND_COLUMN, Math.max(0, ...run.lines.map((l) => l.command.text.length)));
  const numberWidth = String(run.lines.at(-1)?.command.line ?? 0).length;
  const register = run.arch.startsWith("riscv") ? "satp.PPN × 4096" : "CR3";
  const out = [`${title} (${run.arch})`, ""];
  for (const line of run.lines) {
    out.push(`${String(line.command.line).padStart(numberWidth)}  ${printable(line.command.text).padEnd(width)}  ${lineText(line, register)}`);
  }
  out.push("", "Tasks:");
  for (const task of run.tasks) out.push(...taskText(task, register));
  if (run.tasks.length === 0) out.push("  none");
  const shared = run.shared.map((s) => `${hex(s.frame)} by ${s.pages.map(pageText).join(", ")}`);
  out.push(`Copy-on-write: ${shared.length === 0 ? "no frame shared" : `${String(shared.length)} frame${shared.length === 1 ? "" : "s"} shared: ${shared.join("; ")}`}`);
  const stale = run.lines.reduce((n, l) => n + l.stale.length, 0);
  out.push(`TLB audit: ${String(run.accesses)} access${run.accesses === 1 ? "" : "es"}, ${stale === 0 ? "no missed invalidation" : `${String(stale)} MISSED INVALIDATION${stale === 1 ? "" : "S"} (above)`}`);
  const { freeBefore, freeAtEnd, freeAfterExit } = run.pmm;
  const alive = run.tasks.filter((t) => t.exitedAt === null).length;
  const after = alive === 0 ? "after every task exited" : `after exiting the ${String(alive)} task${alive === 1 ? "" : "s"} still alive`;
  const verdict = freeAfterExit === freeBefore ? "every frame came back" : `LEAK: ${plural(freeBefore - freeAfterExit, "block")} did not come back`;
  out.push(`PMM: ${String(freeBefore)} free blocks before, ${String(freeAtEnd)} at the end, ${String(freeAfterExit)} ${after}: ${verdict}`);
  return `${out.join("\n")}\n`;
}

function lineText(line: LineResult, register: string): string {
  const d = line.detail;
  const parts: string[] = [];
  switch (d.type) {
    case "created":
      parts.push(`${d.task}: root ${hex(d.root)} (${register})${d.entry === null ? "" : `, entry ${hex(d.entry)}`}${line.command.kind === "fork" ? `, ${String(d.shared)} frame${d.shared === 1 ? "" : "s"} shared copy-on-write` : ""}`);
      break;
    case "range":
      parts.push(`${hex(d.start)}–${hex(d.end)}`);
      break;
    case "access":
      parts.push(`${d.faults.length === 0 ? "no fault" : d.faults.map(faultText).join(", ")}${d.physical === null ? "" : ` → ${hex(d.physical)} = ${hex(d.value ?? 0, BYTE_DIGITS)}`}`);
      break;
    case "done":
      if (line.command.kind === "swap") {
        const { frames, policy, scope } = line.command;
        parts.push(`tasks created from here on: at most ${String(frames)} resident page${frames === 1 ? "" : "s"} ${scope === "task" ? "each" : "in all"}, ${policy.toUpperCase()}`);
      } else parts.push("exited");
      break;
    case "refused":
      parts.push(`refused: ${d.code}: ${printable(d.message)}`);
      break;
    default:
      parts.push(`skipped: ${d.reason}`);
  }
  const more = line.evictions - line.evicted.length;
  const listed = line.evicted.map(pageText);
  if (more > 0) listed.push(`${plural(more, "page")} it made resident`);
  if (listed.length > 0) parts.push(`evicted ${listed.join(", ")}`);
  if (line.frames !== 0) parts.push(`${line.frames > 0 ? "+" : ""}${String(line.frames)} frame${Math.abs(line.frames) === 1 ? "" : "s"}`);
  for (const s of line.stale) parts.push(`MISSED INVALIDATION at ${hex(s.vaddr)}: the TLB gave ${answerText(s.cached)}, the tables give ${answerText(s.tables)}`);
  return parts.join("; ");
}

function faultText(fault: FaultOutcome): string {
  return fault.kind === "segfault" ? `segfault (${fault.reason})` : fault.kind;
}

function pageText(page: TaskPage): string {
  return `${page.task} ${hex(page.vaddr)}`;
}

/** A translation answer: a physical address, or `-1 - code` for a fault. */
function answerText(answer: number): string {
  return answer >= 0 ? hex(answer) : "a fault";
}

function countersText(f: Readonly<FaultCounters>): string {
  const resolved = f.minor + f.major;
  return `${plural(resolved, "page fault")} (${String(f.minor)} minor, ${String(f.major)} major; cow-copy ${String(f.cowCopies)}, cow-reuse ${String(f.cowReuses)} of the minor), ${plural(f.segfaults, "segfault")}, ${String(f.evictions)} evicted`;
}

function plural(count: number, noun: string): string {
  return `${String(count)} ${noun}${count === 1 ? "" : "s"}`;
}

function taskText(task: TaskSummary, register: string): string[] {
  const state = task.exitedAt === null ? `${String(task.resident)} resident, ${String(task.swapped)} swapped` : `exited at line ${String(task.exitedAt)}`;
  const head = `  ${task.name}  root ${hex(task.root)} (${register}), created at line ${String(task.createdAt)}, ${state}: ${countersText(task.faults)}`;
  return [head, ...task.regions.map((r) => `      ${hex(r.start)}–${hex(r.end)}  ${r.rights}  ${r.paging.padEnd(5)}  ${String(r.frames).padStart(3)} frame${r.frames === 1 ? " " : "s"}  ${printable(r.label)}`)];
}

/** `kmem simulate --json`: the run as one object, every address a `"0x…"` string (schema: docs/cli.md). */
export function simulationJson(run: ScriptRun): unknown {
  return {
    arch: run.arch,
    lines: run.lines.map(lineJson),
    tasks: run.tasks.map((t) => ({
      name: t.name,
      createdAt: t.createdAt,
      exitedAt: t.exitedAt,
      root: hex(t.root),
      resident: t.resident,
      swapped: t.swapped,
      faults: { ...t.faults },
      regions: t.regions.map((r) => ({ virtStart: hex(r.start), virtEnd: hex(r.end), rights: r.rights, paging: r.paging, frames: r.frames, label: r.label })),
    })),
    shared: run.shared.map((s) => ({ frame: hex(s.frame), pages: s.pages.map(pageJson) })),
    accesses: run.accesses,
    pmm: { ...run.pmm, restored: run.pmm.freeAfterExit === run.pmm.freeBefore },
  };
}

function lineJson(line: LineResult): Record<string, unknown> {
  const d = line.detail;
  const status = d.type === "refused" ? "refused" : d.type === "skipped" ? "skipped" : "ok";
  const head = { line: line.command.line, command: line.command.text, kind: line.command.kind === "access" ? line.command.op : line.command.kind, status, frames: line.frames };
  const tail = { evicted: line.evicted.map(pageJson), evictions: line.evictions, stale: line.stale.map(staleJson) };
  switch (d.type) {
    case "created":
      return { ...head, task: d.task, root: hex(d.root), entry: d.entry === null ? null : hex(d.entry), shared: d.shared, ...tail };
    case "range":
      return { ...head, start: hex(d.start), end: hex(d.end), ...tail };
    case "access":
      return {
        ...head,
        faults: d.faults.map((f) => ({ kind: f.kind, vaddr: hex(BigInt(f.page) * BigInt(PAGE_BYTES)), reason: f.kind === "segfault" ? f.reason : null })),
        physical: d.physical === null ? null : hex(d.physical),
        value: d.value,
        ...tail,
      };
    case "refused":
      return { ...head, error: { code: d.code, message: d.message }, ...tail };
    case "skipped":
      return { ...head, reason: d.reason, ...tail };
    default:
      return { ...head, ...tail };
  }
}

function pageJson(page: TaskPage): { task: string; vaddr: string } {
  return { task: page.task, vaddr: hex(page.vaddr) };
}

function staleJson(stale: StaleTranslation): { vaddr: string; cached: string | null; tables: string | null } {
  const answer = (value: number): string | null => (value >= 0 ? hex(value) : null);
  return { vaddr: hex(stale.vaddr as Address), cached: answer(stale.cached), tables: answer(stale.tables) };
}
