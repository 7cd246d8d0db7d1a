/**
 * Boot time: `boot(profile)` (RAM, PMM, kernel page directory, kernel VMM with every
 * reserved mapping) and `selfCheck` (the seed's `runtimeTests`: every virtual block checked),
 * for the built-in 128 MiB profile and a 4 GiB one.
 */

import { boot, DEFAULT_PROFILE, selfCheck, type MemoryProfile } from "kmem";
import { median, nowMs } from "./stats.js";

/**
 * A 4 GiB PC: the default profile's kernel, initrd and VGA mapping, with RAM up to 3 GiB
 * (ACPI tables in its top 128 KiB) and the 32-bit PCI/firmware hole from 3 GiB to 4 GiB
 * reserved, as firmware reports it on a 4 GiB machine.
 */
export const FOUR_GIB_PROFILE: MemoryProfile = {
  ...DEFAULT_PROFILE,
  description: "4 GiB PC: RAM to 3 GiB, PCI/firmware hole from 3 GiB to 4 GiB, default kernel and initrd",
  memoryBytes: 0x1_0000_0000,
  memoryMap: [
    { start: 0x0000_0000, end: 0x0009_fc00, type: "available" },
    { start: 0x0009_fc00, end: 0x0010_0000, type: "reserved" },
    { start: 0x0010_0000, end: 0xbffe_0000, type: "available" },
    { start: 0xbffe_0000, end: 0xc000_0000, type: "reserved" },
    { start: 0xc000_0000, end: 0x1_0000_0000, type: "reserved" },
  ],
};

/** Settings of the boot benchmark. */
export interface BootConfig {
  readonly runs: number;
  /** Untimed boots of each profile first (JIT warm-up). */
  readonly warmups: number;
}

/** One profile's median boot and self-check times. */
export interface BootResult {
  readonly profile: string;
  readonly memoryBytes: number;
  readonly bootMs: number;
  readonly selfCheckMs: number;
  /** boot + selfCheck, median over runs of the sum. */
  readonly totalMs: number;
  readonly blocksChecked: number;
  readonly ok: boolean;
  readonly samplesTotalMs: readonly number[];
}

/** The boot section. */
export interface BootSection {
  readonly config: BootConfig;
  readonly default: BootResult;
  readonly fourGiB: BootResult;
}

function measure(name: string, profile: MemoryProfile, config: BootConfig): BootResult {
  for (let i = 0; i < config.warmups; i++) selfCheck(boot(profile));
  const boots: number[] = [];
  const checks: number[] = [];
  const totals: number[] = [];
  let blocksChecked = 0;
  let ok = true;
  for (let r = 0; r < config.runs; r++) {
    const t0 = nowMs();
    const machine = boot(profile);
    const t1 = nowMs();
    const report = selfCheck(machine);
    const t2 = nowMs();
    boots.push(t1 - t0);
    checks.push(t2 - t1);
    totals.push(t2 - t0);
    blocksChecked = report.blocksChecked;
    ok &&= report.ok;
  }
  return {
    profile: name,
    memoryBytes: profile.memoryBytes,
    bootMs: median(boots),
    selfCheckMs: median(checks),
    totalMs: median(totals),
    blocksChecked,
    ok,
    samplesTotalMs: totals,
  };
}

/** Boots the default and the 4 GiB profile `runs` times each and takes medians. */
export function runBoot(config: BootConfig): BootSection {
  return {
    config,
    default: measure("default (128 MiB)", DEFAULT_PROFILE, config),
    fourGiB: measure("4 GiB", FOUR_GIB_PROFILE, config),
  };
}
