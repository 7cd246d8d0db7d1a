import { el, parseNumber } from "./dom.js";
import { hex } from "../src/format.js";
import { type FaultCause, faultCauses } from "./fault-cause.js";
import { type AccessKind, ADDRESS_FIELD, type BitField, type WalkLevel, type WalkView } from "./model.js";
import type { WalkLink } from "./walk-link.js";

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

const CAUSE_NOTE = " ← caused the fault";

/** The decoded fields of an entry or error code; the fields named in `causes` are marked as the fault's cause. */
function fieldTable(fields: readonly BitField[], testId: string, causes: ReadonlySet<string> = new Set()): HTMLTableElement {
  const head = el("tr", {}, el("th", {}, "bits"), el("th", {}, "field"), el("th", {}, "value"), el("th", {}, "meaning"));
  const rows = fields.map((field) => {
    const cause = causes.has(field.name);
    return el(
      "tr",
      { class: `${field.value === 0 ? "off" : "on"}${cause ? " cause" : ""}`, ...(cause ? { "data-cause": field.name } : {}) },
      el("td", { class: "num" }, field.bits),
      el("td", {}, field.name),
      el("td", { class: "addr" }, field.name === ADDRESS_FIELD ? hex(field.value) : String(field.value)),
      el("td", {}, `${field.meaning}${cause ? CAUSE_NOTE : ""}`),
    );
  });
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

/** The entry's 32 bits in binary, the bits that caused the fault marked. */
function entryBits(level: WalkLevel, causes: ReadonlySet<string>): HTMLElement {
  const text = binary(level.value >>> 0, ADDRESS_BITS);
  const marked = new Set(level.fields.filter((f) => causes.has(f.name)).map((f) => ADDRESS_BITS - 1 - Number(f.bits)));
  const parts = [...text].map((digit, i) => (marked.has(i) ? el("mark", { class: "cause-bit" }, digit) : digit));
  return el("div", { class: "addr entry-bits" }, ...parts);
}

function levelBlock(level: WalkLevel, causes: ReadonlySet<string>): HTMLElement {
  const id = `walk-${level.name.toLowerCase()}`;
  return el(
    "section",
    { class: "level", "data-testid": id },
    el("h4", {}, `${level.name}[${level.index}] at physical ${hex(level.address)} = ${hex(level.value)}`),
    entryBits(level, causes),
    fieldTable(level.fields, `${id}-bits`, causes),
  );
}

/** One sentence naming the entry bits that caused the fault, or nothing when no entry explains it. */
function causeLine(view: WalkView, causes: readonly FaultCause[]): HTMLElement[] {
  if (causes.length === 0) {
    return [];
  }
  const named = causes.map((c) => {
    const level = view.levels[c.level];
    const field = level?.fields.find((f) => f.name === c.field);
    return `${c.field} = 0 in the ${level?.name ?? "?"} (${field?.meaning ?? "?"})`;
  });
  return [el("p", { class: "fault-cause", "data-testid": "walk-cause" }, `Caused by ${named.join(" and ")}.`)];
}

/** How a walk was made, for the panel's header. */
export interface RenderOptions {
  /** A walk the URL asked for, shown without changing the machine ({@link ViewMachine.previewWalk}). */
  readonly preview?: boolean;
}

/** Renders a walk explanation into `output`; a faulting walk marks the entry bits that caused it. */
export function renderWalk(output: HTMLElement, view: WalkView, options: RenderOptions = {}): void {
  const causes = faultCauses(view);
  const causesAt = (index: number): ReadonlySet<string> => new Set(causes.filter((c) => c.level === index).map((c) => c.field));
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
      ...causeLine(view, causes),
      fieldTable(view.fault.bits, "walk-error-bits"));
  const stale = view.staleTlb
    ? [el("p", { class: "result fault stale", "data-testid": "walk-stale" },
      "Stale TLB entry: the tables in RAM no longer map this page this way, yet the CPU used the cached translation. " +
        "Flush the TLB or invlpg this address to drop it.")]
    : [];
  const preview = options.preview === true
    ? [el("p", { class: "hint", "data-testid": "walk-preview" },
      "Shown as the page opened (the URL can name a walk: #walk=0xC0100010&user&write): the tables were walked without changing " +
        "the machine (no TLB fill, no accessed bit kept). Press Walk to make the access.")]
    : [];
  output.replaceChildren(header, splitAddress(view), ...view.levels.map((level, i) => levelBlock(level, causesAt(i))), result, ...stale, ...preview);
}

/** What the page does with its walk panel. */
export interface WalkPanel {
  /** Walks `vaddr` with the form's access, as if typed and submitted. */
  readonly walkTo: (vaddr: number) => void;
  /** Fills the form with `link` and shows `preview`'s explanation of it (a message if it throws). */
  readonly show: (link: WalkLink, preview: (link: WalkLink) => WalkView) => void;
  /** Shows why a walk could not be shown. */
  readonly showError: (message: string) => void;
}

/**
 * Wires the page-walk form: on submit it parses the address, calls `walk` (real MMU code)
 * and renders the explanation; `onWalk` is told about each walk for the log.
 */
export function bindWalkPanel(
  controls: WalkControls,
  walk: (vaddr: number, access: AccessKind) => WalkView,
  onWalk: (view: WalkView) => void,
): WalkPanel {
  const showError = (message: string): void => {
    controls.output.replaceChildren(el("p", { class: "result fault", "data-testid": "walk-error" }, message));
  };
  const run = (): void => {
    try {
      const vaddr = parseNumber(controls.address.value, "Virtual address");
      const view = walk(vaddr, { write: controls.write.checked, user: controls.user.checked, fetch: controls.fetch.checked });
      renderWalk(controls.output, view);
      onWalk(view);
    } catch (error) {
      showError(error instanceof Error ? error.message : String(error));
    }
  };
  controls.form.addEventListener("submit", (event) => {
    event.preventDefault();
    run();
  });
  return {
    walkTo: (vaddr) => {
      controls.address.value = hex(vaddr);
      run();
    },
    show: (link, preview) => {
      controls.address.value = hex(link.vaddr);
      controls.write.checked = link.access.write;
      controls.user.checked = link.access.user;
      controls.fetch.checked = link.access.fetch;
      try {
        renderWalk(controls.output, preview(link), { preview: true });
      } catch (error) {
        showError(error instanceof Error ? error.message : String(error));
      }
    },
    showError,
  };
}
