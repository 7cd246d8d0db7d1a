import { closeSync, constants, fstatSync, ftruncateSync, mkdirSync, openSync, statSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

/** Whether `path` is an existing directory; `false` when nothing is there. @throws when something else is. */
function isDirectory(path: string): boolean {
  try {
    if (statSync(path).isDirectory()) return true;
  } catch (error) {
    if (errorCode(error) === "ENOENT") return false;
    throw error;
  }
  throw new Error(`${path} exists and is not a directory`);
}

/**
 * Creates directory `dir` and its missing parents, each with one plain `mkdir`: a file system
 * that refuses (procfs answers ENOENT forever, where a recursive mkdir retries) fails at once.
 * Bounded by the path's depth.
 *
 * @throws Error (with the system's `code` when it has one) naming the path that failed.
 */
export function makeDirectory(dir: string): void {
  const missing: string[] = [];
  for (let path = resolve(dir); !isDirectory(path); path = dirname(path)) {
    missing.push(path);
    if (dirname(path) === path) break;
  }
  for (const path of missing.reverse()) {
    try {
      mkdirSync(path);
    } catch (error) {
      if (errorCode(error) !== "EEXIST" || !isDirectory(path)) throw error;
    }
  }
}

/**
 * Writes `data` into `path`, created or truncated, only if it is (or becomes) a regular file: a
 * FIFO, a device or a symbolic link to one is refused without blocking (the file is opened
 * non-blocking, then checked before anything is truncated or written).
 *
 * @throws Error (with the system's `code` when it has one): unwritable, or not a regular file.
 */
export function writeRegularFile(path: string, data: Uint8Array | string): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_NONBLOCK);
  try {
    if (!fstatSync(fd).isFile()) throw new Error(`${path} is not a regular file`);
    ftruncateSync(fd, 0);
    writeFileSync(fd, data);
  } finally {
    closeSync(fd);
  }
}
