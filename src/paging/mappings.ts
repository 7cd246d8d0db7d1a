import type { PhysicalBus } from "../bus.js";
import type { Address } from "../types.js";
import { PAGE_BYTES, PAGE_SHIFT, levelShift, tableEntries } from "./geometry.js";
import type { EntryCodec, EntryWords, LeafAttributes } from "./mode.js";
import { virtualAddressOf } from "./pages.js";

/** One leaf of an address space: a page (or large page) and what it allows. */
export interface PageMapping<A extends Address = Address> extends LeafAttributes {
  /** Virtual start (a sign-extended bigint in 64-bit modes). */
  readonly virt: A;
  /** Physical start. */
  readonly phys: number;
  /** Bytes: 4 KiB or a large page's size. */
  readonly size: number;
  /** The level of the leaf (0 = a 4 KiB page). */
  readonly level: number;
}

/**
 * Every present leaf under `root`, read back from the bus, in address order (page-number
 * order of the mode's space: the lower half, then the upper half). O(entries of the
 * reachable tables). Used for exports, views and QEMU checks.
 */
export function listMappings<A extends Address>(codec: EntryCodec<A>, bus: PhysicalBus, root: number): PageMapping<A>[] {
  const g = codec.geometry;
  const out: PageMapping<A>[] = [];
  const visit = (table: number, level: number, firstPage: number, path: EntryWords[]): void => {
    const spanPages = 2 ** (levelShift(g, level) - PAGE_SHIFT);
    for (let i = 0; i < tableEntries(g, level); i++) {
      const address = table + i * g.entryBytes;
      const lo = bus.read32(address);
      const hi = g.entryBytes === 8 ? bus.read32(address + 4) : 0;
      if (!codec.isPresent(lo, hi)) continue;
      const page = firstPage + i * spanPages;
      if (level === 0 || codec.isLeaf(lo, hi, level)) {
        out.push({
          virt: virtualAddressOf(page, g) as A,
          phys: codec.pageNumber(lo, hi, level) * PAGE_BYTES,
          size: spanPages * PAGE_BYTES,
          level,
          ...codec.leafAttributes(lo, hi, level, path),
        });
      } else {
        visit(codec.pageNumber(lo, hi, level) * PAGE_BYTES, level - 1, page, [...path, { lo, hi }]);
      }
    }
  };
  visit(root, g.levels - 1, 0, []);
  return out;
}
