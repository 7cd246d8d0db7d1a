import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatTrace } from "../../trace/format.js";
import { type StracePlacement, importStrace } from "../../trace/strace.js";
import { UsageError } from "../usage-error.js";
import { writeOutput } from "./trace-gen.js";
import type { RegisterCommand } from "./index.js";

interface TraceImportFlags {
  readonly placement?: string;
  readonly run?: boolean;
  readonly allProcesses?: boolean;
  readonly out?: string;
}

/** The system calls an imported log needs: strace's `-e trace=` list. */
export const STRACE_CALLS = "mmap,munmap,mremap,mprotect,brk";

/** Runs `argv` under `strace -f` and returns its log. */
function recordProgram(argv: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "kmem-strace-"));
  try {
    const log = join(dir, "strace.log");
    const run = spawnSync("strace", ["-f", "-o", log, "-e", `trace=${STRACE_CALLS}`, ...argv], { stdio: ["ignore", "ignore", "inherit"] });
    if (run.error !== undefined) throw new UsageError(`cannot run strace: ${run.error.message}`);
    return readFileSync(log, "utf8");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `kmem trace-import LOG` or `kmem trace-import --run -- PROGRAM…`: an strace log as a trace on stdout. */
export const registerTraceImport: RegisterCommand = (program) => {
  program
    .command("trace-import")
    .description(`turn \`strace -f -e trace=${STRACE_CALLS} PROGRAM\` output into a trace (docs/traces.md)`)
    .argument("<LOG...>", "the strace log file (or, with --run, the program and its arguments)")
    .option("--placement <MODE>", "fixed (default: allocations at the addresses the program got) or allocator (re-placed by kmem's allocator on replay)")
    .option("--run", "run the program under strace first (put it after --)")
    .option("--out <FILE>", "write the trace to FILE (default: stdout; the summary then goes to stderr)")
    .option("--all-processes", "keep the calls of every process strace followed (default: the first process and its threads)")
    .addHelpText("after", "\nExit status: 0 written, 2 bad input.")
    .action((args: string[], flags: TraceImportFlags) => {
      const placement = flags.placement ?? "fixed";
      if (placement !== "fixed" && placement !== "allocator") throw new UsageError(`--placement ${JSON.stringify(placement)} is not fixed or allocator`);
      let text: string;
      let source: string;
      if (flags.run === true) {
        text = recordProgram(args);
        source = `strace -f -e trace=${STRACE_CALLS} ${args.join(" ")}`;
      } else {
        if (args.length !== 1) throw new UsageError(`trace-import takes one log file, not ${args.length} (use --run -- PROGRAM ARGS to record one)`);
        source = args[0]!;
        try {
          text = readFileSync(source, "utf8");
        } catch (error) {
          throw new UsageError(`cannot read ${source}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      const imported = importStrace(text, { placement: placement as StracePlacement, source, allProcesses: flags.allProcesses === true });
      writeOutput(flags.out, formatTrace(imported.trace), `${flags.out === undefined ? "kmem: imported" : `Wrote ${flags.out}: imported`} ${imported.calls} calls as ${imported.trace.events.length} events (${imported.failed} failed in the program, ${imported.otherProcesses} calls of other processes left out, ${imported.skipped} lines skipped)\n`);
    });
};
