/**
 * The physical map's rows: RAM in rows of `columns` cells of `perCell` blocks, with long runs of
 * rows that hold only free (or only firmware-reserved) blocks collapsed into one labelled break,
 * so that the used areas get the room. Every band keeps its real addresses.
 */

/** One row of cells, or a collapsed run of uniform rows. */
export interface Band {
  readonly kind: "blocks" | "gap";
  /** First block and end block (exclusive). */
  readonly first: number;
  readonly end: number;
  /** For a gap, the key all its blocks share. */
  readonly key: number;
  /** Top and height in CSS pixels. */
  readonly y: number;
  readonly height: number;
}

/** The bands of a map and the geometry they were laid out with. */
export interface BandLayout {
  readonly perCell: number;
  readonly columns: number;
  readonly bands: readonly Band[];
  readonly height: number;
}

/** How {@link layoutBands} lays out a map. */
export interface BandOptions {
  readonly columns: number;
  readonly rowPx: number;
  readonly gapPx: number;
  /** Rows of cells the map may show (collapsed runs not counted); blocks per cell doubles until they fit. */
  readonly maxRows: number;
  /** Uniform rows in a run before the run collapses. */
  readonly minGapRows: number;
  /** Whether a run of rows holding only this key may collapse. */
  readonly collapsible: (key: number) => boolean;
}

/** The key shared by every block of `[first, end)`, or -1 when they differ. */
function uniformKey(keys: Uint16Array, first: number, end: number): number {
  const key = keys[first] ?? -1;
  for (let block = first + 1; block < end; block += 1) {
    if (keys[block] !== key) {
      return -1;
    }
  }
  return key;
}

function layoutWith(keys: Uint16Array, perCell: number, options: BandOptions): BandLayout & { readonly rows: number } {
  const rowBlocks = options.columns * perCell;
  const rowCount = Math.ceil(keys.length / rowBlocks);
  const uniform = Array.from({ length: rowCount }, (_, row) => {
    const key = uniformKey(keys, row * rowBlocks, Math.min(keys.length, (row + 1) * rowBlocks));
    return key >= 0 && options.collapsible(key) ? key : -1;
  });
  const bands: Band[] = [];
  let y = 0;
  let rows = 0;
  let row = 0;
  while (row < rowCount) {
    const key = uniform[row] ?? -1;
    let run = 1;
    while (key >= 0 && uniform[row + run] === key) {
      run += 1;
    }
    const first = row * rowBlocks;
    if (key >= 0 && run >= options.minGapRows) {
      bands.push({ kind: "gap", first, end: Math.min(keys.length, (row + run) * rowBlocks), key, y, height: options.gapPx });
      y += options.gapPx;
      row += run;
    } else {
      bands.push({ kind: "blocks", first, end: Math.min(keys.length, first + rowBlocks), key: -1, y, height: options.rowPx });
      y += options.rowPx;
      rows += 1;
      row += 1;
    }
  }
  return { perCell, columns: options.columns, bands, height: y, rows };
}

/** Lays out `keys` (one per block) with the fewest blocks per cell that keeps the shown rows within `maxRows`. */
export function layoutBands(keys: Uint16Array, options: BandOptions): BandLayout {
  let perCell = 1;
  let layout = layoutWith(keys, perCell, options);
  while (layout.rows > options.maxRows) {
    perCell *= 2;
    layout = layoutWith(keys, perCell, options);
  }
  return { perCell: layout.perCell, columns: layout.columns, bands: layout.bands, height: layout.height };
}

/** The band under `y` (CSS pixels from the top), or `null` below the last. */
export function bandAt(layout: BandLayout, y: number): Band | null {
  return layout.bands.find((band) => y >= band.y && y < band.y + band.height) ?? null;
}
