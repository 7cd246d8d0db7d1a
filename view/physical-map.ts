import { formatSize } from "./dom.js";
import { hex, hexRange } from "../src/format.js";
import { type Band, type BandLayout, bandAt, layoutBands } from "./phys-bands.js";
import { GridCanvas, type GridLayout } from "./grid-canvas.js";
import type { Highlight } from "./highlight.js";
import { FADED_ALPHA, SELECTION_COLOR } from "./palette.js";
import { KEY_FIRMWARE, KEY_FREE, KEY_PAGE_TABLE, KEY_UNMAPPED, type PhysicalPaint } from "./phys-paint.js";
import type { Tooltip } from "./tooltip.js";

const COLUMNS = 64;
const CELL_PX = 8;
const MARGIN_PX = 84;
/** A collapsed run is drawn as a band of three rows' height. */
const GAP_PX = 3 * CELL_PX;
/** Rows of cells shown at most (collapsed runs aside). */
const MAX_ROWS = 64;
/** Uniform rows a run needs before it collapses. */
const MIN_GAP_ROWS = 4;
/** Row labels keep at least this much room between them. */
const LABEL_SPACING_PX = 16;
const SELECTION_LINE_PX = 2;
const OUTSET_PX = SELECTION_LINE_PX / 2;
const ZIGZAG_STEP_PX = 6;
const ZIGZAG_DEPTH_PX = 3;
const GAP_FONT = "11px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace";
const GAP_TEXT_COLOR = "#374151";
const GAP_FILL_ALPHA = 0.45;
/** The zoom shows one block per cell: 32 × 32 blocks, 4 MiB of 4 KiB blocks. */
const ZOOM_SIDE = 32;
const ZOOM_BLOCKS = ZOOM_SIDE * ZOOM_SIDE;
const ZOOM_LAYOUT: GridLayout = { columns: ZOOM_SIDE, rows: ZOOM_SIDE, cellPx: 14, gapPx: 1, marginPx: MARGIN_PX };
const ZOOM_LABEL_EVERY_ROWS = 4;

/** The canvases and caption the physical view draws into. */
export interface PhysicalMapParts {
  readonly overview: HTMLCanvasElement;
  readonly zoom: HTMLCanvasElement;
  readonly zoomTitle: HTMLElement;
}

