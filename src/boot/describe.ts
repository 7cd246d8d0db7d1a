import { BuddyFrames } from "../alloc/buddy.js";
import type { BuddyStats } from "../alloc/buddy-stats.js";
import type { FragmentationStats } from "../alloc/policy.js";
import type { Machine } from "./boot.js";
import type { Region } from "./layout.js";
import type { SelfCheckReport } from "./self-check.js";

/**
 * The `kmem boot --json` object: a stable, documented description of a booted machine
 * (docs/cli.md lists every field). Addresses and counts are JSON numbers.
 */
export interface MachineDescription {
  /** Physical RAM in bytes. */
  readonly memoryBytes: number;
  /** Physical address of the kernel page directory. */
  readonly cr3: number;
  /** The address-space map in virtual address order; `physStart` is `null` for reserved, unmapped ranges. */
  readonly regions: readonly Region[];
  /**
   * Physical blocks (4 KiB): all of them and the free ones, how fragmented the free ones are,
   * and with the buddy policy (`--pmm-policy buddy`) its per-order figures.
   */
  readonly pmm: {
    /** All physical blocks. */
    readonly blocks: number;
    /** The free ones. */
    readonly free: number;
    /** How fragmented the free blocks are (the PMM's `stats()`). */
    readonly fragmentation: FragmentationStats;
    /** Only with the buddy policy: free blocks and Linux's fragmentation indices per order. */
    readonly buddy?: BuddyStats;
  };
  /** The kernel VMM's range, its used blocks, and how fragmented its free space is. */
  readonly vmm: {
    /** The first virtual address it manages. */
    readonly start: number;
    /** The virtual address just past its range. */
    readonly end: number;
    /** Blocks allocated or set. */
    readonly blocksUsed: number;
    /** How fragmented the free virtual space is (the VMM's `stats()`). */
    readonly fragmentation: FragmentationStats;
  };
  /** Page tables the kernel directory points at (the directory itself not counted). */
  readonly pageTables: number;
  /** The self-check's report (see `SelfCheckReport`). */
  readonly selfCheck: {
    /** True when no check failed. */
    readonly ok: boolean;
    /** Virtual blocks whose state was verified (every block of the kernel VMM). */
    readonly blocksChecked: number;
    /** Required blocks, each translated through the MMU. */
    readonly blocksRequired: number;
    /** Failures found. */
    readonly failureCount: number;
    /** The first failures. */
    readonly failures: readonly {
      /** What kind of failure (a `SelfCheckProblem`). */
      readonly problem: string;
      /** The virtual address concerned. */
      readonly address: number;
      /** One line saying what is wrong. */
      readonly message: string;
    }[];
  };
}

/**
 * Describes a booted machine and its self-check report as the `kmem boot --json` object.
 *
 * @example
 * const machine = boot(DEFAULT_PROFILE);
 * JSON.stringify(describeMachine(machine, selfCheck(machine)));
 */
export function describeMachine(machine: Machine, report: SelfCheckReport): MachineDescription {
  const { pmm, vmm } = machine;
  return {
    memoryBytes: machine.profile.memoryBytes,
    cr3: machine.cr3,
    regions: machine.regions.map((r) => ({ ...r })),
    pmm: {
      blocks: pmm.numBlocks,
      free: pmm.blocksFree(),
      fragmentation: { ...pmm.stats() },
      ...(pmm.policy instanceof BuddyFrames ? { buddy: pmm.policy.buddyStats() } : {}),
    },
    vmm: { start: vmm.start, end: vmm.end, blocksUsed: vmm.blocksUsed, fragmentation: { ...vmm.stats() } },
    pageTables: machine.paging.tablesInUse(machine.cr3),
    selfCheck: {
      ok: report.ok,
      blocksChecked: report.blocksChecked,
      blocksRequired: report.blocksRequired,
      failureCount: report.failureCount,
      failures: report.failures.map((f) => ({ ...f })),
    },
  };
}
