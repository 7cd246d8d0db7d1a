import type { FrameAllocator } from "../../../src/mapper.js";

/** Frame size the x86 tests use. */
export const FRAME = 4096;

/**
 * A tiny FrameAllocator test double: frames `[base, base + count·4096)`, lowest first,
 * refusing double frees so that leaks and bad frees show up in tests.
 */
export class TestFrames implements FrameAllocator {
  readonly blockSize = FRAME;
  readonly #base: number;
  readonly #used: boolean[];

  constructor(base: number, count: number) {
    this.#base = base;
    this.#used = new Array<boolean>(count).fill(false);
  }

  alloc(): number | null {
    const i = this.#used.indexOf(false);
    if (i < 0) {
      return null;
    }
    this.#used[i] = true;
    return this.#base + i * FRAME;
  }

  free(address: number): void {
    const i = (address - this.#base) / FRAME;
    if (this.#used[i] !== true) {
      throw new Error(`TestFrames: free of ${address.toString(16)}, which is not allocated`);
    }
    this.#used[i] = false;
  }

  /** Frames currently allocated. */
  get inUse(): number {
    return this.#used.filter(Boolean).length;
  }
}

/** One 4 KiB page as the naive walker sees it. */
export interface NaivePage {
  phys: number;
  user: boolean;
  writable: boolean;
  cacheDisable: boolean;
}

/** Reads a little-endian 32-bit word byte by byte, independently of `PhysicalMemory.read32`. */
function word(bytes: Uint8Array, address: number): number {
  const b = (i: number): number => bytes[address + i] ?? 0;
  return b(0) + b(1) * 0x100 + b(2) * 0x10000 + b(3) * 0x1000000;
}

/**
 * An independent two-level walk over raw RAM bytes (arithmetic only, no kmem code):
 * every present 4 KiB page of the directory at `cr3`, keyed by virtual page number, with
 * 4 MiB pages expanded to their 1024 small pages and permissions combined over both levels.
 */
export function naiveWalk(bytes: Uint8Array, cr3: number): Map<number, NaivePage> {
  const pages = new Map<number, NaivePage>();
  const bit = (value: number, n: number): boolean => Math.floor(value / 2 ** n) % 2 === 1;
  for (let pdi = 0; pdi < 1024; pdi++) {
    const pde = word(bytes, cr3 + pdi * 4);
    if (!bit(pde, 0)) {
      continue;
    }
    if (bit(pde, 7)) {
      const base = pde - (pde % 0x400000);
      for (let i = 0; i < 1024; i++) {
        pages.set(pdi * 1024 + i, { phys: base + i * FRAME, user: bit(pde, 2), writable: bit(pde, 1), cacheDisable: bit(pde, 4) });
      }
      continue;
    }
    const table = pde - (pde % FRAME);
    for (let pti = 0; pti < 1024; pti++) {
      const pte = word(bytes, table + pti * 4);
      if (bit(pte, 0)) {
        pages.set(pdi * 1024 + pti, {
          phys: pte - (pte % FRAME),
          user: bit(pde, 2) && bit(pte, 2),
          writable: bit(pde, 1) && bit(pte, 1),
          cacheDisable: bit(pte, 4),
        });
      }
    }
  }
  return pages;
}

/** Every non-zero 32-bit word of `bytes` in `[from, to)` as `[address, value]`, for exact-bytes assertions. */
export function nonZeroWords(bytes: Uint8Array, from: number, to: number): [number, number][] {
  const found: [number, number][] = [];
  for (let address = from; address < to; address += 4) {
    const value = word(bytes, address);
    if (value !== 0) {
      found.push([address, value]);
    }
  }
  return found;
}

/** One cell of the fault matrix: the page, the access, and the outcome under CR0.WP = 1 and 0. */
export interface FaultCell {
  page: "kernel" | "user";
  writable: boolean;
  mode: "supervisor" | "user";
  op: "read" | "write";
  present: boolean;
  /** `"ok"` or the page-fault error code as `#PF 0x…`. */
  wp1: string;
  wp0: string;
}

/** Renders fault-matrix cells as a fixed-width text table (for the closing note). */
export function renderFaultMatrix(cells: readonly FaultCell[]): string {
  const header = ["page", "page R/W", "present", "mode", "access", "CR0.WP=1", "CR0.WP=0"];
  const rows = cells.map((c) => [c.page, c.writable ? "writable" : "read-only", c.present ? "yes" : "no", c.mode, c.op, c.wp1, c.wp0]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cols: string[]): string => `| ${cols.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}
