import type { Geometry } from "../paging/geometry.js";
import { PAGE_SHIFT } from "../paging/geometry.js";

/** A named part of an address space, as page numbers of the mode's `vaBits` space: `[from, to)`. */
export interface Region {
  /** The name a reader knows it by (`Direct map (physmap)`). */
  readonly name: string;
  /** Its first page. */
  readonly from: number;
  /** The page after its last. */
  readonly to: number;
}

type Layout = readonly (readonly [name: string, start: bigint])[];

/**
 * Linux x86-64, 4-level paging (Documentation/arch/x86/x86_64/mm.rst), without KASLR: each
 * region runs to the next one's start.
 */
const LINUX_X86_64: Layout = [
  ["User space", 0n],
  ["Non-canonical hole", 0x0000_8000_0000_0000n],
  ["Kernel space (guard hole, LDT remap)", 0xffff_8000_0000_0000n],
  ["Direct map (physmap)", 0xffff_8880_0000_0000n],
  ["Unused hole", 0xffff_c880_0000_0000n],
  ["vmalloc/ioremap", 0xffff_c900_0000_0000n],
  ["Unused hole", 0xffff_e900_0000_0000n],
  ["vmemmap (struct page array)", 0xffff_ea00_0000_0000n],
  ["Unused hole / KASAN shadow", 0xffff_eb00_0000_0000n],
  ["CPU entry area", 0xffff_fe00_0000_0000n],
  ["ESP fixup stacks", 0xffff_ff00_0000_0000n],
  ["EFI runtime services", 0xffff_ffef_0000_0000n],
  ["Kernel text mapping", 0xffff_ffff_8000_0000n],
  ["Modules", 0xffff_ffff_a000_0000n],
  ["Fixmap", 0xffff_ffff_ff00_0000n],
  ["Legacy vsyscall", 0xffff_ffff_ff60_0000n],
  ["Fixmap top", 0xffff_ffff_ff60_1000n],
];

/** Linux RISC-V Sv39 (Documentation/arch/riscv/vm-layout.rst, Linux 6.x). */
const LINUX_SV39: Layout = [
  ["User space", 0n],
  ["Non-canonical hole", 0x0000_0040_0000_0000n],
  ["Kernel space", 0xffff_ffc0_0000_0000n],
  ["Fixmap", 0xffff_ffc4_fea0_0000n],
  ["PCI I/O", 0xffff_ffc4_ff00_0000n],
  ["vmemmap", 0xffff_ffc5_0000_0000n],
  ["vmalloc/ioremap", 0xffff_ffc6_0000_0000n],
  ["Direct map (linear mapping)", 0xffff_ffd6_0000_0000n],
  ["Unused hole / KASAN shadow", 0xffff_fff6_0000_0000n],
  ["Modules, BPF", 0xffff_ffff_0000_0000n],
  ["Kernel", 0xffff_ffff_8000_0000n],
];

/** The page number (in `g`'s `vaBits` space) of the canonical address `address`. */
function pageOf(address: bigint, g: Geometry): number {
  return Number((address & ((1n << BigInt(g.vaBits)) - 1n)) >> BigInt(PAGE_SHIFT));
}

/**
 * The regions a reader of `g`'s address space expects: Linux's layout for x86-64 and Sv39,
 * the lower (user) and upper (kernel) halves for other 64-bit modes, and for 32-bit modes
 * user space below `kernelBase` and kernel space above it.
 */
export function regionsOf(g: Geometry, kernelBase: bigint): Region[] {
  const top = 2 ** (g.vaBits - PAGE_SHIFT);
  const half = 1n << BigInt(g.vaBits - 1);
  const layout: Layout =
    g.name === "x86-64" ? LINUX_X86_64 : g.name === "riscv-sv39" ? LINUX_SV39 : g.signExtended ? [["User space (lower half)", 0n], ["Kernel space (upper half)", (1n << 64n) - half]] : [["User space", 0n], ["Kernel space", kernelBase]];
  return layout
    .map(([name, start], i) => ({ name, from: pageOf(start, g), to: i + 1 < layout.length ? pageOf(layout[i + 1]?.[1] ?? 0n, g) : top }))
    .filter((r) => r.from < r.to);
}
