import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { openViewPage } from "../helpers/view-page.js";
import { type Browser, chromium, type Page } from "playwright-core";
import { CELL_BYTES, PAGE_BYTES } from "../../view/vspace.js";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update"];
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLI = `${ROOT}bin/kmem.js`;
const VIEWPORT = { width: 1600, height: 1100 };
const BLOCK = 4096;
const run = promisify(execFile);

/** A cell's rectangle in a grid canvas, from the geometry the canvas publishes in `data-*`. */
async function cellBox(page: Page, testId: string, index: number): Promise<{ x: number; y: number; size: number }> {
  const canvas = page.getByTestId(testId);
  const [columns, pitch, margin] = await Promise.all(["data-columns", "data-pitch-px", "data-margin-px"].map(async (n) => Number(await canvas.getAttribute(n))));
  assert.ok(columns !== undefined && pitch !== undefined && margin !== undefined, `${testId} publishes its geometry`);
  return { x: margin + (index % columns) * pitch, y: Math.floor(index / columns) * pitch, size: pitch };
}

/** Moves the mouse to the centre of `box` in the canvas `testId`. */
async function hover(page: Page, testId: string, box: { x: number; y: number; size: number }): Promise<void> {
  const canvas = page.getByTestId(testId);
  await canvas.scrollIntoViewIfNeeded();
  const bounds = await canvas.boundingBox();
  assert.ok(bounds !== null, `${testId} is visible`);
  await page.mouse.move(bounds.x + box.x + box.size / 2, bounds.y + box.y + box.size / 2);
}

/** The colour most pixels of `box` have (a cell's fill, whatever hatching or marks lie over it), as `rgb(r, g, b)`. */
async function cellColor(page: Page, testId: string, box: { x: number; y: number; size: number }): Promise<string> {
  const inset = 1;
  const expression = `(() => {
    const canvas = document.querySelector('[data-testid="${testId}"]');
    const r = window.devicePixelRatio || 1;
    const data = canvas.getContext("2d").getImageData(${box.x + inset} * r, ${box.y + inset} * r, ${box.size - 2 * inset} * r, ${box.size - 2 * inset} * r).data;
    const counts = new Map();
    for (let i = 0; i < data.length; i += 4) {
      const key = "rgb(" + data[i] + ", " + data[i + 1] + ", " + data[i + 2] + ")";
      counts.set(key, (counts.get(key) || 0) + 1);
    }
    return [...counts].sort((a, b) => b[1] - a[1])[0][0];
  })()`;
  return page.evaluate<string>(expression);
}

async function swatch(page: Page, legend: string, label: string): Promise<string> {
  return page.evaluate<string>(`getComputedStyle(document.querySelector('[data-testid="${legend}"] [data-label="${label}"] .swatch')).backgroundColor`);
}

/** The zoom-map cell of a virtual page in the cell the view zooms on first (0xC0000000). */
function zoomPage(vaddr: number): number {
  return (vaddr % CELL_BYTES) / PAGE_BYTES;
}

