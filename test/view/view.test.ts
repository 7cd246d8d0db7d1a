import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcessWithoutNullStreams, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { openViewPage } from "../helpers/view-page.js";
import { type Browser, chromium, type Page } from "playwright-core";
import { CELL_BYTES, PAGE_BYTES } from "../../view/vspace.js";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLI = `${ROOT}bin/kmem.js`;
const BUILT_PAGE = `${ROOT}dist/view/index.html`;
const OUTPUT = `${ROOT}test-output/`;
const URL_PATTERN = /http:\/\/127\.0\.0\.1:\d+\/\S*/;
const VIEWPORT = { width: 1600, height: 1100 };
const run = promisify(execFile);
/** The default PC cut to 8 MiB of RAM, so that downloading its RAM image stays quick. */
const SMALL_PROFILE = {
  memoryBytes: "0x00800000",
  memoryMap: [
    { start: "0x00000000", end: "0x0009FC00", type: "available" },
    { start: "0x0009FC00", end: "0x00100000", type: "reserved" },
    { start: "0x00100000", end: "0x00800000", type: "available" },
  ],
  kernel: { physStart: "0x00100000", physEnd: "0x0022E7C0", virtStart: "0xC0100000", virtEnd: "0xC022E7C0" },
  modules: [{ name: "initrd", physStart: "0x00340000", physEnd: "0x0039C800" }],
  virtualReserved: [{ virtStart: "0xC00B8000", virtEnd: "0xC00C0000", physStart: "0x000B8000", label: "VGA text buffer" }],
};

/** Starts `kmem view --port 0` and resolves with the process and the URL it prints. */
function startServer(): Promise<{ child: ChildProcessWithoutNullStreams; url: string }> {
  const child = spawn(process.execPath, [CLI, "view", "--port", "0"], { cwd: ROOT });
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const url = URL_PATTERN.exec(out)?.[0];
      if (url !== undefined) {
        resolve({ child, url });
      }
    });
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on("exit", (code) => reject(new Error(`kmem view exited with ${String(code)} before printing its URL: ${err}${out}`)));
  });
}

/** Opens `url` in a fresh page, recording console errors and uncaught exceptions, and waits for the page to boot. */
function open(browser: Browser, url: string): Promise<{ page: Page; errors: string[] }> {
  return openViewPage(browser, url, VIEWPORT);
}

async function regionRows(page: Page): Promise<string[]> {
  return page.locator("[data-testid='region-row']").allInnerTexts();
}

/** Moves the mouse over cell `index` of a grid canvas. */
async function hoverCell(page: Page, testId: string, index: number): Promise<void> {
  await page.mouse.move(...(await centre(page, testId, index)));
}

/** The page coordinates of the centre of cell `index` of a grid canvas, from the layout it publishes in `data-*`. */
async function centre(page: Page, testId: string, index: number): Promise<[number, number]> {
  const canvas = page.getByTestId(testId);
  await canvas.scrollIntoViewIfNeeded();
  const box = await canvas.boundingBox();
  assert.ok(box !== null, `${testId} must be visible`);
  const [columns, pitch, margin] = await Promise.all(["data-columns", "data-pitch-px", "data-margin-px"].map(async (name) => Number(await canvas.getAttribute(name))));
  assert.ok(columns !== undefined && pitch !== undefined && margin !== undefined, "the grid geometry is known");
  const half = pitch / 2;
  return [box.x + margin + (index % columns) * pitch + half, box.y + Math.floor(index / columns) * pitch + half];
}

async function walk(page: Page, address: string, access: { user: boolean }): Promise<void> {
  await page.getByTestId("walk-address").fill(address);
  await page.getByTestId("walk-user").setChecked(access.user);
  await page.getByTestId("walk-write").setChecked(false);
  await page.getByTestId("walk-submit").click();
}

