import { bindActions, type Perform } from "./actions-panel.js";
import { byTestId, el, formatSize } from "./dom.js";
import { saveFile } from "./download.js";
import { hex } from "../src/format.js";
import { bootViewMachine } from "./kmem-machine.js";
import { bootModeView } from "./mode-machine.js";
import { startModeView } from "./mode-main.js";
import { profileArch } from "../src/boot/mode-profile.js";
import { OperationLog } from "./log.js";
import { Highlight } from "./highlight.js";
import { bindQuiz } from "./quiz-panel.js";
import { bindProcessesPanel, showProcessesUnavailable } from "./processes-panel.js";
import { ProcessTable } from "./processes.js";
import type { PageMapping, RegionRow, ViewMachine } from "./model.js";
import { LabelColors } from "./palette.js";
import { PhysicalMapView } from "./physical-map.js";
import { countKeys, KEY_FREE, KEY_UNMAPPED, type PhysicalPaint, physicalPaint } from "./phys-paint.js";
import { RegionTable } from "./region-table.js";
import { tarParts } from "./tar.js";
import { Tooltip } from "./tooltip.js";
import { VirtualMapView } from "./virtual-map.js";
import { PAGE_BYTES } from "./vspace.js";
import { bindWalkPanel } from "./walk-panel.js";
import { parseWalkLink, type WalkLink, walkLinkOf } from "./walk-link.js";

/** What the server or the static writer embeds in the page. */
interface EmbeddedData {
  /** The validated memory profile, or `null` for kmem's default profile. */
  readonly profile: unknown;
  /** Where the profile came from, for the title line. */
  readonly source: string;
  /** Map 4 MiB runs with 4 MiB pages (CR4.PSE), as `--large-pages` asks. */
  readonly largePages: boolean;
}

const DATA_ELEMENT_ID = "kmem-data";
const JSON_START = "{";
const MS_PER_SECOND = 1000;
/** A URL fragment naming a walk starts so (`#walk=0xC0100010&user&write`). */
const WALK_HASH = "#walk=";

function readEmbedded(): EmbeddedData {
  const text = document.getElementById(DATA_ELEMENT_ID)?.textContent?.trim() ?? "";
  if (!text.startsWith(JSON_START)) {
    return { profile: null, source: "the default profile", largePages: false };
  }
  const parsed = JSON.parse(text) as { profile?: unknown; source?: unknown; largePages?: unknown };
  return {
    profile: parsed.profile ?? null,
    source: typeof parsed.source === "string" ? parsed.source : "profile",
    largePages: parsed.largePages === true,
  };
}

/** Physical page → virtual page, for the heat map's tooltip (4 KiB pages and large pages). */
function reverseLookup(mappings: readonly PageMapping[]): (paddr: number) => number | null {
  const pages = new Map<number, number>();
  const large: PageMapping[] = [];
  for (const mapping of mappings) {
    if (mapping.size === PAGE_BYTES) {
      if (!pages.has(mapping.phys)) {
        pages.set(mapping.phys, mapping.virt);
      }
    } else {
      large.push(mapping);
    }
  }
  return (paddr) => {
    const page = pages.get(paddr);
    if (page !== undefined) {
      return page;
    }
    const hit = large.find((m) => paddr >= m.phys && paddr < m.phys + m.size);
    return hit === undefined ? null : hit.virt + (paddr - hit.phys);
  };
}

/** A legend entry; an entry for a region highlights it in both maps while hovered. */
function legendItem(color: string, text: string, label: string | null, highlight: Highlight, data: Record<string, string>): HTMLElement {
  const item = el("li", data, el("span", { class: "swatch", style: `background:${color}` }), text);
  if (label !== null) {
    item.addEventListener("mouseenter", () => highlight.set(label));
    item.addEventListener("mouseleave", () => highlight.set(null));
  }
  return item;
}

function labelLegend(list: HTMLElement, regions: readonly RegionRow[], colors: LabelColors, highlight: Highlight): void {
  const labels = [...new Set(regions.map((r) => r.label))];
  list.replaceChildren(...labels.map((label) => legendItem(colors.colorOf(label), label, label, highlight, { "data-label": label })));
}

/** The physical legend: page tables, firmware and free, then each region's blocks (in its colour), then used blocks in no region. */
function physicalLegend(list: HTMLElement, paint: PhysicalPaint, highlight: Highlight): void {
  const counts = countKeys(paint);
  list.replaceChildren(
    ...paint.names.flatMap((name, key) => {
      const n = counts[key] ?? 0;
      if (key === KEY_UNMAPPED && n === 0) {
        return [];
      }
      const label = paint.labels[key] ?? null;
      const data: Record<string, string> = label === null ? { "data-category": name } : { "data-label": label };
      return [legendItem(paint.colors[key] ?? "", `${name}: ${n} blocks (${formatSize(n * paint.blockSize)})`, label, highlight, data)];
    }),
  );
}

const READ: WalkLink["access"] = { write: false, user: false, fetch: false };

