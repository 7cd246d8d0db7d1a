import { ADDRESS_LIMIT, LARGE_RESERVED_MASK, PAGE_SIZE } from "../../arch/x86/entry.js";
import type { X86Mapping } from "../../arch/x86/mappings.js";
import { hex } from "../../format.js";
import type { MemRange, TlbLine } from "./monitor-text.js";

/** How many differing pages a diff lists before summarising the rest. */
const DEFAULT_DIFF_LIMIT = 20;

/**
 * One present page as kmem lists it (`X86Paging.mappings`, less the accessed/dirty bits that
 * the guest's own accesses change): rights combine both levels; the cache bits and G are the
 * leaf entry's. A mapping larger than 4 KiB that is not `large` stands for a run of 4 KiB
 * pages with consecutive frames.
 */
export type PageMapping = Omit<X86Mapping, "accessed" | "dirty">;

/** The attributes both sides are compared on, for one page. */
export interface ComparedPage {
  /** The page's virtual address. */
  readonly virt: number;
  /** Its frame's physical address. */
  readonly phys: number;
  /** A 4 MiB page (else 4 KiB). */
  readonly large: boolean;
  /** User mode may access it (both levels combined). */
  readonly user: boolean;
  /** It may be written (both levels combined). */
  readonly writable: boolean;
  /** PWT of the leaf entry. */
  readonly writeThrough: boolean;
  /** PCD of the leaf entry. */
  readonly cacheDisable: boolean;
  /** G of the leaf entry. */
  readonly global: boolean;
}

/** A page present on one side only, or with different attributes. */
export interface PageDifference {
  /** The page's virtual address. */
  readonly virt: number;
  /** kmem's page, or `null` when only QEMU maps `virt`. */
  readonly kmem: ComparedPage | null;
  /** QEMU's page, or `null` when only kmem maps `virt`. */
  readonly qemu: ComparedPage | null;
}

/** The outcome of a comparison. */
export interface Comparison {
  /** Pages (4 KiB or 4 MiB) present on either side. */
  readonly pagesCompared: number;
  /** Of those, 4 MiB pages. */
  readonly largePages: number;
  /** Every difference, in virtual address order. */
  readonly differences: readonly PageDifference[];
}

/** Splits kmem's mappings into one record per page (4 MiB pages stay whole). */
export function kmemPages(mappings: Iterable<PageMapping>): ComparedPage[] {
  const pages: ComparedPage[] = [];
  for (const m of mappings) {
    const step = m.large ? m.size : PAGE_SIZE;
    for (let offset = 0; offset < m.size; offset += step) {
      pages.push({
        virt: m.virt + offset,
        phys: m.phys + offset,
        large: m.large,
        user: m.user,
        writable: m.writable,
        writeThrough: m.writeThrough,
        cacheDisable: m.cacheDisable,
        global: m.global,
      });
    }
  }
  return pages;
}

/**
 * kmem's pages as QEMU's `info tlb` can show them: it prints bits 21–31 of a 4 MiB PDE only
 * (v7.2 target/i386/monitor.c, `tlb_info_32`: `pde & ~((1 << 21) - 1)`), so the bits 32–39 a
 * PSE-36 PDE gives its frame are dropped here too; the probes check the full address.
 *
 * @example
 * asQemuMonitorShows(kmemPages(mappings)); // a 4 MiB page at 0x1_0040_0000 becomes 0x00400000
 */
export function asQemuMonitorShows(pages: readonly ComparedPage[]): ComparedPage[] {
  return pages.map((page) => (page.large && page.phys >= ADDRESS_LIMIT ? { ...page, phys: page.phys % ADDRESS_LIMIT } : page));
}

/**
 * Joins QEMU's `info tlb` pages (leaf bits) with `info mem` ranges (effective rights, both levels).
 * A page that `info mem` does not cover gets no rights (that itself shows up as a difference).
 * A 4 MiB line whose frame has bit 21 set is a PDE with its reserved bit set, which the monitor
 * prints but the CPU faults on (RSVD): it maps nothing, as kmem's list says, and is left out.
 */
