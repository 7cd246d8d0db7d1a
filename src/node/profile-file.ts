import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_PROFILE } from "../boot/default-profile.js";
import { planModeLayout } from "../boot/mode-layout.js";
import { type ModeProfile, profileArch, readModeProfile } from "../boot/mode-profile.js";
import type { PagingModeName } from "../boot/modes.js";
import { type MemoryProfile, parseProfile, parseProfileJson } from "../boot/profile.js";
import type { ModeName } from "../paging/geometry.js";
import { ProfileError } from "../boot/profile-error.js";
import { printable } from "../format.js";

/** The largest profile file read (16 MiB): far above any real machine's, far below what would exhaust memory. */
export const MAX_PROFILE_BYTES = 16 * 0x10_0000;

/** How much is read at a time from a file whose size is not known up front (a pipe, a device). */
const CHUNK_BYTES = 0x1_0000;

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: "no such file",
  EISDIR: "it is a directory",
  EACCES: "permission denied",
  ENOTDIR: "a part of the path is not a directory",
  ELOOP: "too many symbolic links",
  ENAMETOOLONG: "the name is too long",
};

/** Thrown inside {@link readBounded} when the file is over {@link MAX_PROFILE_BYTES}. */
class TooLarge extends Error {}

/**
 * Reads at most {@link MAX_PROFILE_BYTES} of `file`: a regular file over the cap is refused from
 * its size, anything else (a pipe, `/dev/zero`) after reading one byte more than the cap.
 */
function readBounded(file: string): Buffer {
  const fd = openSync(file, "r");
  try {
    const stat = fstatSync(fd);
    if (stat.isFile() && stat.size > MAX_PROFILE_BYTES) throw new TooLarge();
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
      const read = readSync(fd, chunk, 0, CHUNK_BYTES, null);
      if (read === 0) break;
      total += read;
      if (total > MAX_PROFILE_BYTES) throw new TooLarge();
      chunks.push(chunk.subarray(0, read));
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads and validates a profile JSON file; `undefined` gives the built-in `DEFAULT_PROFILE`.
 * Reads at most {@link MAX_PROFILE_BYTES} (16 MiB), also from pipes and devices.
 *
 * @throws ProfileError `InvalidProfile` when the file cannot be read or is over 16 MiB (path
 * `""`, value the file name), is not JSON, or is not a valid profile; the message starts with
 * the file name (control characters escaped), ready to print as one line
 * (`bad.json: kernel.physEnd 0x00000000 is below …`).
 * @example
 * const profile = readProfileFile("profiles/default.json");
 */
export function readProfileFile(file: string | undefined): MemoryProfile {
  if (file === undefined) {
    return DEFAULT_PROFILE;
  }
  const name = printable(file);
  const text = readText(file);
  try {
    return parseProfileJson(text);
  } catch (error) {
    if (error instanceof ProfileError) {
      throw new ProfileError(`${name}: ${error.message}`, error.data);
    }
    throw error;
  }
}

/** The file's text, at most {@link MAX_PROFILE_BYTES}. @throws ProfileError when it cannot be read. */
function readText(file: string): string {
  try {
    return readBounded(file).toString("utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "";
    const reason =
      error instanceof TooLarge
        ? `it is larger than ${MAX_PROFILE_BYTES / 0x10_0000} MiB, the most a profile may be`
        : (REASONS[code] ?? printable(error instanceof Error ? error.message : String(error)));
    throw new ProfileError(`cannot read profile ${printable(file)}: ${reason}`, { path: "", value: file });
  }
}

/** A profile read from a file: 32-bit x86 (the `boot` path) or another mode (the `bootMode` path). */
export type AnyProfile = { readonly arch: "x86"; readonly profile: MemoryProfile } | { readonly arch: PagingModeName; readonly profile: ModeProfile };

/**
 * The shipped default profile of `mode`: `profiles/MODE.json` in the package.
 *
 * @example
 * defaultProfilePath("riscv-sv39"); // ".../profiles/riscv-sv39.json"
 */
export function defaultProfilePath(mode: ModeName): string {
  return join(dirname(fileURLToPath(import.meta.url)), "..", "..", "profiles", `${mode}.json`);
}

/**
 * Reads a profile file of any mode: its `"arch"` (default `x86`) picks the reader;
 * `undefined` gives the built-in x86 `DEFAULT_PROFILE`.
 *
 * @throws ProfileError `InvalidProfile` as {@link readProfileFile} does, and for an unknown `arch`.
 * @example
 * const { arch, profile } = readAnyProfileFile("profiles/x86-64.json");
 */
export function readAnyProfileFile(file: string | undefined): AnyProfile {
  if (file === undefined) {
    return { arch: "x86", profile: DEFAULT_PROFILE };
  }
  const text = readText(file);
  try {
    const input = parseJson(text);
    const arch = profileArch(input);
    if (arch === "x86") {
      return { arch, profile: parseProfile(input) };
    }
    const profile = readModeProfile(input);
    planModeLayout(profile);
    return { arch: profile.arch, profile };
  } catch (error) {
    if (error instanceof ProfileError) {
      throw new ProfileError(`${printable(file)}: ${error.message}`, error.data);
    }
    throw error;
  }
}

/** The JSON value of `text`; malformed JSON throws `parseProfileJson`'s one-line error. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return parseProfileJson(text);
  }
}