describe("kmem view for teaching, in Chromium", () => {
  let browser: Browser | undefined;
  let dir = "";
  let file = "";

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`);
    dir = await mkdtemp(join(tmpdir(), "kmem-view-teaching-"));
    file = join(dir, "view.html");
    await run(process.execPath, [CLI, "view", "--static", file], { cwd: ROOT });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function open(hash = ""): Promise<{ page: Page; errors: string[] }> {
    assert.ok(browser !== undefined, "a browser was launched");
    return openViewPage(browser, `${pathToFileURL(file).href}${hash}`, VIEWPORT);
  }

  test("the page opens with the kernel's first page walked, as a preview that changes nothing", async () => {
    const { page, errors } = await open();
    assert.equal(await page.getByTestId("walk-physical").getAttribute("data-physical"), "0x00100000");
    assert.equal(await page.getByTestId("walk-preview").count(), 1);
    assert.equal(await page.getByTestId("walk-address").inputValue(), "0xC0100000");
    assert.equal(await page.getByTestId("log-entry").count(), 1, "only the boot is logged: the preview is no access");
    await page.getByTestId("walk-submit").click();
    assert.equal(await page.getByTestId("walk-tlb").innerText(), "TLB miss", "the preview filled no TLB entry");
    assert.equal(await page.getByTestId("walk-preview").count(), 0);
    assert.equal(new URL(page.url()).hash, "#walk=0xC0100000", "a walk from the form is written into the URL");
    assert.deepEqual(errors, []);
    await page.close();
  });

  test("#walk=0xC0100010&user&write shows that walk's fault, the PTE's U/S bit marked as its cause", async () => {
    const { page, errors } = await open("#walk=0xC0100010&user&write");
    assert.equal(await page.getByTestId("walk-fault").getAttribute("data-error-code"), "7");
    assert.equal(await page.getByTestId("walk-user").isChecked(), true);
    assert.equal(await page.getByTestId("walk-write").isChecked(), true);
    assert.deepEqual(await page.locator("[data-testid='walk-pte-bits'] tr[data-cause]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-cause"))), ["U/S"]);
    assert.equal(await page.locator("[data-testid='walk-pde-bits'] tr[data-cause]").count(), 0, "the PDE allows user mode");
    assert.match(await page.getByTestId("walk-cause").innerText(), /U\/S = 0 in the PTE \(supervisor only\)/);
    assert.equal(await page.locator("[data-testid='walk-pte'] mark.cause-bit").innerText(), "0", "bit 2 of the PTE's binary is marked");

    await page.evaluate("location.hash = '#walk=0xC0100000&write'");
    await page.waitForSelector("[data-testid='walk-pte-bits'] tr[data-cause='R/W']");
    assert.equal(await page.getByTestId("walk-fault").getAttribute("data-error-code"), "3");

    await page.evaluate("location.hash = '#walk=0x00400000'");
    await page.waitForSelector("[data-testid='walk-pde-bits'] tr[data-cause='P']");
    assert.equal(await page.getByTestId("walk-fault").getAttribute("data-error-code"), "0");
    assert.equal(await page.getByTestId("walk-pte").count(), 0, "the walk stopped at the PDE");

    await page.evaluate("location.hash = '#walk=0xC0000000'");
    await page.waitForSelector("[data-testid='walk-pte-bits'] tr[data-cause='P']");

    await page.evaluate("location.hash = '#walk=0xNOPE'");
    await page.waitForSelector("[data-testid='walk-error']");
    assert.match(await page.getByTestId("walk-error").innerText(), /walk address "0xNOPE" is not a number/);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test("each region has one colour in the virtual map, the physical map and both legends", async () => {
    const { page, errors } = await open();
    const regions: [string, number, number][] = [
      ["kernel image", 0xc0100000, 0x00100000],
      ["kernel early allocations", 0xc022f000, 0x0022f000],
      ["module initrd", 0xc0340000, 0x00340000],
      ["VGA text buffer", 0xc00b8000, 0x000b8000],
    ];
    const seen = new Set<string>();
    for (const [label, virt, phys] of regions) {
      const inVirtual = await cellColor(page, "zoom-map", await cellBox(page, "zoom-map", zoomPage(virt)));
      const inPhysical = await cellColor(page, "physical-zoom", await cellBox(page, "physical-zoom", phys / BLOCK));
      assert.equal(inPhysical, inVirtual, `${label}: the physical block ${phys.toString(16)} has the colour of its virtual page`);
      assert.equal(await swatch(page, "label-legend", label), inVirtual, `${label}: the virtual legend`);
      assert.equal(await swatch(page, "physical-legend", label), inVirtual, `${label}: the physical legend`);
      seen.add(inVirtual);
    }
    assert.equal(seen.size, regions.length, "each region has its own colour");
    assert.equal(await page.locator("[data-testid='physical-legend'] [data-category='allocated']").count(), 0, "no second colour for allocated blocks");
    assert.deepEqual(errors, []);
    await page.close();
  });

  test("a region hovered in one map (or the table, or a legend) is highlighted in both", async () => {
    const { page, errors } = await open();
    const kernelBlock = await cellBox(page, "physical-zoom", 0x00100000 / BLOCK);
    const initrdBlock = await cellBox(page, "physical-zoom", 0x00340000 / BLOCK);
    const kernelColor = await cellColor(page, "physical-zoom", kernelBlock);
    const initrdColor = await cellColor(page, "physical-zoom", initrdBlock);

    await hover(page, "zoom-map", await cellBox(page, "zoom-map", zoomPage(0xc0340000)));
    for (const map of ["physical-map", "physical-zoom", "virtual-map", "zoom-map"]) {
      assert.equal(await page.getByTestId(map).getAttribute("data-highlight"), "module initrd", `${map} highlights the hovered region`);
    }
    assert.equal(await cellColor(page, "physical-zoom", initrdBlock), initrdColor, "the highlighted region keeps its colour");
    assert.notEqual(await cellColor(page, "physical-zoom", kernelBlock), kernelColor, "the other regions fade");

    await hover(page, "physical-zoom", kernelBlock);
    assert.equal(await page.getByTestId("zoom-map").getAttribute("data-highlight"), "kernel image");
    assert.equal(await cellColor(page, "physical-zoom", kernelBlock), kernelColor);
    await page.mouse.move(0, 0);
    assert.equal(await page.getByTestId("virtual-map").getAttribute("data-highlight"), "", "leaving the map clears the highlight");
    await page.locator("[data-testid='region-row'][data-label='VGA text buffer']").hover();
    assert.equal(await page.getByTestId("physical-map").getAttribute("data-highlight"), "VGA text buffer", "a region table row highlights its region");
    await page.locator("[data-testid='label-legend'] [data-label='kernel early allocations']").hover();
    assert.equal(await page.getByTestId("physical-zoom").getAttribute("data-highlight"), "kernel early allocations", "so does a legend entry");
    assert.deepEqual(errors, []);
    await page.close();
  });

  test("the physical map collapses the long free stretch into a labelled break and gives the used areas the rows", async () => {
    const { page, errors } = await open();
    const map = page.getByTestId("physical-map");
    const bands = JSON.parse((await map.getAttribute("data-bands")) ?? "[]") as { kind: string; start: number; end: number; y: number; height: number }[];
    const gaps = bands.filter((b) => b.kind === "gap");
    assert.deepEqual(gaps.map((g) => [g.start, g.end]), [[0x003c0000, 0x07fc0000]], "one break, from the end of the initrd's row to the firmware's");
    const rows = bands.filter((b) => b.kind === "blocks");
    assert.ok(rows.filter((b) => b.end <= 0x00400000).length >= 15, "the first 4 MiB, where boot put everything, has a row per 256 KiB");
    assert.equal(await map.getAttribute("data-blocks-per-cell"), "1");
    let covered = 0;
    for (const band of bands) {
      assert.equal(band.start, covered, "the bands cover all of RAM, in order");
      covered = band.end;
    }
    assert.equal(covered, 128 * 2 ** 20);

    const gap = gaps[0];
    assert.ok(gap !== undefined, "a break was drawn");
    await hover(page, "physical-map", { x: 84 + 100, y: gap.y, size: gap.height });
    assert.match(await page.getByTestId("tooltip").innerText(), /physical 0x003C0000–0x07FC0000 \(124 MiB\)\nfree: 31744 blocks/);
    const kernelRow = rows.find((b) => b.start === 0x00100000);
    assert.ok(kernelRow !== undefined, "a row starts at 1 MiB");
    await hover(page, "physical-map", { x: 84, y: kernelRow.y, size: kernelRow.height });
    assert.match(await page.getByTestId("tooltip").innerText(), /physical 0x00100000–0x00101000 \(4 KiB\)\nkernel image: 1 block/);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
