/**
 * The HTML report of `kmem replay --html`: one self-contained file (inline CSS and SVG, no
 * script) with the comparison table, fragmentation over time, and free-extent size
 * histograms over time (one heat map per policy).
 */

import type { TraceHeader } from "./format.js";
import type { ReplayResult } from "./replay.js";

const WIDTH = 720;
const HEIGHT = 240;
const MARGIN = { left: 48, right: 16, top: 12, bottom: 32 };
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"];

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The name a result is shown under: `allocator/pmm`. */
export function policyName(result: ReplayResult): string {
  return `${result.config.allocator}/${result.config.pmm}`;
}

/** A number with at most `digits` decimals and thousands separators. */
function figure(value: number, digits = 0): string {
  return value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** Fragmentation index (solid: virtual, dashed: physical) of every policy against events replayed. */
function fragmentationPlot(results: readonly ReplayResult[]): string {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const events = Math.max(1, ...results.map((r) => r.events));
  const x = (event: number): number => MARGIN.left + (event / events) * plotW;
  const y = (value: number): number => MARGIN.top + (1 - value) * plotH;
  const parts: string[] = [];
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(tick)}" y2="${y(tick)}" class="grid"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${y(tick) + 4}" text-anchor="end">${tick}</text>`);
  }
  parts.push(`<text x="${MARGIN.left}" y="${HEIGHT - 8}">0</text><text x="${WIDTH - MARGIN.right}" y="${HEIGHT - 8}" text-anchor="end">${figure(events)} events</text>`);
  results.forEach((result, i) => {
    const color = COLORS[i % COLORS.length]!;
    const line = (pick: (s: ReplayResult["timeline"][number]) => number): string => result.timeline.map((s) => `${x(s.event).toFixed(1)},${y(pick(s)).toFixed(1)}`).join(" ");
    parts.push(`<polyline class="series" fill="none" stroke="${color}" stroke-width="2" points="${line((s) => s.virtual.fragmentationIndex)}"><title>${escape(policyName(result))} virtual</title></polyline>`);
    parts.push(`<polyline class="series" fill="none" stroke="${color}" stroke-width="1.5" stroke-dasharray="5 3" points="${line((s) => s.physicalFragmentation)}"><title>${escape(policyName(result))} physical</title></polyline>`);
  });
  const legend = results.map((r, i) => `<span><i style="background:${COLORS[i % COLORS.length]!}"></i>${escape(policyName(r))}</span>`).join("");
  return `<figure><svg id="fragmentation" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="fragmentation index over time">${parts.join("")}</svg><figcaption>Fragmentation index (1 − largest free extent / free blocks) after each sample: solid virtual (VMM), dashed physical (PMM). ${legend}</figcaption></figure>`;
}

/** Free virtual extents by log2 size (rows) over time (columns) for one policy: darker, more extents. */
function histogramPlot(result: ReplayResult, index: number): string {
  const buckets = Math.max(1, ...result.timeline.map((s) => s.freeExtentHistogram.length));
  const columns = result.timeline.length;
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const cellW = plotW / Math.max(1, columns);
  const cellH = plotH / buckets;
  const most = Math.max(1, ...result.timeline.flatMap((s) => s.freeExtentHistogram));
  const parts: string[] = [];
  result.timeline.forEach((sample, column) => {
    sample.freeExtentHistogram.forEach((count, bucket) => {
      if (count === 0) return;
      const shade = 0.15 + 0.85 * (Math.log1p(count) / Math.log1p(most));
      const y = MARGIN.top + (buckets - 1 - bucket) * cellH;
      parts.push(`<rect class="cell" x="${(MARGIN.left + column * cellW).toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1, cellW).toFixed(1)}" height="${cellH.toFixed(1)}" fill="${COLORS[index % COLORS.length]!}" fill-opacity="${shade.toFixed(2)}"><title>${count} free extent${count === 1 ? "" : "s"} of 2^${bucket}–2^${bucket + 1} blocks after event ${sample.event}</title></rect>`);
    });
  });
  for (let bucket = 0; bucket < buckets; bucket += Math.max(1, Math.ceil(buckets / 8))) {
    parts.push(`<text x="${MARGIN.left - 6}" y="${(MARGIN.top + (buckets - bucket - 0.5) * cellH + 4).toFixed(1)}" text-anchor="end">2^${bucket}</text>`);
  }
  parts.push(`<text x="${MARGIN.left}" y="${HEIGHT - 8}">0</text><text x="${WIDTH - MARGIN.right}" y="${HEIGHT - 8}" text-anchor="end">${figure(result.events)} events</text>`);
  return `<figure><svg class="histogram" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="free extent sizes over time, ${escape(policyName(result))}">${parts.join("")}</svg><figcaption>${escape(policyName(result))}: free virtual extents by size in blocks (rows, log scale) over time (columns); darker cells hold more extents.</figcaption></figure>`;
}

function summaryTable(results: readonly ReplayResult[]): string {
  const head = ["policy", "ops/s", "failed allocs", "fragmentation peak", "final", "PMM final", "page-table pages peak", "final", "map calls", "unmap calls", "TLB hit rate"];
  const rows = results.map((r) =>
    [
      policyName(r),
      figure(r.opsPerSecond),
      figure(r.failedAllocs),
      figure(r.fragmentation.peak, 3),
      figure(r.fragmentation.final, 3),
      figure(r.physicalFragmentation.final, 3),
      figure(r.pageTablePages.peak),
      figure(r.pageTablePages.final),
      figure(r.mapperCalls.map),
      figure(r.mapperCalls.unmap),
      r.tlbHitRate === null ? "–" : `${figure(r.tlbHitRate * 100, 1)}%`,
    ]
      .map((cell, i) => `<td${i === 0 ? "" : ' class="n"'}>${escape(cell)}</td>`)
      .join(""),
  );
  return `<table><thead><tr>${head.map((h) => `<th>${escape(h)}</th>`).join("")}</tr></thead><tbody>${rows.map((r) => `<tr>${r}</tr>`).join("")}</tbody></table>`;
}

/**
 * Renders the comparison of `results` (replays of the trace with `header`) as one HTML page.
 *
 * @example
 * writeFileSync("report.html", renderReplayHtml(trace.header, compare(trace, choices)));
 */
export function renderReplayHtml(header: TraceHeader, results: readonly ReplayResult[]): string {
  const title = `kmem replay: ${header.source ?? "trace"}`;
  const events = results[0]?.events ?? 0;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;max-width:${WIDTH + 40}px}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}th,td{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left}td.n{text-align:right}
svg{background:#fafafa;border:1px solid #eee}svg text{font-size:11px;fill:#555}.grid{stroke:#e4e4e4}
figure{margin:12px 0}figcaption{color:#555;font-size:13px;margin-top:4px}figcaption span{margin-left:12px;white-space:nowrap}figcaption i{display:inline-block;width:10px;height:10px;margin-right:4px}
</style></head><body>
<h1>${escape(title)}</h1>
<p>${escape(header.arch)} space ${escape(header.space.start)}–${escape(header.space.end)}, ${figure(events)} events, ${results.length} polic${results.length === 1 ? "y" : "ies"} (allocator/PMM), each on a fresh machine.</p>
${summaryTable(results)}
<h2>Fragmentation over time</h2>
${fragmentationPlot(results)}
<h2>Free-extent sizes over time</h2>
${results.map(histogramPlot).join("\n")}
</body></html>
`;
}
