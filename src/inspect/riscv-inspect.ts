import { PTE_A, PTE_D, PTE_G, PTE_R, PTE_U, PTE_V, PTE_W, PTE_X } from "../arch/riscv/pte.js";
import { type RiscvModeName, RiscvRules } from "../arch/riscv/rules.js";
import { GEOMETRIES } from "../paging/geometry.js";
import type { EntryDetails, InspectMode } from "./inspect-mode.js";

/** Options for {@link riscvInspectMode}. */
export interface RiscvInspectOptions {
  /** Physical-address bits (default: 34 for Sv32, 56 for Sv39/48/57). */
  readonly physicalBits?: number;
  /** Where the kernel half starts (default: the upper half; 0xC0000000 for Sv32). */
  readonly kernelBase?: bigint;
}

const LEVEL_NAMES: Readonly<Record<RiscvModeName, readonly string[]>> = {
  "riscv-sv32": ["pte", "pgd"],
  "riscv-sv39": ["pte", "pmd", "pgd"],
  "riscv-sv48": ["pte", "pmd", "pud", "pgd"],
  "riscv-sv57": ["pte", "pmd", "pud", "p4d", "pgd"],
};

/** Bits Linux's RISC-V ptdump prints, in its order (arch/riscv/mm/ptdump.c `pte_bits`). */
const FLAG_LETTERS: readonly (readonly [number, string])[] = [
  [PTE_D, "D"],
  [PTE_A, "A"],
  [PTE_G, "G"],
  [PTE_U, "U"],
  [PTE_X, "X"],
  [PTE_W, "W"],
  [PTE_R, "R"],
  [PTE_V, "V"],
];

/**
 * The RISC-V view of `mode` for `kmem inspect`: QEMU's walk rules (without SUM or MXR, so
 * rights are the leaf's own: U pages are user pages), and Linux ptdump's `D A G U X W R V`
 * columns.
 */
export function riscvInspectMode(mode: RiscvModeName, options: RiscvInspectOptions = {}): InspectMode {
  const geometry = GEOMETRIES[mode];
  const rules = new RiscvRules({ mode, sum: false, mxr: false, hardwareAccessedDirty: true });
  const names = LEVEL_NAMES[mode];
  const wide = mode !== "riscv-sv32";
  const set = (lo: number, bit: number): boolean => (lo & bit) !== 0;
  return {
    name: mode,
    geometry,
    rules,
    physicalBits: options.physicalBits ?? (wide ? 56 : 34),
    noExecute: true,
    kernelBase: options.kernelBase ?? (wide ? (1n << 64n) - (1n << BigInt(geometry.vaBits - 1)) : 0xc000_0000n),
    present: (lo) => set(lo, PTE_V),
    levelName: (level) => names[level] ?? `level${String(level)}`,
    flagText: (lo) => FLAG_LETTERS.map(([bit, letter]) => (set(lo, bit) ? letter : ".")).join(" "),
    describeEntry: (lo, _hi, _level, leaf) =>
      leaf
        ? [
            "valid",
            set(lo, PTE_R) ? "readable" : "",
            set(lo, PTE_W) ? "writable" : "",
            set(lo, PTE_X) ? "executable" : "",
            set(lo, PTE_U) ? "user" : "supervisor",
            set(lo, PTE_G) ? "global" : "",
            set(lo, PTE_A) ? "accessed" : "",
            set(lo, PTE_D) ? "dirty" : "",
          ]
            .filter((w) => w !== "")
            .join(" ")
        : `valid pointer${set(lo, PTE_G) ? " global" : ""}`,
    details: (lo): EntryDetails => ({ readable: set(lo, PTE_R), accessed: set(lo, PTE_A), dirty: set(lo, PTE_D) }),
  };
}
