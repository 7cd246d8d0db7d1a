import { PAGE_BYTES } from "../paging/geometry.js";
import type { Attributes } from "../types.js";

/** File bytes behind a region: `data[0]` belongs `at` bytes after the region's start; the rest is zero. */
export interface Backing {
  /** The file bytes. */
  readonly data: Uint8Array;
  /** Offset of `data[0]` from the region's start, in bytes. */
  readonly at: number;
}

/**
 * How a region's pages get frames: `eager` ones when the region is made (`map`), `lazy` ones
 * on first touch (demand paging), `guard` ones never (every access is a segfault).
 */
export type Paging = "eager" | "lazy" | "guard";

/** One user region of an address space. Pages are page numbers (address / 4096). */
export interface UserRegion {
  /** First page. */
  readonly startPage: number;
  /** End page, exclusive. */
  readonly endPage: number;
  /** The rights its pages get (`kernel` false). */
  readonly attrs: Attributes;
  /** File-backed (an ELF segment), or null: anonymous, zero-filled. */
  readonly backing: Backing | null;
  /** How its pages get frames. */
  readonly paging: Paging;
  /** Its name in listings (`PT_LOAD 0`, `stack`, `heap`, …). */
  readonly label: string;
}

/** What replaces part of a region: its pages and rights (`paging` and `label` are the region's unless given). */
export interface RegionPiece {
  /** First page. */
  readonly startPage: number;
  /** End page, exclusive. */
  readonly endPage: number;
  /** The piece's rights. */
  readonly attrs: Attributes;
  /** The piece's paging (default: the region's). */
  readonly paging?: Paging;
}

/**
 * The user regions of one address space, disjoint, kept sorted by start page: O(log n) to
 * find the region holding a page, O(n) to add or remove one (n regions, a few dozen in a
 * real process).
 */
export class RegionList {
  readonly #byStart = new Map<number, UserRegion>();
  /** Start pages, ascending. */
  #starts: number[] = [];

  /** Number of regions. */
  get size(): number {
    return this.#starts.length;
  }

  /** Adds a region (the caller checked it overlaps none). */
  add(region: UserRegion): void {
    const at = this.#firstAbove(region.startPage);
    this.#starts.splice(at, 0, region.startPage);
    this.#byStart.set(region.startPage, region);
  }

  /** Removes the region starting at `startPage`; returns it. */
  remove(startPage: number): UserRegion | undefined {
    const region = this.#byStart.get(startPage);
    if (region === undefined) return undefined;
    this.#byStart.delete(startPage);
    this.#starts.splice(this.#firstAbove(startPage) - 1, 1);
    return region;
  }

  /** The region starting at `startPage`. */
  startingAt(startPage: number): UserRegion | undefined {
    return this.#byStart.get(startPage);
  }

  /** The region holding `page`. O(log n). */
  holding(page: number): UserRegion | undefined {
    const start = this.#starts[this.#firstAbove(page) - 1];
    const region = start === undefined ? undefined : this.#byStart.get(start);
    return region !== undefined && page < region.endPage ? region : undefined;
  }

  /**
   * The regions covering `[fromPage, toPage)` in order, or null when a page of it is in none
   * (a hole). O(log n + regions returned).
   */
  covering(fromPage: number, toPage: number): UserRegion[] | null {
    const out: UserRegion[] = [];
    let page = fromPage;
    while (page < toPage) {
      const region = this.holding(page);
      if (region === undefined) return null;
      out.push(region);
      page = region.endPage;
    }
    return out;
  }

  /**
   * Replaces `old` by `pieces` (consecutive sub-ranges of it, each with its own rights); file
   * backing is carried over at the same addresses, and the label.
   */
  split(old: UserRegion, pieces: readonly RegionPiece[]): UserRegion[] {
    this.remove(old.startPage);
    const made: UserRegion[] = [];
    for (const piece of pieces) {
      const shift = (piece.startPage - old.startPage) * PAGE_BYTES;
      const backing = old.backing === null ? null : { data: old.backing.data, at: old.backing.at - shift };
      const region: UserRegion = { startPage: piece.startPage, endPage: piece.endPage, attrs: piece.attrs, backing, paging: piece.paging ?? old.paging, label: old.label };
      this.add(region);
      made.push(region);
    }
    return made;
  }

  /** Every region in address order. */
  all(): UserRegion[] {
    return this.#starts.map((start) => this.#byStart.get(start) as UserRegion);
  }

  /** Index of the first start page above `page`. */
  #firstAbove(page: number): number {
    let lo = 0;
    let hi = this.#starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#starts[mid] ?? 0) <= page) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * The pieces `region` becomes when `[fromPage, toPage)` (which may reach past it) gets
 * `middle`'s rights and paging, or is cut out when `middle` is null: up to three, empty ones left out.
 */
export function piecesAround(region: UserRegion, fromPage: number, toPage: number, middle: Pick<RegionPiece, "attrs" | "paging"> | null): RegionPiece[] {
  const lo = Math.max(fromPage, region.startPage);
  const hi = Math.min(toPage, region.endPage);
  const pieces: RegionPiece[] = [
    { startPage: region.startPage, endPage: lo, attrs: region.attrs },
    ...(middle === null ? [] : [{ startPage: lo, endPage: hi, ...middle }]),
    { startPage: hi, endPage: region.endPage, attrs: region.attrs },
  ];
  return pieces.filter((p) => p.endPage > p.startPage);
}
