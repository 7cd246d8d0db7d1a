import { parseAddress } from "../address.js";
import { ScriptError } from "../errors/script-error.js";
import { describeValue } from "../format.js";
import { REPLACEMENT_POLICIES, type ReplacementPolicyName } from "./replacement.js";
import type { AccessOp } from "./user-pages.js";

/** The rights a script gives a region: always readable, optionally writable and executable. */
export type ScriptRights = "r" | "rw" | "rx" | "rwx";

/** Where a `swap` line's bound applies: one pool for every task spawned after it, or a bound per task. */
export type SwapScope = "system" | "task";

/** What every parsed line carries. */
export interface ScriptLineBase<K extends string> {
  /** The command. */
  readonly kind: K;
  /** The 1-based line number in the script. */
  readonly line: number;
  /** The line as written, without its comment and surrounding blanks. */
  readonly text: string;
}

/** `spawn T`: a new, empty address space named T. */
export interface SpawnCommand extends ScriptLineBase<"spawn"> {
  /** The task the line acts on. */
  readonly task: string;
}

/** `load T FILE [lazy]`: a new address space T with the ELF executable FILE loaded (demand-paged with `lazy`). */
export interface LoadCommand extends ScriptLineBase<"load"> {
  /** The task the line acts on. */
  readonly task: string;
  /** The ELF file, relative to the script's directory. */
  readonly file: string;
  /** Demand-paged: frames on first touch. */
  readonly lazy: boolean;
}

/** `map T ADDR PAGES RIGHTS [lazy] [LABEL…]`: a region of zeroed pages, frames now or (lazy) on first touch. */
export interface MapCommand extends ScriptLineBase<"map"> {
  /** The task the line acts on. */
  readonly task: string;
  /** The region's first address. */
  readonly at: bigint;
  /** The region's length in pages. */
  readonly pages: number;
  /** The rights given. */
  readonly rights: ScriptRights;
  /** Demand-paged: frames on first touch. */
  readonly lazy: boolean;
  /** The region's name; null for the library's default. */
  readonly label: string | null;
}

/** `guard T ADDR PAGES [LABEL…]`: pages reserved with no frame and no rights (every access segfaults). */
export interface GuardCommand extends ScriptLineBase<"guard"> {
  /** The task the line acts on. */
  readonly task: string;
  /** The region's first address. */
  readonly at: bigint;
  /** The region's length in pages. */
  readonly pages: number;
  /** The region's name; null for `"guard"`. */
  readonly label: string | null;
}

/** `protect T START END RIGHTS`: mprotect of `[START, END)`. */
export interface ProtectCommand extends ScriptLineBase<"protect"> {
  /** The task the line acts on. */
  readonly task: string;
  /** The range's first address. */
  readonly start: bigint;
  /** The range's end, exclusive. */
  readonly end: bigint;
  /** The rights given. */
  readonly rights: ScriptRights;
}

/** `unmap T START END`: munmap of `[START, END)`. */
export interface UnmapCommand extends ScriptLineBase<"unmap"> {
  /** The task the line acts on. */
  readonly task: string;
  /** The range's first address. */
  readonly start: bigint;
  /** The range's end, exclusive. */
  readonly end: bigint;
}

/** `fork T CHILD` (copy-on-write) or `copy T NEW` (every page copied now). */
export interface DuplicateCommand extends ScriptLineBase<"fork" | "copy"> {
  /** The task the line acts on. */
  readonly task: string;
  /** The new task. */
  readonly child: string;
}

/** `exit T`: destroys T's address space. */
export interface ExitCommand extends ScriptLineBase<"exit"> {
  /** The task the line acts on. */
  readonly task: string;
}

/** `read T ADDR`, `fetch T ADDR`, `write T ADDR BYTE`: one user access through the MMU. */
export interface AccessCommand extends ScriptLineBase<"access"> {
  /** The task the line acts on. */
  readonly task: string;
  /** Read, write or fetch. */
  readonly op: AccessOp;
  /** The user address accessed. */
  readonly vaddr: bigint;
  /** The byte a write stores (0 for reads and fetches). */
  readonly value: number;
}

/** `swap FRAMES POLICY [per-task]`: bounds the resident pages of the tasks spawned or loaded after it. */
export interface SwapCommand extends ScriptLineBase<"swap"> {
  /** The bound on resident pages. */
  readonly frames: number;
  /** The replacement policy. */
  readonly policy: ReplacementPolicyName;
  /** One pool for all the tasks created after the line, or one bound per task. */
  readonly scope: SwapScope;
}

