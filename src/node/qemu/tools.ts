import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import { QemuError } from "./qemu-error.js";

/** The host tools the QEMU check runs, and where they were found. */
export interface QemuTools {
  /** Absolute path of `qemu-system-i386`. */
  readonly qemu: string;
  /** Absolute path of `nasm`. */
  readonly nasm: string;
}

/** How to get the tools on a Debian/Ubuntu machine (CI installs them the same way). */
export const INSTALL_HINT = "install them with `apt-get install qemu-system-x86 nasm` (Debian/Ubuntu)";

/** Environment variables that override where the tools are looked up. */
const QEMU_ENV = "KMEM_QEMU";
const NASM_ENV = "KMEM_NASM";

/** The first executable file called `name` on `PATH`, or `null`. */
export function findOnPath(name: string, path = process.env["PATH"] ?? ""): string | null {
  for (const dir of path.split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      continue;
    }
  }
  return null;
}

function nonEmpty(value: string | undefined): string | null {
  return value === undefined || value === "" ? null : value;
}

/** Why `path` cannot be run, or `null` when it is an executable file. */
function unrunnable(path: string): string | null {
  try {
    if (!statSync(path).isFile()) return "it is not a file";
    accessSync(path, constants.X_OK);
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? "no such file" : code === "EACCES" ? "it is not executable" : error instanceof Error ? error.message : String(error);
  }
}

/** The tool an environment variable names, checked to be runnable. */
function fromEnvironment(variable: string, env: NodeJS.ProcessEnv): string | null {
  const path = nonEmpty(env[variable]);
  if (path === null) return null;
  const reason = unrunnable(path);
  if (reason !== null) {
    throw new QemuError("QemuMissing", `Cannot run the QEMU check: ${variable}=${path} cannot be run (${reason}); unset it to search PATH, or ${INSTALL_HINT}`, { [variable]: path });
  }
  return path;
}

/**
 * Finds `qemu-system-i386` and `nasm` (or the paths in `KMEM_QEMU` / `KMEM_NASM`, which must
 * be executable files).
 *
 * @throws {QemuError} `QemuMissing` naming every missing tool and how to install it, or the
 * variable whose path cannot be run.
 */
export function findQemuTools(env: NodeJS.ProcessEnv = process.env): QemuTools {
  const qemu = fromEnvironment(QEMU_ENV, env) ?? findOnPath("qemu-system-i386", env["PATH"] ?? "");
  const nasm = fromEnvironment(NASM_ENV, env) ?? findOnPath("nasm", env["PATH"] ?? "");
  const missing = [qemu === null ? "qemu-system-i386" : null, nasm === null ? "nasm" : null].filter((name) => name !== null);
  if (qemu === null || nasm === null) {
    throw new QemuError("QemuMissing", `Cannot run the QEMU check: ${missing.join(" and ")} not found on PATH; ${INSTALL_HINT}`, {
      missing: missing.join(" "),
    });
  }
  return { qemu, nasm };
}
