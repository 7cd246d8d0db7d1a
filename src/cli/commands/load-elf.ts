import { readFileSync } from "node:fs";
import { parseAddress } from "../../address.js";
import { boot } from "../../boot/boot.js";
import { ProfileError } from "../../boot/profile-error.js";
import { ElfError } from "../../errors/elf-error.js";
import { hex } from "../../format.js";
import { AddressSpace } from "../../process/address-space.js";
import { EM_386, EM_RISCV, EM_X86_64, ET_DYN, parseElf } from "../../process/elf.js";
import { kernelHalfOf } from "../../process/kernel-half.js";
import { type LoadedElf, loadElf } from "../../process/loader.js";
import { tableMachine } from "../../process/machines.js";
import type { Address } from "../../types.js";
import { readProfileFile } from "../../node/profile-file.js";
import { UsageError } from "../usage-error.js";
import type { RegisterCommand } from "./index.js";

interface LoadElfFlags {
  readonly profile?: string;
  readonly base?: string;
  readonly json?: boolean;
}

/** One region of `kmem load-elf --json`. */
export interface LoadElfRegion {
  readonly virtStart: string;
  readonly virtEnd: string;
  readonly user: boolean;
  readonly writable: boolean;
  readonly executable: boolean;
  readonly label: string;
}

/** The `kmem load-elf --json` object. */
export interface LoadElfReport {
  readonly arch: string;
  readonly entry: string;
  readonly regions: readonly LoadElfRegion[];
}

/**
 * Loads the ELF file `bytes` into a fresh address space of the machine its class and
 * e_machine call for: ELF32 x86 into the 32-bit boot of `profile` (default profile when
 * undefined); ELF64 x86-64 / RISC-V into a minimal x86-64 / Sv39 machine (`tableMachine`),
 * since profiles describe 32-bit machines only. Returns the JSON report and the text.
 *
 * @throws UsageError for a bad ELF, a bad base, a profile given for a 64-bit file, or an unreadable profile.
 */
export function loadElfReport(bytes: Uint8Array, flags: LoadElfFlags): { report: LoadElfReport; text: string } {
  try {
    const image = parseElf(bytes);
    const base = flags.base === undefined ? undefined : parseAddress(flags.base);
    if (base === null) throw new UsageError(`--base ${JSON.stringify(flags.base)} is not an address (use 0x… hex or decimal)`);
    if (image.bits === 32 && image.machine === EM_386) {
      const space = AddressSpace.create(kernelHalfOf(boot(readProfileFile(flags.profile))));
      return render("x86", space, loadElf(space, bytes, base === undefined ? {} : { base: Number(base) }), image.type === ET_DYN);
    }
    if (image.bits === 64 && (image.machine === EM_X86_64 || image.machine === EM_RISCV)) {
      if (flags.profile !== undefined) throw new UsageError(`--profile describes a 32-bit x86 machine; a 64-bit ELF file loads into kmem's minimal ${image.machine === EM_X86_64 ? "x86-64" : "riscv-sv39"} machine (omit --profile)`);
      const mode = image.machine === EM_X86_64 ? "x86-64" : "riscv-sv39";
      const space = AddressSpace.create(tableMachine(mode).kernel);
      return render(mode, space, loadElf(space, bytes, base === undefined ? {} : { base }), image.type === ET_DYN);
    }
    throw new UsageError(`the ELF${String(image.bits)} file is for e_machine ${String(image.machine)}; kmem load-elf takes ELF32 x86 (3), ELF64 x86-64 (62) or ELF64 RISC-V (243)`);
  } catch (error) {
    if (error instanceof ElfError || error instanceof ProfileError) throw new UsageError(error.message);
    throw error;
  }
}

function render<A extends Address>(arch: string, space: AddressSpace<A>, loaded: LoadedElf<A>, pie: boolean): { report: LoadElfReport; text: string } {
  const all = space.regions();
  const regions = all
    .filter((r) => r.frames > 0)
    .map((r) => ({
      virtStart: hex(r.virtual.start),
      virtEnd: hex(r.virtual.end),
      user: !r.attrs.kernel,
      writable: r.attrs.writable,
      executable: r.attrs.executable ?? true,
      label: r.label,
    }));
  const lines = [
    `Loaded an ${pie ? `ELF PIE at base ${hex(loaded.base)}` : "ELF executable"} into a new ${arch} address space (root table ${hex(space.root)})`,
    `Entry:  ${hex(loaded.entry)}`,
    `Stack:  ${hex(loaded.stack.start)}–${hex(loaded.stack.end)} (initial stack pointer ${hex(loaded.stack.end)})`,
    "",
    ...all.map((r) => `${hex(r.virtual.start)}–${hex(r.virtual.end)}  ${r.frames > 0 ? `${r.attrs.kernel ? "k" : "u"}r${r.attrs.writable ? "w" : "-"}${r.attrs.executable ?? true ? "x" : "-"}` : "----"}  ${r.label}`),
  ];
  return { report: { arch, entry: hex(loaded.entry), regions }, text: `${lines.join("\n")}\n` };
}

/** `kmem load-elf FILE`: load an ELF executable into a new address space and print it. */
export const registerLoadElf: RegisterCommand = (program) => {
  program
    .command("load-elf")
    .description("load an ELF executable (x86, x86-64, RISC-V; static or PIE) into a new address space and print its regions")
    .argument("<FILE>", "the ELF file")
    .option("--profile <FILE>", "memory profile JSON for an ELF32 x86 file (default: the built-in 128 MiB PC)")
    .option("--base <ADDR>", "load address of a PIE (default: two thirds of the user half)")
    .option("--json", "print { arch, entry, regions } as JSON (schema: docs/cli.md)")
    .addHelpText("after", "\nExit status: 0 loaded, 2 bad input (unreadable or invalid ELF, bad base).")
    .action((file: string, flags: LoadElfFlags) => {
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(file);
      } catch (error) {
        throw new UsageError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
      }
      const { report, text } = loadElfReport(bytes, flags);
      process.stdout.write(flags.json === true ? `${JSON.stringify(report, null, 2)}\n` : text);
    });
};