/** One executable line of a process script. */
export type ScriptCommand = SpawnCommand | LoadCommand | MapCommand | GuardCommand | ProtectCommand | UnmapCommand | DuplicateCommand | ExitCommand | AccessCommand | SwapCommand;

/** Every command word, with its argument synopsis (for messages and docs). */
export const SCRIPT_SYNOPSES: Readonly<Record<string, string>> = {
  spawn: "spawn TASK",
  load: "load TASK FILE [lazy]",
  map: "map TASK ADDR PAGES r|rw|rx|rwx [lazy] [LABEL]",
  guard: "guard TASK ADDR PAGES [LABEL]",
  protect: "protect TASK START END r|rw|rx|rwx",
  unmap: "unmap TASK START END",
  fork: "fork TASK CHILD",
  copy: "copy TASK NEW",
  exit: "exit TASK",
  read: "read TASK ADDR",
  write: "write TASK ADDR BYTE",
  fetch: "fetch TASK ADDR",
  swap: "swap FRAMES fifo|lru|clock|opt [per-task]",
};

const RIGHTS: readonly ScriptRights[] = ["r", "rw", "rx", "rwx"];
const TASK_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const BYTE_MAX = 0xff;

/**
 * Parses a process script (the language of `kmem simulate`, docs/cli.md): one command per
 * line, `#` starts a comment, blank lines are skipped; numbers and addresses are `0x…` hex or
 * decimal with optional `_`. Also checks the tasks' lifetimes as written — every task named
 * exists (spawned, loaded, forked or copied on an earlier line, not exited since), and no
 * new task takes a name in use — so a script that parses runs to its end. O(length).
 *
 * @throws {ScriptError} `UnknownCommand`, `BadArgument`, `UnknownTask`, `TaskExists`, with
 * the first bad line's number in `data.line` and at the start of the message.
 * @example
 * const script = parseScript("spawn A\nmap A 0x400000 1 rw lazy\nwrite A 0x400000 0x5a\n");
 * script[2]; // { kind: "access", line: 3, task: "A", op: "write", vaddr: 0x400000n, value: 0x5a, … }
 */
export function parseScript(text: string): ScriptCommand[] {
  const commands: ScriptCommand[] = [];
  const lines = text.split(/\r?\n/);
  const tasks = new Tasks();
  lines.forEach((raw, index) => {
    const hash = raw.indexOf("#");
    const body = (hash < 0 ? raw : raw.slice(0, hash)).trim();
    if (body === "") return;
    const command = parseLine(body.split(/\s+/), index + 1, body);
    tasks.follow(command);
    commands.push(command);
  });
  return commands;
}

/** The names alive at each point of the script, for the lifetime checks. */
class Tasks {
  readonly #alive = new Map<string, number>();
  readonly #exited = new Map<string, number>();

  follow(command: ScriptCommand): void {
    if (command.kind === "swap") return;
    if (command.kind === "spawn" || command.kind === "load") {
      this.#create(command.task, command.line);
      return;
    }
    this.#use(command.task, command.line);
    if (command.kind === "fork" || command.kind === "copy") this.#create(command.child, command.line);
    if (command.kind === "exit") {
      this.#alive.delete(command.task);
      this.#exited.set(command.task, command.line);
    }
  }

  #create(task: string, line: number): void {
    const since = this.#alive.get(task);
    if (since !== undefined) throw new ScriptError("TaskExists", `line ${String(line)}: cannot create task ${task}: the name is in use since line ${String(since)} (exit it first, or pick another name)`, { line });
    this.#alive.set(task, line);
  }

  #use(task: string, line: number): void {
    if (this.#alive.has(task)) return;
    const exited = this.#exited.get(task);
    const why = exited === undefined ? "no line before spawns it" : `it exited at line ${String(exited)}`;
    throw new ScriptError("UnknownTask", `line ${String(line)}: no task ${task}: ${why}`, { line });
  }
}

