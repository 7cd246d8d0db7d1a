import { describeMachine } from "../../boot/describe.js";
import { selfCheck } from "../../boot/self-check.js";
import { printable } from "../../format.js";
import { selfCheckMode } from "../../boot/mode-check.js";
import { describeModeMachine } from "../../boot/mode-describe.js";
import type { ModeMachine } from "../../boot/mode-boot.js";
import { addArchOption, addMachineOptions, type AnyMachineFlags, type BootedMachine, bootAnyFromFlags } from "../machine-options.js";
import { renderBoot } from "../print/machine.js";
import { renderModeBoot } from "../print/mode-machine.js";
import type { RegisterCommand } from "./index.js";

interface BootFlags extends AnyMachineFlags {
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

/**
 * Self-checks a machine of a mode other than 32-bit x86 and renders it as `kmem boot` does.
 *
 * @example
 * const { text, status } = reportModeBoot({ machine: bootMode(profile), source: "x86-64.json", bootMs: 0 }, { json: true });
 */
export function reportModeBoot(booted: { readonly machine: ModeMachine; readonly source: string; readonly bootMs: number }, options: { readonly json: boolean }): BootOutput {
  const { machine, source, bootMs } = booted;
  const started = performance.now();
  const report = selfCheckMode(machine);
  const checkMs = performance.now() - started;
  const description = describeModeMachine(machine, report);
  const title = printable(`Booted ${source}${machine.profile.description === undefined ? "" : `: ${machine.profile.description}`}`);
  return {
    text: options.json ? `${JSON.stringify(description, null, 2)}\n` : renderModeBoot(description, title, { bootMs, checkMs }),
    status: report.ok ? 0 : 1,
  };
}

/** `kmem boot [--profile FILE | --arch MODE] [--json]`: boot, self-check, print the address space; exit 1 when the check fails. */
export const registerBoot: RegisterCommand = (program, setExitCode) => {
  addArchOption(
    addMachineOptions(
      program
        .command("boot")
        .description("boot a memory profile into x86 page tables, run the self-check and print the address-space map"),
    ),
  )
    .option("--pmm-policy <POLICY>", "how the PMM hands out blocks: lowest (default) or buddy")
    .option("--json", "print one JSON object instead of text (schema: docs/cli.md)")
    .addHelpText("after", "\nExit status: 0 booted and self-check ok, 1 self-check failed, 2 bad input (bad profile or flag).")
    .action((flags: BootFlags) => {
      const booted = bootAnyFromFlags(flags);
      const json = { json: flags.json === true };
      const { text, status } = booted.kind === "x86" ? reportBoot(booted, json) : reportModeBoot(booted, json);
      process.stdout.write(text);
      setExitCode(status);
    });
};
