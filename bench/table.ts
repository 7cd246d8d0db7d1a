/** A Markdown table: a header row, then one row per entry, columns padded to line up. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    "| " + cells.map((cell, c) => cell.padEnd(widths[c]!)).join(" | ") + " |";
  const rule = "| " + widths.map((w) => "-".repeat(w)).join(" | ") + " |";
  return [line(header), rule, ...rows.map(line)].join("\n");
}

/** Formats a rate with an SI suffix: `1.23 M/s`, `456 k/s`, `789 /s`. */
export function rate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return "n/a";
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)} M/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)} k/s`;
  return `${perSecond.toFixed(0)} /s`;
}

/** Formats a duration given in microseconds with a readable unit. */
export function duration(us: number): string {
  if (!Number.isFinite(us)) return "n/a";
  if (us >= 1e3) return `${(us / 1e3).toFixed(2)} ms`;
  if (us >= 1) return `${us.toFixed(2)} µs`;
  return `${(us * 1e3).toFixed(0)} ns`;
}

/** Formats a byte count in KiB/MiB. */
export function bytes(n: number): string {
  const KIB = 1024;
  if (n >= KIB * KIB) return `${(n / (KIB * KIB)).toFixed(2)} MiB`;
  if (n >= KIB) return `${(n / KIB).toFixed(1)} KiB`;
  return `${n} B`;
}

/** Formats a ratio as `×12.3`. */
export function times(ratio: number): string {
  if (!Number.isFinite(ratio)) return "n/a";
  return ratio >= 100 ? `×${ratio.toFixed(0)}` : `×${ratio.toFixed(2)}`;
}
