import { formatSize } from "./dom.js";
import { hex, hexRange } from "../src/format.js";
import { PHYS_CATEGORIES, PhysCategory, type PhysicalSnapshot } from "./model.js";
import { GridCanvas, type GridLayout } from "./grid-canvas.js";
import { physColor, SELECTION_COLOR } from "./palette.js";
import type { Tooltip } from "./tooltip.js";

const COLUMNS = 128;
const MAX_CELLS = COLUMNS * COLUMNS;
const CELL_PX = 4;
const MARGIN_PX = 84;
const LABEL_EVERY_ROWS = 16;
const SELECTION_LINE_PX = 2;
const OUTSET_PX = SELECTION_LINE_PX / 2;
/** The zoom shows one block per cell: 32 × 32 blocks, 4 MiB of 4 KiB blocks. */
const ZOOM_SIDE = 32;
const ZOOM_BLOCKS = ZOOM_SIDE * ZOOM_SIDE;
const ZOOM_LAYOUT: GridLayout = { columns: ZOOM_SIDE, rows: ZOOM_SIDE, cellPx: 14, gapPx: 1, marginPx: MARGIN_PX };
const ZOOM_LABEL_EVERY_ROWS = 4;
/** When one cell holds several blocks, the category shown is the first of these present. */
const PRIORITY: readonly PhysCategory[] = [
  PhysCategory.PageTable,
  PhysCategory.Module,
  PhysCategory.Kernel,
  PhysCategory.Allocated,
  PhysCategory.Firmware,
  PhysCategory.Free,
];

/** Blocks per heat-map cell: the smallest power of two keeping the grid within 128×128 cells. */
export function blocksPerCell(numBlocks: number): number {
  let blocks = 1;
  while (numBlocks / blocks > MAX_CELLS) {
    blocks *= 2;
  }
  return blocks;
}

/** Counts each category among `count` blocks from `first`. */
function tally(categories: Uint8Array, first: number, count: number): number[] {
  const counts = PHYS_CATEGORIES.map(() => 0);
  const end = Math.min(categories.length, first + count);
  for (let block = first; block < end; block += 1) {
    const category = categories[block] ?? PhysCategory.Free;
    counts[category] = (counts[category] ?? 0) + 1;
  }
  return counts;
}

/** The canvases and caption the physical view draws into. */
export interface PhysicalMapParts {
  readonly overview: HTMLCanvasElement;
  readonly zoom: HTMLCanvasElement;
  readonly zoomTitle: HTMLElement;
}

/**
 * The physical memory heat map (the PMM's blocks coloured by what holds them) and a zoom
 * on one 4 MiB window, one block per cell; click the heat map to move the window.
 */
export class PhysicalMapView {
  readonly #grid: GridCanvas;
  readonly #zoom: GridCanvas;
  readonly #zoomTitle: HTMLElement;
  readonly #tooltip: Tooltip;
  #snapshot: PhysicalSnapshot = { blockSize: 1, categories: new Uint8Array(0) };
  #perCell = 1;
  /** The first block of the zoomed window. */
  #window = 0;
  #virtualOf: (paddr: number) => number | null = () => null;

