import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { ScriptError } from "../../errors/script-error.js";
import { printable } from "../../format.js";
import { kernelHalfOf, kernelHalfOfMode } from "../../process/kernel-half.js";
import { SCRIPT_SYNOPSES, parseScript } from "../../process/script.js";
import { type ScriptMachine, runScript } from "../../process/script-run.js";
import { renderSimulation, simulationJson, simulationPassed } from "../print/simulate.js";
import { addArchOption, addMachineOptions, type AnyMachineFlags, bootAnyFromFlags } from "../machine-options.js";
import { UsageError } from "../usage-error.js";
import type { RegisterCommand } from "./index.js";

interface SimulateFlags extends AnyMachineFlags {
  readonly json?: boolean;
}

const STDIN = "-";

/** The script's text: the file, or standard input for `-`. @throws UsageError when it cannot be read. */
function readScript(file: string): string {
  try {
    return readFileSync(file === STDIN ? 0 : file, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read ${file === STDIN ? "standard input" : file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Boots the machine the flags name, as a script runs on it. */
function scriptMachine(flags: SimulateFlags): ScriptMachine {
  const booted = bootAnyFromFlags(flags);
  if (booted.kind === "x86") return { kernel: kernelHalfOf(booted.machine), mmu: booted.machine.mmu };
  return { kernel: kernelHalfOfMode(booted.machine), mmu: booted.machine.mmu };
}

/** `kmem simulate SCRIPT`: run a process script through the MMU and the OS's fault handler, and print what each line did. */
export const registerSimulate: RegisterCommand = (program, setExitCode) => {
  addArchOption(
    addMachineOptions(
      program
        .command("simulate")
        .description("run a process script (spawn, map, fork, read/write, swap, exit …) on a booted machine and print each line's faults, frames and evictions, then the tasks")
        .argument("<SCRIPT>", "the script file, or - for standard input (language: docs/cli.md)"),
    ),
  )
    .option("--json", "print { arch, lines, tasks, shared, accesses, pmm } as JSON (schema: docs/cli.md)")
    .addHelpText("after", `\nScript lines (# starts a comment):\n${Object.values(SCRIPT_SYNOPSES).map((s) => `  ${s}`).join("\n")}`)
    .addHelpText("after", "\nExit status: 0 ran, 1 a frame leaked or the TLB audit found a missed invalidation, 2 bad input (a script error names its line).")
    .action((file: string, flags: SimulateFlags) => {
      const text = readScript(file);
      const base = file === STDIN ? process.cwd() : dirname(resolve(file));
      const source = flags.arch !== undefined ? `the default ${flags.arch} profile` : (flags.profile ?? "the default profile");
      let run;
      try {
        run = runScript(parseScript(text), { boot: () => scriptMachine(flags), readFile: (path) => readFileSync(resolve(base, path)) });
      } catch (error) {
        if (!(error instanceof ScriptError)) throw error;
        process.stderr.write(`kmem simulate: ${printable(error.message)}\n`);
        setExitCode(2);
        return;
      }
      process.stdout.write(flags.json === true ? `${JSON.stringify(simulationJson(run), null, 2)}\n` : renderSimulation(run, `Simulating ${file === STDIN ? "standard input" : file} on ${source}`));
      if (!simulationPassed(run)) setExitCode(1);
    });
};
