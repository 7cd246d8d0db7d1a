import { readFileSync } from "node:fs";
import { DEFAULT_PROFILE } from "../boot/default-profile.js";
import { type MemoryProfile, parseProfileJson } from "../boot/profile.js";
import { ProfileError } from "../boot/profile-error.js";

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: "no such file",
  EISDIR: "it is a directory",
  EACCES: "permission denied",
};

/**
 * Reads and validates a profile JSON file; `undefined` gives the built-in `DEFAULT_PROFILE`.
 *
 * @throws ProfileError `InvalidProfile` when the file cannot be read (path `""`, value the
 * file name), is not JSON, or is not a valid profile; the message starts with the file name,
 * ready to print as one line (`bad.json: kernel.physEnd 0x00000000 is below …`).
 * @example
 * const profile = readProfileFile("profiles/default.json");
 */
export function readProfileFile(file: string | undefined): MemoryProfile {
  if (file === undefined) {
    return DEFAULT_PROFILE;
  }
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "";
    const reason = REASONS[code] ?? (error instanceof Error ? error.message : String(error));
    throw new ProfileError(`cannot read profile ${file}: ${reason}`, { path: "", value: file });
  }
  try {
    return parseProfileJson(text);
  } catch (error) {
    if (error instanceof ProfileError) {
      throw new ProfileError(`${file}: ${error.message}`, error.data);
    }
    throw error;
  }
}
