import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { type Browser, chromium, type Page } from "playwright-core";
import { hex } from "../../src/format.js";
import { generateTranslateExercise } from "../../src/quiz/translate/generate.js";
import { describeAccess, dumpTable } from "../../src/quiz/translate/render.js";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLI = `${ROOT}bin/kmem.js`;
const BUILT_PAGE = `${ROOT}dist/view/index.html`;
const OUTPUT = `${ROOT}test-output/`;
const STATIC_PAGE = `${OUTPUT}quiz-static.html`;
const STEP_TIMEOUT_MS = 15_000;
const VIEWPORT = { width: 1600, height: 1100 };
const run = promisify(execFile);
const SEED = 42;

const exercise = generateTranslateExercise({ seed: SEED });

function expectedDump(): string {
  const { arch } = exercise;
  return exercise.tables.flatMap((t) => [...dumpTable(t, arch.entryBytes, arch.rootRegister, exercise.root), ""]).join("\n").trim();
}

describe("the exercise mode of kmem view in Chromium", () => {
  let browser: Browser | undefined;
  let page: Page | undefined;
  const errors: string[] = [];

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install it (apt-get install -y chromium) to run the browser tests of kmem view`);
    assert.ok(existsSync(BUILT_PAGE), `${BUILT_PAGE} is missing: run npm run build first`);
    await mkdir(OUTPUT, { recursive: true });
    await run(process.execPath, [CLI, "view", "--static", STATIC_PAGE], { cwd: ROOT });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: VIEWPORT });
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(`${pathToFileURL(STATIC_PAGE).href}#quiz=translate&seed=${SEED}`);
    await page.waitForSelector("body[data-ready='true']");
  });

  after(async () => {
    await browser?.close();
  });

  const p = (): Page => {
    assert.ok(page !== undefined, "the page must have opened");
    return page;
  };

  /** Types `answer` for question `number` and returns the verdict element's data. */
  async function answer(number: number, text: string): Promise<{ verdict: string | null; expected: string | null; message: string }> {
    const item = p().locator(`[data-testid='quiz-question'][data-number='${number}']`);
    await item.getByTestId("quiz-answer").fill(text);
    await item.getByTestId("quiz-check").click();
    const verdict = item.getByTestId("quiz-verdict");
    return { verdict: await verdict.getAttribute("data-verdict"), expected: await verdict.getAttribute("data-expected"), message: await verdict.innerText() };
  }

  test("#quiz=translate&seed=42 shows the same dump and questions as kmem quiz translate --seed 42", async () => {
    const panel = p().getByTestId("quiz-panel");
    assert.equal(await panel.isVisible(), true);
    assert.equal(await panel.getAttribute("data-seed"), String(SEED));
    assert.equal((await p().getByTestId("quiz-dump").innerText()).trim(), expectedDump());
    const questions = await p().locator("[data-testid='quiz-question'] .quiz-access").allInnerTexts();
    assert.deepEqual(questions, exercise.questions.map((q) => describeAccess(q.access, hex(q.vaddr))));
    assert.deepEqual(errors, []);
  });

  test("a right physical address is accepted, and the walk shows the PDE, the PTE and the address", async () => {
    const valid = exercise.questions.find((q) => q.answer.fault === null);
    assert.ok(valid !== undefined, "seed 42 has a translating question");
    const physical = hex(valid.answer.physical ?? 0);
    const result = await answer(valid.number, physical.toLowerCase());
    assert.equal(result.verdict, "right", result.message);
    const walk = p().locator(`[data-testid='quiz-question'][data-number='${valid.number}'] [data-testid='quiz-walk']`);
    assert.equal(await walk.getByTestId("walk-pde").count(), 1);
    assert.equal(await walk.getByTestId("walk-pte").count(), 1);
    assert.equal(await walk.getByTestId("walk-physical").getAttribute("data-physical"), physical);
  });

  test("a fault needs its error code: a wrong code is marked wrong with the right one, the right code is accepted", async () => {
    const fault = exercise.questions.find((q) => q.answer.fault !== null && (q.answer.fault.errorCode & 1) === 1);
    assert.ok(fault !== undefined, "seed 42 has a protection fault");
    const code = fault.answer.fault?.errorCode ?? 0;
    const wrong = await answer(fault.number, `fault ${code ^ 4}`);
    assert.equal(wrong.verdict, "wrong");
    assert.equal(wrong.expected, `fault 0x${code.toString(16).toUpperCase()}`);
    const right = await answer(fault.number, `fault 0x${code.toString(16)}`);
    assert.equal(right.verdict, "right", right.message);
    const walk = p().locator(`[data-testid='quiz-question'][data-number='${fault.number}'] [data-testid='quiz-walk']`);
    assert.equal(await walk.getByTestId("walk-fault").getAttribute("data-error-code"), String(code));
    const unreadable = await answer(fault.number, "banana");
    assert.equal(unreadable.verdict, "unreadable");
    assert.match(unreadable.message, /write a physical address as 0x… hex/);
    await p().getByTestId("quiz-panel").screenshot({ path: `${OUTPUT}quiz.png` });
  });

  test("&arch= sets another mode's exercise of the same seed: x86-64 shows its walk entry by entry, RISC-V takes the cause", async () => {
    const wide = generateTranslateExercise({ arch: "x86-64", seed: SEED, count: 4 });
    await p().evaluate(`location.hash = '#quiz=translate&arch=x86-64&seed=${SEED}&count=4'`);
    await p().waitForSelector("[data-testid='quiz-panel'][data-arch='x86-64']");
    const questions = await p().locator("[data-testid='quiz-question'] .quiz-access").allInnerTexts();
    assert.deepEqual(questions, wide.questions.map((q) => describeAccess(q.access, hex(q.vaddr, 16))));
    const valid = wide.questions.find((q) => q.answer.fault === null);
    assert.ok(valid !== undefined, "x86-64 seed 42 has a translating question among four");
    const result = await answer(valid.number, hex(valid.answer.physical ?? 0));
    assert.equal(result.verdict, "right", result.message);
    const steps = p().locator(`[data-testid='quiz-question'][data-number='${valid.number}'] [data-testid='quiz-walk-step']`);
    const texts = await steps.allInnerTexts();
    assert.equal(texts[0], `-> ${hex(valid.answer.physical ?? 0)}`);
    assert.deepEqual(texts.slice(1, 5).map((t) => t.slice(0, t.indexOf("["))), ["PML4E", "PDPTE", "PDE", "PTE"]);
    assert.match(texts[5] ?? "", /^frame 0x[0-9A-F]{8} \+ offset 0x[0-9A-F]{3}$/);
    await p().evaluate(`location.hash = '#quiz=translate&arch=riscv-sv39&seed=${SEED}&count=4'`);
    await p().waitForSelector("[data-testid='quiz-panel'][data-arch='riscv-sv39']");
    const rv = generateTranslateExercise({ arch: "riscv-sv39", seed: SEED, count: 4 });
    const rvFault = rv.questions.find((q) => q.answer.fault !== null);
    assert.ok(rvFault !== undefined, "riscv-sv39 seed 42 has a fault among four questions");
    const cause = await answer(rvFault.number, `fault ${rvFault.answer.fault?.errorCode ?? 0}`);
    assert.equal(cause.verdict, "right", cause.message);
    assert.match(cause.message, /scause 1[35]/);
    await p().evaluate("location.hash = '#quiz=translate&arch=arm&seed=1'");
    await p().waitForSelector("[data-testid='quiz-error']");
    assert.match(await p().getByTestId("quiz-error").innerText(), /"arm": not a paging mode \(supported: x86, .*riscv-sv57\)/);
  });

  test("the address follows the exercise: a new fragment loads its seed and count, New exercise draws a fresh seed", async () => {
    await p().evaluate("location.hash = '#quiz=translate&seed=7&count=3'");
    await p().waitForSelector("[data-testid='quiz-panel'][data-seed='7']");
    assert.equal(await p().getByTestId("quiz-question").count(), 3);
    await p().getByTestId("quiz-new").click();
    await p().waitForFunction("!location.hash.includes('seed=7&')");
    const hash = String(await p().evaluate("location.hash"));
    const seed = /seed=(\d+)&count=3$/.exec(hash)?.[1];
    assert.ok(seed !== undefined, `a fresh seed in the address: ${hash}`);
    await p().waitForSelector(`[data-testid='quiz-panel'][data-seed='${seed}']`);
    await p().evaluate("location.hash = '#quiz=translate'");
    await p().waitForFunction("/seed=\\d+/.test(location.hash)");
    assert.equal(await p().getByTestId("quiz-question").count(), 8);
    await p().getByTestId("quiz-close").click();
    assert.equal(await p().getByTestId("quiz-panel").isVisible(), false);
    assert.deepEqual(errors, []);
  });
});
