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

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLI = `${ROOT}bin/kmem.js`;
const BUILT_PAGE = `${ROOT}dist/view/index.html`;
const run = promisify(execFile);

/** The pages under test: `kmem view --static` of each machine. */
const MACHINES = [
  { name: "x86", args: [], register: "CR3" },
  { name: "x86-64", args: ["--arch", "x86-64"], register: "CR3" },
  { name: "riscv-sv39", args: ["--arch", "riscv-sv39"], register: "satp" },
] as const;

function open(browser: Browser, file: string): Promise<{ page: Page; errors: string[] }> {
  return openViewPage(browser, pathToFileURL(file).href);
}

async function freeFrames(page: Page): Promise<number> {
  return Number(await page.getByTestId("free-frames").innerText());
}

/** The frames table's rows that `pid` maps at `vaddr`: [references, copy-on-write, who maps it]. */
async function framesAt(page: Page, pidAt: string): Promise<[string, string, string][]> {
  const rows = page.getByTestId("frame-row").filter({ hasText: pidAt });
  const out: [string, string, string][] = [];
  for (const row of await rows.all()) {
    out.push([(await row.getAttribute("data-references")) ?? "", (await row.getAttribute("data-cow")) ?? "", (await row.locator("td").nth(2).innerText()).replace(/\s+/g, " ")]);
  }
  return out;
}

async function access(page: Page, op: "read" | "write" | "fetch", value = "0x41"): Promise<void> {
  await page.getByTestId("access-op").selectOption(op);
  await page.getByTestId("access-value").fill(value);
  await page.getByTestId("access-submit").click();
}

async function activePid(page: Page): Promise<string | null> {
  return page.locator("[data-testid='process-row'][data-active='true']").getAttribute("data-pid");
}

describe("kmem view: the Processes panel in Chromium (x86, x86-64, riscv-sv39)", () => {
  let browser: Browser | undefined;
  let scratch = "";
  const pages = new Map<string, { page: Page; errors: string[] }>();

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install it (apt-get install -y chromium) to run the browser tests of kmem view`);
    assert.ok(existsSync(BUILT_PAGE), `${BUILT_PAGE} is missing: run npm run build first`);
    scratch = await mkdtemp(join(tmpdir(), "kmem-view-processes-"));
    const [launched] = await Promise.all([
      chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }),
      ...MACHINES.map((m) => run(process.execPath, [CLI, "view", ...m.args, "--static", join(scratch, `${m.name}.html`)], { cwd: ROOT })),
    ]);
    browser = launched;
    const opened = await Promise.all(MACHINES.map((m) => open(launched, join(scratch, `${m.name}.html`))));
    MACHINES.forEach((m, i) => {
      const page = opened[i];
      if (page !== undefined) pages.set(m.name, page);
    });
  });

  after(async () => {
    await browser?.close();
    await rm(scratch, { recursive: true, force: true });
  });

  for (const machine of MACHINES) {
    test(`${machine.name}: start, write, fork (shared copy-on-write frame), write in the child (cow-copy, two frames), switch, exit (free frames exact)`, async () => {
      const opened = pages.get(machine.name);
      assert.ok(opened !== undefined, `the ${machine.name} page opened`);
      const { page, errors } = opened;
      const data = await page.getByTestId("access-address").inputValue();
      const free0 = await freeFrames(page);
      assert.match(await page.getByTestId("loaded-root").innerText(), new RegExp(`^${machine.register} = 0x[0-9A-F]{8} \\(the kernel's root\\)$`));

      await page.getByTestId("process-start").click();
      assert.equal(await page.getByTestId("process-row").count(), 1);
      await access(page, "write", "0x41");
      assert.equal(await page.getByTestId("fault-entry").first().innerText(), `pid 1 write ${data} → minor`);
      assert.equal(await activePid(page), "1", `the access loaded pid 1's root into ${machine.register}`);
      const free1 = await freeFrames(page);
      assert.ok(free1 < free0, `the write took frames (${String(free0)} → ${String(free1)})`);

      await page.getByTestId("process-fork").click();
      assert.equal(await page.getByTestId("process-select").inputValue(), "2", "the child is selected after the fork");
      assert.deepEqual(await framesAt(page, `pid 1 @ ${data}`), [["2", "true", `pid 1 @ ${data} data/heap cow pid 2 @ ${data} data/heap cow`]], "one frame, shared copy-on-write");
      assert.equal(await page.locator("[data-testid='frame-row'].cow").count(), 1, "the shared frame is highlighted");

      await access(page, "write", "0x42");
      assert.equal(await page.getByTestId("fault-entry").first().innerText(), `pid 2 write ${data} → cow-copy`);
      const split = (await framesAt(page, `@ ${data}`)).sort((a, b) => a[2].localeCompare(b[2]));
      assert.deepEqual(split, [["1", "false", `pid 1 @ ${data} data/heap cow`], ["1", "false", `pid 2 @ ${data} data/heap rw`]], "two private frames after the copy");
      assert.equal(await activePid(page), "2");

      await access(page, "read");
      assert.match(await page.getByTestId("log-entry").first().innerText(), /pid 2 read .* → physical 0x[0-9A-F]+, read 0x42 \(no fault\)/);
      await page.getByTestId("process-select").selectOption("1");
      await page.getByTestId("process-switch").click();
      assert.equal(await activePid(page), "1", "the marker moved to pid 1");
      const root1 = await page.locator("[data-testid='process-row'][data-pid='1'] td").nth(1).innerText();
      assert.match(await page.getByTestId("loaded-root").innerText(), new RegExp(`^${machine.register} = ${root1.split(" ")[0] ?? ""} \\(pid 1\\)$`));
      await access(page, "read");
      assert.match(await page.getByTestId("log-entry").first().innerText(), /read 0x41 \(no fault\)/, "the parent still sees its byte");
      const frame1 = await page.getByTestId("frame-row").filter({ hasText: `pid 1 @ ${data}` }).getAttribute("data-frame");
      await page.getByTestId("walk-address").fill(data);
      await page.getByTestId("walk-user").setChecked(true);
      await page.getByTestId("walk-write").setChecked(false);
      await page.getByTestId("walk-submit").click();
      const result = page.getByTestId("walk-physical");
      // The x86 page names the physical address in an attribute; the mode page writes `vaddr → physical`.
      const walked = machine.name === "x86" ? await result.getAttribute("data-physical") : (await result.innerText()).split("\n")[0]?.split(" → ")[1];
      assert.equal(walked, frame1, "the page walk goes through pid 1's root");

      await page.getByTestId("process-select").selectOption("2");
      await page.getByTestId("process-exit").click();
      assert.equal(await freeFrames(page), free1, "the child's frame, tables and root are back");
      await page.getByTestId("process-select").selectOption("1");
      await page.getByTestId("process-exit").click();
      assert.equal(await freeFrames(page), free0, "every frame is back");
      assert.equal(await page.getByTestId("process-row").count(), 0);
      assert.match(await page.getByTestId("loaded-root").innerText(), /\(the kernel's root\)$/);
      assert.deepEqual(errors, []);
    });
  }
});
