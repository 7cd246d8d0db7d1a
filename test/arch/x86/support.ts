import assert from "node:assert/strict";
import { PTE_PRESENT, pdIndex, ptIndex } from "../../../src/arch/x86/entry.js";
import type { Access } from "../../../src/arch/x86/access.js";
import { Mmu } from "../../../src/arch/x86/mmu.js";
import { PageFault } from "../../../src/arch/x86/page-fault.js";
import { X86Paging } from "../../../src/arch/x86/paging.js";
import type { FrameAllocator } from "../../../src/mapper.js";
import { PhysicalMemory } from "../../../src/ram.js";

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

/** A fault-matrix row: page kind, page writable, present, access mode, access → expected under WP=1, WP=0. */
export type FaultRow = [FaultCell["page"], boolean, boolean, FaultCell["mode"], FaultCell["op"], string, string];

/** The outcome of one access as `"ok"` or `#PF 0x…`, checking `translate` and `tryTranslate` agree and CR2 is right. */
export function outcome(mmu: Mmu, vaddr: number, access: Access): string {
  const fast = mmu.tryTranslate(vaddr, access);
  try {
    const physical = mmu.translate(vaddr, access);
    assert.equal(fast, physical, "tryTranslate agrees with translate");
    return "ok";
  } catch (error) {
    assert.ok(error instanceof PageFault, `a PageFault, got ${String(error)}`);
    assert.equal(error.address, vaddr, "CR2 is the faulting address");
    assert.equal(fast, -1 - error.errorCode, "tryTranslate encodes the same error code");
    return `#PF 0x${error.errorCode.toString(16).toUpperCase()}`;
  }
}


const CELL_BASE = 0x00400000;
const CELL_OFFSET = 0x123;

/**
 * Runs the fault matrix on a fresh machine per CR0.WP setting: each row gets its own page
 * (a not-present row keeps its U/W bits with P cleared, like a swapped-out page). `passes`
 * repeats the whole matrix on one MMU so later passes run against a warm TLB.
 */
export function runFaultMatrix(rows: readonly FaultRow[], tlbEntries: number, passes: number): FaultCell[] {
  const results: string[][] = rows.map(() => []);
  for (const wp of [true, false]) {
    const ram = new PhysicalMemory(8 * 1024 * 1024);
    const paging = new X86Paging({ ram, frames: new TestFrames(0x00100000, 8) });
    const dir = paging.createDirectory();
    const mmu = new Mmu({ ram, cr3: dir, tlbEntries, wp });
    const pteAddress = (vaddr: number): number => (ram.read32(dir + pdIndex(vaddr) * 4) & ~0xfff) + ptIndex(vaddr) * 4;
    rows.forEach(([page, writable, present], i) => {
      const vaddr = CELL_BASE + i * 0x1000;
      paging.map(vaddr, vaddr + 0x1000, 0x00200000 + i * 0x1000, 0x00201000 + i * 0x1000, { kernel: page === "kernel", writable, cachable: true }, dir);
      if (!present) {
        ram.write32(pteAddress(vaddr), ram.read32(pteAddress(vaddr)) & ~PTE_PRESENT);
      }
    });
    for (let pass = 0; pass < passes; pass++) {
      rows.forEach(([, , , mode, op], i) => {
        const got = outcome(mmu, CELL_BASE + i * 0x1000 + CELL_OFFSET, { user: mode === "user", write: op === "write" });
        if (pass === passes - 1) {
          results[i]?.push(got);
        }
      });
    }
  }
  return rows.map(([page, writable, present, mode, op], i) => ({
    page,
    writable,
    present,
    mode,
    op,
    wp1: results[i]?.[0] ?? "",
    wp0: results[i]?.[1] ?? "",
  }));
}

