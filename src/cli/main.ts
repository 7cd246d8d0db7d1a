import { Command, CommanderError } from "commander";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { printable } from "../format.js";
import { commands } from "./commands/index.js";
import { UsageError } from "./usage-error.js";

/** The installed package's directory, where the docs and profiles the help names are. */
const PACKAGE_DIRECTORY = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const DOCS_NOTE = `\nkmem's files are in ${PACKAGE_DIRECTORY}: docs/cli.md (every verb and its JSON output),\ndocs/profile.md (the profile format), profiles/default.json (the built-in profile).`;

/** Exit status when stdout or stderr cannot be written (a full disk, a device error); a closed pipe exits 0. */
const EXIT_OUTPUT_FAILED = 2;

let outputGuarded = false;

/**
 * A reader that closes the pipe early (`kmem help boot | head -1`) ends the program normally,
 * with status 0; any other failure to write output is one line on stderr (if it can be written)
 * and status 2, never an unhandled 'error' event with a stack trace.
 */
function guardOutput(): void {
  if (outputGuarded) return;
  outputGuarded = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") process.exit(0);
      if (stream === process.stdout) process.stderr.write(`kmem: cannot write the output: ${printable(error.message)}\n`);
      process.exit(EXIT_OUTPUT_FAILED);
    });
  }
}

/** Commander's message as one line: its "(Did you mean …?)" joined on, control characters escaped. */
function commanderLine(message: string): string {
  return printable(message.trim().replace(/^error: /, "").replace(/\n(?=\(Did you mean )/g, " "));
}

/** `kmem help VERB` for a verb that does not exist: one line, not the usage. */
function checkHelpVerb(program: Command, argv: readonly string[]): void {
  const [first, verb] = argv;
  if (first !== "help" || verb === undefined || verb === "help" || verb.startsWith("-")) return;
  if (!program.commands.some((command) => command.name() === verb || command.aliases().includes(verb))) {
    throw new UsageError(`unknown verb '${verb}' (run \`kmem help\` for the verbs)`);
  }
}

/**
 * Runs the `kmem` command line with `argv` (without `node` and the script path)
 * and resolves to the process exit status: 0 success, 1 check failed, 2 bad input.
 * Every error is one line on stderr, control characters in echoed input escaped.
 */
export async function main(argv: readonly string[]): Promise<number> {
  guardOutput();
  const program = new Command("kmem")
    .description("A kernel memory-management stack: boot a machine profile into real page tables (x86, PAE, x86-64, RISC-V), walk, inspect and exercise them.")
    .exitOverride()
    .configureOutput({
      writeErr: (s) => process.stderr.write(s),
      // Bad flags and arguments: one line, like every other bad input.
      outputError: (message, write) => write(`kmem: ${commanderLine(message)} (run \`kmem help\` for usage)\n`),
    })
    .addHelpText("afterAll", DOCS_NOTE);
  let status = 0;
  for (const register of commands) {
    register(program, (code) => {
      status = code;
    });
  }
  try {
    checkHelpVerb(program, argv);
    await program.parseAsync([...argv], { from: "user" });
    return status;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`kmem: ${printable(error.message)}\n`);
      return 2;
    }
    throw error;
  }
}
