import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "bin", "kmem.js");
const BUILT_MAIN = join(ROOT, "dist", "cli", "main.js");
const GUIDE = join(ROOT, "docs", "teaching.md");
const PROMPT = "$ kmem ";
const FENCE = "```";
/** `$ kmem translate … --write   # exit status 1`: the status a shown command must end with (default 0). */
const STATUS_NOTE = /\s+# exit status (\d+)$/;

/** One command the guide shows, the output it shows, and the exit status it states. */
interface ShownCommand {
  readonly line: number;
  readonly args: string[];
  readonly output: string;
  readonly status: number;
}

/** Every `$ kmem …` line inside a fenced block, with the lines after it up to the next prompt or the fence. */
function shownCommands(markdown: string): ShownCommand[] {
  const commands: ShownCommand[] = [];
  let inBlock = false;
  let current: { line: number; args: string[]; status: number; output: string[] } | null = null;
  const finish = (): void => {
    if (current !== null) commands.push({ line: current.line, args: current.args, status: current.status, output: current.output.map((l) => `${l}\n`).join("") });
    current = null;
  };
  for (const [i, text] of markdown.split("\n").entries()) {
    if (text.startsWith(FENCE)) {
      finish();
      inBlock = !inBlock;
    } else if (inBlock && text.startsWith(PROMPT)) {
      finish();
      const note = STATUS_NOTE.exec(text);
      const command = note === null ? text : text.slice(0, note.index);
      current = { line: i + 1, args: command.slice(PROMPT.length).trim().split(/\s+/), status: Number(note?.[1] ?? 0), output: [] };
    } else if (inBlock && current !== null) {
      current.output.push(text);
    }
  }
  return commands;
}

function kmem(args: readonly string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

before(() => {
  assert.ok(existsSync(BUILT_MAIN), `${BUILT_MAIN} is missing: run \`npm run build\` first (npm test builds before testing)`);
});

describe("docs/teaching.md", { concurrency: true }, () => {
  const commands = shownCommands(readFileSync(GUIDE, "utf8"));

  test("shows commands for every quiz and for translate", () => {
    const verbs = new Set(commands.map((c) => c.args.slice(0, c.args[0] === "quiz" ? 2 : 1).join(" ")));
    assert.deepEqual([...verbs].sort(), ["quiz alloc", "quiz policy", "quiz translate", "translate"]);
  });

  for (const shown of commands) {
    test(`line ${shown.line}: kmem ${shown.args.join(" ")} prints what the guide shows`, async () => {
      const run = await kmem(shown.args);
      assert.equal(run.stderr, "");
      assert.equal(run.status, shown.status);
      assert.equal(run.stdout, shown.output);
    });
  }
});
