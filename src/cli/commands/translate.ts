import type { ModeMachine } from "../../boot/mode-boot.js";
import { parseAddress } from "../../address.js";
import { RiscvMmu } from "../../arch/riscv/cpu.js";
import { hex } from "../../format.js";
import { addArchOption, addMachineOptions, type AnyMachineFlags, bootAnyFromFlags, parseAddressArgument } from "../machine-options.js";
import { modeWalkJson, renderModeWalk } from "../print/mode-walk.js";
import { renderWalk } from "../print/walk.js";
import { UsageError } from "../usage-error.js";
import type { RegisterCommand } from "./index.js";

interface TranslateFlags extends AnyMachineFlags {
  readonly user?: boolean;
  readonly write?: boolean;
  readonly json?: boolean;
}

/** VADDR for a mode machine: below 2^64 in 64-bit modes (a bigint), below 4 GiB in 32-bit ones. */
function parseModeAddress(text: string, machine: ModeMachine): bigint | number {
  if (!machine.spec.wide) return parseAddressArgument(text, "VADDR");
  const parsed = parseAddress(text);
  if (parsed === null) throw new UsageError(`VADDR ${JSON.stringify(text)} is not an address (use 0x… hex or decimal)`);
  if (parsed >= 1n << 64n) throw new UsageError(`VADDR ${text} is beyond 64 bits (virtual addresses end at ${hex((1n << 64n) - 1n)})`);
  return parsed;
}

/** `kmem translate VADDR`: boot, then ask the MMU; exit 1 when the access faults. */
export const registerTranslate: RegisterCommand = (program, setExitCode) => {
  addArchOption(
    addMachineOptions(
      program
        .command("translate")
        .description("boot, then translate a virtual address through the MMU: the physical address and the entries used, or the page fault")
        .argument("<VADDR>", "virtual address, 0x… hex or decimal, below 4 GiB (64-bit modes: below 2^64)"),
    ),
  )
    .option("--user", "access from user mode (default: supervisor)")
    .option("--write", "a write access (default: a read)")
    .option("--json", "print the walk as one JSON object (schema: docs/cli.md)")
    .addHelpText("after", "\nExit status: 0 translated, 1 page fault, 2 bad input.")
    .action((vaddrText: string, flags: TranslateFlags) => {
      const access = { user: flags.user === true, write: flags.write === true };
      if (parseAddress(vaddrText) === null) throw new UsageError(`VADDR ${JSON.stringify(vaddrText)} is not an address (use 0x… hex or decimal)`);
      const booted = bootAnyFromFlags(flags);
      if (booted.kind === "x86") {
        const walk = booted.machine.mmu.walk(parseAddressArgument(vaddrText, "VADDR"), access);
        process.stdout.write(flags.json === true ? `${JSON.stringify(walk, null, 2)}\n` : renderWalk(walk));
        if (walk.physical === null) setExitCode(1);
        return;
      }
      const { machine } = booted;
      const vaddr = parseModeAddress(vaddrText, machine);
      // RISC-V takes the privilege from the hart's state, not from the access.
      if (machine.mmu instanceof RiscvMmu) machine.mmu.setState({ priv: access.user ? "U" : "S" });
      const walk = machine.mmu.walk(vaddr, access);
      process.stdout.write(flags.json === true ? `${JSON.stringify(modeWalkJson(walk), null, 2)}\n` : renderModeWalk(machine.arch, walk));
      if (walk.physical === null) setExitCode(1);
    });
};
