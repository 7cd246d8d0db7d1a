import { Command, CommanderError } from "commander";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { commands } from "./commands/index.js";
import { UsageError } from "./usage-error.js";

/** The installed package's directory, where the docs and profiles the help names are. */
const PACKAGE_DIRECTORY = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const DOCS_NOTE = `\nkmem's files are in ${PACKAGE_DIRECTORY}: docs/cli.md (every verb and its JSON output),\ndocs/profile.md (the profile format), profiles/default.json (the built-in profile).`;

/**
 * Runs the `kmem` command line with `argv` (without `node` and the script path)
 * and resolves to the process exit status: 0 success, 1 check failed, 2 bad input.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command("kmem")
    .description("A kernel memory-management stack: boot a machine profile into real x86 page tables and inspect it.")
    .exitOverride()
    .configureOutput({
      writeErr: (s) => process.stderr.write(s),
      // Bad flags and arguments: one line, like every other bad input.
      outputError: (message, write) => write(`kmem: ${message.trim().replace(/^error: /, "")} (run \`kmem help\` for usage)\n`),
    })
    .addHelpText("afterAll", DOCS_NOTE);
  let status = 0;
  for (const register of commands) {
    register(program, (code) => {
      status = code;
    });
  }
  try {
    await program.parseAsync([...argv], { from: "user" });
    return status;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`kmem: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