/** Parses the words of one non-empty line. */
function parseLine(words: readonly string[], line: number, text: string): ScriptCommand {
  const [word = "", ...args] = words;
  const synopsis = SCRIPT_SYNOPSES[word];
  if (synopsis === undefined || !Object.hasOwn(SCRIPT_SYNOPSES, word)) {
    throw new ScriptError("UnknownCommand", `line ${String(line)}: unknown command ${describeValue(word)} (use ${Object.keys(SCRIPT_SYNOPSES).join(", ")})`, { line });
  }
  const a = new Arguments(args, line, synopsis);
  const base = { line, text };
  switch (word) {
    case "spawn":
      return a.done({ kind: "spawn", ...base, task: a.task() });
    case "load":
      return a.done({ kind: "load", ...base, task: a.task(), file: a.word("FILE"), lazy: a.flag("lazy") });
    case "map": {
      const fields = { task: a.task(), at: a.address("ADDR"), pages: a.count("PAGES"), rights: a.rights(), lazy: a.flag("lazy") };
      return { kind: "map", ...base, ...fields, label: a.rest() };
    }
    case "guard":
      return { kind: "guard", ...base, task: a.task(), at: a.address("ADDR"), pages: a.count("PAGES"), label: a.rest() };
    case "protect":
      return a.done({ kind: "protect", ...base, task: a.task(), start: a.address("START"), end: a.address("END"), rights: a.rights() });
    case "unmap":
      return a.done({ kind: "unmap", ...base, task: a.task(), start: a.address("START"), end: a.address("END") });
    case "fork":
    case "copy":
      return a.done({ kind: word, ...base, task: a.task(), child: a.task() });
    case "exit":
      return a.done({ kind: "exit", ...base, task: a.task() });
    case "read":
    case "fetch":
      return a.done({ kind: "access", ...base, task: a.task(), op: word, vaddr: a.address("ADDR"), value: 0 });
    case "write":
      return a.done({ kind: "access", ...base, task: a.task(), op: "write", vaddr: a.address("ADDR"), value: a.byte() });
    default:
      return a.done({ kind: "swap", ...base, frames: a.count("FRAMES"), policy: a.policy(), scope: a.flag("per-task") ? "task" : "system" });
  }
}

/** The arguments of one line, consumed left to right. */
class Arguments {
  readonly #args: readonly string[];
  readonly #line: number;
  readonly #synopsis: string;
  #next = 0;

  constructor(args: readonly string[], line: number, synopsis: string) {
    this.#args = args;
    this.#line = line;
    this.#synopsis = synopsis;
  }

  /** `command`, after checking no argument is left over. */
  done<C extends ScriptCommand>(command: C): C {
    const extra = this.#args[this.#next];
    if (extra !== undefined) this.#fail(`unexpected ${describeValue(extra)} after the arguments`);
    return command;
  }

  word(name: string): string {
    const word = this.#args[this.#next];
    if (word === undefined) this.#fail(`missing ${name}`);
    this.#next++;
    return word;
  }

  task(): string {
    const name = this.word("TASK");
    if (!TASK_NAME.test(name)) this.#fail(`${describeValue(name)} is not a task name (a letter or _, then letters, digits, _ . -)`);
    return name;
  }

  address(name: string): bigint {
    const text = this.word(name);
    const value = parseAddress(text);
    if (value === null) this.#fail(`${name} ${describeValue(text)} is not an address (use 0x… hex or decimal)`);
    if (value >= 1n << 64n) this.#fail(`${name} ${text} is beyond 64 bits`);
    return value;
  }

  count(name: string): number {
    const text = this.word(name);
    const value = parseAddress(text);
    if (value === null || value < 1n || value > BigInt(Number.MAX_SAFE_INTEGER)) this.#fail(`${name} ${describeValue(text)} is not a positive integer`);
    return Number(value);
  }

  byte(): number {
    const text = this.word("BYTE");
    const value = parseAddress(text);
    if (value === null || value > BigInt(BYTE_MAX)) this.#fail(`BYTE ${describeValue(text)} is not a byte (0–255, or 0x00–0xFF)`);
    return Number(value);
  }

  rights(): ScriptRights {
    const text = this.word("RIGHTS");
    const rights = RIGHTS.find((r) => r === text);
    if (rights === undefined) this.#fail(`RIGHTS ${describeValue(text)} are not rights (use ${RIGHTS.join(", ")})`);
    return rights;
  }

  policy(): ReplacementPolicyName {
    const text = this.word("POLICY");
    const policy = REPLACEMENT_POLICIES.find((p) => p === text);
    if (policy === undefined) this.#fail(`POLICY ${describeValue(text)} is not a replacement policy (use ${REPLACEMENT_POLICIES.join(", ")})`);
    return policy;
  }

  /** Consumes `keyword` when it is the next word. */
  flag(keyword: string): boolean {
    if (this.#args[this.#next] !== keyword) return false;
    this.#next++;
    return true;
  }

  /** The remaining words joined by one space, or null when none are left. */
  rest(): string | null {
    const rest = this.#args.slice(this.#next);
    this.#next = this.#args.length;
    return rest.length === 0 ? null : rest.join(" ");
  }

  #fail(problem: string): never {
    throw new ScriptError("BadArgument", `line ${String(this.#line)}: ${problem} (${this.#synopsis})`, { line: this.#line });
  }
}
