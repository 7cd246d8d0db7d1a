import { parseAddress } from "../src/address.js";
import { hex } from "../src/format.js";
import { byTestId, el, formatSize } from "./dom.js";
import { saveFile } from "./download.js";
import { Highlight } from "./highlight.js";
import { OperationLog } from "./log.js";
import type { ModeRegionRow, ModeViewMachine } from "./mode-machine.js";
import { isRiscv } from "./mode-fields.js";
import { renderModeVirtualMap } from "./mode-vmap.js";
import { wideSize } from "./mode-vspace.js";
import { renderModeWalk } from "./mode-walk-panel.js";
import type { AccessKind } from "./model.js";
import { LabelColors } from "./palette.js";
import { PhysicalMapView } from "./physical-map.js";
import { bindProcessesPanel, showProcessesUnavailable } from "./processes-panel.js";
import { processTableOfMode } from "./processes.js";
import { countKeys, physicalPaint } from "./phys-paint.js";
import { tarParts } from "./tar.js";
import { Tooltip } from "./tooltip.js";
import { parseWideWalkLink, type WideWalkLink, wideWalkLinkOf } from "./walk-link.js";

const WALK_HASH = "#walk=";
const MS_PER_SECOND = 1000;
const READ: AccessKind = { write: false, user: false, fetch: false };

function badges(row: ModeRegionRow): HTMLElement[] {
  return [
    el("span", { class: row.kernel ? "badge" : "badge user" }, row.kernel ? "kernel" : "user"),
    el("span", { class: row.writable ? "badge" : "badge ro" }, row.writable ? "writable" : "read-only"),
    el("span", { class: "badge" }, row.executable ? "executable" : "no-execute"),
    ...(row.cachable ? [] : [el("span", { class: "badge uc" }, "uncached")]),
    ...(row.direct ? [el("span", { class: "badge" }, "direct map")] : []),
  ];
}

/** The region table of a mode machine: exact 64-bit hex addresses, one colour per label. */
function fillRegionTable(table: HTMLTableElement, rows: readonly ModeRegionRow[], digits: number, colors: LabelColors): void {
  const head = el("tr", {}, ...["virtual start", "virtual end", "physical", "size", "attributes", "label"].map((h) => el("th", {}, h)));
  const body = rows.map((row) =>
    el(
      "tr",
      { "data-testid": "region-row", "data-label": row.label },
      el("td", { class: "addr" }, hex(row.virtStart, digits)),
      el("td", { class: "addr" }, hex(row.virtEnd, digits)),
      el("td", { class: "addr" }, row.physStart === null ? "—" : hex(row.physStart)),
      el("td", { class: "num" }, wideSize(row.virtEnd - row.virtStart)),
      el("td", {}, ...badges(row)),
      el("td", {}, el("span", { class: "swatch", style: `background:${colors.colorOf(row.label)}` }), row.label),
    ),
  );
  table.replaceChildren(el("thead", {}, head), el("tbody", {}, ...body));
}

/** Physical address → the virtual address mapping it: the region owning the block, else the direct map's alias. */
function virtualOf(rows: readonly ModeRegionRow[]): (paddr: number) => bigint | null {
  const mapped = rows.filter((r) => r.physStart !== null);
  const ordered = [...mapped.filter((r) => !r.direct), ...mapped.filter((r) => r.direct)];
  return (paddr) => {
    for (const row of ordered) {
      const start = row.physStart ?? 0;
      if (paddr >= start && BigInt(paddr - start) < row.virtEnd - row.virtStart) return row.virtStart + BigInt(paddr - start);
    }
    return null;
  };
}

/**
 * Shows a machine of a paging mode other than 32-bit x86 in the page's sections: the compressed
 * virtual map, the physical map from physical 0 (what lies below RAM collapsed into a break),
 * the region table, and page walks of every level (previews: the machine stays as booted).
 * The live actions are 32-bit x86 only; their card says so.
 */
