import { formatSize } from "./dom.js";
import { hex, hexRange } from "../src/format.js";
import type { PageMapping, RegionRow } from "./model.js";
import type { Highlight } from "./highlight.js";
import {
  CACHE_DISABLE_COLOR, EMPTY_COLOR, FADED_ALPHA, type LabelColors, READ_ONLY_HATCH, SELECTION_COLOR, UNMAPPED_USED_COLOR, USER_MARK_COLOR,
} from "./palette.js";
import { GridCanvas, type CellRect, type GridLayout } from "./grid-canvas.js";
import type { Tooltip } from "./tooltip.js";
import {
  CELL_BYTES, CELL_COUNT, type CellSummary, PAGE_BYTES, PAGES_PER_CELL, type PageSummary, summariseCells, summarisePages,
} from "./vspace.js";

const GRID_SIDE = 32;
const LAYOUT: GridLayout = { columns: GRID_SIDE, rows: GRID_SIDE, cellPx: 14, gapPx: 1, marginPx: 84 };
const LABEL_EVERY_ROWS = 4;
const SELECTION_LINE_PX = 2;
/** The user mark is a triangle covering this fraction of the cell's side. */
const USER_MARK_FRACTION = 0.5;
const CACHE_DISABLE_LINE_PX = 2;
const HATCH_STEP_PX = 4;
const RESERVED_ONLY_ALPHA = 0.35;
const MAPPED_MIN_ALPHA = 0.55;
/** The cell shown zoomed at first: the one holding 0xC0000000, where higher-half kernels live. */
const DEFAULT_CELL = 0xc0000000 / CELL_BYTES;

/** How one cell or page is painted. */
interface CellLook {
  readonly fill: string;
  /** 0–1: pale for reserved-but-unmapped, solid when fully mapped. */
  readonly alpha: number;
  readonly readOnly: boolean;
  readonly user: boolean;
  readonly cacheDisable: boolean;
  /** Another region is highlighted: draw this one washed out, without marks. */
  readonly faded: boolean;
}

/** Paints one cell: colour, read-only hatching, user corner mark, cache-disable border (or washed out when faded). */
function paint(grid: GridCanvas, rect: CellRect, look: CellLook): void {
  const context = grid.context;
  context.fillStyle = EMPTY_COLOR;
  context.fillRect(rect.x, rect.y, rect.size, rect.size);
  context.globalAlpha = look.alpha;
  context.fillStyle = look.fill;
  context.fillRect(rect.x, rect.y, rect.size, rect.size);
  context.globalAlpha = 1;
  if (look.faded) {
    context.fillStyle = EMPTY_COLOR;
    context.globalAlpha = 1 - FADED_ALPHA;
    context.fillRect(rect.x, rect.y, rect.size, rect.size);
    context.globalAlpha = 1;
    return;
  }
  if (look.readOnly) {
    context.save();
    context.beginPath();
    context.rect(rect.x, rect.y, rect.size, rect.size);
    context.clip();
    context.strokeStyle = READ_ONLY_HATCH;
    context.lineWidth = 1;
    context.beginPath();
    for (let d = -rect.size; d < rect.size; d += HATCH_STEP_PX) {
      context.moveTo(rect.x + d, rect.y + rect.size);
      context.lineTo(rect.x + d + rect.size, rect.y);
    }
    context.stroke();
    context.restore();
  }
  if (look.user) {
    const mark = rect.size * USER_MARK_FRACTION;
    context.fillStyle = USER_MARK_COLOR;
    context.beginPath();
    context.moveTo(rect.x, rect.y);
    context.lineTo(rect.x + mark, rect.y);
    context.lineTo(rect.x, rect.y + mark);
    context.closePath();
    context.fill();
  }
  if (look.cacheDisable) {
    context.strokeStyle = CACHE_DISABLE_COLOR;
    const inset = CACHE_DISABLE_LINE_PX / 2;
    context.lineWidth = CACHE_DISABLE_LINE_PX;
    context.strokeRect(rect.x + inset, rect.y + inset, rect.size - CACHE_DISABLE_LINE_PX, rect.size - CACHE_DISABLE_LINE_PX);
  }
}

function outline(grid: GridCanvas, rect: CellRect): void {
  grid.context.strokeStyle = SELECTION_COLOR;
  const outset = SELECTION_LINE_PX / 2;
  grid.context.lineWidth = SELECTION_LINE_PX;
  grid.context.strokeRect(rect.x - outset, rect.y - outset, rect.size + SELECTION_LINE_PX, rect.size + SELECTION_LINE_PX);
}

