import { describeMachine } from "../../boot/describe.js";
import { selfCheck } from "../../boot/self-check.js";
import { printable } from "../../format.js";
import { addMachineOptions, type BootedMachine, bootFromFlags, type MachineFlags } from "../machine-options.js";
import { renderBoot } from "../print/machine.js";
import type { RegisterCommand } from "./index.js";

interface BootFlags extends MachineFlags {
  readonly json?: boolean;
}

/** What `kmem boot` prints for a booted machine, and its exit status. */
export interface BootOutput {
  readonly text: string;
  /** 0 when the self-check passed, 1 when it failed. */
  readonly status: number;
}

/**
 * Self-checks a booted machine and renders it as `kmem boot` does: text, or the `--json` object.
 *
 * @example
 * const { text, status } = reportBoot(bootFromFlags({}), { json: true });
 */
export function reportBoot(booted: BootedMachine, options: { readonly json: boolean }): BootOutput {
  const { machine, source, bootMs } = booted;
  const started = performance.now();
  const report = selfCheck(machine);
  const checkMs = performance.now() - started;
  const description = describeMachine(machine, report);
  const title = printable(`Booted ${source}${machine.profile.description === undefined ? "" : `: ${machine.profile.description}`}`);
  return {
    text: options.json ? `${JSON.stringify(description, null, 2)}\n` : renderBoot(description, title, { bootMs, checkMs }),
    status: report.ok ? 0 : 1,
  };
}

/** `kmem boot [--profile FILE] [--json]`: boot, self-check, print the address space; exit 1 when the check fails. */
export const registerBoot: RegisterCommand = (program, setExitCode) => {
  addMachineOptions(
    program
      .command("boot")
      .description("boot a memory profile into x86 page tables, run the self-check and print the address-space map"),
  )
    .option("--pmm-policy <POLICY>", "how the PMM hands out blocks: lowest (default) or buddy")
    .option("--json", "print one JSON object instead of text (schema: docs/cli.md)")
    .addHelpText("after", "\nExit status: 0 booted and self-check ok, 1 self-check failed, 2 bad input (bad profile or flag).")
    .action((flags: BootFlags) => {
      const { text, status } = reportBoot(bootFromFlags(flags), { json: flags.json === true });
      process.stdout.write(text);
      setExitCode(status);
    });
};
