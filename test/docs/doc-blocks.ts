/**
 * Reads the fenced code blocks of a Markdown document the way the doc-test harness
 * (`test/docs/doc-commands.test.ts`) checks them. The conventions, also stated in the README's
 * "Development" section:
 *
 * - In any fenced block, a line `$ kmem …` (or `$ npx kmem …`) is a command; the lines after it,
 *   up to the next `$ ` line or the closing fence, are exactly what it prints (stdout, then
 *   stderr). A trailing `# exit status N` on the command line states its exit status (default 0).
 * - In a ` ```sh ` block without prompts, every line is a command (a trailing `# …` is a
 *   comment); its output is not shown, so only its exit status (0) is checked.
 * - A ` ```ts ` block is the full text of one file in `examples/`.
 * - A ` ```json ` block is preceded by a marker saying what it shows:
 *   `<!-- doc-test: output of kmem boot --json -->` or `<!-- doc-test: same as profiles/default.json -->`.
 * - `<!-- doc-test: not run: COMMAND -->` before a block exempts the lines of that block that
 *   start with COMMAND; the harness lists every such command with its reason.
 *
 * Any other block (a synopsis, a format, a sample line) shows no command and is not run.
 */

const FENCE = "```";
const PROMPT = "$ ";
const MARKER = /^<!-- doc-test: (.*) -->$/;
const STATUS_NOTE = /\s+# exit status (\d+)$/;
const COMMENT = /\s+#\s.*$/;
const SHELL_TAGS = new Set(["sh", "bash", "shell"]);

/** One fenced block: its info string, its lines, where it starts, and the markers just before it. */
export interface FencedBlock {
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly tag: string;
  readonly lines: readonly string[];
  /** The text of each `<!-- doc-test: … -->` comment on the lines right above the fence. */
  readonly markers: readonly string[];
}

/** A command the doc shows with its output (a `$ ` prompt line). */
export interface PromptedCommand {
  readonly file: string;
  readonly line: number;
  /** The command as written, without the prompt and the status note. */
  readonly command: string;
  readonly status: number;
  readonly output: string;
}

/** A command line of a ` ```sh ` block (no output shown). */
export interface ListedCommand {
  readonly file: string;
  readonly line: number;
  readonly command: string;
}

/** Every fenced block of `markdown`, in order. */
export function fencedBlocks(file: string, markdown: string): FencedBlock[] {
  const blocks: FencedBlock[] = [];
  const lines = markdown.split("\n");
  let open: { line: number; tag: string; lines: string[]; markers: string[] } | null = null;
  let markers: string[] = [];
  for (const [i, text] of lines.entries()) {
    if (open !== null) {
      if (text.startsWith(FENCE)) {
        blocks.push({ file, ...open });
        open = null;
      } else {
        open.lines.push(text);
      }
      continue;
    }
    const marker = MARKER.exec(text.trim());
    if (marker !== null) {
      markers.push(marker[1] ?? "");
    } else if (text.startsWith(FENCE)) {
      open = { line: i + 1, tag: text.slice(FENCE.length).trim(), lines: [], markers };
      markers = [];
    } else {
      markers = [];
    }
  }
  if (open !== null) {
    throw new Error(`${file}:${open.line}: the fenced block is never closed`);
  }
  return blocks;
}

/** The `$ ` commands of a block and the output shown under each. */
export function promptedCommands(block: FencedBlock): PromptedCommand[] {
  const commands: PromptedCommand[] = [];
  let current: { line: number; command: string; status: number; output: string[] } | null = null;
  const finish = (): void => {
    if (current !== null) {
      const output = current.output.map((l) => `${l}\n`).join("");
      commands.push({ file: block.file, line: current.line, command: current.command, status: current.status, output });
    }
  };
  for (const [i, text] of block.lines.entries()) {
    if (text.startsWith(PROMPT)) {
      finish();
      const note = STATUS_NOTE.exec(text);
      const command = (note === null ? text : text.slice(0, note.index)).slice(PROMPT.length).trim();
      current = { line: block.line + i + 1, command, status: Number(note?.[1] ?? 0), output: [] };
    } else if (current !== null) {
      current.output.push(text);
    }
  }
  finish();
  return commands;
}

/** Whether a block is a shell listing: a ` ```sh ` block with no `$ ` prompt. */
export function isShellListing(block: FencedBlock): boolean {
  return SHELL_TAGS.has(block.tag) && !block.lines.some((l) => l.startsWith(PROMPT));
}

/** The command lines of a shell listing, comments stripped. */
export function listedCommands(block: FencedBlock): ListedCommand[] {
  return block.lines.flatMap((text, i) => {
    const command = text.replace(COMMENT, "").trim();
    return command === "" || command.startsWith("#") ? [] : [{ file: block.file, line: block.line + i + 1, command }];
  });
}

/** The arguments of a `kmem …` or `npx kmem …` command, or `null` for any other command. */
export function kmemArguments(command: string): string[] | null {
  const words = command.split(/\s+/).filter((w) => w !== "");
  const start = words[0] === "npx" ? 1 : 0;
  return words[start] === "kmem" ? words.slice(start + 1) : null;
}