function start(machine: ViewMachine, source: string): void {
  const colors = new LabelColors();
  const highlight = new Highlight();
  const tooltip = new Tooltip(document.body);
  const log = new OperationLog(byTestId<HTMLOListElement>("op-log"));
  const walkPanel = bindWalkPanel(
    {
      form: byTestId<HTMLFormElement>("walk-form"),
      address: byTestId<HTMLInputElement>("walk-address"),
      write: byTestId<HTMLInputElement>("walk-write"),
      user: byTestId<HTMLInputElement>("walk-user"),
      fetch: byTestId<HTMLInputElement>("walk-fetch"),
      output: byTestId("walk-result"),
    },
    (vaddr, access) => machine.walk(vaddr, access),
    (view) => {
      const who = `${view.access.user ? "user" : "supervisor"} ${view.access.write ? "write" : "read"}`;
      const outcome = view.fault === null ? hex(view.physical ?? 0) : `page fault, error code ${view.fault.errorCode}`;
      log.add(`walk ${hex(view.vaddr)} (${who})`, `${outcome} (TLB ${view.tlbHit ? "hit" : "miss"})`, view.fault !== null);
      if (location.hash === "" || location.hash.startsWith(WALK_HASH)) {
        history.replaceState(null, "", walkLinkOf(view));
      }
    },
  );
  const virtualMap = new VirtualMapView(
    { overview: byTestId<HTMLCanvasElement>("virtual-map"), zoom: byTestId<HTMLCanvasElement>("zoom-map"), zoomTitle: byTestId("zoom-title") },
    colors,
    tooltip,
    highlight,
    walkPanel.walkTo,
  );
  const physicalMap = new PhysicalMapView(
    { overview: byTestId<HTMLCanvasElement>("physical-map"), zoom: byTestId<HTMLCanvasElement>("physical-zoom"), zoomTitle: byTestId("physical-zoom-title") },
    tooltip,
    highlight,
  );
  const regionTable = byTestId<HTMLTableElement>("region-table");
  regionTable.addEventListener("mouseover", (event) => {
    const row = event.target instanceof Element ? event.target.closest("[data-label]") : null;
    highlight.set(row?.getAttribute("data-label") ?? null);
  });
  regionTable.addEventListener("mouseleave", () => highlight.set(null));
  let perform: Perform = () => undefined;
  const table = new RegionTable(regionTable, colors, (virtStart) => {
    perform(`free ${hex(virtStart)}`, () => {
      machine.free(virtStart);
      return `freed the allocation at ${hex(virtStart)}`;
    });
  });

  const refresh = (): void => {
    const regions = machine.regions();
    const mappings = machine.mappings();
    table.update(regions);
    virtualMap.update(regions, mappings);
    labelLegend(byTestId("label-legend"), regions, colors, highlight);
    const snapshot = machine.physical();
    const paint = physicalPaint(snapshot, regions, (label) => colors.colorOf(label));
    physicalMap.update(paint, reverseLookup(mappings));
    physicalLegend(byTestId("physical-legend"), paint, highlight);
    const counts = countKeys(paint);
    const blocks = snapshot.categories.length;
    byTestId("physical-scale").textContent =
      `${formatSize(machine.memoryBytes)} · ${blocks} blocks of ${formatSize(snapshot.blockSize)} · one cell = ${byTestId<HTMLCanvasElement>("physical-map").dataset["blocksPerCell"] ?? "1"} block(s)`;
    byTestId("machine-summary").textContent =
      `${source} · ${formatSize(machine.memoryBytes)} RAM · CR3 = ${hex(machine.cr3)} · ${regions.length} regions · ` +
      `${mappings.reduce((n, m) => n + m.size / PAGE_BYTES, 0)} pages present · ${counts[KEY_FREE] ?? 0} of ${blocks} blocks free`;
  };

  perform = (operation, run) => {
    try {
      log.add(operation, run());
    } catch (error) {
      log.add(operation, error instanceof Error ? error.message : String(error), true);
    }
    refresh();
  };
  bindActions(document, machine, perform);
  if (machine.processes instanceof ProcessTable) {
    bindProcessesPanel(document, machine.processes, { digits: 8, register: "CR3", log, changed: refresh });
  } else {
    showProcessesUnavailable(document, machine.processes.unavailable);
  }
  byTestId("download").addEventListener("click", () => {
    perform("download machine.json + ram.bin", () => {
      const files = machine.exportFiles();
      const json = new TextEncoder().encode(files.machineJson);
      const parts = tarParts([{ name: "machine.json", data: json }, { name: "ram.bin", data: files.ram }], Math.floor(Date.now() / MS_PER_SECOND));
      saveFile("kmem-machine.tar", parts, "application/x-tar");
      return `kmem-machine.tar (machine.json + ram.bin, ${formatSize(files.ram.length)} RAM; extract with tar xf)`;
    });
  });
  log.add(`boot ${source}`, machine.bootReport);
  refresh();
  const showLinkedWalk = (): void => {
    try {
      const link = parseWalkLink(location.hash) ?? { vaddr: machine.kernelStart, access: READ };
      walkPanel.show(link, (l) => machine.previewWalk(l.vaddr, l.access));
    } catch (error) {
      walkPanel.showError(error instanceof Error ? error.message : String(error));
    }
  };
  showLinkedWalk();
  window.addEventListener("hashchange", () => {
    if (location.hash.startsWith(WALK_HASH)) {
      showLinkedWalk();
    }
  });
  document.body.dataset["ready"] = "true";
}

function run(): void {
  bindQuiz(document);
  const data = readEmbedded();
  let machine: ViewMachine;
  try {
    if (data.profile !== null && profileArch(data.profile) !== "x86") {
      startModeView(bootModeView(data.profile, data.largePages), data.source);
      return;
    }
    machine = bootViewMachine(data.profile, { largePages: data.largePages });
  } catch (error) {
    const banner = byTestId("boot-error");
    banner.textContent = `Cannot boot ${data.source}: ${error instanceof Error ? error.message : String(error)}`;
    banner.hidden = false;
    byTestId("machine-summary").textContent = "boot failed";
    document.body.dataset["ready"] = "true";
    return;
  }
  start(machine, data.source);
}

run();
