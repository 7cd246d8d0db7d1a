import { formatTrace } from "../../trace/format.js";
import { SCENARIOS, generateTrace } from "../../trace/workloads.js";
import { UsageError } from "../usage-error.js";
import type { RegisterCommand } from "./index.js";

interface TraceGenFlags {
  readonly scale?: string;
  readonly seed?: string;
}

/** `kmem trace-gen SCENARIO [--scale F] [--seed N]`: prints a standard workload's trace. */
export const registerTraceGen: RegisterCommand = (program) => {
  program
    .command("trace-gen")
    .description("print the trace of a standard workload: a lib/test_vmalloc.c scenario or a synthetic generator (docs/traces.md)")
    .argument("<SCENARIO>", SCENARIOS.join(", "))
    .option("--scale <F>", "multiply the loop counts (1: test_vmalloc's 1,000,000 loops; default 0.01)")
    .option("--seed <N>", "seed of the random sizes and lifetimes (default 1)")
    .addHelpText("after", "\nExit status: 0 written, 2 bad input.")
    .action((scenario: string, flags: TraceGenFlags) => {
      if (!SCENARIOS.includes(scenario)) throw new UsageError(`${JSON.stringify(scenario)} is not a scenario (${SCENARIOS.join(", ")})`);
      const scale = flags.scale === undefined ? 0.01 : Number(flags.scale);
      if (!(Number.isFinite(scale) && scale > 0)) throw new UsageError(`--scale ${JSON.stringify(flags.scale)} is not a positive number`);
      const seed = flags.seed === undefined ? 1 : Number(flags.seed);
      if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new UsageError(`--seed ${JSON.stringify(flags.seed)} is not an integer in [0, 2^32)`);
      process.stdout.write(formatTrace(generateTrace(scenario, { scale, seed })));
    });
};
