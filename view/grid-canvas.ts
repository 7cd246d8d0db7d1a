/** Layout of a grid of square cells drawn on a canvas, with a margin on the left for row labels. */
export interface GridLayout {
  readonly columns: number;
  readonly rows: number;
  /** Cell side in CSS pixels. */
  readonly cellPx: number;
  /** Gap between cells in CSS pixels. */
  readonly gapPx: number;
  /** Width reserved on the left for row labels, in CSS pixels. */
  readonly marginPx: number;
}

/** A cell's rectangle in CSS pixels. */
export interface CellRect {
  readonly x: number;
  readonly y: number;
  readonly size: number;
}

const LABEL_FONT = "11px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace";
const LABEL_COLOR = "#374151";
const LABEL_PADDING_PX = 6;
const LABEL_HALF_HEIGHT_PX = 7;

/** A canvas holding a grid of cells: sizing for the screen's pixel ratio, hit testing, row labels. */
export class GridCanvas {
  readonly canvas: HTMLCanvasElement;
  readonly context: CanvasRenderingContext2D;
  #layout: GridLayout;

  constructor(canvas: HTMLCanvasElement, layout: GridLayout) {
    const context = canvas.getContext("2d");
    if (context === null) {
      throw new Error("Cannot draw the memory map: this browser has no 2D canvas");
    }
    this.canvas = canvas;
    this.context = context;
    this.#layout = layout;
    this.resize(layout);
  }

  /** The current layout. */
  get layout(): GridLayout {
    return this.#layout;
  }

  /** Applies a new layout and clears the canvas; the layout is published as `data-*` attributes for hit tests. */
  resize(layout: GridLayout): void {
    this.#layout = layout;
    const pitch = layout.cellPx + layout.gapPx;
    const width = layout.marginPx + layout.columns * pitch;
    const height = layout.rows * pitch;
    const ratio = window.devicePixelRatio || 1;
    this.canvas.width = Math.ceil(width * ratio);
    this.canvas.height = Math.ceil(height * ratio);
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    this.context.setTransform(ratio, 0, 0, ratio, 0, 0);
    const data = this.canvas.dataset;
    data["columns"] = String(layout.columns);
    data["pitchPx"] = String(pitch);
    data["marginPx"] = String(layout.marginPx);
    this.context.clearRect(0, 0, width, height);
  }

  /** The rectangle of cell `index` (row-major). */
  cellRect(index: number): CellRect {
    const { columns, cellPx, gapPx, marginPx } = this.#layout;
    const pitch = cellPx + gapPx;
    return { x: marginPx + (index % columns) * pitch, y: Math.floor(index / columns) * pitch, size: cellPx };
  }

  /** The index of the cell under a mouse event, or `null` over the margin, a gap or outside. */
  cellAt(event: MouseEvent): number | null {
    const { columns, rows, cellPx, gapPx, marginPx } = this.#layout;
    const bounds = this.canvas.getBoundingClientRect();
    const x = event.clientX - bounds.left - marginPx;
    const y = event.clientY - bounds.top;
    const pitch = cellPx + gapPx;
    const column = Math.floor(x / pitch);
    const row = Math.floor(y / pitch);
    if (x < 0 || y < 0 || column >= columns || row >= rows) {
      return null;
    }
    return row * columns + column;
  }

  /** Writes `text` right-aligned in the left margin, vertically centred on row `row`. */
  rowLabel(row: number, text: string): void {
    const { cellPx, gapPx, marginPx } = this.#layout;
    const context = this.context;
    context.font = LABEL_FONT;
    context.fillStyle = LABEL_COLOR;
    context.textAlign = "right";
    context.textBaseline = "middle";
    const centre = row * (cellPx + gapPx) + cellPx / 2;
    context.fillText(text, marginPx - LABEL_PADDING_PX, Math.max(LABEL_HALF_HEIGHT_PX, centre));
  }
}
