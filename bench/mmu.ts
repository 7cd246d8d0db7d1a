/**
 * MMU translation throughput: `Mmu.tryTranslate` (the non-throwing path) over pages mapped by
 * `X86Paging` into simulated RAM, with the TLB hitting, and with it missing on every lookup
 * (each miss is the full two-level walk: PDE then PTE read from RAM).
 */

import { Mmu, PhysicalMemory, PhysicalMemoryManager, X86Paging } from "kmem";
import { median, nowMs } from "./stats.js";

/** RAM of the test machine. */
const RAM_BYTES = 64 * 1024 * 1024;
/** Where the mapped pages live, virtual and physical (above the frames page tables take). */
const VIRTUAL_BASE = 0x4000_0000;
const PHYSICAL_BASE = 0x0100_0000;
const PAGE_BYTES = 4096;
/** Pages mapped for the miss sweep: far more than any TLB here, so a sweep evicts every entry before reuse. */
const SWEEP_PAGES = 4096;
/** Slots of the MMU's TLB in the hit and miss loops (kmem's default). */
const TLB_ENTRIES = 64;
/** Within-page offsets cycle through this mask (16-byte steps) so results differ per call. */
const OFFSET_MASK = 0xff0;
const READ = { write: false, user: false } as const;

/** Settings of the MMU benchmark. */
export interface MmuConfig {
  readonly runs: number;
  /** Translations per timed run. */
  readonly translations: number;
}

/** One translate loop's median rate and the TLB counters that prove what it measured. */
export interface TranslateResult {
  readonly perSec: number;
  readonly nsPerTranslation: number;
  readonly tlbHits: number;
  readonly tlbMisses: number;
  readonly samplesPerSec: readonly number[];
  /** Sum of every translated address (keeps the loop's work observable). */
  readonly checksum: number;
}

/** The MMU section. */
export interface MmuSection {
  readonly config: MmuConfig;
  readonly tlbEntries: number;
  /** Hits: `TLB_ENTRIES` pages, one per TLB slot, cycled. */
  readonly hit: TranslateResult;
  /** Misses: a sequential sweep over `SWEEP_PAGES` pages with a direct-mapped 64-slot TLB (slot = page mod 64), so every lookup finds its slot taken by another page and walks. */
  readonly miss: TranslateResult;
  /** The same sweep with `tlbEntries: 0` (no TLB at all): the bare walk. */
  readonly noTlb: TranslateResult;
}

function machine(tlbEntries: number): Mmu {
  const ram = new PhysicalMemory(RAM_BYTES);
  const pmm = new PhysicalMemoryManager({ memoryBytes: RAM_BYTES });
  pmm.setRange(PHYSICAL_BASE, PHYSICAL_BASE + SWEEP_PAGES * PAGE_BYTES);
  const paging = new X86Paging({ ram, frames: pmm });
  const cr3 = paging.createDirectory();
  const bytes = SWEEP_PAGES * PAGE_BYTES;
  paging.map(VIRTUAL_BASE, VIRTUAL_BASE + bytes, PHYSICAL_BASE, PHYSICAL_BASE + bytes, { kernel: true, writable: true, cachable: true }, cr3);
  return new Mmu({ ram, tlbEntries, cr3 });
}

/** Translates `count` addresses cycling over `pages` pages; returns a checksum so nothing is optimised away. */
function loop(mmu: Mmu, count: number, pages: number): number {
  const pageMask = pages - 1;
  let sum = 0;
  for (let i = 0; i < count; i++) {
    sum = (sum + mmu.tryTranslate(VIRTUAL_BASE + (i & pageMask) * PAGE_BYTES + (i & OFFSET_MASK), READ)) | 0;
  }
  return sum;
}

function measure(mmu: Mmu, config: MmuConfig, pages: number): TranslateResult {
  loop(mmu, config.translations, pages);
  const hits0 = mmu.tlbHits;
  const misses0 = mmu.tlbMisses;
  const samples: number[] = [];
  let checksum = 0;
  for (let r = 0; r < config.runs; r++) {
    const t0 = nowMs();
    checksum ^= loop(mmu, config.translations, pages);
    samples.push((config.translations / (nowMs() - t0)) * 1000);
  }
  const perSec = median(samples);
  return {
    perSec,
    nsPerTranslation: 1e9 / perSec,
    tlbHits: mmu.tlbHits - hits0,
    tlbMisses: mmu.tlbMisses - misses0,
    samplesPerSec: samples,
    checksum,
  };
}

/** Measures TLB-hit, TLB-miss and no-TLB translation rates. */
export function runMmu(config: MmuConfig): MmuSection {
  return {
    config,
    tlbEntries: TLB_ENTRIES,
    hit: measure(machine(TLB_ENTRIES), config, TLB_ENTRIES),
    miss: measure(machine(TLB_ENTRIES), config, SWEEP_PAGES),
    noTlb: measure(machine(0), config, SWEEP_PAGES),
  };
}
