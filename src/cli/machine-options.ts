import type { Command } from "commander";
import { parseAddress } from "../address.js";
import { boot, type Machine } from "../boot/boot.js";
import { ProfileError } from "../boot/profile-error.js";
import { FOUR_GIB } from "../boot/profile-fields.js";
import { describeValue, hex, MAX_ECHO_CHARS } from "../format.js";
import { readProfileFile } from "../node/profile-file.js";
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
