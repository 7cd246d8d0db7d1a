import { PTE_ACCESSED, PTE_PRESENT, PTE_CACHE_DISABLE, PTE_DIRTY, PTE_GLOBAL, PTE_PAT, PTE_USER, PTE_WRITABLE, PTE_WRITE_THROUGH } from "../arch/x86/entry.js";
import { HI_NX, LO_LARGE_PAT, MAX_PHYSICAL_BITS } from "../arch/x86/entry64.js";
import { type X86ModeName, X86Rules } from "../arch/x86/rules.js";
import { GEOMETRIES } from "../paging/geometry.js";
import type { EntryDetails, InspectMode } from "./inspect-mode.js";

/** The x86 control bits `kmem inspect` needs beyond the mode. */
export interface X86InspectOptions {
  /** CR4.PSE: 4 MiB pages in 32-bit paging (default true). */
  readonly pse?: boolean;
  /** EFER.NXE: XD is honoured (default true in PAE and long mode; QEMU's core note carries no EFER). */
  readonly nxe?: boolean;
  /** MAXPHYADDR (default 52). */
  readonly physicalBits?: number;
  /** Where the kernel half starts (default: 0xC0000000 for 32-bit modes, the upper half in long mode). */
  readonly kernelBase?: bigint;
}

const LEVEL_NAMES: Readonly<Record<X86ModeName, readonly string[]>> = {
  x86: ["pte", "pde"],
  "x86-pae": ["pte", "pmd", "pdpte"],
  "x86-64": ["pte", "pmd", "pud", "pgd"],
  "x86-64-la57": ["pte", "pmd", "pud", "p4d", "pgd"],
};

/** Linux's i386 PAGE_OFFSET (3G/1G split). */
const I386_PAGE_OFFSET = 0xc000_0000n;

/**
 * The x86 view of `mode` for `kmem inspect`: rules with CR0.WP and CR4.PGE on (every
 * permission and G bit counts), NXE as given, and Linux ptdump's flag columns
 * (arch/x86/mm/dump_pagetables.c `printk_prot`: USR, RW/ro, PWT, PCD, PSE, PAT, GLB, NX/x).
 */
export function x86InspectMode(mode: X86ModeName, options: X86InspectOptions = {}): InspectMode {
  const wide = mode !== "x86";
  const nxe = wide && (options.nxe ?? true);
  const geometry = GEOMETRIES[mode];
  const rules = new X86Rules({ mode, wp: true, nxe, pge: true, pse: options.pse ?? true, physicalBits: MAX_PHYSICAL_BITS });
  const pat = (lo: number, level: number): boolean => (lo & (level === 0 ? PTE_PAT : LO_LARGE_PAT)) !== 0;
  const names = LEVEL_NAMES[mode];
  return {
    name: mode,
    geometry,
    rules,
    physicalBits: options.physicalBits ?? MAX_PHYSICAL_BITS,
    noExecute: nxe,
    kernelBase: options.kernelBase ?? (geometry.signExtended ? (1n << 64n) - (1n << BigInt(geometry.vaBits - 1)) : I386_PAGE_OFFSET),
    present: (lo) => (lo & PTE_PRESENT) !== 0,
    levelName: (level) => names[level] ?? `level${String(level)}`,
    flagText: (lo, hi, level) =>
      [
        (lo & PTE_USER) !== 0 ? "USR" : "   ",
        (lo & PTE_WRITABLE) !== 0 ? "RW" : "ro",
        (lo & PTE_WRITE_THROUGH) !== 0 ? "PWT" : "   ",
        (lo & PTE_CACHE_DISABLE) !== 0 ? "PCD" : "   ",
        level > 0 ? "PSE" : "   ",
        pat(lo, level) ? "PAT" : "   ",
        (lo & PTE_GLOBAL) !== 0 ? "GLB" : "   ",
        wide && (hi & HI_NX) !== 0 ? "NX" : "x ",
      ].join(" "),
    describeEntry: (lo, hi, level, leaf) => {
      const words = [
        "present",
        (lo & PTE_WRITABLE) !== 0 ? "writable" : "read-only",
        (lo & PTE_USER) !== 0 ? "user" : "supervisor",
        (lo & PTE_WRITE_THROUGH) !== 0 ? "write-through" : "",
        (lo & PTE_CACHE_DISABLE) !== 0 ? "cache-disabled" : "",
        (lo & PTE_ACCESSED) !== 0 ? "accessed" : "",
        leaf && (lo & PTE_DIRTY) !== 0 ? "dirty" : "",
        leaf && level > 0 ? "large-page" : "",
        leaf && pat(lo, level) ? "pat" : "",
        leaf && (lo & PTE_GLOBAL) !== 0 ? "global" : "",
        wide && (hi & HI_NX) !== 0 ? "no-execute" : "",
      ];
      return words.filter((w) => w !== "").join(" ");
    },
    details: (lo, _hi, level): EntryDetails => ({
      accessed: (lo & PTE_ACCESSED) !== 0,
      dirty: (lo & PTE_DIRTY) !== 0,
      pwt: (lo & PTE_WRITE_THROUGH) !== 0,
      pcd: (lo & PTE_CACHE_DISABLE) !== 0,
      pat: pat(lo, level),
    }),
  };
}