  constructor(parts: PhysicalMapParts, tooltip: Tooltip) {
    this.#grid = new GridCanvas(parts.overview, { columns: COLUMNS, rows: 1, cellPx: CELL_PX, gapPx: 0, marginPx: MARGIN_PX });
    this.#zoom = new GridCanvas(parts.zoom, ZOOM_LAYOUT);
    this.#zoomTitle = parts.zoomTitle;
    this.#tooltip = tooltip;
    parts.overview.addEventListener("mousemove", (event) => this.#hover(event));
    parts.overview.addEventListener("mouseleave", () => tooltip.hide());
    parts.overview.addEventListener("click", (event) => {
      const cell = this.#grid.cellAt(event);
      if (cell !== null && cell * this.#perCell < this.#snapshot.categories.length) {
        this.#window = Math.floor((cell * this.#perCell) / ZOOM_BLOCKS) * ZOOM_BLOCKS;
        this.#draw();
      }
    });
    parts.zoom.addEventListener("mousemove", (event) => this.#hoverZoom(event));
    parts.zoom.addEventListener("mouseleave", () => tooltip.hide());
  }

  /**
   * Redraws from a fresh snapshot of the PMM; `virtualOf` names the virtual page mapping a
   * physical block (for the tooltips). Returns the block count of each category.
   */
  update(snapshot: PhysicalSnapshot, virtualOf: (paddr: number) => number | null): number[] {
    this.#snapshot = snapshot;
    this.#virtualOf = virtualOf;
    this.#perCell = blocksPerCell(snapshot.categories.length);
    this.#draw();
    return tally(snapshot.categories, 0, snapshot.categories.length);
  }

  #draw(): void {
    const { categories, blockSize } = this.#snapshot;
    const cells = Math.ceil(categories.length / this.#perCell);
    const layout: GridLayout = { columns: COLUMNS, rows: Math.ceil(cells / COLUMNS), cellPx: CELL_PX, gapPx: 0, marginPx: MARGIN_PX };
    const grid = this.#grid;
    grid.resize(layout);
    for (let cell = 0; cell < cells; cell += 1) {
      const cellCounts = tally(categories, cell * this.#perCell, this.#perCell);
      const shown = PRIORITY.find((category) => (cellCounts[category] ?? 0) > 0) ?? PhysCategory.Free;
      const rect = grid.cellRect(cell);
      grid.context.fillStyle = physColor(shown);
      grid.context.fillRect(rect.x, rect.y, rect.size, rect.size);
    }
    for (let row = 0; row < layout.rows; row += LABEL_EVERY_ROWS) {
      grid.rowLabel(row, hex(row * COLUMNS * this.#perCell * blockSize));
    }
    grid.canvas.dataset["blocksPerCell"] = String(this.#perCell);
    const first = grid.cellRect(this.#window / this.#perCell);
    const last = grid.cellRect(Math.min(cells, (this.#window + ZOOM_BLOCKS) / this.#perCell) - 1);
    grid.context.strokeStyle = SELECTION_COLOR;
    grid.context.lineWidth = SELECTION_LINE_PX;
    grid.context.strokeRect(MARGIN_PX - OUTSET_PX, first.y - OUTSET_PX, COLUMNS * CELL_PX + SELECTION_LINE_PX, last.y + last.size - first.y + SELECTION_LINE_PX);
    this.#drawZoom();
  }

  #drawZoom(): void {
    const { categories, blockSize } = this.#snapshot;
    const zoom = this.#zoom;
    zoom.resize(ZOOM_LAYOUT);
    const end = Math.min(categories.length, this.#window + ZOOM_BLOCKS);
    for (let block = this.#window; block < end; block += 1) {
      const rect = zoom.cellRect(block - this.#window);
      zoom.context.fillStyle = physColor(categories[block] ?? PhysCategory.Free);
      zoom.context.fillRect(rect.x, rect.y, rect.size, rect.size);
    }
    for (let row = 0; row < ZOOM_SIDE; row += ZOOM_LABEL_EVERY_ROWS) {
      zoom.rowLabel(row, hex((this.#window + row * ZOOM_SIDE) * blockSize));
    }
    this.#zoomTitle.textContent = `${hexRange(this.#window * blockSize, end * blockSize)} · one cell = one ${formatSize(blockSize)} block`;
  }

  /** `address ← virtual …` for the first block of `[start, end)` some page maps, or nothing. */
  #mappedLine(start: number, end: number): string[] {
    const blockSize = this.#snapshot.blockSize;
    for (let address = start; address < end; address += blockSize) {
      const virt = this.#virtualOf(address);
      if (virt !== null) {
        return [`${end - start > blockSize ? "first mapped block: " : "mapped at: "}${hex(address)} ← virtual ${hex(virt)}`];
      }
    }
    return [];
  }

  #hover(event: MouseEvent): void {
    const cell = this.#grid.cellAt(event);
    const blockSize = this.#snapshot.blockSize;
    const first = cell === null ? 0 : cell * this.#perCell;
    if (cell === null || first >= this.#snapshot.categories.length) {
      this.#tooltip.hide();
      return;
    }
    const start = first * blockSize;
    const end = Math.min(this.#snapshot.categories.length, first + this.#perCell) * blockSize;
    const counts = tally(this.#snapshot.categories, first, this.#perCell);
    const lines = [`physical ${hexRange(start, end)} (${formatSize(end - start)})`];
    counts.forEach((n, category) => {
      if (n > 0) {
        lines.push(`${PHYS_CATEGORIES[category] ?? "?"}: ${n} block${n === 1 ? "" : "s"}`);
      }
    });
    lines.push(...this.#mappedLine(start, end), `click to zoom on this ${formatSize(ZOOM_BLOCKS * blockSize)}`);
    this.#tooltip.show(event, lines);
  }

  #hoverZoom(event: MouseEvent): void {
    const cell = this.#zoom.cellAt(event);
    const block = cell === null ? this.#snapshot.categories.length : this.#window + cell;
    const category = this.#snapshot.categories[block];
    if (category === undefined) {
      this.#tooltip.hide();
      return;
    }
    const start = block * this.#snapshot.blockSize;
    const end = start + this.#snapshot.blockSize;
    const mapped = this.#mappedLine(start, end);
    this.#tooltip.show(event, [`physical ${hexRange(start, end)}`, PHYS_CATEGORIES[category] ?? "?", ...(mapped.length > 0 ? mapped : ["not mapped in the kernel directory"])]);
  }
}
