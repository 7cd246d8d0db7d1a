import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { type Run, runProcess } from "../helpers/run-process.js";
import { schemaProblems } from "../helpers/trace-schema.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "bin", "kmem.js");
const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const OUTPUT = join(ROOT, "test-output");


/** Runs the built CLI as a user would. */
function kmem(...args: string[]): Promise<Run> {
  return runProcess(process.execPath, [BIN, ...args], { cwd: ROOT });
}

interface ReplayJson {
  readonly trace: { readonly arch: string; readonly events: number };
  readonly results: ReadonlyArray<{ readonly config: { allocator: string; pmm: string }; readonly failedAllocs: number; readonly addressDigest: string; readonly timeline: readonly unknown[]; readonly tlbHitRate: number | null }>;
  readonly unrunnable: ReadonlyArray<{ readonly error: string }>;
}

describe("kmem trace-gen, replay and trace-import", { concurrency: true }, () => {
  let dir = "";
  let tracePath = "";
  let trace = "";

  before(async () => {
    assert.ok(existsSync(join(ROOT, "dist", "cli", "main.js")), "dist is missing: run npm run build first");
    dir = mkdtempSync(join(tmpdir(), "kmem-trace-cli-"));
    tracePath = join(dir, "random-size.jsonl");
    const run = await kmem("trace-gen", "random-size", "--scale", "0.0002", "--seed", "7");
    assert.equal(run.status, 0, run.stderr);
    trace = run.stdout;
    writeFileSync(tracePath, trace);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  test("trace-gen writes a schema-valid trace, the same for the same seed", async () => {
    assert.equal(schemaProblems(trace), "");
    assert.equal(trace.split("\n").length - 2, 600, "200 loops of alloc, write, free");
    const again = await kmem("trace-gen", "random-size", "--scale", "0.0002", "--seed", "7");
    assert.equal(again.stdout, trace);
  });

  test("replay --compare --pmm --json --html reports every combination and writes a report that renders in Chromium", async () => {
    const html = join(dir, "report.html");
    const run = await kmem("replay", tracePath, "--compare", "bitmap,extent", "--pmm", "lowest,buddy", "--json", "--html", html, "--samples", "20");
    assert.equal(run.status, 0, run.stderr);
    const json = JSON.parse(run.stdout) as ReplayJson;
    assert.deepEqual(json.results.map((r) => `${r.config.allocator}/${r.config.pmm}`), ["bitmap/lowest", "bitmap/buddy", "extent/lowest", "extent/buddy"]);
    assert.ok(json.results.every((r) => r.failedAllocs === 0 && r.tlbHitRate === 0 && r.timeline.length === 21), "no failures, a miss per fresh page, 20 samples and the start");
    assert.equal(new Set(json.results.map((r) => r.addressDigest)).size, 1, "first fit everywhere: the same addresses");

    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install it (apt-get install -y chromium) to check the report`);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 820, height: 1000 } });
      const errors: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") errors.push(message.text());
      });
      page.on("pageerror", (error) => errors.push(error.message));
      await page.goto(`file://${html}`);
      assert.equal(await page.locator("table tbody tr").count(), 4, "a table row per policy");
      assert.equal(await page.locator("svg#fragmentation polyline.series").count(), 8, "virtual and physical lines per policy");
      assert.equal(await page.locator("svg.histogram").count(), 4, "a histogram plot per policy");
      assert.ok((await page.locator("svg.histogram rect.cell").count()) > 4, "histograms have cells");
      const box = await page.locator("svg#fragmentation").boundingBox();
      assert.ok(box !== null && box.width > 600 && box.height > 200, `the plot is drawn at its size (${JSON.stringify(box)})`);
      mkdirSync(OUTPUT, { recursive: true });
      await page.screenshot({ path: join(OUTPUT, "replay-report.png"), fullPage: true });
      assert.deepEqual(errors, [], "no console errors");
    } finally {
      await browser.close();
    }
  });

  test("replay prints a table, and reports a policy that cannot hold the space with exit status 1", async () => {
    const text = await kmem("replay", tracePath, "--pmm", "buddy");
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /^Replayed .*random-size\.jsonl: 600 events, x86 space 0xc0000000–0x100000000\n {2}policy +ops\/s/);
    assert.match(text.stdout, /\n {2}bitmap\/buddy +[\d,]+ +0 +0 /);
    const log = join(dir, "strace.log");
    writeFileSync(log, "1  mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000\n1  munmap(0x7f0000000000, 8192) = 0\n");
    const imported = await kmem("trace-import", log, "--placement", "allocator");
    assert.equal(imported.status, 0, imported.stderr);
    assert.match(imported.stderr, /^kmem: imported 2 calls as 2 events \(0 failed in the program, 0 calls of other processes left out, 0 lines skipped\)\n$/);
    const imported64 = join(dir, "imported.jsonl");
    writeFileSync(imported64, imported.stdout);
    const both = await kmem("replay", imported64, "--compare", "bitmap,extent", "--json");
    assert.equal(both.status, 1);
    const json = JSON.parse(both.stdout) as ReplayJson;
    assert.deepEqual([json.trace.arch, json.results.length, json.unrunnable.length], ["x86-64", 1, 1]);
    assert.match(json.unrunnable[0]!.error, /at most 2\^30 blocks/);
  });

  test("bad input exits 2 with one line", async () => {
    for (const [args, message] of [
      [["trace-gen", "gaussian"], /^kmem: "gaussian" is not a scenario \(fix-size, /],
      [["replay", tracePath, "--compare", "bitmap,slab"], /^kmem: --compare "slab" is not one of bitmap, extent\n$/],
      [["replay", join(dir, "missing.jsonl")], /^kmem: cannot read trace .*missing\.jsonl: ENOENT/],
      [["replay", BIN], /^kmem: .*kmem\.js: Cannot read trace line 1: not JSON\n$/],
    ] as const) {
      const run = await kmem(...args);
      assert.equal(run.status, 2, `${args.join(" ")}: ${run.stderr}`);
      assert.match(run.stderr, message);
    }
  });
});