function regionName(region: RegionRow | null): string {
  return region === null ? "(no region)" : `${region.label} ${hexRange(region.virtStart, region.virtEnd)}`;
}

/** The 4 GiB virtual map (1024 cells of 4 MiB) and the zoom on one cell (1024 pages of 4 KiB). */
export class VirtualMapView {
  readonly #overview: GridCanvas;
  readonly #zoom: GridCanvas;
  readonly #zoomTitle: HTMLElement;
  readonly #colors: LabelColors;
  readonly #tooltip: Tooltip;
  readonly #highlight: Highlight;
  #regions: readonly RegionRow[] = [];
  #mappings: readonly PageMapping[] = [];
  #cells: CellSummary[] = [];
  #pages: PageSummary[] = [];
  #selected = DEFAULT_CELL;

  /**
   * Binds the two canvases; `onPage` receives a page's address when it is clicked in the zoom.
   * Hovering a region highlights it (in both maps, through `highlight`).
   */
  constructor(
    parts: { readonly overview: HTMLCanvasElement; readonly zoom: HTMLCanvasElement; readonly zoomTitle: HTMLElement },
    colors: LabelColors,
    tooltip: Tooltip,
    highlight: Highlight,
    onPage: (vaddr: number) => void,
  ) {
    this.#overview = new GridCanvas(parts.overview, LAYOUT);
    this.#zoom = new GridCanvas(parts.zoom, LAYOUT);
    this.#zoomTitle = parts.zoomTitle;
    this.#colors = colors;
    this.#tooltip = tooltip;
    this.#highlight = highlight;
    highlight.onChange(() => {
      this.#drawOverview();
      this.#drawZoom();
    });
    parts.overview.addEventListener("mousemove", (event) => this.#hoverCell(event));
    parts.overview.addEventListener("mouseleave", () => this.#leave());
    parts.overview.addEventListener("click", (event) => {
      const index = this.#overview.cellAt(event);
      if (index !== null) {
        this.select(index);
      }
    });
    parts.zoom.addEventListener("mousemove", (event) => this.#hoverPage(event));
    parts.zoom.addEventListener("mouseleave", () => this.#leave());
    parts.zoom.addEventListener("click", (event) => {
      const page = this.#pageAt(event);
      if (page !== null) {
        onPage(page.virt);
      }
    });
  }

  /** Recomputes the cells from the current regions and mappings and redraws both maps. */
  update(regions: readonly RegionRow[], mappings: readonly PageMapping[]): void {
    this.#regions = regions;
    this.#mappings = mappings;
    this.#cells = summariseCells(regions, mappings);
    const mapped = this.#cells.reduce((sum, cell) => sum + cell.mappedPages, 0);
    const reserved = this.#cells.reduce((sum, cell) => sum + cell.reservedPages, 0);
    this.#overview.canvas.dataset["mappedPages"] = String(mapped);
    this.#overview.canvas.dataset["reservedPages"] = String(reserved);
    this.#drawOverview();
    this.#drawZoom();
  }

  /** Zooms on cell `index` (0–1023). */
  select(index: number): void {
    this.#selected = Math.max(0, Math.min(CELL_COUNT - 1, index));
    this.#drawOverview();
    this.#drawZoom();
  }

  #leave(): void {
    this.#tooltip.hide();
    this.#highlight.set(null);
  }

  /** Whether a region labelled `label` touches `[start, end)`. */
  #holds(label: string, start: number, end: number): boolean {
    return this.#regions.some((r) => r.label === label && r.virtStart < end && r.virtEnd > start);
  }

  #drawOverview(): void {
    const grid = this.#overview;
    grid.resize(LAYOUT);
    const highlighted = this.#highlight.label;
    grid.canvas.dataset["highlight"] = highlighted ?? "";
    for (const cell of this.#cells) {
      const rect = grid.cellRect(cell.index);
      const lit = highlighted !== null && this.#holds(highlighted, cell.start, cell.end);
      const label = lit ? highlighted : cell.region?.label ?? null;
      const fill = label === null ? EMPTY_COLOR : this.#colors.colorOf(label);
      const coverage = Math.max(cell.mappedPages, cell.reservedPages) / PAGES_PER_CELL;
      paint(grid, rect, {
        fill,
        alpha: cell.mappedPages > 0 ? MAPPED_MIN_ALPHA + (1 - MAPPED_MIN_ALPHA) * coverage : RESERVED_ONLY_ALPHA,
        readOnly: cell.mappedPages > cell.writablePages,
        user: cell.userPages > 0,
        cacheDisable: cell.cacheDisablePages > 0,
        faded: highlighted !== null && !lit,
      });
    }
    for (let row = 0; row < GRID_SIDE; row += LABEL_EVERY_ROWS) {
      grid.rowLabel(row, hex(row * GRID_SIDE * CELL_BYTES));
    }
    outline(grid, grid.cellRect(this.#selected));
  }

  #drawZoom(): void {
    const grid = this.#zoom;
    const cellStart = this.#selected * CELL_BYTES;
    this.#pages = summarisePages(this.#selected, this.#regions, this.#mappings);
    this.#zoomTitle.textContent = `${hexRange(cellStart, cellStart + CELL_BYTES)} · PDE ${this.#selected} · ${PAGES_PER_CELL} pages of ${formatSize(PAGE_BYTES)}`;
    grid.resize(LAYOUT);
    grid.canvas.dataset["highlight"] = this.#highlight.label ?? "";
    this.#pages.forEach((page, index) => {
      const mapping = page.mapping;
      const fill = page.region === null ? (mapping === null ? EMPTY_COLOR : UNMAPPED_USED_COLOR) : this.#colors.colorOf(page.region.label);
      paint(grid, grid.cellRect(index), {
        fill,
        alpha: mapping === null ? RESERVED_ONLY_ALPHA : 1,
        readOnly: mapping !== null && !mapping.writable,
        user: mapping?.user ?? false,
        cacheDisable: mapping?.cacheDisable ?? false,
        faded: this.#highlight.label !== null && page.region?.label !== this.#highlight.label,
      });
    });
    for (let row = 0; row < GRID_SIDE; row += LABEL_EVERY_ROWS) {
      grid.rowLabel(row, hex(cellStart + row * GRID_SIDE * PAGE_BYTES));
    }
  }

