import { join } from "node:path";
import { exportMachine } from "../../boot/export.js";
import { selfCheckMode } from "../../boot/mode-check.js";
import { exportModeMachine } from "../../boot/mode-describe.js";
import { selfCheck } from "../../boot/self-check.js";
import { hex, printable } from "../../format.js";
import { makeDirectory, writeRegularFile } from "../../node/output-files.js";
import { addArchOption, addMachineOptions, type AnyMachineFlags, bootAnyFromFlags } from "../machine-options.js";
import { UsageError } from "../usage-error.js";
import type { RegisterCommand } from "./index.js";

interface ExportFlags extends AnyMachineFlags {
  readonly out: string;
}

/**
 * Creates `dir` and writes one regular file into it; an unwritable or special path (procfs, a
 * device, a FIFO) is the user's input (exit 2), reported at once.
 */
function writeInto(dir: string, name: string, data: Uint8Array | string): string {
  const path = join(dir, name);
  try {
    makeDirectory(dir);
    writeRegularFile(path, data);
  } catch (error) {
    throw new UsageError(`--out ${dir}: cannot write ${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return path;
}

/** `kmem export --out DIR`: boot, self-check, write `ram.bin` and `machine.json`; exit 1 when the check fails. */
export const registerExport: RegisterCommand = (program, setExitCode) => {
  addArchOption(
    addMachineOptions(
      program
        .command("export")
        .description("boot, then write DIR/ram.bin (all physical memory, byte-exact) and DIR/machine.json ({ memoryBytes, cr3, cr4Pse, regions }; other modes: { arch, registers, … })")
        .requiredOption("--out <DIR>", "directory to write into (created if missing)"),
    ),
  )
    .addHelpText("after", "\nExit status: 0 written, 1 written but the self-check failed, 2 bad input.")
    .action((flags: ExportFlags) => {
      const booted = bootAnyFromFlags(flags);
      if (booted.kind === "mode") {
        const report = selfCheckMode(booted.machine);
        const { ram, machine: description } = exportModeMachine(booted.machine);
        const ramPath = writeInto(flags.out, "ram.bin", ram);
        const jsonPath = writeInto(flags.out, "machine.json", `${JSON.stringify(description, null, 2)}\n`);
        const registers = Object.entries(description.registers).map(([name, value]) => `${name.toUpperCase()} ${value}`).join(", ");
        process.stdout.write(`Wrote ${printable(ramPath)} (${ram.length} bytes from ${hex(description.ramBase)}) and ${printable(jsonPath)} (${description.arch}, ${registers}, ${description.regions.length} regions)\n`);
        if (!report.ok) {
          process.stderr.write(`kmem: self-check failed: ${report.failures[0]?.message ?? "see kmem boot"}\n`);
          setExitCode(1);
        }
        return;
      }
      const { machine } = booted;
      const report = selfCheck(machine);
      const { ram, machine: description } = exportMachine(machine);
      const ramPath = writeInto(flags.out, "ram.bin", ram);
      const jsonPath = writeInto(flags.out, "machine.json", `${JSON.stringify(description, null, 2)}\n`);
      process.stdout.write(`Wrote ${printable(ramPath)} (${ram.length} bytes) and ${printable(jsonPath)} (CR3 ${hex(description.cr3)}, ${description.regions.length} regions)\n`);
      if (!report.ok) {
        process.stderr.write(`kmem: self-check failed: ${printable(report.failures[0]?.message ?? "see kmem boot")}\n`);
        setExitCode(1);
      }
    });
};
