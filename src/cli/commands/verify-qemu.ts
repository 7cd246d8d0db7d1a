import type { Command } from "commander";
import { KmemError } from "../../errors/kmem-error.js";
import { hex, hexRange, printable } from "../../format.js";
import { formatEntryDifferences } from "../../node/qemu/accessed-dirty.js";
import { formatDifferences } from "../../node/qemu/compare.js";
import { formatProbeDifferences, PROBE_ACCESSES } from "../../node/qemu/probes.js";
import { GUEST_AREA_BYTES } from "../../node/qemu/guest.js";
import { checkProfileWithQemu, type ProfileCheckResult } from "../../node/qemu/machine-check.js";
import { CR4_PSE } from "../../node/qemu/monitor-text.js";
import { QemuError } from "../../node/qemu/qemu-error.js";
import { defaultProfilePath, readAnyProfileFile, type AnyProfile } from "../../node/profile-file.js";
import { isModeName, MODE_NAMES } from "../../paging/geometry.js";
import { addArchOption, addMachineOptions, type AnyMachineFlags } from "../machine-options.js";
import { modeJson, modeSummary, verifyModeProfile } from "./verify-qemu-mode.js";
import { UsageError } from "../usage-error.js";
import type { RegisterCommand } from "./index.js";

/** The most random operations `--random` accepts. */
const MAX_RANDOM_OPERATIONS = 1_000_000;
const DEFAULT_SEED = "1";
/** Differences printed before the rest are counted. */
const DIFF_LINES = 20;
const EXIT_MISMATCH = 1;
const JSON_INDENT = 2;

interface VerifyQemuOptions extends AnyMachineFlags {
  readonly random: string;
  readonly seed: string;
  readonly json?: boolean;
}

function parseCount(flag: string, text: string, max: number): number {
  const value = /^[0-9]+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value > max) {
    throw new UsageError(`${flag} ${text} is not a whole number from 0 to ${max}`);
  }
  return value;
}

/** The profile `--profile` or `--arch` names (one at most; neither: the built-in x86 profile). */
function loadProfile(options: VerifyQemuOptions): { read: AnyProfile; source: string } {
  if (options.arch !== undefined && options.profile !== undefined) throw new UsageError("--arch and --profile both name a profile: give one");
  if (options.arch !== undefined && !isModeName(options.arch)) throw new UsageError(`--arch ${JSON.stringify(options.arch)} is not a paging mode (use ${MODE_NAMES.join(", ")})`);
  try {
    const read = readAnyProfileFile(options.arch === undefined ? options.profile : defaultProfilePath(options.arch));
    return { read, source: options.arch === undefined ? (options.profile ?? "the default profile") : `the default ${options.arch} profile` };
  } catch (error) {
    if (error instanceof KmemError) throw new UsageError(error.message);
    throw error;
  }
}

/** The `--json` document: stable keys, addresses as numbers. */
function toJson(result: ProfileCheckResult): object {
  return {
    ok: result.ok,
    pagesCompared: result.pagesCompared,
    largePages: result.largePages,
    differences: result.differences,
    guest: { start: result.guestBase, end: result.guestBase + GUEST_AREA_BYTES },
    cr3: result.cpu.cr3,
    cr4Pse: (result.cpu.cr4 & CR4_PSE) !== 0,
    tableFrames: result.frames,
    userPage: result.userPage,
    probes: result.probes,
    entries: result.entries,
    random: result.random === null ? null : { allocs: result.random.allocs, frees: result.random.frees, failedAllocs: result.random.failedAllocs, live: result.random.live.length },
    commandLine: result.commandLine,
  };
}

