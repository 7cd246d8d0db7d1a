import { bindActions, type Perform } from "./actions-panel.js";
import { byTestId, el, formatSize } from "./dom.js";
import { saveFile } from "./download.js";
import { hex } from "../src/format.js";
import { bootViewMachine } from "./kmem-machine.js";
import { OperationLog } from "./log.js";
import { PHYS_CATEGORIES, type PageMapping, type RegionRow, type ViewMachine } from "./model.js";
import { LabelColors, physColor } from "./palette.js";
import { PhysicalMapView } from "./physical-map.js";
import { RegionTable } from "./region-table.js";
import { tarParts } from "./tar.js";
import { Tooltip } from "./tooltip.js";
import { VirtualMapView } from "./virtual-map.js";
import { PAGE_BYTES } from "./vspace.js";
import { bindWalkPanel } from "./walk-panel.js";

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

function labelLegend(list: HTMLElement, regions: readonly RegionRow[], colors: LabelColors): void {
  const labels = [...new Set(regions.map((r) => r.label))];
  list.replaceChildren(
    ...labels.map((label) => el("li", {}, el("span", { class: "swatch", style: `background:${colors.colorOf(label)}` }), label)),
  );
}

function physicalLegend(list: HTMLElement, counts: readonly number[], blockSize: number): void {
  list.replaceChildren(
    ...PHYS_CATEGORIES.map((name, category) =>
      el(
        "li",
        { "data-category": name },
        el("span", { class: "swatch", style: `background:${physColor(category)}` }),
        `${name}: ${counts[category] ?? 0} blocks (${formatSize((counts[category] ?? 0) * blockSize)})`,
      ),
    ),
  );
}

function start(machine: ViewMachine, source: string): void {
  const colors = new LabelColors();
  const tooltip = new Tooltip(document.body);
  const log = new OperationLog(byTestId<HTMLOListElement>("op-log"));
  const walkTo = bindWalkPanel(
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
    },
  );
  const virtualMap = new VirtualMapView(
    { overview: byTestId<HTMLCanvasElement>("virtual-map"), zoom: byTestId<HTMLCanvasElement>("zoom-map"), zoomTitle: byTestId("zoom-title") },
    colors,
    tooltip,
    walkTo,
  );
  const physicalMap = new PhysicalMapView(
    { overview: byTestId<HTMLCanvasElement>("physical-map"), zoom: byTestId<HTMLCanvasElement>("physical-zoom"), zoomTitle: byTestId("physical-zoom-title") },
    tooltip,
  );
  let perform: Perform = () => undefined;
  const table = new RegionTable(byTestId<HTMLTableElement>("region-table"), colors, (virtStart) => {
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
    labelLegend(byTestId("label-legend"), regions, colors);
    const snapshot = machine.physical();
    const counts = physicalMap.update(snapshot, reverseLookup(mappings));
    physicalLegend(byTestId("physical-legend"), counts, snapshot.blockSize);
    const blocks = snapshot.categories.length;
    byTestId("physical-scale").textContent =
      `${formatSize(machine.memoryBytes)} · ${blocks} blocks of ${formatSize(snapshot.blockSize)} · one cell = ${byTestId<HTMLCanvasElement>("physical-map").dataset["blocksPerCell"] ?? "1"} block(s)`;
    byTestId("machine-summary").textContent =
      `${source} · ${formatSize(machine.memoryBytes)} RAM · CR3 = ${hex(machine.cr3)} · ${regions.length} regions · ` +
      `${mappings.reduce((n, m) => n + m.size / PAGE_BYTES, 0)} pages present · ${counts[0] ?? 0} of ${blocks} blocks free`;
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
  document.body.dataset["ready"] = "true";
}

function run(): void {
  const data = readEmbedded();
  let machine: ViewMachine;
  try {
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
