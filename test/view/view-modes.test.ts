import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcessWithoutNullStreams, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { openViewPage } from "../helpers/view-page.js";
import { type Browser, chromium, type Page } from "playwright-core";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLI = `${ROOT}bin/kmem.js`;
const BUILT_PAGE = `${ROOT}dist/view/index.html`;
const URL_PATTERN = /http:\/\/127\.0\.0\.1:\d+\/\S*/;
const run = promisify(execFile);

/** Starts `kmem view --arch MODE --port 0` and resolves with the process and the URL it prints. */
function startServer(mode: string): Promise<{ child: ChildProcessWithoutNullStreams; url: string }> {
  const child = spawn(process.execPath, [CLI, "view", "--arch", mode, "--port", "0"], { cwd: ROOT });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const url = URL_PATTERN.exec(out)?.[0];
      if (url !== undefined) resolve({ child, url });
    });
    child.on("exit", (code) => reject(new Error(`kmem view exited with ${String(code)} before printing its URL: ${out}`)));
  });
}

function open(browser: Browser, url: string): Promise<{ page: Page; errors: string[] }> {
  return openViewPage(browser, url);
}

async function levels(page: Page): Promise<string[][]> {
  const rows = await page.getByTestId("walk-level").allInnerTexts();
  return rows.map((row) => row.split("\t").map((cell) => cell.trim()));
}

/** The decoded fields of the walk's error code or scause, name → value. */
async function faultFields(page: Page): Promise<Map<string, string>> {
  const rows = await page.getByTestId("walk-error-code").locator("tbody tr").allInnerTexts();
  return new Map(rows.map((row) => row.split("\t").map((c) => c.trim())).map((cells) => [cells[1] ?? "", cells[2] ?? ""]));
}

