import { bootMode, type ModeMachine, modeMappings } from "../../boot/mode-boot.js";
import type { ModeProfile } from "../../boot/mode-profile.js";
import { hex, printable } from "../../format.js";
import { applyModeRandomOperations, type ModeRandomSummary } from "../../node/qemu/mode-random.js";
import { checkModeWithQemu, type ModeCheckResult } from "../../node/qemu/mode-verify.js";

/** The mode's smallest large page: 4 MiB on Sv32, 2 MiB elsewhere. */
const SV32_LARGE = 0x40_0000;
const LARGE = 0x20_0000;
/** Large-page slots for `set`s of device memory, at the top of the kernel VMM. */
const SET_SLOTS = 16;
/** Device memory for `set`s starts at 4 GiB, or past RAM rounded up to 1 GiB. */
const DEVICE_ALIGN = 0x4000_0000;
const FOUR_GIB = 0x1_0000_0000;
/** Differences printed before the rest are counted. */
const DIFF_LINES = 20;

/** What `verify-qemu` did for a profile of a mode other than 32-bit x86. */
export interface ModeVerifyRun {
  readonly machine: ModeMachine;
  readonly random: ModeRandomSummary | null;
  readonly result: ModeCheckResult;
}

/**
 * Boots `profile` in its mode, runs `random.count` seeded operations on the kernel VMM, and
 * checks its tables against QEMU (`checkModeWithQemu`).
 *
 * @throws ProfileError for a profile that does not boot; QemuError as `checkModeWithQemu` does.
 */
export async function verifyModeProfile(profile: ModeProfile, options: { largePages: boolean; random: { count: number; seed: number } | null }): Promise<ModeVerifyRun> {
  const machine = bootMode(profile, { largePages: options.largePages });
  const large = machine.arch === "riscv-sv32" ? SV32_LARGE : LARGE;
  const device = Math.max(FOUR_GIB, Math.ceil(machine.profile.memoryBytes / DEVICE_ALIGN) * DEVICE_ALIGN);
  const setVirt = machine.spec.vmmEnd - BigInt((SET_SLOTS + 1) * large);
  let random: ModeRandomSummary | null = null;
  if (options.random !== null) {
    const common = { count: options.random.count, seed: options.random.seed, largePageBytes: large };
    const { space } = machine;
    random = space.wide
      ? applyModeRandomOperations(space.vmm, { ...common, setArea: { virt: setVirt, phys: BigInt(device), slots: SET_SLOTS } })
      : applyModeRandomOperations(space.vmm, { ...common, setArea: { virt: Number(setVirt), phys: device, slots: SET_SLOTS } });
  }
  const result = await checkModeWithQemu({ mode: machine.arch, bus: machine.ram, root: machine.root, memoryEnd: machine.profile.memoryBytes, expected: modeMappings(machine), registers: machine.registers });
  return { machine, random, result };
}

function listed(lines: readonly string[]): string {
  const shown = lines.slice(0, DIFF_LINES).map((line) => `  ${line}`);
  if (lines.length > DIFF_LINES) shown.push(`  … and ${String(lines.length - DIFF_LINES)} more`);
  return shown.join("\n");
}

/** The text report: a header, the page comparison, the access comparison. */
export function modeSummary(run: ModeVerifyRun, source: string): string {
  const { result, random, machine } = run;
  const ops = random === null ? "" : `, after ${String(random.allocs)} allocs (${String(random.failedAllocs)} refused), ${String(random.sets - random.refusedSets)} device sets and ${String(random.frees)} frees`;
  const lines = [`kmem verify-qemu: ${printable(source)} (${machine.arch})${ops}; root ${hex(machine.root)}, ${String(result.tableFrames.length)} table frames`];
  lines.push(
    result.differences.length === 0
      ? `Pages: QEMU (${result.source}) agrees with kmem on all ${String(result.compared)} ${machine.arch.startsWith("riscv") ? "runs of pages" : "present pages"}`
      : `Pages: QEMU (${result.source}) disagrees with kmem on ${String(result.differences.length)} of ${String(result.compared)}:\n${listed(result.differences)}`,
  );
  const { probes } = result;
  if (probes === null) lines.push(`Accesses: none made in ${machine.arch} (pages only)`);
  else {
    const what = `${String(probes.count)} real accesses (${machine.arch.startsWith("riscv") ? "loads and stores from S-mode and U-mode" : "reads, writes and fetches from ring 0 and ring 3"}; ${String(probes.faulted)} faults)`;
    lines.push(probes.differences.length === 0 ? `Accesses: QEMU's CPU agrees with kmem's MMU on all ${what}` : `Accesses: QEMU's CPU disagrees with kmem's MMU on ${String(probes.differences.length)} of ${what}:\n${listed(probes.differences)}`);
  }
  return `${lines.join("\n")}\n`;
}

/** The `--json` document of a mode check. */
export function modeJson(run: ModeVerifyRun, source: string): object {
  const { result, random, machine } = run;
  return {
    ok: result.ok,
    arch: machine.arch,
    source,
    compared: result.compared,
    compareSource: result.source,
    differences: result.differences,
    probes: result.probes,
    root: machine.root,
    tableFrames: result.tableFrames.length,
    random,
    commandLine: result.commandLine,
  };
}
