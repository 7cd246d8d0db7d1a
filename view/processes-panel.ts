import { parseAddress } from "../src/address.js";
import { hex } from "../src/format.js";
import { PAGE_BYTES } from "../src/paging/geometry.js";
import type { AccessOp } from "../src/index.js";
import { sameType } from "../src/process/kernel-half.js";
import type { Address } from "../src/types.js";
import { byTestId, el, parseNumber } from "./dom.js";
import { OperationLog } from "./log.js";
import { type FrameRow, faultOutcomeText, faultRows, faultSubject, frameRows, type ProcessRow, processRows } from "./process-rows.js";
import type { ProcessTable } from "./processes.js";

/** How the Processes panel fits its page. */
export interface ProcessesPanelOptions {
  /** Hex digits of a virtual address (8, or 16 in 64-bit modes). */
  readonly digits: number;
  /** The root register's name: `CR3` or `satp`. */
  readonly register: string;
  /** The page's operation log: every action and kmem's answer. */
  readonly log: OperationLog;
  /** Called after every action (the x86 page redraws its maps and summary). */
  readonly changed?: () => void;
}

const BYTE_MAX = 0xff;
const OPS: readonly AccessOp[] = ["read", "write", "fetch"];

function faultCells(row: ProcessRow): HTMLElement[] {
  const f = row.faults;
  return [f.minor, f.major, f.cowCopies, f.cowReuses, f.segfaults].map((n) => el("td", { class: "num" }, String(n)));
}

function processRow(row: ProcessRow, register: string, digits: number, selected: boolean): HTMLTableRowElement {
  const regions = row.regions.map((r) =>
    el("div", { class: "addr" }, `${hex(r.start, digits)}–${hex(r.end, digits)} ${r.rights} `, el("span", { class: "badge" }, r.label), ` ${String(r.resident)}/${String(r.pages)} pages${r.paging === "lazy" ? "" : ` (${r.paging})`}`),
  );
  const props: Record<string, string> = { "data-testid": "process-row", "data-pid": String(row.pid), "data-active": String(row.active) };
  if (selected) props["class"] = "selected";
  return el(
    "tr",
    props,
    el("td", {}, `pid ${String(row.pid)}`, row.parent === null ? "" : el("div", { class: "hint" }, `fork of ${String(row.parent)}`)),
    el("td", { class: "addr" }, hex(row.root), ...(row.active ? [" ", el("span", { class: "badge user", "data-testid": "root-marker" }, `← ${register}`)] : [])),
    el("td", {}, ...regions),
    el("td", { class: "num" }, String(row.resident)),
    ...faultCells(row),
  );
}

function frameState(row: FrameRow): string {
  if (row.cow) return "shared copy-on-write";
  return row.references > 1 ? "shared read-only" : "private";
}

function frameRow(row: FrameRow, digits: number): HTMLTableRowElement {
  const owners = row.owners.map((o) =>
    el("div", { class: "addr" }, `pid ${String(o.pid)} @ ${hex(o.vaddr, digits)} `, el("span", { class: "badge" }, o.label), o.cow ? " cow" : o.writable ? " rw" : " ro"),
  );
  const props: Record<string, string> = { "data-testid": "frame-row", "data-frame": hex(row.frame), "data-references": String(row.references), "data-cow": String(row.cow) };
  if (row.cow) props["class"] = "cow";
  return el("tr", props, el("td", { class: "addr" }, hex(row.frame)), el("td", { class: "num" }, String(row.references)), el("td", {}, ...owners), el("td", {}, frameState(row)));
}

function header(...titles: string[]): HTMLTableSectionElement {
  return el("thead", {}, el("tr", {}, ...titles.map((t) => el("th", {}, t))));
}

/**
 * Wires the Processes card found under `root` to `table`: the process list (with a marker on
 * the one whose root the MMU holds), the frames table (every user frame with its mappings
 * and reference count, shared copy-on-write frames highlighted), the actions (start, fork,
 * switch, exit, access) and the fault log, newest first. Every action is logged in the page's log.
 *
 * @example
 * bindProcessesPanel(document, new ProcessTable(kernelHalfOf(machine), machine.mmu), { digits: 8, register: "CR3", log });
 */
