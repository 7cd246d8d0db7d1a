/**
 * Linux's per-order fragmentation figures for a buddy allocator (`mm/vmstat.c`:
 * `fill_contig_page_info`, `__fragmentation_index`, and debugfs's `unusable_index`), from
 * the number of free blocks of each order.
 */

/** The free blocks of one order and Linux's two indices for a request of that order. */
export interface BuddyOrderStats {
  /** The order: blocks of `2^order` base blocks, naturally aligned. */
  readonly order: number;
  /** Free buddy blocks of this order (Linux's `free_area[order].nr_free`). */
  readonly freeBlocks: number;
  /**
   * Linux's `extfrag_index` for a request of this order, in thousandths as debugfs prints it:
   * −1 when such a request would succeed; otherwise from 0 (it fails for lack of memory) to
   * towards 1 (it fails because the free memory is fragmented); 0 when nothing is free.
   */
  readonly extfragIndex: number;
  /** Linux's `unusable_index`: the share of free base blocks in blocks too small for this order (0 when nothing is free). */
  readonly unusableIndex: number;
}

/** Per-order free counts and fragmentation of a buddy allocator. */
export interface BuddyStats {
  /** The largest order (blocks of `2^maxOrder` base blocks). */
  readonly maxOrder: number;
  /** One entry per order `0..maxOrder`. */
  readonly orders: readonly BuddyOrderStats[];
}

/** Thousandths, Linux's fixed-point unit for both indices. */
const MILLI = 1000;

/** Linux's `__fragmentation_index(order)` in thousandths, from `freePerOrder[o]` = free blocks of order o. */
export function extfragIndex(freePerOrder: readonly number[], order: number): number {
  const { total, pages, suitable } = contigInfo(freePerOrder, order);
  if (total === 0) return 0;
  if (suitable > 0) return -MILLI;
  const requested = 2 ** order;
  return MILLI - Math.floor((MILLI + Math.floor((pages * MILLI) / requested)) / total);
}

/** Linux's `unusable_free_index(order)` in thousandths. */
export function unusableIndex(freePerOrder: readonly number[], order: number): number {
  const { pages, suitable } = contigInfo(freePerOrder, order);
  if (pages === 0) return 0;
  return Math.floor(((pages - suitable * 2 ** order) * MILLI) / pages);
}

/** Per-order figures for every order of `freePerOrder`. */
export function buddyStatsOf(freePerOrder: readonly number[]): BuddyStats {
  const orders = freePerOrder.map((freeBlocks, order) => ({
    order,
    freeBlocks,
    extfragIndex: extfragIndex(freePerOrder, order) / MILLI,
    unusableIndex: unusableIndex(freePerOrder, order) / MILLI,
  }));
  return { maxOrder: freePerOrder.length - 1, orders };
}

/** `fill_contig_page_info`: free blocks in all, free base blocks, and free blocks of `order` that the larger ones would give. */
function contigInfo(freePerOrder: readonly number[], order: number): { total: number; pages: number; suitable: number } {
  let total = 0;
  let pages = 0;
  let suitable = 0;
  for (let o = 0; o < freePerOrder.length; o++) {
    const blocks = freePerOrder[o]!;
    total += blocks;
    pages += blocks * 2 ** o;
    if (o >= order) suitable += blocks * 2 ** (o - order);
  }
  return { total, pages, suitable };
}
