import { writeFileSync } from "node:fs";
import { formatTrace } from "../../trace/format.js";
import { SCENARIOS, generateTrace } from "../../trace/workloads.js";
import { UsageError } from "../usage-error.js";
import type { RegisterCommand } from "./index.js";

interface TraceGenFlags {
  readonly scale?: string;
  readonly seed?: string;
  readonly out?: string;
}

/**
 * Reads `--scale` and `--seed` (shared with `kmem replay --scenario`).
 *
 * @throws UsageError for a scale that is not a positive number or a seed outside [0, 2^32).
 */
export function generateOptions(flags: { readonly scale?: string; readonly seed?: string }): { scale: number; seed: number } {
  const scale = flags.scale === undefined ? 0.01 : Number(flags.scale);
  if (!(Number.isFinite(scale) && scale > 0)) throw new UsageError(`--scale ${JSON.stringify(flags.scale)} is not a positive number`);
  const seed = flags.seed === undefined ? 1 : Number(flags.seed);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new UsageError(`--seed ${JSON.stringify(flags.seed)} is not an integer in [0, 2^32)`);
  return { scale, seed };
}

/**
 * Writes `text` to `--out FILE` (and says so on stdout), or to stdout.
 *
 * @throws UsageError when the file cannot be written.
 */
export function writeOutput(out: string | undefined, text: string, summary: string): void {
  if (out === undefined) {
    process.stdout.write(text);
    process.stderr.write(summary);
    return;
  }
  try {
    writeFileSync(out, text);
  } catch (error) {
    throw new UsageError(`--out ${out}: cannot write: ${error instanceof Error ? error.message : String(error)}`);
  }
  process.stdout.write(summary);
}

/** `kmem trace-gen SCENARIO [--scale F] [--seed N]`: prints a standard workload's trace. */
export const registerTraceGen: RegisterCommand = (program) => {
  program
    .command("trace-gen")
    .description("print the trace of a standard workload: a lib/test_vmalloc.c scenario or a synthetic generator (docs/traces.md)")
    .argument("<SCENARIO>", SCENARIOS.join(", "))
    .option("--scale <F>", "multiply the loop counts (1: test_vmalloc's 1,000,000 loops; default 0.01)")
    .option("--seed <N>", "seed of the random sizes and lifetimes (default 1)")
    .option("--out <FILE>", "write the trace to FILE (default: stdout)")
    .addHelpText("after", "\nExit status: 0 written, 2 bad input.")
    .action((scenario: string, flags: TraceGenFlags) => {
      if (!SCENARIOS.includes(scenario)) throw new UsageError(`${JSON.stringify(scenario)} is not a scenario (${SCENARIOS.join(", ")})`);
      const trace = generateTrace(scenario, generateOptions(flags));
      writeOutput(flags.out, formatTrace(trace), flags.out === undefined ? "" : `Wrote ${flags.out}: ${trace.events.length} events of ${scenario}\n`);
    });
};