export function startModeView(view: ModeViewMachine, source: string): void {
  const { machine } = view;
  const geometry = machine.mmu.geometry;
  const digits = machine.spec.wide ? 16 : 8;
  const colors = new LabelColors();
  const highlight = new Highlight();
  const tooltip = new Tooltip(document.body);
  const log = new OperationLog(byTestId<HTMLOListElement>("op-log"));
  const rows = view.regions;

  // Region table, then the virtual map (same label order, so the same colours).
  fillRegionTable(byTestId<HTMLTableElement>("region-table"), rows, digits, colors);
  const vsection = byTestId("virtual-map").closest("section");
  const maps = vsection?.querySelector<HTMLElement>(".maps");
  if (vsection !== null && vsection !== undefined && maps !== null && maps !== undefined) {
    const title = vsection.querySelector("h2 small");
    if (title !== null) title.textContent = `${machine.arch} · ${geometry.vaBits}-bit virtual addresses${machine.spec.wide ? ", sign-extended" : ""} · ${geometry.levels} levels · hover a region`;
    const host = el("div", { class: "wide-map" });
    const legend = el("ul", { "data-testid": "label-legend" }, ...[...new Set(rows.map((r) => r.label))].map((label) => el("li", { "data-label": label }, el("span", { class: "swatch", style: `background:${colors.colorOf(label)}` }), label)));
    maps.replaceChildren(host, el("aside", { class: "legend", "data-testid": "virtual-legend" }, el("h3", {}, "Regions"), legend));
    renderModeVirtualMap(host, rows, { end: machine.spec.wide ? 1n << 64n : 1n << 32n, digits, vaBits: machine.spec.wide ? geometry.vaBits : null }, colors, highlight);
  }

  // Physical memory: the x86 view's map, from physical 0.
  const physicalMap = new PhysicalMapView(
    { overview: byTestId<HTMLCanvasElement>("physical-map"), zoom: byTestId<HTMLCanvasElement>("physical-zoom"), zoomTitle: byTestId("physical-zoom-title") },
    tooltip,
    highlight,
  );
  const snapshot = view.physical();
  const paint = physicalPaint(snapshot, rows, (label) => colors.colorOf(label));
  physicalMap.update(paint, virtualOf(rows));
  physicalMap.zoomOn(machine.layout.ramBase);
  const counts = countKeys(paint);
  const legend = byTestId("physical-legend");
  legend.replaceChildren(
    ...paint.names.flatMap((name, key) => {
      const n = counts[key] ?? 0;
      return n === 0 ? [] : [el("li", {}, el("span", { class: "swatch", style: `background:${paint.colors[key] ?? ""}` }), `${name}: ${n} blocks (${formatSize(n * paint.blockSize)})`)];
    }),
  );
  const ramBase = machine.layout.ramBase;
  const ramEnd = machine.profile.memoryBytes;
  byTestId("physical-scale").textContent =
    `RAM ${hex(ramBase)}–${hex(ramEnd)} (${formatSize(ramEnd - ramBase)})${ramBase > 0 ? ", below it no RAM (drawn as firmware-reserved)" : ""} · blocks of ${formatSize(snapshot.blockSize)} · one cell = ${byTestId<HTMLCanvasElement>("physical-map").dataset["blocksPerCell"] ?? "1"} block(s)`;
  const registers = "satp" in machine.registers ? `satp = ${hex(machine.registers.satp, digits)}` : `CR3 = ${hex(machine.registers.cr3)}`;
  byTestId("machine-summary").textContent = `${source} · ${machine.arch} · ${formatSize(ramEnd - ramBase)} RAM at ${hex(ramBase)} · ${registers} · ${rows.length} regions`;

  // Live actions are 32-bit x86 only.
  const actions = byTestId("alloc-form").closest("section");
  if (actions !== null) {
    actions.replaceChildren(
      el("h2", {}, "Actions"),
      el("p", { class: "hint", "data-testid": "mode-actions-note" }, `Live actions (alloc, free, set, TLB flush) work on 32-bit x86 machines; for ${machine.arch} the page shows the kernel as booted (the Processes card runs processes in every mode). Use the kmem library or kmem translate for more.`),
    );
  }

  // Page walks.
  const form = byTestId<HTMLFormElement>("walk-form");
  const address = byTestId<HTMLInputElement>("walk-address");
  const output = byTestId("walk-result");
  const flags = { write: byTestId<HTMLInputElement>("walk-write"), user: byTestId<HTMLInputElement>("walk-user"), fetch: byTestId<HTMLInputElement>("walk-fetch") };
  address.size = digits + 3;
  const limit = machine.spec.wide ? 1n << 64n : 1n << 32n;
  const show = (link: WideWalkLink, record: boolean): void => {
    address.value = hex(link.vaddr, digits);
    flags.write.checked = link.access.write;
    flags.user.checked = link.access.user;
    flags.fetch.checked = link.access.fetch;
    const walk = view.previewWalk(link.vaddr, link.access);
    output.replaceChildren(...renderModeWalk(machine.arch, geometry, walk, digits));
    if (record) {
      const outcome = walk.physical === null ? (isRiscv(machine.arch) ? `page fault, scause ${walk.faultCode ?? 0}` : `fault, code ${hex(walk.faultCode ?? 0, 1)}`) : hex(walk.physical);
      log.add(`walk ${hex(link.vaddr, digits)}`, outcome, walk.physical === null);
      history.replaceState(null, "", wideWalkLinkOf(link, digits));
    }
  };
  const showError = (message: string): void => {
    output.replaceChildren(el("p", { class: "result fault", "data-testid": "walk-error" }, message));
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const vaddr = parseAddress(address.value.trim());
    if (vaddr === null || vaddr >= limit) {
      showError(`Cannot walk ${JSON.stringify(address.value)}: not an address below ${hex(limit - 1n, digits)} (use 0x… hex or decimal)`);
      return;
    }
    show({ vaddr, access: { write: flags.write.checked, user: flags.user.checked, fetch: flags.fetch.checked } }, true);
  });
  const showLinked = (): void => {
    try {
      show(parseWideWalkLink(location.hash, limit) ?? { vaddr: view.kernelStart, access: READ }, false);
    } catch (error) {
      showError(error instanceof Error ? error.message : String(error));
    }
  };
  showLinked();
  window.addEventListener("hashchange", () => {
    if (location.hash.startsWith(WALK_HASH)) showLinked();
  });

  byTestId("download").addEventListener("click", () => {
    const files = view.exportFiles();
    const json = new TextEncoder().encode(files.machineJson);
    saveFile("kmem-machine.tar", tarParts([{ name: "machine.json", data: json }, { name: "ram.bin", data: files.ram }], Math.floor(Date.now() / MS_PER_SECOND)), "application/x-tar");
    log.add("download machine.json + ram.bin", `kmem-machine.tar (${formatSize(files.ram.length)} RAM from ${hex(ramBase)}; extract with tar xf)`);
  });
  // Processes: address spaces sharing this mode's kernel half, run in its MMU.
  const registerName = isRiscv(machine.arch) ? "satp" : "CR3";
  try {
    const processes = processTableOfMode(machine);
    const panel = { digits, register: registerName, log };
    if (processes.wide) bindProcessesPanel(document, processes.table, panel);
    else bindProcessesPanel(document, processes.table, panel);
  } catch (error) {
    showProcessesUnavailable(document, error instanceof Error ? error.message : String(error));
  }
  log.add(`boot ${source}`, view.bootReport);
  document.body.dataset["ready"] = "true";
}
