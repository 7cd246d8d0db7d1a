import { formatSize } from "./dom.js";
import { hex, hexRange } from "../src/format.js";
import { PHYS_CATEGORIES, PhysCategory, type PhysicalSnapshot } from "./model.js";
import { GridCanvas, type GridLayout } from "./grid-canvas.js";
import { physColor } from "./palette.js";
import type { Tooltip } from "./tooltip.js";

const COLUMNS = 128;
const MAX_CELLS = COLUMNS * COLUMNS;
const CELL_PX = 4;
const MARGIN_PX = 84;
const LABEL_EVERY_ROWS = 16;
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

/** The physical memory heat map: the PMM's blocks coloured by what holds them. */
export class PhysicalMapView {
  readonly #grid: GridCanvas;
  readonly #tooltip: Tooltip;
  #snapshot: PhysicalSnapshot = { blockSize: 1, categories: new Uint8Array(0) };
  #perCell = 1;
  #virtualOf: (paddr: number) => number | null = () => null;

  constructor(canvas: HTMLCanvasElement, tooltip: Tooltip) {
    this.#grid = new GridCanvas(canvas, { columns: COLUMNS, rows: 1, cellPx: CELL_PX, gapPx: 0, marginPx: MARGIN_PX });
    this.#tooltip = tooltip;
    canvas.addEventListener("mousemove", (event) => this.#hover(event));
    canvas.addEventListener("mouseleave", () => tooltip.hide());
  }

  /**
   * Redraws from a fresh snapshot of the PMM; `virtualOf` names the virtual page mapping a
   * physical block (for the tooltip). Returns the block count of each category.
   */
  update(snapshot: PhysicalSnapshot, virtualOf: (paddr: number) => number | null): number[] {
    this.#snapshot = snapshot;
    this.#virtualOf = virtualOf;
    const numBlocks = snapshot.categories.length;
    this.#perCell = blocksPerCell(numBlocks);
    const cells = Math.ceil(numBlocks / this.#perCell);
    const layout: GridLayout = { columns: COLUMNS, rows: Math.ceil(cells / COLUMNS), cellPx: CELL_PX, gapPx: 0, marginPx: MARGIN_PX };
    const grid = this.#grid;
    grid.resize(layout);
    const counts = PHYS_CATEGORIES.map(() => 0);
    for (let cell = 0; cell < cells; cell += 1) {
      const cellCounts = tally(snapshot.categories, cell * this.#perCell, this.#perCell);
      cellCounts.forEach((n, category) => {
        counts[category] = (counts[category] ?? 0) + n;
      });
      const shown = PRIORITY.find((category) => (cellCounts[category] ?? 0) > 0) ?? PhysCategory.Free;
      const rect = grid.cellRect(cell);
      grid.context.fillStyle = physColor(shown);
      grid.context.fillRect(rect.x, rect.y, rect.size, rect.size);
    }
    for (let row = 0; row < layout.rows; row += LABEL_EVERY_ROWS) {
      grid.rowLabel(row, hex(row * COLUMNS * this.#perCell * snapshot.blockSize));
    }
    grid.canvas.dataset["blocksPerCell"] = String(this.#perCell);
    return counts;
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
    for (let address = start; address < end; address += blockSize) {
      const virt = this.#virtualOf(address);
      if (virt !== null) {
        lines.push(`${end - start > blockSize ? "first mapped block: " : ""}${hex(address)} ← virtual ${hex(virt)}`);
        break;
      }
    }
    this.#tooltip.show(event, lines);
  }
}
