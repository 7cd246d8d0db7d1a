import type { ModeName } from "../paging/geometry.js";
import { EM_386, EM_RISCV, EM_X86_64, type ElfImage } from "./elf.js";

/** The ELF class and `e_machine` a paging mode runs. */
export interface ElfTarget {
  /** `EI_CLASS`: 32 or 64. */
  readonly bits: 32 | 64;
  /** `e_machine`. */
  readonly machine: number;
}

/**
 * What each paging mode runs: 32-bit x86 and PAE run ELF32 `EM_386`, the x86-64 modes ELF64
 * `EM_X86_64`, Sv32 ELF32 `EM_RISCV` and Sv39/48/57 ELF64 `EM_RISCV`.
 */
export const ELF_TARGETS: Readonly<Record<ModeName, ElfTarget>> = {
  x86: { bits: 32, machine: EM_386 },
  "x86-pae": { bits: 32, machine: EM_386 },
  "x86-64": { bits: 64, machine: EM_X86_64 },
  "x86-64-la57": { bits: 64, machine: EM_X86_64 },
  "riscv-sv32": { bits: 32, machine: EM_RISCV },
  "riscv-sv39": { bits: 64, machine: EM_RISCV },
  "riscv-sv48": { bits: 64, machine: EM_RISCV },
  "riscv-sv57": { bits: 64, machine: EM_RISCV },
};

const MACHINE_NAMES: ReadonlyMap<number, string> = new Map([
  [EM_386, "EM_386"],
  [EM_X86_64, "EM_X86_64"],
  [EM_RISCV, "EM_RISCV"],
]);

/**
 * Whether a `mode` address space can run an ELF file of `image`'s class and machine.
 *
 * @example
 * runsElf("x86-pae", { bits: 32, machine: EM_386 }); // true
 * runsElf("x86-64", { bits: 32, machine: EM_386 }); // false
 */
export function runsElf(mode: ModeName, image: Pick<ElfImage, "bits" | "machine">): boolean {
  const target = ELF_TARGETS[mode];
  return target.bits === image.bits && target.machine === image.machine;
}

/**
 * The mode kmem loads `image` into when none is chosen: ELF32 `EM_386` → `x86`, ELF64
 * `EM_X86_64` → `x86-64`, ELF32 `EM_RISCV` → `riscv-sv32`, ELF64 `EM_RISCV` → `riscv-sv39`
 * (Linux's default RISC-V user space); `null` for any other class and machine.
 *
 * @example
 * defaultModeOfElf(parseElf(bytes)); // "x86-64" for /bin/ls on an x86-64 Linux
 */
export function defaultModeOfElf(image: Pick<ElfImage, "bits" | "machine">): ModeName | null {
  if (image.machine === EM_386) return image.bits === 32 ? "x86" : null;
  if (image.machine === EM_X86_64) return image.bits === 64 ? "x86-64" : null;
  if (image.machine === EM_RISCV) return image.bits === 32 ? "riscv-sv32" : "riscv-sv39";
  return null;
}

/**
 * Names an ELF class and machine as `readelf` would: `ELF64 EM_X86_64`, or `ELF32 e_machine 40`
 * for a machine kmem does not run.
 *
 * @example
 * describeElfTarget(ELF_TARGETS["riscv-sv32"]); // "ELF32 EM_RISCV"
 */
export function describeElfTarget(target: Pick<ElfImage, "bits" | "machine">): string {
  return `ELF${String(target.bits)} ${MACHINE_NAMES.get(target.machine) ?? `e_machine ${String(target.machine)}`}`;
}
