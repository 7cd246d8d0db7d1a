import { el, parseNumber } from "./dom.js";
import { hex } from "../src/format.js";
import { type AccessKind, ADDRESS_FIELD, type BitField, type WalkLevel, type WalkView } from "./model.js";

const INDEX_BITS = 10;
const OFFSET_BITS = 12;
const ADDRESS_BITS = 32;
/** Error-code bits shown: P, W/R, U/S, RSVD, I/D. */
const ERROR_CODE_BITS = 5;
const INDEX_HEX_DIGITS = 3;
const BINARY = 2;

/** The form's controls, found by the page template's `data-testid`s. */
export interface WalkControls {
  readonly form: HTMLFormElement;
  readonly address: HTMLInputElement;
  readonly write: HTMLInputElement;
  readonly user: HTMLInputElement;
  readonly fetch: HTMLInputElement;
  readonly output: HTMLElement;
}

function fieldTable(fields: readonly BitField[], testId: string): HTMLTableElement {
  const head = el("tr", {}, el("th", {}, "bits"), el("th", {}, "field"), el("th", {}, "value"), el("th", {}, "meaning"));
  const rows = fields.map((field) =>
    el(
      "tr",
      { class: field.value === 0 ? "off" : "on" },
      el("td", { class: "num" }, field.bits),
      el("td", {}, field.name),
      el("td", { class: "addr" }, field.name === ADDRESS_FIELD ? hex(field.value) : String(field.value)),
      el("td", {}, field.meaning),
    ),
  );
  return el("table", { class: "bits", "data-testid": testId }, el("thead", {}, head), el("tbody", {}, ...rows));
}

function binary(value: number, bits: number): string {
  return value.toString(BINARY).padStart(bits, "0");
}

/** The virtual address split into directory index, table index and offset (or a 22-bit offset for a 4 MiB page). */
function splitAddress(view: WalkView): HTMLElement {
  const directory = { name: "directory index", bits: "31–22", value: view.directoryIndex, width: INDEX_BITS, cls: "dir" };
  const parts = view.large
    ? [directory, { name: "offset in the 4 MiB page", bits: "21–0", value: view.offset, width: INDEX_BITS + OFFSET_BITS, cls: "off" }]
    : [
      directory,
      { name: "table index", bits: "21–12", value: view.tableIndex, width: INDEX_BITS, cls: "tab" },
      { name: "offset", bits: "11–0", value: view.offset, width: OFFSET_BITS, cls: "off" },
    ];
  return el(
    "div",
    { class: "split", "data-testid": "walk-split" },
    el("div", { class: "split-bits addr" }, ...parts.map((p) => el("span", { class: p.cls }, binary(p.value, p.width)))),
    el(
      "div",
      { class: "split-legend" },
      ...parts.map((p) => el("span", { class: p.cls }, `${p.name} (bits ${p.bits}) = ${p.value} (${hex(p.value, INDEX_HEX_DIGITS)})`)),
    ),
  );
}

function levelBlock(level: WalkLevel): HTMLElement {
  return el(
    "section",
    { class: "level", "data-testid": `walk-${level.name.toLowerCase()}` },
    el("h4", {}, `${level.name}[${level.index}] at physical ${hex(level.address)} = ${hex(level.value)}`),
    el("div", { class: "addr entry-bits" }, binary(level.value >>> 0, ADDRESS_BITS)),
    fieldTable(level.fields, `walk-${level.name.toLowerCase()}-bits`),
  );
}

/** Renders a walk explanation into `output`. */
export function renderWalk(output: HTMLElement, view: WalkView): void {
  const access = [view.access.user ? "user" : "supervisor", view.access.write ? "write" : "read", view.access.fetch ? "(fetch)" : ""];
  const header = el("p", {}, `${hex(view.vaddr)}, ${access.join(" ").trim()}; CR3 = ${hex(view.cr3)}; `,
    el("span", { class: view.tlbHit ? "tlb hit" : "tlb miss", "data-testid": "walk-tlb" }, view.tlbHit ? "TLB hit" : "TLB miss"),
    view.tlbHit ? " — the CPU used its cached translation and read no entry; below is what RAM holds now:" : " — the CPU walks the tables in RAM:");
  const result = view.fault === null
    ? el("p", { class: "result ok", "data-testid": "walk-physical", "data-physical": hex(view.physical ?? 0) },
      `→ physical ${hex(view.physical ?? 0)}`)
    : el("div", { class: "result fault", "data-testid": "walk-fault", "data-error-code": String(view.fault.errorCode) },
      el("p", {}, `Page fault: CR2 = ${hex(view.fault.address)}, error code ${view.fault.errorCode} (${binary(view.fault.errorCode, ERROR_CODE_BITS)}b)`),
      el("p", { class: "fault-message" }, view.fault.message),
      fieldTable(view.fault.bits, "walk-error-bits"));
  const stale = view.staleTlb
    ? [el("p", { class: "result fault stale", "data-testid": "walk-stale" },
      "Stale TLB entry: the tables in RAM no longer map this page this way, yet the CPU used the cached translation. " +
        "Flush the TLB or invlpg this address to drop it.")]
    : [];
  output.replaceChildren(header, splitAddress(view), ...view.levels.map(levelBlock), result, ...stale);
}

/**
 * Wires the page-walk form: on submit it parses the address, calls `walk` (real MMU code)
 * and renders the explanation; `onWalk` is told about each walk for the log.
 */
export function bindWalkPanel(
  controls: WalkControls,
  walk: (vaddr: number, access: AccessKind) => WalkView,
  onWalk: (view: WalkView) => void,
): (vaddr: number) => void {
  const run = (): void => {
    try {
      const vaddr = parseNumber(controls.address.value, "Virtual address");
      const view = walk(vaddr, { write: controls.write.checked, user: controls.user.checked, fetch: controls.fetch.checked });
      renderWalk(controls.output, view);
      onWalk(view);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      controls.output.replaceChildren(el("p", { class: "result fault", "data-testid": "walk-error" }, message));
    }
  };
  controls.form.addEventListener("submit", (event) => {
    event.preventDefault();
    run();
  });
  return (vaddr: number) => {
    controls.address.value = hex(vaddr);
    run();
  };
}