  #hoverCell(event: MouseEvent): void {
    const index = this.#overview.cellAt(event);
    const cell = index === null ? undefined : this.#cells[index];
    if (cell === undefined) {
      this.#leave();
      return;
    }
    this.#highlight.set(cell.region?.label ?? null);
    const lines = [`${hexRange(cell.start, cell.end)} · PDE ${cell.index}`];
    if (cell.regionCount === 0 && cell.mappedPages === 0) {
      lines.push("free: nothing reserved or mapped", "click to zoom");
      this.#tooltip.show(event, lines);
      return;
    }
    const others = cell.regionCount > 1 ? ` (+${cell.regionCount - 1} more)` : "";
    lines.push(`region: ${regionName(cell.region)}${others}`);
    lines.push(`reserved ${cell.reservedPages} · present ${cell.mappedPages} of ${PAGES_PER_CELL} pages`);
    if (cell.firstPhys !== null) {
      lines.push(`physical: first present page → ${hex(cell.firstPhys)}`);
    }
    const present = cell.mappedPages;
    lines.push(
      `user ${cell.userPages} / supervisor ${present - cell.userPages} · writable ${cell.writablePages} / read-only ${present - cell.writablePages}` +
        ` · cache-disabled ${cell.cacheDisablePages}`,
    );
    lines.push("click to zoom");
    this.#tooltip.show(event, lines);
  }

  #pageAt(event: MouseEvent): PageSummary | null {
    const index = this.#zoom.cellAt(event);
    return index === null ? null : (this.#pages[index] ?? null);
  }

  #hoverPage(event: MouseEvent): void {
    const page = this.#pageAt(event);
    if (page === null) {
      this.#leave();
      return;
    }
    this.#highlight.set(page.region?.label ?? null);
    const tableIndex = (page.virt % CELL_BYTES) / PAGE_BYTES;
    const lines = [`${hexRange(page.virt, page.virt + PAGE_BYTES)} · PDE ${this.#selected} · PTE ${tableIndex}`];
    lines.push(`region: ${regionName(page.region)}`);
    const mapping = page.mapping;
    if (mapping === null || page.phys === null) {
      lines.push(page.region === null ? "not reserved, not present" : "reserved, not present (no physical backing)");
    } else {
      lines.push(`physical: ${hex(page.phys)}${mapping.large ? ` (in a ${formatSize(mapping.size)} page)` : ""}`);
      const flags = [
        mapping.user ? "user" : "supervisor",
        mapping.writable ? "writable" : "read-only",
        mapping.cacheDisable ? "cache-disabled" : "cachable",
      ];
      if (mapping.writeThrough) {
        flags.push("write-through");
      }
      if (mapping.global) {
        flags.push("global");
      }
      lines.push(flags.join(" · "));
    }
    lines.push("click to walk this address");
    this.#tooltip.show(event, lines);
  }
}
