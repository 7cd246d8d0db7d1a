import { GEOMETRIES } from "../../paging/geometry.js";
import type { EntryCodec, EntryWords, LeafAttributes } from "../../paging/mode.js";
import type { Attributes } from "../../types.js";
import type { RiscvModeName } from "./rules.js";
import { HI_PPN_MASK, LOW_FLAGS_MASK, LOW_PPN_BITS, PPN_SHIFT, PTE_A, PTE_D, PTE_G, PTE_R, PTE_RWX, PTE_U, PTE_V, PTE_W, PTE_X } from "./pte.js";

const PPN_LOW_WEIGHT = 2 ** LOW_PPN_BITS;

/**
 * The RISC-V entry codec of `mode` for {@link TableMapper}: pointers are V alone; leaves
 * V|R, W (`writable`), X (`executable`, default true), U (not `kernel`), G (`global`); A and
 * D clear (QEMU's default hardware updating sets them; with Svade the first access faults).
 * Base RISC-V has no cacheability bit — physical memory attributes decide — so `cachable`
 * is accepted and not encoded (Svpbmt is not modelled). Physical addresses: below 2^34
 * (Sv32) or 2^53 (Sv39/48/57: the spec's 56 bits, limited to exact numbers).
 *
 * @example
 * const mapper = new TableMapper({ codec: riscvCodec("riscv-sv39"), bus: ram, frames: pmm, largePages: true });
 */
export function riscvCodec(mode: "riscv-sv39" | "riscv-sv48" | "riscv-sv57"): EntryCodec<bigint>;
export function riscvCodec(mode: "riscv-sv32"): EntryCodec<number>;
export function riscvCodec(mode: RiscvModeName): EntryCodec<number> | EntryCodec<bigint> {
  const geometry = GEOMETRIES[mode];
  const wide = mode !== "riscv-sv32";
  const bitsPerLevel = wide ? 9 : 10;
  const words = (ppn: number, flags: number, hiFlags: number): EntryWords => ({
    lo: (((ppn % PPN_LOW_WEIGHT) * 2 ** PPN_SHIFT) | flags) >>> 0,
    hi: wide ? (Math.floor(ppn / PPN_LOW_WEIGHT) | hiFlags) >>> 0 : 0,
  });
  const pageNumber = (lo: number, hi: number): number => (lo >>> PPN_SHIFT) + (wide ? (hi & HI_PPN_MASK) * PPN_LOW_WEIGHT : 0);
  const codec: EntryCodec<number> = {
    geometry,
    addressType: "number",
    physicalLimit: wide ? 2 ** 53 : 2 ** 34,
    isPresent: (lo) => (lo & PTE_V) !== 0,
    isLeaf: (lo) => (lo & PTE_RWX) !== 0,
    pageNumber,
    encodeTable: (ppn) => words(ppn, PTE_V, 0),
    encodeLeaf: (ppn, _level, attrs) => words(ppn, leafFlags(attrs), 0),
    splitLeaf: (lo, hi, level, index) => words(pageNumber(lo, hi) + index * 2 ** (bitsPerLevel * (level - 1)), lo & LOW_FLAGS_MASK, hi & ~HI_PPN_MASK),
    leafAttributes: (lo, _hi, _level, path): LeafAttributes => ({
      user: (lo & PTE_U) !== 0,
      writable: (lo & PTE_W) !== 0,
      executable: (lo & PTE_X) !== 0,
      global: (lo & PTE_G) !== 0 || path.some((e) => (e.lo & PTE_G) !== 0),
      cachable: true,
      accessed: (lo & PTE_A) !== 0,
      dirty: (lo & PTE_D) !== 0,
    }),
    unsupported: () => null,
  };
  return wide ? { ...codec, addressType: "bigint" } : codec;
}

function leafFlags(attrs: Attributes): number {
  return PTE_V | PTE_R | (attrs.writable ? PTE_W : 0) | (attrs.executable === false ? 0 : PTE_X) | (attrs.kernel ? 0 : PTE_U) | (attrs.global === true ? PTE_G : 0);
}
