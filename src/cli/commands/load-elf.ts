import { readFileSync } from "node:fs";
import { parseAddress } from "../../address.js";
import { ElfError } from "../../errors/elf-error.js";
import { ProcessError } from "../../errors/process-error.js";
import { describeValue, hex } from "../../format.js";
import { AddressSpace } from "../../process/address-space.js";
import { ET_DYN, type ElfImage, parseElf } from "../../process/elf.js";
import { defaultModeOfElf, describeElfTarget, ELF_TARGETS, runsElf } from "../../process/elf-modes.js";
import { isWideKernelHalf, type KernelHalf, kernelHalfOf, kernelHalfOfMode, sameType } from "../../process/kernel-half.js";
import { type LoadedElf, loadElf } from "../../process/loader.js";
import { MODE_NAMES, type ModeName } from "../../paging/geometry.js";
import type { Address } from "../../types.js";
import { addArchOption, addMachineOptions, type AnyMachineFlags, bootChosenProfile, type ChosenProfile, parseAddressArgument, readAnyFromFlags } from "../machine-options.js";
import { UsageError } from "../usage-error.js";
import type { RegisterCommand } from "./index.js";

/** The flags of `kmem load-elf`. */
export interface LoadElfFlags extends AnyMachineFlags {
  readonly base?: string;
  readonly lazy?: boolean;
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
 * Loads the ELF file `bytes` into a fresh address space of a booted profile and returns the
 * JSON report and the text. The profile is `--profile` or `--arch`'s; without either, the
 * ELF header picks the mode's built-in one: ELF32 `EM_386` → the default 32-bit x86 PC, ELF64
 * `EM_X86_64` → x86-64, ELF32 `EM_RISCV` → Sv32, ELF64 `EM_RISCV` → Sv39. Everything is
 * checked before the machine boots.
 *
 * @throws UsageError for a bad ELF, a mode that cannot run it (naming both), a bad base, an
 * unreadable or invalid profile, or a file that does not fit the machine.
 * @example
 * const { report } = loadElfReport(readFileSync("/bin/ls"), { arch: "x86-64-la57" });
 * report.arch; // "x86-64-la57"
 */
export function loadElfReport(bytes: Uint8Array, flags: LoadElfFlags): { report: LoadElfReport; text: string } {
  try {
    const image = parseElf(bytes);
    const chosen = chooseProfile(image, flags);
    const base = flags.base === undefined ? undefined : image.bits === 32 ? BigInt(parseAddressArgument(flags.base, "--base")) : parseWideAddress(flags.base);
    const booted = bootChosenProfile(chosen, flags);
    const kernel = booted.kind === "x86" ? kernelHalfOf(booted.machine) : kernelHalfOfMode(booted.machine);
    const options = { base, lazy: flags.lazy === true, pie: image.type === ET_DYN };
    return isWideKernelHalf(kernel) ? loadAndRender(chosen.read.arch, kernel, bytes, options) : loadAndRender(chosen.read.arch, kernel, bytes, options);
  } catch (error) {
    if (error instanceof ElfError || (error instanceof ProcessError && (error.code === "OutOfMemory" || error.code === "InvalidKernelHalf"))) throw new UsageError(error.message);
    throw error;
  }
}

/** The profile the flags name, or the header's default; @throws UsageError when its mode cannot run `image`. */
function chooseProfile(image: ElfImage, flags: LoadElfFlags): ChosenProfile {
  const file = describeElfTarget(image);
  if (flags.arch !== undefined || flags.profile !== undefined) {
    const chosen = readAnyFromFlags(flags);
    const mode = chosen.read.arch;
    if (!runsElf(mode, image)) {
      const named = flags.arch === undefined ? `--profile ${describeValue(flags.profile)} (${mode})` : `--arch ${mode}`;
      throw new UsageError(`${named} cannot run an ${file} file: ${mode} runs ${describeElfTarget(ELF_TARGETS[mode])}${modesFor(image)}`);
    }
    return chosen;
  }
  const mode = defaultModeOfElf(image);
  if (mode === null) {
    throw new UsageError(`kmem load-elf cannot run an ${file} file: it takes ELF32 EM_386, ELF64 EM_X86_64, and ELF32 or ELF64 EM_RISCV`);
  }
  return readAnyFromFlags(mode === "x86" ? {} : { arch: mode });
}

/** `; use --arch A, B` listing the modes that run `image`, or nothing when none does. */
function modesFor(image: ElfImage): string {
  const modes: ModeName[] = MODE_NAMES.filter((mode) => runsElf(mode, image));
  return modes.length === 0 ? "" : `; use --arch ${modes.join(" or ")}`;
}

/** A 64-bit `--base`. @throws UsageError when it is not an address. */
function parseWideAddress(text: string): bigint {
  const parsed = parseAddress(text);
  if (parsed === null) throw new UsageError(`--base ${describeValue(text)} is not an address (use 0x… hex or decimal)`);
  return parsed;
}

interface LoadOptions {
  readonly base: bigint | undefined;
  readonly lazy: boolean;
  readonly pie: boolean;
}

function loadAndRender<A extends Address>(arch: string, kernel: KernelHalf<A>, bytes: Uint8Array, options: LoadOptions): { report: LoadElfReport; text: string } {
  const space = AddressSpace.create(kernel);
  const loaded = loadElf(space, bytes, { lazy: options.lazy, ...(options.base === undefined ? {} : { base: sameType(kernel.userStart, options.base) }) });
  return render(arch, space, loaded, options);
}

function render<A extends Address>(arch: string, space: AddressSpace<A>, loaded: LoadedElf<A>, options: LoadOptions): { report: LoadElfReport; text: string } {
  const all = space.regions();
  const mapped = (r: (typeof all)[number]): boolean => r.paging !== "guard";
  const regions = all.filter(mapped).map((r) => ({
    virtStart: hex(r.virtual.start),
    virtEnd: hex(r.virtual.end),
    user: !r.attrs.kernel,
    writable: r.attrs.writable,
    executable: r.attrs.executable ?? true,
    label: r.label,
  }));
  const lines = [
    `Loaded an ${options.pie ? `ELF PIE at base ${hex(loaded.base)}` : "ELF executable"} into a new ${arch} address space (root table ${hex(space.root)})${options.lazy ? ", demand-paged: no page has a frame until its first touch" : ""}`,
    `Entry:  ${hex(loaded.entry)}`,
    `Stack:  ${hex(loaded.stack.start)}–${hex(loaded.stack.end)} (initial stack pointer ${hex(loaded.stack.end)})`,
    "",
    ...all.map((r) => `${hex(r.virtual.start)}–${hex(r.virtual.end)}  ${mapped(r) ? `${r.attrs.kernel ? "k" : "u"}r${r.attrs.writable ? "w" : "-"}${r.attrs.executable ?? true ? "x" : "-"}` : "----"}  ${r.label}`),
  ];
  return { report: { arch, entry: hex(loaded.entry), regions }, text: `${lines.join("\n")}\n` };
}

/** `kmem load-elf FILE`: load an ELF executable into a new address space and print it. */
export const registerLoadElf: RegisterCommand = (program) => {
  addArchOption(
    addMachineOptions(
      program
        .command("load-elf")
        .description("load an ELF executable (x86, x86-64, RISC-V; static or PIE) into a new address space and print its regions")
        .argument("<FILE>", "the ELF file"),
    ),
  )
    .option("--base <ADDR>", "load address of a PIE (default: two thirds of the user half)")
    .option("--lazy", "demand-page the load: no frame until a page's first touch")
    .option("--json", "print { arch, entry, regions } as JSON (schema: docs/cli.md)")
    .addHelpText(
      "after",
      "\nWithout --profile or --arch the ELF header picks the machine: ELF32 EM_386 the default 32-bit PC, ELF64 EM_X86_64 x86-64, ELF32 EM_RISCV riscv-sv32, ELF64 EM_RISCV riscv-sv39." +
        "\nExit status: 0 loaded, 2 bad input (unreadable or invalid ELF, a mode that cannot run it, bad base, bad profile).",
    )
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