/** The text report: a header, then the page comparison and the access comparison. */
function summary(result: ProfileCheckResult, source: string): string {
  const random = result.random === null ? "" : `, after ${result.random.allocs} allocs and ${result.random.frees} frees`;
  const head = `kmem verify-qemu: ${printable(source)}${random}; guest at ${hexRange(result.guestBase, result.guestBase + GUEST_AREA_BYTES)}, CR3 ${hex(result.cpu.cr3)}, ${result.frames.length} table frames`;
  const large = result.largePages === 0 ? "" : ` (${result.largePages} of them 4 MiB)`;
  const { probes } = result;
  const accesses = `${probes.count * PROBE_ACCESSES.length} real accesses (a read and a write from ring 0 and from ring 3 at ${probes.count} addresses, ${probes.tagged} of them checked against frame tags; ${probes.faulted} page faults)`;
  const lines = [head];
  lines.push(
    result.differences.length === 0
      ? `Pages: QEMU agrees with kmem on all ${result.pagesCompared} present pages${large}`
      : `Pages: QEMU disagrees with kmem on ${result.differences.length} of ${result.pagesCompared} pages${large}:\n${formatDifferences(result.differences, DIFF_LINES)}`,
  );
  lines.push(
    probes.differences.length === 0
      ? `Accesses: QEMU's CPU agrees with kmem's MMU on all ${accesses}`
      : `Accesses: QEMU's CPU disagrees with kmem's MMU on ${probes.differences.length} of ${accesses}:\n${formatProbeDifferences(probes.differences, DIFF_LINES)}`,
  );
  const { entries } = result;
  lines.push(
    entries.differences.length === 0
      ? `Accessed/dirty bits: QEMU's walks left the same A and D bits as kmem's in all ${entries.compared} PDEs and PTEs compared`
      : `Accessed/dirty bits: QEMU's walks left other A or D bits than kmem's in ${entries.differences.length} of ${entries.compared} entries:\n${formatEntryDifferences(entries.differences, DIFF_LINES)}`,
  );
  return `${lines.join("\n")}\n`;
}

/**
 * `kmem verify-qemu [--profile FILE] [--arch MODE] [--random N] [--seed S] [--large-pages] [--json]`:
 * boots the profile in its mode (32-bit x86: plus the guest's reservation), runs QEMU on its
 * page tables and compares every page and real accesses.
 * Exit 0 on a match, 1 on a mismatch or a guest that QEMU could not run, 2 on bad input or missing tools.
 */
export const registerVerifyQemu: RegisterCommand = (program: Command, setExitCode) => {
  addArchOption(
    addMachineOptions(
      program
        .command("verify-qemu")
        .description("check kmem's page tables against QEMU's MMU in the profile's mode: boot the profile, enable paging on its tables in QEMU, compare every present page and real accesses"),
    ),
  )
    .option("--random <n>", "random alloc/free operations (mixed attributes) on the kernel VMM before the check", "0")
    .option("--seed <s>", "seed for --random", DEFAULT_SEED)
    .option("--json", "print the result as JSON")
    .addHelpText("after", "\nNeeds qemu-system-i386 (32-bit x86) or qemu-system-x86_64, and nasm (apt-get install qemu-system-x86 nasm); qemu-system-riscv32/riscv64 for RISC-V (apt-get install qemu-system-misc).\nExit status: 0 QEMU agrees on every page, 1 a page differs or QEMU could not run the guest, 2 bad input or tools missing.")
    .action(async (options: VerifyQemuOptions) => {
      const count = parseCount("--random", options.random, MAX_RANDOM_OPERATIONS);
      const seed = parseCount("--seed", options.seed, 0xffff_ffff);
      const { read, source } = loadProfile(options);
      let result: ProfileCheckResult;
      try {
        if (read.arch !== "x86") {
          const run = await verifyModeProfile(read.profile, { largePages: options.largePages === true, random: count === 0 ? null : { count, seed } });
          process.stdout.write(options.json === true ? JSON.stringify(modeJson(run, source), null, JSON_INDENT) + "\n" : modeSummary(run, source));
          if (!run.result.ok) setExitCode(EXIT_MISMATCH);
          return;
        }
        result = await checkProfileWithQemu(read.profile, { largePages: options.largePages === true, ...(count === 0 ? {} : { random: { count, seed } }) });
      } catch (error) {
        if (error instanceof QemuError && (error.code === "GuestFailed" || error.code === "MonitorError")) {
          process.stderr.write(`kmem: ${printable(error.message)}\n`);
          setExitCode(EXIT_MISMATCH);
          return;
        }
        if (error instanceof KmemError) throw new UsageError(error.message);
        throw error;
      }
      process.stdout.write(options.json === true ? JSON.stringify(toJson(result), null, JSON_INDENT) + "\n" : summary(result, source));
      if (!result.ok) setExitCode(EXIT_MISMATCH);
    });
};