export function qemuPages(tlb: readonly TlbLine[], mem: readonly MemRange[]): ComparedPage[] {
  const ranges = [...mem].sort((a, b) => a.start - b.start);
  let cursor = 0;
  return [...tlb]
    .filter((line) => !(line.large && (line.phys & LARGE_RESERVED_MASK) !== 0))
    .sort((a, b) => a.virt - b.virt)
    .map((line) => {
      while (cursor < ranges.length && (ranges[cursor]?.end ?? 0) <= line.virt) cursor++;
      const range = ranges[cursor];
      const covered = range !== undefined && range.start <= line.virt;
      return {
        virt: line.virt,
        phys: line.phys,
        large: line.large,
        user: covered && range.user,
        writable: covered && range.writable,
        writeThrough: line.writeThrough,
        cacheDisable: line.cacheDisable,
        global: line.global,
      };
    });
}

function samePage(a: ComparedPage, b: ComparedPage): boolean {
  return (
    a.phys === b.phys &&
    a.large === b.large &&
    a.user === b.user &&
    a.writable === b.writable &&
    a.writeThrough === b.writeThrough &&
    a.cacheDisable === b.cacheDisable &&
    a.global === b.global
  );
}

/**
 * Compares two page lists by virtual address: every page present on either side counts once.
 * O(n log n) in the number of pages.
 *
 * @example
 * const result = comparePages(kmemPages(paging.mappings(cr3)), qemuPages(tlb, mem));
 * result.differences.length === 0; // identical
 */
export function comparePages(kmem: readonly ComparedPage[], qemu: readonly ComparedPage[]): Comparison {
  const byVirt = new Map<number, { kmem: ComparedPage | null; qemu: ComparedPage | null }>();
  for (const page of kmem) byVirt.set(page.virt, { kmem: page, qemu: null });
  for (const page of qemu) {
    const entry = byVirt.get(page.virt);
    if (entry === undefined) byVirt.set(page.virt, { kmem: null, qemu: page });
    else entry.qemu = page;
  }
  const differences: PageDifference[] = [];
  let largePages = 0;
  for (const [virt, pair] of [...byVirt.entries()].sort((a, b) => a[0] - b[0])) {
    if ((pair.kmem ?? pair.qemu)?.large === true) largePages++;
    if (pair.kmem === null || pair.qemu === null || !samePage(pair.kmem, pair.qemu)) {
      differences.push({ virt, kmem: pair.kmem, qemu: pair.qemu });
    }
  }
  return { pagesCompared: byVirt.size, largePages, differences };
}

/** One page as `0x00100000 4K k w- cache` style text: frame, size, user/kernel, rights, cache bits, G. */
export function describePage(page: ComparedPage): string {
  const bits = [
    page.large ? "4M" : "4K",
    page.user ? "user" : "kernel",
    page.writable ? "rw" : "ro",
    page.cacheDisable ? "PCD" : "cached",
    page.writeThrough ? "PWT" : "WB",
    page.global ? "G" : "-",
  ];
  return `${hex(page.phys)} ${bits.join(" ")}`;
}

/**
 * Formats differences as lines `virt: kmem … | qemu …`, at most `limit` of them, then a count of the rest.
 *
 * @example
 * formatDifferences(result.differences);
 * // "0xC0001000: kmem 0x00101000 4K kernel ro cached WB - | qemu 0x00101000 4K kernel rw cached WB -"
 */
export function formatDifferences(differences: readonly PageDifference[], limit = DEFAULT_DIFF_LIMIT): string {
  const lines = differences.slice(0, limit).map((d) => {
    const kmem = d.kmem === null ? "(not mapped)" : describePage(d.kmem);
    const qemu = d.qemu === null ? "(not mapped)" : describePage(d.qemu);
    return `${hex(d.virt)}: kmem ${kmem} | qemu ${qemu}`;
  });
  if (differences.length > limit) lines.push(`… and ${differences.length - limit} more differing pages`);
  return lines.join("\n");
}
