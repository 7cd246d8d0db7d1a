import type { Address, Attributes, Range } from "../types.js";
import type { Backing, Paging } from "./regions.js";

/** One user region of an address space, as `kmem load-elf` prints it. */
export interface SpaceRegion<A extends Address> {
  /** Its pages, end exclusive. */
  readonly virtual: Range<A>;
  /** The rights it is mapped with (`kernel` false). */
  readonly attrs: Attributes;
  /** Pages with a frame now (0 for a guard page; for a demand-paged region, the pages touched and not swapped out). */
  readonly frames: number;
  /** How its pages get frames: at `map`, on first touch, or never (a guard). */
  readonly paging: Paging;
  /** Demand-paged: pages get frames on first touch (`paging === "lazy"`). */
  readonly lazy: boolean;
  /** Its name in listings (`PT_LOAD 0`, `stack`, `stack guard`, …). */
  readonly label: string;
}

/** One user page that has a frame, as {@link AddressSpace.pages} lists it. */
export interface ResidentPage<A extends Address> {
  /** The page's address. */
  readonly vaddr: A;
  /** The physical frame behind it. */
  readonly frame: number;
  /** Whether the page is mapped writable now (false for a copy-on-write page until its write fault). */
  readonly writable: boolean;
  /** Shared after a fork, read-only until a write copies it or takes it over. */
  readonly cow: boolean;
  /** Its region's label. */
  readonly label: string;
}

/** Options of {@link AddressSpace.map}. */
export interface MapOptions<A extends Address> {
  /** Where the region must start (else first fit). */
  readonly at?: A;
  /** A name for listings (default `"anonymous"`). */
  readonly label?: string;
}

/** Options of {@link AddressSpace.reserveLazy}. */
export interface LazyOptions {
  /** A name for listings (default `"anonymous"`). */
  readonly label?: string;
  /** File bytes behind the region (an ELF segment); without, pages are zero-filled. */
  readonly backing?: Backing;
}
