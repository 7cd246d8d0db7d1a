import type { PhysicalMemory } from "../../src/ram.js";

/** A run of pages `[from, to)` (page numbers of the mode's vaBits space) mapped to `ppn…` with an attribute key. */
export interface Extent {
  from: number;
  to: number;
  ppn: number;
  attrs: string;
}

/** How the naive walker reads one family's entries (written from the specs, independent of the codecs). */
export interface NaiveFormat {
  /** Index bits per level, leaf table first. */
  readonly bits: readonly number[];
  readonly entryBytes: 4 | 8;
  present(lo: number, hi: number): boolean;
  leaf(lo: number, hi: number, level: number): boolean;
  /** Page number an entry points at (for a leaf: its first page). */
  ppn(lo: number, hi: number, level: number): number;
  /** The leaf's permission/caching bits as a key string. */
  attrs(lo: number, hi: number): string;
}

const PAGES_PER_HI = 2 ** 20;

/** x86 entries (SDM §4.3–4.5): P bit 0, PS bit 7 at levels 1–2, address bits 12–51, flags R/W, U/S, PCD, G, XD. */
export function x86Format(mode: "x86" | "x86-pae" | "x86-64" | "x86-64-la57"): NaiveFormat {
  const bits = { x86: [10, 10], "x86-pae": [9, 9, 2], "x86-64": [9, 9, 9, 9], "x86-64-la57": [9, 9, 9, 9, 9] }[mode];
  const wide = mode !== "x86";
  return {
    bits,
    entryBytes: wide ? 8 : 4,
    present: (lo) => (lo & 1) === 1,
    leaf: (lo, _hi, level) => level === 0 || ((lo & 0x80) !== 0 && level <= (mode === "x86-64" || mode === "x86-64-la57" ? 2 : 1)),
    ppn: (lo, hi, level) => {
      const large = level > 0 && (lo & 0x80) !== 0;
      const low = Math.floor((lo >>> 0) / 4096);
      const clear = large ? 2 ** (bits.slice(0, level).reduce((a, b) => a + b, 0)) : 1;
      return Math.floor(low / clear) * clear + (hi & 0xfffff) * PAGES_PER_HI;
    },
    attrs: (lo, hi) => `w${(lo >> 1) & 1}u${(lo >> 2) & 1}c${(lo >> 4) & 1}g${(lo >> 8) & 1}x${hi >>> 31}`,
  };
}

/** RISC-V entries (privileged spec §10.3–10.6): V bit 0, a leaf when R, W or X is set, PPN from bit 10. */
export function riscvFormat(levels: 2 | 3 | 4 | 5): NaiveFormat {
  const wide = levels > 2;
  return {
    bits: wide ? new Array<number>(levels).fill(9) : [10, 10],
    entryBytes: wide ? 8 : 4,
    present: (lo) => (lo & 1) === 1,
    leaf: (lo) => (lo & 0b1110) !== 0,
    ppn: (lo, hi) => Math.floor((lo >>> 0) / 1024) + (wide ? (hi & 0x3fffff) * 2 ** 22 : 0),
    attrs: (lo) => `r${(lo >> 1) & 1}w${(lo >> 2) & 1}x${(lo >> 3) & 1}u${(lo >> 4) & 1}g${(lo >> 5) & 1}`,
  };
}

/** Walks every table from `root` by reading RAM word by word; returns the merged extents and the table count. */
export function naiveWalk(ram: PhysicalMemory, root: number, format: NaiveFormat): { extents: Extent[]; tables: number } {
  const extents: Extent[] = [];
  let tables = 0;
  const visit = (table: number, level: number, firstPage: number): void => {
    tables++;
    const span = 2 ** format.bits.slice(0, level).reduce((a, b) => a + b, 0);
    for (let i = 0; i < 2 ** (format.bits[level] ?? 0); i++) {
      const address = table + i * format.entryBytes;
      const lo = ram.read32(address);
      const hi = format.entryBytes === 8 ? ram.read32(address + 4) : 0;
      if (!format.present(lo, hi)) continue;
      const page = firstPage + i * span;
      if (format.leaf(lo, hi, level)) push(extents, { from: page, to: page + span, ppn: format.ppn(lo, hi, level), attrs: format.attrs(lo, hi) });
      else visit(format.ppn(lo, hi, level) * 4096, level - 1, page);
    }
  };
  visit(root, format.bits.length - 1, 0);
  return { extents, tables };
}

/** Appends `e`, merging it into the last extent when virtually and physically contiguous with equal attributes. */
export function push(extents: Extent[], e: Extent): void {
  const last = extents[extents.length - 1];
  if (last !== undefined && last.to === e.from && last.ppn + (last.to - last.from) === e.ppn && last.attrs === e.attrs) last.to = e.to;
  else extents.push({ ...e });
}

/** The model's extents in the same merged, sorted form. */
export function normalise(extents: readonly Extent[]): Extent[] {
  const out: Extent[] = [];
  for (const e of [...extents].sort((a, b) => a.from - b.from)) push(out, e);
  return out;
}
