import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { DEFAULT_PROFILE } from "../../boot/default-profile.js";
import { type MemoryProfile, parseProfileJson } from "../../boot/profile.js";
import { KmemError } from "../../errors/kmem-error.js";
import { hex, hexRange } from "../../format.js";
import { formatDifferences } from "../../node/qemu/compare.js";
import { GUEST_AREA_BYTES } from "../../node/qemu/guest.js";
import { checkProfileWithQemu, type ProfileCheckResult } from "../../node/qemu/machine-check.js";
import { QemuError } from "../../node/qemu/qemu-error.js";
import { UsageError } from "../usage-error.js";
import type { RegisterCommand } from "./index.js";

/** The most random operations `--random` accepts. */
const MAX_RANDOM_OPERATIONS = 1_000_000;
const DEFAULT_SEED = "1";
/** Differences printed before the rest are counted. */
const DIFF_LINES = 20;
const EXIT_MISMATCH = 1;
const JSON_INDENT = 2;
/** CR4 bit 4: page-size extensions (4 MiB pages). */
const CR4_PSE = 1 << 4;

interface VerifyQemuOptions {
  readonly profile?: string;
  readonly random: string;
  readonly seed: string;
  readonly largePages?: boolean;
  readonly json?: boolean;
}

function parseCount(flag: string, text: string, max: number): number {
  const value = /^[0-9]+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value > max) {
    throw new UsageError(`${flag} ${text} is not a whole number from 0 to ${max}`);
  }
  return value;
}

async function loadProfile(file: string | undefined): Promise<MemoryProfile> {
  if (file === undefined) return DEFAULT_PROFILE;
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new UsageError(`Cannot read profile ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    return parseProfileJson(text);
  } catch (error) {
    if (error instanceof KmemError) throw new UsageError(`${file}: ${error.message}`);
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
    random: result.random === null ? null : { allocs: result.random.allocs, frees: result.random.frees, failedAllocs: result.random.failedAllocs, live: result.random.live.length },
    commandLine: result.commandLine,
  };
}

function summary(result: ProfileCheckResult, source: string): string {
  const random = result.random === null ? "" : `, after ${result.random.allocs} allocs and ${result.random.frees} frees`;
  const head = `kmem verify-qemu: ${source}${random}; guest at ${hexRange(result.guestBase, result.guestBase + GUEST_AREA_BYTES)}, CR3 ${hex(result.cpu.cr3)}, ${result.frames.length} table frames`;
  const large = result.largePages === 0 ? "" : ` (${result.largePages} of them 4 MiB)`;
  if (result.ok) {
    return `${head}\nQEMU agrees with kmem on all ${result.pagesCompared} present pages${large}\n`;
  }
  return `${head}\nQEMU disagrees with kmem on ${result.differences.length} of ${result.pagesCompared} pages${large}:\n${formatDifferences(result.differences, DIFF_LINES)}\n`;
}

/**
 * `kmem verify-qemu [--profile FILE] [--random N] [--seed S] [--large-pages] [--json]`: boots the
 * profile (plus the guest's reservation), runs QEMU on its page tables and compares every page.
 * Exit 0 on a match, 1 on a mismatch or a guest that QEMU could not run, 2 on bad input or missing tools.
 */
export const registerVerifyQemu: RegisterCommand = (program: Command, setExitCode) => {
  program
    .command("verify-qemu")
    .description("Check kmem's page tables against a real x86 MMU: boot the profile, enable paging on its tables in QEMU, compare every present page.")
    .option("--profile <file>", "memory profile JSON (default: the built-in 128 MiB PC)")
    .option("--random <n>", "random alloc/free operations on the kernel VMM before the check", "0")
    .option("--seed <s>", "seed for --random", DEFAULT_SEED)
    .option("--large-pages", "map 4 MiB-aligned runs with 4 MiB pages (the guest sets CR4.PSE)")
    .option("--json", "print the result as JSON")
    .action(async (options: VerifyQemuOptions) => {
      const count = parseCount("--random", options.random, MAX_RANDOM_OPERATIONS);
      const seed = parseCount("--seed", options.seed, 0xffff_ffff);
      const profile = await loadProfile(options.profile);
      let result: ProfileCheckResult;
      try {
        result = await checkProfileWithQemu(profile, { largePages: options.largePages === true, ...(count === 0 ? {} : { random: { count, seed } }) });
      } catch (error) {
        if (error instanceof QemuError && (error.code === "GuestFailed" || error.code === "MonitorError")) {
          process.stderr.write(`kmem: ${error.message}\n`);
          setExitCode(EXIT_MISMATCH);
          return;
        }
        if (error instanceof KmemError) throw new UsageError(error.message);
        throw error;
      }
      process.stdout.write(options.json === true ? JSON.stringify(toJson(result), null, JSON_INDENT) + "\n" : summary(result, options.profile ?? "default profile"));
      if (!result.ok) setExitCode(EXIT_MISMATCH);
    });
};
