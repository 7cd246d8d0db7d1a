/**
 * Section 10: the process layer, on the default 32-bit x86 boot and the x86-64 profile:
 * - `fork` (copy-on-write: share every frame, re-map it read-only) against `copy`, pluto's
 *   `VirtualMemoryManager.copy` (a frame and a page copy per page), for a process of `pages`
 *   resident pages;
 * - page faults through the `AccessDriver` (translate, fault, handler, invlpg, retry):
 *   demand-zero fills, copy-on-write copies, and accesses that hit the TLB;
 * - faults under a swap bound (Clock on the MMU's accessed bits), each one an eviction and a read back.
 */

import { readFileSync } from "node:fs";
import { boot } from "../src/boot/boot.js";
import { DEFAULT_PROFILE } from "../src/boot/default-profile.js";
import { bootMode } from "../src/boot/mode-boot.js";
import { readModeProfile } from "../src/boot/mode-profile.js";
import { AccessDriver } from "../src/process/access-driver.js";
import { AddressSpace } from "../src/process/address-space.js";
import { type KernelHalf, isWideKernelHalf, kernelHalfOf, kernelHalfOfMode } from "../src/process/kernel-half.js";
import { SwapDevice } from "../src/process/swap.js";
import type { Address } from "../src/types.js";
import { median } from "./stats.js";
import { markdownTable, rate, times } from "./table.js";

/** How much each measurement does. */
export interface ProcessesConfig {
  /** Resident pages of the process forked and copied (and pages faulted in). */
  readonly pages: number;
  readonly runs: number;
}

/** One machine's figures; times are medians of `runs`, rates per second. */
export interface ProcessesRow {
  readonly machine: string;
  readonly pages: number;
  /** Milliseconds per `fork` of the process. */
  readonly forkMs: number;
  /** Milliseconds per `copy` of the process. */
  readonly copyMs: number;
  /** Demand-zero faults per second (first touch of each page, through the driver). */
  readonly demandFaultsPerSecond: number;
  /** Copy-on-write faults per second (first write of each page in the child). */
  readonly cowFaultsPerSecond: number;
  /** Accesses per second that hit the TLB (no fault). */
  readonly hitsPerSecond: number;
  /** Faults per second that evict a page and read one back (Clock, half the pages resident). */
  readonly swapFaultsPerSecond: number;
}

const RW = { kernel: false, writable: true, cachable: true };
const PAGE = 4096;

/** A booted machine's kernel half and MMU, and how to write its addresses. */
interface Machine<A extends Address> {
  readonly name: string;
  readonly kernel: KernelHalf<A>;
  readonly driver: () => AccessDriver;
  readonly at: (offset: number) => A;
}

function machines(): [Machine<number>, Machine<bigint>] {
  const x86 = boot(DEFAULT_PROFILE);
  const long = bootMode(readModeProfile(JSON.parse(readFileSync(new URL("../profiles/x86-64.json", import.meta.url), "utf8"))));
  const wide = kernelHalfOfMode(long);
  if (!isWideKernelHalf(wide)) throw new Error("the x86-64 profile booted a 32-bit kernel half");
  return [
    { name: "x86 (default profile)", kernel: kernelHalfOf(x86), driver: () => new AccessDriver(x86.mmu), at: (offset) => 0x1000_0000 + offset },
    { name: "x86-64 (profiles/x86-64.json)", kernel: wide, driver: () => new AccessDriver(long.mmu), at: (offset) => 0x1000_0000n + BigInt(offset) },
  ];
}

/** Milliseconds `fn` takes. */
function ms(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

/** One run of every measurement on `m`: [forkMs, copyMs, demand, cow, hits, swap] (last four in seconds per operation). */
function once<A extends Address>(m: Machine<A>, pages: number): number[] {
  const driver = m.driver();
  const parent = AddressSpace.create(m.kernel);
  parent.reserveLazy(m.at(0), pages, RW, { label: "heap" });
  const demand = ms(() => {
    for (let p = 0; p < pages; p++) driver.run({ task: parent, vaddr: m.at(p * PAGE), op: "write", value: p & 0xff });
  });
  const hits = ms(() => {
    for (let round = 0; round < 4; round++) for (let p = 0; p < pages; p++) driver.run({ task: parent, vaddr: m.at(p * PAGE + 8), op: "read" });
  });
  let child: AddressSpace<A> | null = null;
  const forkMs = ms(() => {
    child = parent.fork();
  });
  const forked = child as AddressSpace<A> | null;
  if (forked === null) throw new Error("fork returned nothing");
  const cow = ms(() => {
    for (let p = 0; p < pages; p++) driver.run({ task: forked, vaddr: m.at(p * PAGE), op: "write", value: 1 });
  });
  forked.destroy();
  let copied: AddressSpace<A> | null = null;
  const copyMs = ms(() => {
    copied = parent.copy();
  });
  (copied as AddressSpace<A> | null)?.destroy();
  parent.destroy();
  const swapped = AddressSpace.create(m.kernel);
  swapped.reserveLazy(m.at(0), pages, RW);
  swapped.enableSwap({ frames: pages / 2, policy: "clock", device: new SwapDevice(pages) });
  for (let p = 0; p < pages; p++) driver.run({ task: swapped, vaddr: m.at(p * PAGE), op: "write", value: 1 });
  const swap = ms(() => {
    for (let p = 0; p < pages; p++) driver.run({ task: swapped, vaddr: m.at(p * PAGE), op: "read" });
  });
  swapped.destroy();
  return [forkMs, copyMs, demand / pages / 1e3, cow / pages / 1e3, hits / (4 * pages) / 1e3, swap / pages / 1e3];
}

/** Measures both machines (see the module comment). */
export function runProcesses(config: ProcessesConfig): ProcessesRow[] {
  return machines().map((m: Machine<number> | Machine<bigint>) => {
    once(m as Machine<Address>, config.pages);
    const runs = Array.from({ length: config.runs }, () => once(m as Machine<Address>, config.pages));
    const column = (i: number): number => median(runs.map((r) => r[i] ?? Number.NaN));
    return {
      machine: m.name,
      pages: config.pages,
      forkMs: column(0),
      copyMs: column(1),
      demandFaultsPerSecond: 1 / column(2),
      cowFaultsPerSecond: 1 / column(3),
      hitsPerSecond: 1 / column(4),
      swapFaultsPerSecond: 1 / column(5),
    };
  });
}

/** Section 10 as Markdown. */
export function printProcesses(rows: readonly ProcessesRow[]): string {
  const pages = rows[0]?.pages ?? 0;
  return [
    `## 10. Processes: fork against pluto's copy, page faults through the access driver (${pages} resident pages, ${pages * 4} KiB)`,
    "",
    markdownTable(
      ["machine", "fork", "copy (pluto)", "copy ÷ fork", "demand-zero faults", "copy-on-write faults", "TLB hits", "swap faults (Clock)"],
      rows.map((r) => [r.machine, `${r.forkMs.toFixed(2)} ms`, `${r.copyMs.toFixed(2)} ms`, times(r.copyMs / r.forkMs), rate(r.demandFaultsPerSecond), rate(r.cowFaultsPerSecond), rate(r.hitsPerSecond), rate(r.swapFaultsPerSecond)]),
    ),
    "",
    "fork shares every frame copy-on-write (one re-map per page); copy takes a frame and copies 4 KiB per page, as pluto's `VirtualMemoryManager.copy` does.",
    "Each fault is a whole trip through the driver: a failed translation, the OS's handler, `invlpg`, and the retried translation.",
  ].join("\n");
}
