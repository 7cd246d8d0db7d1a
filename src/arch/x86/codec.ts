import { TWO_32 } from "../../paging/address.js";
import { GEOMETRIES } from "../../paging/geometry.js";
import type { EntryCodec, EntryWords, LeafAttributes } from "../../paging/mode.js";
import type { Attributes } from "../../types.js";
import { PDE_PAGE_SIZE, PTE_ACCESSED, PTE_CACHE_DISABLE, PTE_DIRTY, PTE_GLOBAL, PTE_PAT, PTE_PRESENT, PTE_USER, PTE_WRITABLE } from "./entry.js";
import { HI_ADDRESS_MASK, HI_NX, LO_LARGE_PAT, MAX_PHYSICAL_BITS } from "./entry64.js";
import type { X86ModeName } from "./rules.js";

/** Options for the x86 codecs. */
export interface X86CodecOptions {
  /**
   * The tables will be walked with EFER.NXE = 1, so `executable: false` sets XD (bit 63).
   * Default true for PAE and long mode; 32-bit entries have no XD bit. Without NX, a
   * mapping with `executable: false` is refused (`InvalidAttributes`), never silently executable.
   */
  readonly nx?: boolean;
}

const PAGES_PER_HI = TWO_32 / 4096;
const PAE_ROOT_LEVEL = 2;
/** Low-word flag bits a split large page hands to its pieces (everything but the frame, PS and the large PAT bit). */
const SPLIT_FLAGS = 0xfff & ~PDE_PAGE_SIZE;

/**
 * The x86 entry codec of `mode` for {@link TableMapper}: table entries P|R/W|U/S (a PAE
 * PDPTE: P only, its other low bits being reserved); leaves P, R/W (`writable`), U/S (not
 * `kernel`), PCD (not `cachable`), G (`global`), PS above level 0, XD (not `executable`,
 * with `nx`); A and D clear. Physical addresses: below 2^32 for 32-bit paging (the codec
 * writes no PSE-36 pages), below 2^52 otherwise.
 *
 * @example
 * const mapper = new TableMapper({ codec: x86Codec("x86-64"), bus: ram, frames: pmm });
 */
export function x86Codec(mode: "x86-64" | "x86-64-la57", options?: X86CodecOptions): EntryCodec<bigint>;
export function x86Codec(mode: "x86" | "x86-pae", options?: X86CodecOptions): EntryCodec<number>;
export function x86Codec(mode: X86ModeName, options: X86CodecOptions = {}): EntryCodec<number> | EntryCodec<bigint> {
  const geometry = GEOMETRIES[mode];
  const wide = mode !== "x86";
  const nx = wide && (options.nx ?? true);
  const words = (ppn: number, flags: number, hiFlags: number): EntryWords => ({
    lo: (((ppn % PAGES_PER_HI) * 4096) | flags) >>> 0,
    hi: wide ? (Math.floor(ppn / PAGES_PER_HI) | hiFlags) >>> 0 : 0,
  });
  const codec: EntryCodec<number> = {
    geometry,
    addressType: "number",
    physicalLimit: wide ? 2 ** MAX_PHYSICAL_BITS : TWO_32,
    isPresent: (lo) => (lo & PTE_PRESENT) !== 0,
    isLeaf: (lo, _hi, level) => level === 0 || ((geometry.largeLevels & (1 << level)) !== 0 && (lo & PDE_PAGE_SIZE) !== 0),
    pageNumber: (lo, hi, level) => {
      const isLarge = level > 0 && (lo & PDE_PAGE_SIZE) !== 0;
      const low = isLarge ? (lo & ~(2 ** (12 + (wide ? 9 : 10) * level) - 1)) >>> 0 : (lo & 0xfffff000) >>> 0;
      return low / 4096 + (hi & HI_ADDRESS_MASK) * PAGES_PER_HI;
    },
    encodeTable: (ppn, level) => words(ppn, mode === "x86-pae" && level === PAE_ROOT_LEVEL ? PTE_PRESENT : PTE_PRESENT | PTE_WRITABLE | PTE_USER, 0),
    encodeLeaf: (ppn, level, attrs) => words(ppn, leafFlags(attrs) | (level > 0 ? PDE_PAGE_SIZE : 0), nx && attrs.executable === false ? HI_NX : 0),
    splitLeaf: (lo, hi, level, index) => {
      const childPages = 2 ** ((wide ? 9 : 10) * (level - 1));
      const base = codec.pageNumber(lo, hi, level) + index * childPages;
      const pat = (lo & LO_LARGE_PAT) !== 0;
      const flags = (lo & SPLIT_FLAGS) | (level - 1 === 0 ? (pat ? PTE_PAT : 0) : PDE_PAGE_SIZE | (pat ? LO_LARGE_PAT : 0));
      return words(base, flags, hi & ~HI_ADDRESS_MASK);
    },
    leafAttributes: (lo, hi, _level, path): LeafAttributes => {
      const tables = path.filter((_, i) => !(mode === "x86-pae" && i === 0));
      const all = (bit: number): boolean => (lo & bit) !== 0 && tables.every((e) => (e.lo & bit) !== 0);
      return {
        user: all(PTE_USER),
        writable: all(PTE_WRITABLE),
        executable: (hi & HI_NX) === 0 && tables.every((e) => (e.hi & HI_NX) === 0),
        global: (lo & PTE_GLOBAL) !== 0,
        cachable: (lo & PTE_CACHE_DISABLE) === 0,
        accessed: (lo & PTE_ACCESSED) !== 0,
        dirty: (lo & PTE_DIRTY) !== 0,
      };
    },
    unsupported: (attrs) =>
      attrs.executable === false && !nx
        ? wide
          ? "executable: false needs XD, and this codec was made without nx (EFER.NXE = 0)"
          : "executable: false cannot be expressed in 32-bit x86 entries (no XD bit)"
        : null,
  };
  return geometry.signExtended ? { ...codec, addressType: "bigint" } : codec;
}

function leafFlags(attrs: Attributes): number {
  return PTE_PRESENT | (attrs.writable ? PTE_WRITABLE : 0) | (attrs.kernel ? 0 : PTE_USER) | (attrs.cachable ? 0 : PTE_CACHE_DISABLE) | (attrs.global === true ? PTE_GLOBAL : 0);
}