/** Blocks of each key among `count` blocks from `first`. */
function tally(keys: Uint16Array, first: number, count: number): Map<number, number> {
  const counts = new Map<number, number>();
  const end = Math.min(keys.length, first + count);
  for (let block = first; block < end; block += 1) {
    const key = keys[block] ?? KEY_FREE;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** The key a cell of several blocks shows: page tables, else its largest region (or used block in none), else firmware, else free. */
function shownKey(counts: ReadonlyMap<number, number>): number {
  if (counts.has(KEY_PAGE_TABLE)) {
    return KEY_PAGE_TABLE;
  }
  let best = -1;
  let most = 0;
  for (const [key, n] of counts) {
    if (key >= KEY_UNMAPPED && n > most) {
      best = key;
      most = n;
    }
  }
  if (best >= 0) {
    return best;
  }
  return counts.has(KEY_FIRMWARE) ? KEY_FIRMWARE : KEY_FREE;
}

/**
 * The physical memory map (the PMM's blocks, each in the colour of the region that maps it,
 * else free, firmware-reserved or page table), with long free stretches collapsed into labelled
 * breaks, and a zoom on one 4 MiB window, one block per cell; click the map to move the window.
 */
export class PhysicalMapView {
  readonly #canvas: HTMLCanvasElement;
  readonly #grid: GridCanvas;
  readonly #zoom: GridCanvas;
  readonly #zoomTitle: HTMLElement;
  readonly #tooltip: Tooltip;
  readonly #highlight: Highlight;
  #paint: PhysicalPaint = { blockSize: 1, keys: new Uint16Array(0), names: [], colors: [], labels: [] };
  #layout: BandLayout = { perCell: 1, columns: COLUMNS, bands: [], height: 0 };
  /** The first block of the zoomed window. */
  #window = 0;
  #virtualOf: (paddr: number) => number | bigint | null = () => null;

  constructor(parts: PhysicalMapParts, tooltip: Tooltip, highlight: Highlight) {
    this.#canvas = parts.overview;
    this.#grid = new GridCanvas(parts.overview, { columns: COLUMNS, rows: 1, cellPx: CELL_PX, gapPx: 0, marginPx: MARGIN_PX });
    this.#zoom = new GridCanvas(parts.zoom, ZOOM_LAYOUT);
    this.#zoomTitle = parts.zoomTitle;
    this.#tooltip = tooltip;
    this.#highlight = highlight;
    parts.overview.addEventListener("mousemove", (event) => this.#hover(event));
    parts.overview.addEventListener("mouseleave", () => this.#leave());
    parts.overview.addEventListener("click", (event) => {
      const block = this.#blockAt(event)?.block;
      if (block !== undefined) {
        this.#window = Math.floor(block / ZOOM_BLOCKS) * ZOOM_BLOCKS;
        this.#draw();
      }
    });
    parts.zoom.addEventListener("mousemove", (event) => this.#hoverZoom(event));
    parts.zoom.addEventListener("mouseleave", () => this.#leave());
    highlight.onChange(() => this.#draw());
  }

  /** Moves the zoomed window to the 4 MiB holding physical address `paddr` (e.g. RAM's base when RAM does not start at 0). */
  zoomOn(paddr: number): void {
    this.#window = Math.floor(paddr / this.#paint.blockSize / ZOOM_BLOCKS) * ZOOM_BLOCKS;
    this.#draw();
  }

  /** Redraws from fresh paint keys; `virtualOf` names the virtual page mapping a physical block (for the tooltips; a bigint in 64-bit modes). */
  update(paint: PhysicalPaint, virtualOf: (paddr: number) => number | bigint | null): void {
    this.#paint = paint;
    this.#virtualOf = virtualOf;
    const collapsible = (key: number): boolean => key === KEY_FREE || key === KEY_FIRMWARE;
    this.#layout = layoutBands(paint.keys, { columns: COLUMNS, rowPx: CELL_PX, gapPx: GAP_PX, maxRows: MAX_ROWS, minGapRows: MIN_GAP_ROWS, collapsible });
    const { blockSize } = paint;
    this.#canvas.dataset["blocksPerCell"] = String(this.#layout.perCell);
    this.#canvas.dataset["bands"] = JSON.stringify(this.#layout.bands.map((b) => ({
      kind: b.kind, start: b.first * blockSize, end: b.end * blockSize, y: b.y, height: b.height,
    })));
    this.#draw();
  }

  /** Opacity of a cell showing `key` under the current highlight. */
  #alpha(key: number): number {
    const label = this.#highlight.label;
    return label === null || this.#paint.labels[key] === label ? 1 : FADED_ALPHA;
  }

  /** The key to paint for `counts`: the highlighted region's when the cell holds any of it. */
  #keyFor(counts: ReadonlyMap<number, number>): number {
    const label = this.#highlight.label;
    if (label !== null) {
      const key = this.#paint.labels.indexOf(label);
      if (key >= 0 && counts.has(key)) {
        return key;
      }
    }
    return shownKey(counts);
  }

  #draw(): void {
    const { blockSize, keys, colors } = this.#paint;
    const { perCell, bands, height } = this.#layout;
    const grid = this.#grid;
    grid.resize({ columns: COLUMNS, rows: height / CELL_PX, cellPx: CELL_PX, gapPx: 0, marginPx: MARGIN_PX });
    grid.canvas.dataset["highlight"] = this.#highlight.label ?? "";
    this.#zoom.canvas.dataset["highlight"] = this.#highlight.label ?? "";
    const context = grid.context;
    let lastLabel = -LABEL_SPACING_PX;
    let afterGap = true;
    for (const band of bands) {
      if (band.kind === "gap") {
        this.#drawGap(band);
        afterGap = true;
        continue;
      }
      const cells = Math.ceil((band.end - band.first) / perCell);
      for (let cell = 0; cell < cells; cell += 1) {
        const key = this.#keyFor(tally(keys, band.first + cell * perCell, perCell));
        context.globalAlpha = this.#alpha(key);
        context.fillStyle = colors[key] ?? "";
        context.fillRect(MARGIN_PX + cell * CELL_PX, band.y, CELL_PX, CELL_PX);
      }
      context.globalAlpha = 1;
      if (afterGap || band.y - lastLabel >= LABEL_SPACING_PX) {
        grid.rowLabel(band.y / CELL_PX, hex(band.first * blockSize));
        lastLabel = band.y;
      }
      afterGap = false;
    }
    this.#outlineWindow();
    this.#drawZoom();
  }

  /** A collapsed run: its colour faintly, a zigzag edge above and below, and its range and size. */
  #drawGap(band: Band): void {
    const context = this.#grid.context;
    const { blockSize, colors, names } = this.#paint;
    const width = COLUMNS * CELL_PX;
    context.globalAlpha = GAP_FILL_ALPHA * this.#alpha(band.key);
    context.fillStyle = colors[band.key] ?? "";
    context.fillRect(MARGIN_PX, band.y, width, band.height);
    context.globalAlpha = 1;
    context.strokeStyle = GAP_TEXT_COLOR;
    context.lineWidth = 1;
    for (const edge of [band.y + ZIGZAG_DEPTH_PX, band.y + band.height - ZIGZAG_DEPTH_PX]) {
      context.beginPath();
      for (let x = 0; x <= width; x += ZIGZAG_STEP_PX) {
        const up = (x / ZIGZAG_STEP_PX) % 2 === 0 ? -1 : 1;
        context.lineTo(MARGIN_PX + x, edge + up * (ZIGZAG_DEPTH_PX / 2));
      }
      context.stroke();
    }
    const start = band.first * blockSize;
    const end = band.end * blockSize;
    context.font = GAP_FONT;
    context.fillStyle = GAP_TEXT_COLOR;
    context.textAlign = "center";
    context.textBaseline = "middle";
    context.fillText(`${hexRange(start, end)} · ${formatSize(end - start)} ${names[band.key] ?? ""}, not drawn`, MARGIN_PX + width / 2, band.y + band.height / 2);
    this.#grid.rowLabel(band.y / CELL_PX + 1, hex(start));
  }

  /** Outlines the bands the zoomed window covers. */
  #outlineWindow(): void {
    const end = this.#window + ZOOM_BLOCKS;
    const covered = this.#layout.bands.filter((b) => b.first < end && b.end > this.#window);
    const first = covered[0];
    const last = covered[covered.length - 1];
    if (first === undefined || last === undefined) {
      return;
    }
    const context = this.#grid.context;
    context.strokeStyle = SELECTION_COLOR;
    context.lineWidth = SELECTION_LINE_PX;
    context.strokeRect(MARGIN_PX - OUTSET_PX, first.y + OUTSET_PX, COLUMNS * CELL_PX + SELECTION_LINE_PX, last.y + last.height - first.y - SELECTION_LINE_PX);
  }

  #drawZoom(): void {
    const { blockSize, keys, colors } = this.#paint;
    const zoom = this.#zoom;
    zoom.resize(ZOOM_LAYOUT);
    const end = Math.min(keys.length, this.#window + ZOOM_BLOCKS);
    for (let block = this.#window; block < end; block += 1) {
      const key = keys[block] ?? KEY_FREE;
      const rect = zoom.cellRect(block - this.#window);
      zoom.context.globalAlpha = this.#alpha(key);
      zoom.context.fillStyle = colors[key] ?? "";
      zoom.context.fillRect(rect.x, rect.y, rect.size, rect.size);
    }
    zoom.context.globalAlpha = 1;
    for (let row = 0; row < ZOOM_SIDE; row += ZOOM_LABEL_EVERY_ROWS) {
      zoom.rowLabel(row, hex((this.#window + row * ZOOM_SIDE) * blockSize));
    }
    this.#zoomTitle.textContent = `${hexRange(this.#window * blockSize, end * blockSize)} · one cell = one ${formatSize(blockSize)} block`;
  }

  /** The band under the mouse and, in a row of cells, the first block of the cell (a gap: its first block). */
  #blockAt(event: MouseEvent): { band: Band; block: number; count: number } | null {
    const bounds = this.#canvas.getBoundingClientRect();
    const x = event.clientX - bounds.left - MARGIN_PX;
    const band = bandAt(this.#layout, event.clientY - bounds.top);
    if (band === null || x < 0 || x >= COLUMNS * CELL_PX) {
      return null;
    }
    if (band.kind === "gap") {
      return { band, block: band.first, count: band.end - band.first };
    }
    const block = band.first + Math.floor(x / CELL_PX) * this.#layout.perCell;
    return block < band.end ? { band, block, count: Math.min(this.#layout.perCell, band.end - block) } : null;
  }

  /** `address ← virtual …` for the first block of `[start, end)` some page maps, or nothing. */
  #mappedLine(start: number, end: number): string[] {
    const blockSize = this.#paint.blockSize;
    for (let address = start; address < end; address += blockSize) {
      const virt = this.#virtualOf(address);
      if (virt !== null) {
        return [`${end - start > blockSize ? "first mapped block: " : "mapped at: "}${hex(address)} ← virtual ${hex(virt)}`];
      }
    }
    return [];
  }

  #leave(): void {
    this.#tooltip.hide();
    this.#highlight.set(null);
  }

  #hover(event: MouseEvent): void {
    const hit = this.#blockAt(event);
    if (hit === null) {
      this.#leave();
      return;
    }
    const { blockSize, names, labels } = this.#paint;
    const start = hit.block * blockSize;
    const end = start + hit.count * blockSize;
    const counts = tally(this.#paint.keys, hit.block, hit.count);
    const lines = [`physical ${hexRange(start, end)} (${formatSize(end - start)})`];
    for (const [key, n] of [...counts].sort((a, b) => a[0] - b[0])) {
      lines.push(`${names[key] ?? "?"}: ${n} block${n === 1 ? "" : "s"}`);
    }
    if (hit.band.kind === "gap") {
      lines.push("collapsed: a long run of the same kind of block");
    } else {
      lines.push(...this.#mappedLine(start, end));
    }
    lines.push(`click to zoom on the ${formatSize(ZOOM_BLOCKS * blockSize)} from ${hex(Math.floor(hit.block / ZOOM_BLOCKS) * ZOOM_BLOCKS * blockSize)}`);
    this.#tooltip.show(event, lines);
    this.#highlight.set(labels[this.#keyFor(counts)] ?? null);
  }

  #hoverZoom(event: MouseEvent): void {
    const cell = this.#zoom.cellAt(event);
    const block = cell === null ? this.#paint.keys.length : this.#window + cell;
    const key = this.#paint.keys[block];
    if (key === undefined) {
      this.#leave();
      return;
    }
    const start = block * this.#paint.blockSize;
    const end = start + this.#paint.blockSize;
    const mapped = this.#mappedLine(start, end);
    this.#tooltip.show(event, [`physical ${hexRange(start, end)}`, this.#paint.names[key] ?? "?", ...(mapped.length > 0 ? mapped : ["not mapped in the kernel directory"])]);
    this.#highlight.set(this.#paint.labels[key] ?? null);
  }
}
