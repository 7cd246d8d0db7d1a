import type { PagingModeName } from "../src/boot/modes.js";
import { hex } from "../src/format.js";
import type { Geometry } from "../src/paging/geometry.js";
import type { WalkExplanation, WalkStep } from "../src/paging/mmu.js";
import { el, formatSize } from "./dom.js";
import { accessText, isRiscv, levelName, type ModeField, modeEntryFields, modeFault } from "./mode-fields.js";

const PAGE_SHIFT = 12;

/** The decoded fields of an entry or a fault code, as a table. */
function fieldTable(fields: readonly ModeField[], testId: string): HTMLTableElement {
  const head = el("tr", {}, el("th", {}, "bits"), el("th", {}, "field"), el("th", {}, "value"), el("th", {}, "meaning"));
  const rows = fields.map((f) =>
    el("tr", { class: f.on ? "on" : "off", "data-field": f.name }, el("td", { class: "num" }, f.bits), el("td", {}, f.name), el("td", { class: "addr" }, f.value), el("td", {}, f.meaning)),
  );
  return el("table", { class: "bits", "data-testid": testId }, el("thead", {}, head), el("tbody", {}, ...rows));
}

/** The bits of the virtual address that index the table at `level`: `"47–39"`. */
function indexBits(geometry: Geometry, level: number): string {
  const low = PAGE_SHIFT + geometry.indexBits.slice(0, level).reduce((a, b) => a + b, 0);
  return `${low + (geometry.indexBits[level] ?? 0) - 1}–${low}`;
}

function levelRow(mode: PagingModeName, geometry: Geometry, step: WalkStep): HTMLElement {
  const digits = geometry.entryBytes * 2;
  return el(
    "tr",
    { "data-testid": "walk-level", "data-level": String(step.level), class: step.role === "fault" ? "cause" : "" },
    el("td", {}, levelName(mode, step.level)),
    el("td", { class: "num" }, indexBits(geometry, step.level)),
    el("td", { class: "num" }, `${step.index} (${hex(step.index, 3)})`),
    el("td", { class: "addr" }, hex(step.entryAddress)),
    el("td", { class: "addr" }, hex(step.entry, digits)),
    el("td", {}, step.role === "table" ? "points at the next table" : step.role === "leaf" ? "maps the page" : "the walk faulted here"),
  );
}

/**
 * The explanation of one walk of a paging mode: the result or the fault (x86 error code or
 * RISC-V scause/stval, decoded), every level read (index bits, index, entry address, entry
 * value) and each entry's bits decoded for the mode.
 */
export function renderModeWalk(mode: PagingModeName, geometry: Geometry, walk: WalkExplanation, digits: number): HTMLElement[] {
  const access = accessText(walk.kind);
  const fault = modeFault(mode, walk, digits);
  const rootText = isRiscv(mode) ? `root table ${hex(walk.root)} (satp.PPN ${hex(walk.root / 2 ** PAGE_SHIFT, 1)})` : `CR3 → ${hex(walk.root)}`;
  const parts: HTMLElement[] = [];
  if (fault === null) {
    const physical = walk.physical ?? 0;
    parts.push(
      el(
        "div",
        { class: "result ok", "data-testid": "walk-physical" },
        el("p", {}, `${hex(walk.vaddr, digits)} → ${hex(physical)}`),
        el("p", { class: "fault-message" }, `${access} · ${formatSize(walk.pageSize)} page · offset ${hex(physical % walk.pageSize, 1)} · ${walk.steps.length} levels read from ${rootText}`),
      ),
    );
  } else {
    parts.push(
      el(
        "div",
        { class: "result fault", "data-testid": "walk-fault" },
        el("p", {}, fault.headline),
        el("p", { class: "fault-message", "data-testid": "walk-cause" }, fault.reason),
        ...(fault.fields.length === 0 ? [] : [fieldTable(fault.fields, "walk-error-code")]),
      ),
    );
  }
  parts.push(el("p", { class: "hint", "data-testid": "walk-preview" }, `A preview: the MMU walked the tables in RAM from ${rootText}; accessed/dirty bits it set were put back and the TLB flushed, so the machine stays as booted.`));
  const head = el("tr", {}, ...["entry", "VA bits", "index", "entry address", "entry value", "role"].map((h) => el("th", {}, h)));
  parts.push(
    el("div", { class: "split" }, el("table", { class: "bits", "data-testid": "walk-levels" }, el("thead", {}, head), el("tbody", {}, ...walk.steps.map((s) => levelRow(mode, geometry, s))))),
  );
  for (const step of walk.steps) {
    parts.push(
      el(
        "div",
        { "data-testid": "walk-entry", "data-level": String(step.level) },
        el("h4", {}, `${levelName(mode, step.level)} [${step.index}] at ${hex(step.entryAddress)} = ${hex(step.entry, geometry.entryBytes * 2)}`),
        fieldTable(modeEntryFields(mode, step.entry, step.level, step.role), "walk-entry-fields"),
      ),
    );
  }
  return parts;
}
