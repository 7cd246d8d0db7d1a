import type { Command } from "commander";
import { parseAddress } from "../address.js";
import { boot, type Machine } from "../boot/boot.js";
import { ProfileError } from "../boot/profile-error.js";
import { FOUR_GIB } from "../boot/profile-fields.js";
import { describeValue, hex, MAX_ECHO_CHARS } from "../format.js";
import { bootMode, type ModeMachine } from "../boot/mode-boot.js";
import { type AnyProfile, defaultProfilePath, readAnyProfileFile, readProfileFile } from "../node/profile-file.js";
import { MODE_NAMES, isModeName } from "../paging/geometry.js";
import { UsageError } from "./usage-error.js";

/** The flags every verb that boots a machine accepts. */
export interface MachineFlags {
  readonly profile?: string;
  readonly largePages?: boolean;
  readonly pmmPolicy?: string;
}

/** A booted machine, where its profile came from, and how long boot took. */
export interface BootedMachine {
  readonly machine: Machine;
  /** `the default profile` or the file name. */
  readonly source: string;
  readonly bootMs: number;
}

/** Adds `--profile FILE` and `--large-pages` to a verb. */
export function addMachineOptions(command: Command): Command {
  return command
    .option("--profile <FILE>", "memory profile JSON (default: the built-in 128 MiB PC, profiles/default.json)")
    .option("--large-pages", "map 4 MiB-aligned 4 MiB runs with 4 MiB pages (CR4.PSE)");
}

/**
 * Reads the profile the flags name and boots it.
 *
 * @throws UsageError (exit status 2) for an unreadable, malformed or invalid profile, one line naming the field.
 */
export function bootFromFlags(flags: MachineFlags): BootedMachine {
  const pmmPolicy = flags.pmmPolicy ?? "lowest";
  if (pmmPolicy !== "lowest" && pmmPolicy !== "buddy") {
    throw new UsageError(`--pmm-policy ${JSON.stringify(pmmPolicy)} is not a policy (use lowest or buddy)`);
  }
  const started = performance.now();
  try {
    const machine = boot(readProfileFile(flags.profile), { largePages: flags.largePages === true, pmmPolicy });
    return { machine, source: flags.profile ?? "the default profile", bootMs: performance.now() - started };
  } catch (error) {
    if (error instanceof ProfileError) {
      throw new UsageError(error.message);
    }
    throw error;
  }
}

/**
 * Parses a 32-bit address argument: `0x…` hex or decimal, with optional `_` between digits
 * (`0xC000_0000`), as {@link parseAddress} reads it.
 *
 * @throws UsageError when it is neither, or not below 4 GiB.
 */
export function parseAddressArgument(text: string, name: string): number {
  const parsed = parseAddress(text);
  if (parsed === null) {
    throw new UsageError(`${name} ${describeValue(text)} is not an address (use 0x… hex or decimal)`);
  }
  if (parsed >= BigInt(FOUR_GIB)) {
    throw new UsageError(`${name} ${text.length > MAX_ECHO_CHARS ? describeValue(text) : text} is beyond 4 GiB (32-bit virtual addresses end at ${hex(FOUR_GIB - 1)})`);
  }
  return Number(parsed);
}

/** The flags of a verb that boots any mode. */
export interface AnyMachineFlags extends MachineFlags {
  readonly arch?: string;
}

/** A booted machine of any mode: 32-bit x86 (`boot`) or another mode (`bootMode`). */
export type AnyBootedMachine = ({ readonly kind: "x86" } & BootedMachine) | { readonly kind: "mode"; readonly machine: ModeMachine; readonly source: string; readonly bootMs: number };

/** Adds `--arch MODE` to a verb (with {@link addMachineOptions}). */
export function addArchOption(command: Command): Command {
  return command.option("--arch <MODE>", `boot MODE's default profile, profiles/MODE.json (${MODE_NAMES.join(", ")})`);
}

/** The profile `--profile` or `--arch` names, read and checked but not booted yet. */
export interface ChosenProfile {
  /** The profile and its mode. */
  readonly read: AnyProfile;
  /** `the default profile`, `the default MODE profile` or the file name. */
  readonly source: string;
}

/**
 * Reads the profile `--profile` or `--arch` names (one of them at most) without booting it, so
 * that a verb can check its mode first.
 *
 * @throws UsageError (exit status 2) for both flags, an unknown mode or PMM policy, or an unreadable, malformed or invalid profile.
 */
export function readAnyFromFlags(flags: AnyMachineFlags): ChosenProfile {
  const pmmPolicy = flags.pmmPolicy ?? "lowest";
  if (pmmPolicy !== "lowest" && pmmPolicy !== "buddy") {
    throw new UsageError(`--pmm-policy ${JSON.stringify(pmmPolicy)} is not a policy (use lowest or buddy)`);
  }
  if (flags.arch !== undefined && flags.profile !== undefined) {
    throw new UsageError("--arch and --profile both name a profile: give one");
  }
  if (flags.arch !== undefined && !isModeName(flags.arch)) {
    throw new UsageError(`--arch ${JSON.stringify(flags.arch)} is not a paging mode (use ${MODE_NAMES.join(", ")})`);
  }
  const file = flags.arch === undefined ? flags.profile : defaultProfilePath(flags.arch);
  const source = flags.arch === undefined ? (flags.profile ?? "the default profile") : `the default ${flags.arch} profile`;
  try {
    return { read: readAnyProfileFile(file), source };
  } catch (error) {
    if (error instanceof ProfileError) {
      throw new UsageError(error.message);
    }
    throw error;
  }
}

/**
 * Boots a profile {@link readAnyFromFlags} read, in its mode, with the flags' `--large-pages`
 * and PMM policy; `started` (default now) is when `bootMs` starts counting.
 *
 * @throws UsageError (exit status 2) when the profile cannot boot (its layout does not fit).
 */
export function bootChosenProfile(chosen: ChosenProfile, flags: AnyMachineFlags, started = performance.now()): AnyBootedMachine {
  const { read, source } = chosen;
  const pmmPolicy = flags.pmmPolicy === "buddy" ? "buddy" : "lowest";
  const largePages = flags.largePages === true;
  try {
    if (read.arch === "x86") {
      const machine = boot(read.profile, { largePages, pmmPolicy });
      return { kind: "x86", machine, source, bootMs: performance.now() - started };
    }
    const machine = bootMode(read.profile, { largePages, pmmPolicy });
    return { kind: "mode", machine, source, bootMs: performance.now() - started };
  } catch (error) {
    if (error instanceof ProfileError) {
      throw new UsageError(error.message);
    }
    throw error;
  }
}

/**
 * Reads the profile `--profile` or `--arch` names (one of them at most) and boots it in its mode.
 *
 * @throws UsageError (exit status 2) for both flags, an unknown mode, or an unreadable, malformed or invalid profile.
 */
export function bootAnyFromFlags(flags: AnyMachineFlags): AnyBootedMachine {
  const started = performance.now();
  return bootChosenProfile(readAnyFromFlags(flags), flags, started);
}
