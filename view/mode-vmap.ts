import { hex } from "../src/format.js";
import { el } from "./dom.js";
import type { Highlight } from "./highlight.js";
import type { ModeRegionRow } from "./mode-machine.js";
import type { LabelColors } from "./palette.js";
import { nonCanonicalHole, regionWeight, spaceSegments, wideSize } from "./mode-vspace.js";

/**
 * Draws the compressed virtual axis of a mode machine into `host`: one coloured segment per
 * region (in its palette colour, labelled with its name and start), breaks for unused space and
 * the non-canonical hole, each with its real range in its tooltip and below it.
 */
export function renderModeVirtualMap(host: HTMLElement, regions: readonly ModeRegionRow[], space: { readonly end: bigint; readonly digits: number; readonly vaBits: number | null }, colors: LabelColors, highlight: Highlight): void {
  const hole = space.vaBits === null ? null : nonCanonicalHole(space.vaBits);
  const segments = spaceSegments(regions, space.end, hole);
  const range = (start: bigint, end: bigint): string => `${hex(start, space.digits)}–${hex(end - 1n, space.digits)}`;
  const items = segments.map((segment) => {
    const size = wideSize(segment.end - segment.start);
    const region = regions[segment.region];
    if (segment.kind !== "region" || region === undefined) {
      const what = segment.kind === "hole" ? "non-canonical: any access faults" : "unused";
      return el(
        "div",
        { class: `vseg vbreak ${segment.kind}`, "data-testid": "vmap-break", title: `${range(segment.start, segment.end)} · ${size} ${what}` },
        el("span", { class: "vseg-name" }, segment.kind === "hole" ? "non-canonical" : "⋯"),
        el("span", { class: "vseg-size" }, size),
      );
    }
    const attrs = [region.kernel ? "kernel" : "user", region.writable ? "writable" : "read-only", region.executable ? "executable" : "no-execute", region.physStart === null ? "reserved only" : `→ ${hex(region.physStart)}`];
    const node = el(
      "div",
      {
        class: `vseg vregion${region.physStart === null ? " reserved" : ""}${region.writable ? "" : " ro"}`,
        "data-testid": "vmap-region",
        "data-label": region.label,
        style: `flex-grow:${regionWeight(segment.end - segment.start)};--c:${colors.colorOf(region.label)}`,
        title: `${region.label}: ${range(segment.start, segment.end)} · ${size} · ${attrs.join(" · ")}`,
      },
      el("span", { class: "vseg-name" }, region.label),
      el("span", { class: "vseg-addr" }, hex(segment.start, space.digits)),
      el("span", { class: "vseg-size" }, size),
    );
    node.addEventListener("mouseenter", () => highlight.set(region.label));
    node.addEventListener("mouseleave", () => highlight.set(null));
    return node;
  });
  const axis = el("div", { class: "vaxis", "data-testid": "mode-virtual-map" }, ...items);
  highlight.onChange(() => {
    for (const node of axis.querySelectorAll<HTMLElement>(".vregion")) {
      node.classList.toggle("faded", highlight.label !== null && node.dataset["label"] !== highlight.label);
    }
  });
  host.replaceChildren(axis, el("p", { class: "hint" }, `0 – ${hex(space.end - 1n, space.digits)} on a compressed axis: region widths grow with the logarithm of their size; ⋯ marks unused space (hover for its range).`));
}