export function bindProcessesPanel<A extends Address>(root: ParentNode, table: ProcessTable<A>, options: ProcessesPanelOptions): void {
  const { digits, register, log } = options;
  const select = byTestId<HTMLSelectElement>("process-select", root);
  const faults = new OperationLog(byTestId<HTMLOListElement>("fault-log", root), "fault-entry");
  const address = byTestId<HTMLInputElement>("access-address", root);
  address.value = hex(table.layout.data.start, digits);
  address.size = digits + 3;
  let selected: number | null = null;

  const render = (): void => {
    const processes = table.list();
    const active = table.active();
    if (selected !== null && !processes.some((p) => p.pid === selected)) selected = processes.at(-1)?.pid ?? null;
    const rows = processRows(processes, active);
    const frames = frameRows(processes, (frame) => table.references(frame));
    select.replaceChildren(...processes.map((p) => el("option", { value: String(p.pid) }, `pid ${String(p.pid)}`)));
    if (selected !== null) select.value = String(selected);
    byTestId("loaded-root", root).textContent = `${register} = ${hex(table.loadedRoot())} (${active === null ? "the kernel's root" : `pid ${String(active.pid)}`})`;
    byTestId("process-count", root).textContent = `${String(processes.length)} process${processes.length === 1 ? "" : "es"} · ${String(frames.length)} user frames (${String(frames.filter((f) => f.cow).length)} shared copy-on-write)`;
    byTestId("free-frames", root).textContent = String(table.freeFrames());
    byTestId<HTMLTableElement>("process-table", root).replaceChildren(
      header("process", `root (${register})`, "regions", "resident", "minor", "major", "cow copies", "cow reuses", "segfaults"),
      el("tbody", {}, ...rows.map((r) => processRow(r, register, digits, r.pid === selected))),
    );
    byTestId<HTMLTableElement>("frame-table", root).replaceChildren(
      header("frame", "references", "mapped by", "state"),
      el("tbody", {}, ...frames.map((f) => frameRow(f, digits))),
    );
  };

  const perform = (operation: string, run: () => string): void => {
    try {
      log.add(operation, run());
    } catch (error) {
      log.add(operation, error instanceof Error ? error.message : String(error), true);
    }
    render();
    options.changed?.();
  };

  const selectedPid = (): number => {
    if (selected === null) throw new Error("Cannot act on a process: none is running (start one)");
    return selected;
  };

  select.addEventListener("change", () => {
    selected = Number(select.value);
    render();
  });
  byTestId("process-table", root).addEventListener("click", (event) => {
    const row = event.target instanceof Element ? event.target.closest("[data-pid]") : null;
    if (row === null) return;
    selected = Number(row.getAttribute("data-pid"));
    render();
  });
  byTestId("process-start", root).addEventListener("click", () => {
    perform("start a process", () => {
      const p = table.start();
      selected = p.pid;
      const { text, data, stack } = table.layout;
      return `pid ${String(p.pid)}, root ${hex(p.space.root)}: text at ${hex(text.start, digits)}, data/heap at ${hex(data.start, digits)}, stack ending at ${hex(BigInt(stack.start) + BigInt(stack.pages * PAGE_BYTES), digits)} (a guard page under it), nothing resident yet`;
    });
  });
  byTestId("process-fork", root).addEventListener("click", () => {
    perform(`fork pid ${String(selected ?? "?")}`, () => {
      const parent = selectedPid();
      const child = table.fork(parent);
      selected = child.pid;
      return `pid ${String(child.pid)}, root ${hex(child.space.root)}: every resident page shared, writable ones copy-on-write`;
    });
  });
  byTestId("process-switch", root).addEventListener("click", () => {
    perform(`switch to pid ${String(selected ?? "?")}`, () => {
      const pid = selectedPid();
      table.switchTo(pid);
      return `${register} = ${hex(table.loadedRoot())}`;
    });
  });
  byTestId("process-exit", root).addEventListener("click", () => {
    perform(`exit pid ${String(selected ?? "?")}`, () => {
      const pid = selectedPid();
      table.exit(pid);
      return `address space destroyed; ${String(table.freeFrames())} frames free, ${register} = ${hex(table.loadedRoot())}`;
    });
  });
  byTestId<HTMLFormElement>("access-form", root).addEventListener("submit", (event) => {
    event.preventDefault();
    const op = byTestId<HTMLSelectElement>("access-op", root).value as AccessOp;
    const valueText = byTestId<HTMLInputElement>("access-value", root).value;
    perform(`pid ${String(selected ?? "?")} ${op} ${address.value.trim()}${op === "write" ? ` ← ${valueText.trim()}` : ""}`, () => {
      const pid = selectedPid();
      if (!OPS.includes(op)) throw new Error(`Cannot access: unknown operation ${JSON.stringify(op)}`);
      const parsed = parseAddress(address.value.trim());
      if (parsed === null) throw new Error(`Cannot access ${JSON.stringify(address.value)}: not an address (use 0x… hex or decimal)`);
      const value = op === "write" ? parseNumber(valueText, "Value") : 0;
      if (value > BYTE_MAX) throw new Error(`Cannot write ${hex(value, 2)}: a write stores one byte (0x00–0xFF)`);
      const vaddr = sameType(table.kernel.userStart, parsed);
      const record = table.access(pid, vaddr, op, value);
      for (const row of faultRows(pid, vaddr, op, record.faults)) {
        faults.add(faultSubject(row, (v) => hex(v, digits)), faultOutcomeText(row), row.kind === "segfault");
      }
      const taken = record.faults.length === 0 ? "no fault" : `faults: ${record.faults.map((f) => f.kind).join(", ")}`;
      if (record.physical === null) return `segfault (${taken})`;
      return `physical ${hex(record.physical)}, ${op === "write" ? "wrote" : "read"} ${hex(record.value ?? 0, 2)} (${taken})`;
    });
  });
  render();
}

/** Shows why the Processes card cannot run on this machine, and disables its controls. */
export function showProcessesUnavailable(root: ParentNode, message: string): void {
  byTestId("loaded-root", root).textContent = `Processes are not available on this machine: ${message}`;
  for (const control of byTestId("processes", root).querySelectorAll<HTMLButtonElement | HTMLInputElement | HTMLSelectElement>("button, input, select")) control.disabled = true;
}