describe("kmem view of 64-bit modes in Chromium", () => {
  let browser: Browser | undefined;
  let server: { child: ChildProcessWithoutNullStreams; url: string } | undefined;
  let scratch = "";
  let x64: { page: Page; errors: string[] } | undefined;
  let sv39: { page: Page; errors: string[] } | undefined;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install it (apt-get install -y chromium) to run the browser tests of kmem view`);
    assert.ok(existsSync(BUILT_PAGE), `${BUILT_PAGE} is missing: run npm run build first`);
    scratch = await mkdtemp(join(tmpdir(), "kmem-view-modes-"));
    const file = join(scratch, "sv39.html");
    const [launched, started] = await Promise.all([
      chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }),
      startServer("x86-64"),
      run(process.execPath, [CLI, "view", "--profile", "profiles/riscv-sv39.json", "--static", file], { cwd: ROOT }),
    ]);
    browser = launched;
    server = started;
    [x64, sv39] = await Promise.all([open(browser, server.url), open(browser, `${pathToFileURL(file).href}#walk=0xFFFFFFFF80000000&user&write`)]);
  });

  after(async () => {
    await browser?.close();
    server?.child.kill("SIGTERM");
    await rm(scratch, { recursive: true, force: true });
  });

  const pages = (): { x64: Page; sv39: Page } => {
    assert.ok(x64 !== undefined && sv39 !== undefined, "both pages must have opened");
    return { x64: x64.page, sv39: sv39.page };
  };

  test("both pages boot without a console error or an uncaught exception", () => {
    assert.deepEqual(x64?.errors, []);
    assert.deepEqual(sv39?.errors, []);
  });

  test("the region table lists the kernel with exact 64-bit addresses and its load address", async () => {
    const { x64: a, sv39: b } = pages();
    assert.equal((await a.locator("[data-testid='region-row'][data-label='kernel image']").innerText()).split("\t").slice(0, 3).join(" "), "0xFFFFFFFF81000000 0xFFFFFFFF81604000 0x01000000");
    assert.equal((await b.locator("[data-testid='region-row'][data-label='kernel image']").innerText()).split("\t").slice(0, 3).join(" "), "0xFFFFFFFF80000000 0xFFFFFFFF80704000 0x80200000");
  });

  test("the virtual map draws every region on a compressed axis with the non-canonical hole as a break", async () => {
    const { x64: a } = pages();
    assert.deepEqual(await a.getByTestId("vmap-region").evaluateAll((nodes) => nodes.map((n) => n.getAttribute("data-label"))), ["direct map", "kernel image", "kernel early allocations", "module initrd"]);
    assert.match((await a.locator(".vbreak.hole").getAttribute("title")) ?? "", /^0x0000800000000000–0xFFFF7FFFFFFFFFFF · 15.9 EiB non-canonical: any access faults$/);
  });

  test("x86-64 opens with the walk of the kernel's first byte: PML4E, PDPTE, PDE, PTE, then 0x01000000", async () => {
    const { x64: a } = pages();
    assert.equal((await a.getByTestId("walk-physical").innerText()).split("\n")[0], "0xFFFFFFFF81000000 → 0x01000000");
    const rows = await levels(a);
    assert.deepEqual(rows.map((r) => r.slice(0, 3)), [["PML4E", "47–39", "511 (0x1FF)"], ["PDPTE", "38–30", "510 (0x1FE)"], ["PDE", "29–21", "8 (0x008)"], ["PTE", "20–12", "0 (0x000)"]]);
    assert.equal(await a.getByTestId("walk-entry").count(), 4, "every level's entry is decoded");
  });

  test("x86-64: a user read of the kernel faults with error code 0x5 (P and U/S set), and the URL names the walk", async () => {
    const { x64: a } = pages();
    await a.getByTestId("walk-address").fill("0xFFFFFFFF81000010");
    await a.getByTestId("walk-user").setChecked(true);
    await a.getByTestId("walk-submit").click();
    assert.match(await a.getByTestId("walk-fault").innerText(), /page fault on a user read: CR2 = 0xFFFFFFFF81000010, error code 0x5/);
    const bits = await faultFields(a);
    assert.deepEqual(["P", "W/R", "U/S", "RSVD", "I/D"].map((n) => bits.get(n)), ["1", "0", "1", "0", "0"]);
    assert.equal(new URL(a.url()).hash, "#walk=0xFFFFFFFF81000010&user");
  });

  test("riscv-sv39: the URL's user write of the kernel is a store page fault, scause 15, after all three levels", async () => {
    const { sv39: b } = pages();
    assert.match(await b.getByTestId("walk-fault").innerText(), /store\/AMO page fault on a user write: scause = 15, stval = 0xFFFFFFFF80000000/);
    assert.equal((await faultFields(b)).get("scause"), "15");
    assert.deepEqual((await levels(b)).map((r) => r[0]), ["L2 PTE", "L1 PTE", "L0 PTE"]);
  });

  test("riscv-sv39: the kernel's first byte walks to 0x80200000 through L2, L1, L0; RAM is drawn from 0x80000000", async () => {
    const { sv39: b } = pages();
    await b.getByTestId("walk-user").setChecked(false);
    await b.getByTestId("walk-write").setChecked(false);
    await b.getByTestId("walk-submit").click();
    assert.equal((await b.getByTestId("walk-physical").innerText()).split("\n")[0], "0xFFFFFFFF80000000 → 0x80200000");
    const rows = await levels(b);
    assert.deepEqual(rows.map((r) => [r[0], r[1], r[5]]), [["L2 PTE", "38–30", "points at the next table"], ["L1 PTE", "29–21", "points at the next table"], ["L0 PTE", "20–12", "maps the page"]]);
    const leaf = await b.getByTestId("walk-entry").last().locator("tbody tr").allInnerTexts();
    assert.deepEqual(leaf.slice(0, 8).map((r) => r.split("\t").slice(1, 3).join("=")), ["V=1", "R=1", "W=0", "X=1", "U=0", "G=0", "A=1", "D=0"]);
    assert.match(await b.getByTestId("physical-scale").innerText(), /^RAM 0x80000000–0x88000000 \(128 MiB\)/);
    assert.match(await b.getByTestId("physical-zoom-title").innerText(), /^0x80000000–0x80400000/);
    const zoom = b.getByTestId("physical-zoom");
    await zoom.scrollIntoViewIfNeeded();
    const box = await zoom.boundingBox();
    assert.ok(box !== null, "the physical zoom is visible");
    // The zoom opens on 0x80000000–0x80400000, one cell per block, 32 per row: 0x80200000 is the first cell of row 16.
    const [columns, pitch, margin] = await Promise.all(["data-columns", "data-pitch-px", "data-margin-px"].map(async (name) => Number(await zoom.getAttribute(name))));
    assert.equal(columns, 32, "the zoom has 32 columns");
    await b.mouse.move(box.x + (margin ?? 0) + (pitch ?? 0) / 2, box.y + 16 * (pitch ?? 0) + (pitch ?? 0) / 2);
    assert.match(await b.locator(".tooltip").innerText(), /mapped at: 0x80200000 ← virtual 0xFFFFFFFF80000000/);
  });
});
