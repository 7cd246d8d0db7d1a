/** How a column's cells are padded: numbers and addresses read best right-aligned. */
export type Alignment = "left" | "right";

/** One column of a {@link renderTable} table. */
export interface Column {
  readonly header: string;
  readonly align?: Alignment;
}

/**
 * Renders rows as a plain-text table: a header line, then one line per row, columns
 * separated by two spaces and padded to the widest cell; no trailing spaces.
 *
 * @example
 * renderTable([{ header: "name" }, { header: "size", align: "right" }], [["kernel", "1 MiB"]]);
 * // "name    size\nkernel  1 MiB"
 */
export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[], indent = ""): string {
  const widths = columns.map((column, i) => Math.max(column.header.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    indent +
    columns
      .map((column, i) => {
        const cell = cells[i] ?? "";
        const width = widths[i] ?? 0;
        return column.align === "right" ? cell.padStart(width) : cell.padEnd(width);
      })
      .join("  ")
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...rows.map(line)].join("\n");
}
