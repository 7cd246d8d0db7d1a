import { addMachineOptions, bootFromFlags, type MachineFlags, parseAddressArgument } from "../machine-options.js";
import { renderWalk } from "../print/walk.js";
import type { RegisterCommand } from "./index.js";

interface TranslateFlags extends MachineFlags {
  readonly user?: boolean;
  readonly write?: boolean;
  readonly json?: boolean;
}

/** `kmem translate VADDR`: boot, then ask the MMU; exit 1 when the access page-faults. */
export const registerTranslate: RegisterCommand = (program, setExitCode) => {
  addMachineOptions(
    program
      .command("translate")
      .description("boot, then translate a virtual address through the MMU: the physical address and the entries used, or the page fault")
      .argument("<VADDR>", "virtual address, 0x… hex or decimal, below 4 GiB"),
  )
    .option("--user", "access from user mode (default: supervisor)")
    .option("--write", "a write access (default: a read)")
    .option("--json", "print the walk as one JSON object (schema: docs/cli.md)")
    .addHelpText("after", "\nExit status: 0 translated, 1 page fault, 2 bad input.")
    .action((vaddrText: string, flags: TranslateFlags) => {
      const vaddr = parseAddressArgument(vaddrText, "VADDR");
      const { machine } = bootFromFlags(flags);
      const walk = machine.mmu.walk(vaddr, { user: flags.user === true, write: flags.write === true });
      process.stdout.write(flags.json === true ? `${JSON.stringify(walk, null, 2)}\n` : renderWalk(walk));
      if (walk.physical === null) {
        setExitCode(1);
      }
    });
};