describe("kmem view in Chromium", () => {
  let browser: Browser | undefined;
  let server: { child: ChildProcessWithoutNullStreams; url: string } | undefined;
  /** The served page, opened once: the tests below read it in order, and only the last ones change it. */
  let served: { page: Page; errors: string[] } | undefined;
  /** The region table as first served, before any action. */
  let bootRows: string[] = [];

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install it (apt-get install -y chromium) to run the browser tests of kmem view`);
    assert.ok(existsSync(BUILT_PAGE), `${BUILT_PAGE} is missing: run npm run build first`);
    await mkdir(OUTPUT, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    server = await startServer();
    served = await open(browser, server.url);
    bootRows = await regionRows(served.page);
  });

  after(async () => {
    await browser?.close();
    server?.child.kill("SIGTERM");
  });

  const page = (): Page => {
    assert.ok(served !== undefined, "the served page must have opened");
    return served.page;
  };

  test("the default profile's page loads with no console errors", async () => {
    assert.deepEqual(served?.errors, []);
    assert.equal(await page().getByTestId("boot-error").isVisible(), false);
    assert.match(await page().getByTestId("machine-summary").innerText(), /128 MiB RAM/);
    assert.match(await page().getByTestId("log-entry").last().innerText(), /self-check ok/);
  });

  test("the region table lists the kernel at 0xC0100000 mapped to 0x00100000", async () => {
    const kernel = page().locator("[data-testid='region-row'][data-virt-start='0xC0100000']");
    assert.equal(await kernel.count(), 1);
    assert.match(await kernel.innerText(), /0x00100000/);
  });

  test("a supervisor read of 0xC0100010 walks to physical 0x00100010; a user read faults with error code 5", async () => {
    await walk(page(), "0xC0100010", { user: false });
    assert.equal(await page().getByTestId("walk-physical").getAttribute("data-physical"), "0x00100010");
    assert.equal(await page().getByTestId("walk-pde").count(), 1);
    assert.equal(await page().getByTestId("walk-pte").count(), 1);
    await walk(page(), "0xC0100010", { user: true });
    assert.equal(await page().getByTestId("walk-fault").getAttribute("data-error-code"), "5");
    assert.match(await page().getByTestId("walk-error-bits").innerText(), /protection violation/);
  });

  test("sorting the region table by size puts the largest region first on the second click", async () => {
    await page().getByTestId("sort-size").click();
    await page().getByTestId("sort-size").click();
    assert.match((await regionRows(page()))[0] ?? "", /0xC0100000/);
    await page().getByTestId("sort-virtual").click();
  });

  test("an alloc of 4 blocks adds a region row, changes the map and is logged", async () => {
    const map = page().getByTestId("virtual-map");
    const rowsBefore = (await regionRows(page())).length;
    const mappedBefore = Number(await map.getAttribute("data-mapped-pages"));
    const pixelsBefore = await map.screenshot();
    await page().getByTestId("alloc-blocks").fill("4");
    await page().getByTestId("alloc-label").fill("demo buffer");
    await page().getByTestId("alloc-submit").click();
    assert.equal((await regionRows(page())).length, rowsBefore + 1);
    assert.equal(Number(await map.getAttribute("data-mapped-pages")), mappedBefore + 4);
    assert.equal((await map.screenshot()).equals(pixelsBefore), false, "the virtual map's pixels must change");
    assert.match(await page().getByTestId("log-entry").first().innerText(), /alloc 4 blocks.*demo buffer/);
    await walk(page(), "0xC0100010", { user: false });
    assert.deepEqual(served?.errors, []);
  });

  test("a user alloc at a fixed address shows in its cell's tooltip; zooming shows its pages", async () => {
    await page().getByTestId("alloc-blocks").fill("16");
    await page().getByTestId("alloc-at").fill("0x08048000");
    await page().getByTestId("alloc-label").fill("user program");
    await page().getByTestId("alloc-kernel").setChecked(false);
    await page().getByTestId("alloc-submit").click();
    await page().getByTestId("alloc-at").fill("");
    await page().getByTestId("alloc-kernel").setChecked(true);
    const cell = 0x08048000 / CELL_BYTES;
    await hoverCell(page(), "virtual-map", cell);
    const tooltip = page().getByTestId("tooltip");
    assert.match(await tooltip.innerText(), /user 16 \/ supervisor 0/);
    await page().mouse.click(...(await centre(page(), "virtual-map", cell)));
    assert.match(await page().getByTestId("zoom-title").innerText(), /^0x08000000–0x08400000/);
    await hoverCell(page(), "zoom-map", (0x08048000 % CELL_BYTES) / PAGE_BYTES);
    assert.match(await tooltip.innerText(), /user program[\s\S]*user · writable · cachable/);
    await page().getByTestId("alloc-blocks").fill("2");
    await page().getByTestId("alloc-label").fill("device window");
    await page().getByTestId("alloc-cachable").setChecked(false);
    await page().getByTestId("alloc-submit").click();
    await page().getByTestId("alloc-cachable").setChecked(true);
    await page().mouse.click(...(await centre(page(), "virtual-map", 0xc0000000 / CELL_BYTES)));
    await page().mouse.move(0, 0);
    await page().screenshot({ path: `${OUTPUT}view.png`, fullPage: true });
    assert.deepEqual(served?.errors, []);
  });

  test("freeing an allocation's middle is refused with kmem's message and changes nothing", async () => {
    const rowsBefore = await regionRows(page());
    await page().getByTestId("free-address").fill("0xC0101000");
    await page().getByTestId("free-submit").click();
    const entry = page().getByTestId("log-entry").first();
    assert.equal(await entry.getAttribute("class"), "error");
    assert.match(await entry.innerText(), /0xC0101000/);
    assert.deepEqual(await regionRows(page()), rowsBefore);
  });

  test("a page freed without a TLB flush still translates, marked stale, until the TLB is flushed", async () => {
    await page().getByTestId("alloc-blocks").fill("1");
    await page().getByTestId("alloc-label").fill("scratch");
    await page().getByTestId("alloc-submit").click();
    const address = /→ (0x[0-9A-F]{8})–/.exec(await page().getByTestId("log-entry").first().innerText())?.[1];
    assert.ok(address !== undefined, "the log names the new allocation");
    await walk(page(), address, { user: false });
    assert.equal(await page().getByTestId("walk-stale").count(), 0);
    await page().locator(`[data-testid='region-row'][data-virt-start='${address}'] [data-testid='free-region']`).click();
    await walk(page(), address, { user: false });
    assert.equal(await page().getByTestId("walk-tlb").innerText(), "TLB hit");
    assert.equal(await page().getByTestId("walk-stale").count(), 1);
    await page().getByTestId("flush-tlb").click();
    await walk(page(), address, { user: false });
    assert.equal(await page().getByTestId("walk-fault").getAttribute("data-error-code"), "0");
  });

  test("the static file opened from disk renders the same region table as the server", async () => {
    assert.ok(browser !== undefined, "a browser was launched");
    const file = `${OUTPUT}view-static.html`;
    await run(process.execPath, [CLI, "view", "--static", file], { cwd: ROOT });
    const opened = await open(browser, pathToFileURL(file).href);
    assert.deepEqual(await regionRows(opened.page), bootRows);
    assert.deepEqual(opened.errors, []);
    await opened.page.close();
  });

  test("the download of a freshly booted page holds exactly what kmem export writes", async () => {
    assert.ok(browser !== undefined, "a browser was launched");
    const dir = await mkdtemp(join(tmpdir(), "kmem-view-download-"));
    try {
      const profile = join(dir, "small.json");
      await writeFile(profile, JSON.stringify(SMALL_PROFILE));
      await run(process.execPath, [CLI, "view", "--profile", profile, "--static", join(dir, "view.html")], { cwd: ROOT });
      const opened = await open(browser, pathToFileURL(join(dir, "view.html")).href);
      const [download] = await Promise.all([opened.page.waitForEvent("download"), opened.page.getByTestId("download").click()]);
      assert.equal(download.suggestedFilename(), "kmem-machine.tar");
      await download.saveAs(join(dir, "kmem-machine.tar"));
      assert.deepEqual(opened.errors, []);
      await opened.page.close();
      await run("tar", ["-xf", "kmem-machine.tar"], { cwd: dir });
      await run(process.execPath, [CLI, "export", "--profile", profile, "--out", join(dir, "export")], { cwd: ROOT });
      for (const name of ["machine.json", "ram.bin"]) {
        const [page, cli] = await Promise.all([readFile(join(dir, name)), readFile(join(dir, "export", name))]);
        assert.equal(page.equals(cli), true, `${name} from the page differs from kmem export's`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
