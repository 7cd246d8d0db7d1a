import { el, formatSize } from "./dom.js";
import { hex, hexRange } from "../src/format.js";
import type { RegionRow } from "./model.js";
import type { LabelColors } from "./palette.js";

type SortKey = "virtual" | "physical" | "size" | "attributes" | "label";

interface Column {
  readonly key: SortKey;
  readonly title: string;
  readonly compare: (a: RegionRow, b: RegionRow) => number;
}

function attributesText(row: RegionRow): string {
  return [row.kernel ? "kernel" : "user", row.writable ? "RW" : "RO", row.cachable ? "cached" : "uncached"].join(" ");
}

/** The physical side of a row: a range, scattered blocks, or nothing. */
export function physicalText(row: RegionRow): string {
  if (row.physStart !== null) {
    return hexRange(row.physStart, row.physStart + (row.virtEnd - row.virtStart));
  }
  if (row.physBlocks.length > 0) {
    return `${row.physBlocks.length} scattered blocks from ${hex(row.physBlocks[0] ?? 0)}`;
  }
  return "— (reserved, not mapped)";
}

const byNumber = (a: number, b: number): number => a - b;
const physKey = (row: RegionRow): number => row.physStart ?? row.physBlocks[0] ?? Number.MAX_SAFE_INTEGER;

const COLUMNS: readonly Column[] = [
  { key: "virtual", title: "Virtual range", compare: (a, b) => byNumber(a.virtStart, b.virtStart) },
  { key: "physical", title: "Physical range", compare: (a, b) => byNumber(physKey(a), physKey(b)) },
  { key: "size", title: "Size", compare: (a, b) => byNumber(a.virtEnd - a.virtStart, b.virtEnd - b.virtStart) },
  { key: "attributes", title: "Attributes", compare: (a, b) => attributesText(a).localeCompare(attributesText(b)) },
  { key: "label", title: "Label", compare: (a, b) => a.label.localeCompare(b.label) },
];

/** The sortable table of regions, each row with a Free button for the allocation holding it. */
export class RegionTable {
  readonly #table: HTMLTableElement;
  readonly #body: HTMLTableSectionElement;
  readonly #headers = new Map<SortKey, HTMLTableCellElement>();
  readonly #colors: LabelColors;
  readonly #onFree: (allocationStart: number) => void;
  #rows: readonly RegionRow[] = [];
  #sortKey: SortKey = "virtual";
  #ascending = true;

  constructor(table: HTMLTableElement, colors: LabelColors, onFree: (allocationStart: number) => void) {
    this.#table = table;
    this.#colors = colors;
    this.#onFree = onFree;
    const headRow = el("tr");
    for (const column of COLUMNS) {
      const button = el("button", { type: "button", "data-testid": `sort-${column.key}` }, column.title);
      button.addEventListener("click", () => this.sortBy(column.key));
      const header = el("th", { scope: "col" }, button);
      this.#headers.set(column.key, header);
      headRow.append(header);
    }
    headRow.append(el("th", { scope: "col" }, el("span", { class: "visually-hidden" }, "Actions")));
    this.#body = el("tbody");
    table.replaceChildren(el("thead", {}, headRow), this.#body);
  }

  /** Replaces the rows, keeping the current sort. */
  update(rows: readonly RegionRow[]): void {
    this.#rows = rows;
    this.#render();
  }

  /** Sorts by `key`; sorting again by the same key reverses the order. */
  sortBy(key: SortKey): void {
    this.#ascending = key === this.#sortKey ? !this.#ascending : true;
    this.#sortKey = key;
    this.#render();
  }

  #render(): void {
    const column = COLUMNS.find((c) => c.key === this.#sortKey) ?? COLUMNS[0];
    const sorted = [...this.#rows];
    if (column !== undefined) {
      sorted.sort((a, b) => (this.#ascending ? 1 : -1) * column.compare(a, b) || a.virtStart - b.virtStart);
    }
    for (const [key, header] of this.#headers) {
      header.setAttribute("aria-sort", key === this.#sortKey ? (this.#ascending ? "ascending" : "descending") : "none");
    }
    this.#table.dataset["rows"] = String(sorted.length);
    this.#body.replaceChildren(...sorted.map((row) => this.#renderRow(row)));
  }

  #renderRow(row: RegionRow): HTMLTableRowElement {
    const title = row.allocationStart === row.virtStart
      ? `free the allocation at ${hex(row.virtStart)}`
      : `free the whole allocation at ${hex(row.allocationStart)} that holds this region`;
    const free = el("button", { type: "button", class: "small", "data-testid": "free-region", title }, "Free");
    free.addEventListener("click", () => this.#onFree(row.allocationStart));
    const swatch = el("span", { class: "swatch", style: `background:${this.#colors.colorOf(row.label)}` });
    const badges = el(
      "td",
      { class: "attrs" },
      el("span", { class: row.kernel ? "badge" : "badge user" }, row.kernel ? "kernel" : "user"),
      el("span", { class: row.writable ? "badge" : "badge ro" }, row.writable ? "RW" : "RO"),
      el("span", { class: row.cachable ? "badge" : "badge uc" }, row.cachable ? "cached" : "uncached"),
    );
    return el(
      "tr",
      { "data-testid": "region-row", "data-virt-start": hex(row.virtStart), "data-label": row.label },
      el("td", { class: "addr" }, hexRange(row.virtStart, row.virtEnd)),
      el("td", { class: "addr" }, physicalText(row)),
      el("td", { class: "num" }, formatSize(row.virtEnd - row.virtStart)),
      badges,
      el("td", {}, swatch, row.label),
      el("td", {}, free),
    );
  }
}
