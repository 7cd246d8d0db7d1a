import { PAGE_SIZE } from "../../arch/x86/entry.js";
import type { Machine } from "../../boot/boot.js";
import type { PlannedMapping } from "../../boot/layout.js";
import type { PageMapping } from "./compare.js";

/** The planned mapping holding `virt` among mappings sorted by start and disjoint, or `undefined`. O(log n). */
function plannedAt(planned: readonly PlannedMapping[], virt: number): PlannedMapping | undefined {
  let low = 0;
  let high = planned.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((planned[middle]?.virtual.end ?? 0) <= virt) low = middle + 1;
    else high = middle;
  }
  const found = planned[low];
  return found !== undefined && found.virtual.start <= virt ? found : undefined;
}

/** The page the profile asks for at `virt` inside `mapping` (which maps physical pages). */
function profilePage(mapping: PlannedMapping, virt: number, base: Omit<PageMapping, "virt" | "phys" | "user" | "writable" | "cacheDisable">): PageMapping {
  const { attrs } = mapping;
  return {
    ...base,
    virt,
    phys: (mapping.physical?.start ?? 0) + (virt - mapping.virtual.start),
    user: !attrs.kernel,
    writable: attrs.writable,
    cacheDisable: !attrs.cachable,
  };
}

/**
 * The pages QEMU should see for a booted machine: where the profile maps a region, the physical
 * address and the U/S, R/W and PCD bits come from the profile (its boot layout: a reservation's
 * `user`, `writable`, `cachable`), not from the tables, and every page the profile maps is
 * listed even when the tables lack it; elsewhere (allocations made after boot) kmem's tables
 * are the expectation. So a table entry boot wrote wrong differs from QEMU instead of agreeing
 * with it. The page size, PWT and G come from the tables. O(pages + mappings log mappings).
 *
 * @example
 * const result = await checkWithQemu({ ...input, expected: expectedPages(machine) });
 */
export function expectedPages(machine: Machine): PageMapping[] {
  const planned = machine.layout.mappings.filter((m) => m.physical !== null).sort((a, b) => a.virtual.start - b.virtual.start);
  const pages: PageMapping[] = [];
  const listed = new Set<number>();
  for (const { accessed: _accessed, dirty: _dirty, ...page } of machine.paging.mappings(machine.cr3)) {
    for (let offset = 0; offset < page.size; offset += PAGE_SIZE) listed.add(page.virt + offset);
    const mapping = plannedAt(planned, page.virt);
    pages.push(mapping === undefined ? page : profilePage(mapping, page.virt, page));
  }
  const missingBase = { size: PAGE_SIZE, large: false, writeThrough: false, global: false };
  for (const mapping of planned) {
    for (let virt = mapping.virtual.start; virt < mapping.virtual.end; virt += PAGE_SIZE) {
      if (!listed.has(virt)) pages.push(profilePage(mapping, virt, missingBase));
    }
  }
  return pages.sort((a, b) => a.virt - b.virt);
}
