import { accessSync, constants, lstatSync, mkdirSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { QemuError } from "./qemu-error.js";

/** Where to look for a cache directory, and who may own one in a shared temporary directory. */
export interface CacheLocations {
  /** The environment (`XDG_CACHE_HOME`, `HOME`); default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** The OS temporary directory, the last resort; default `os.tmpdir()`. */
  readonly temp?: string;
}

/** The user id, or `null` where the platform has none (Windows). */
function userId(): number | null {
  return process.getuid?.() ?? null;
}

/** Creates `dir` if needed and returns why it cannot hold the cache, or `null` when it can. */
function unusable(dir: string, shared: boolean): string | null {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    accessSync(dir, constants.W_OK);
    const uid = userId();
    // In a directory every user can write, only trust our own, private directory.
    if (shared && uid !== null) {
      const stat = lstatSync(dir);
      if (!stat.isDirectory() || stat.uid !== uid || (stat.mode & 0o022) !== 0) return "not a private directory of this user";
    }
    return null;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  }
}

/**
 * The directory kmem keeps build artefacts in (the assembled QEMU guest): the first usable of
 * `$XDG_CACHE_HOME/kmem` (when set to an absolute path), `~/.cache/kmem`, and
 * `<os temp dir>/kmem-<uid>`, created if missing. Never a directory inside the installed
 * package, which may be read-only.
 *
 * @throws {QemuError} `GuestFailed` when none can be created and written, naming each and why.
 * @example
 * guestCacheDirectory({ env: { XDG_CACHE_HOME: "/home/ada/.cache" } }); // "/home/ada/.cache/kmem"
 */
export function guestCacheDirectory(locations: CacheLocations = {}): string {
  const env = locations.env ?? process.env;
  const xdg = env["XDG_CACHE_HOME"] ?? "";
  const home = env["HOME"] ?? homedir();
  const candidates: { dir: string; shared: boolean }[] = [];
  if (isAbsolute(xdg)) candidates.push({ dir: join(xdg, "kmem"), shared: false });
  if (home !== "") candidates.push({ dir: join(home, ".cache", "kmem"), shared: false });
  candidates.push({ dir: join(locations.temp ?? tmpdir(), `kmem-${userId() ?? "user"}`), shared: true });
  const reasons: string[] = [];
  for (const { dir, shared } of candidates) {
    const reason = unusable(dir, shared);
    if (reason === null) return dir;
    reasons.push(`${dir} (${reason})`);
  }
  throw new QemuError("GuestFailed", `Cannot build the QEMU guest: no writable cache directory: ${reasons.join(", ")}; set XDG_CACHE_HOME to a writable directory`, {
    tried: candidates.map((c) => c.dir).join(" "),
  });
}
