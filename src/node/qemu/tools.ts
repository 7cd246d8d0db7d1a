import { accessSync, constants } from "node:fs";
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

/**
 * Finds `qemu-system-i386` and `nasm` (or the paths in `KMEM_QEMU` / `KMEM_NASM`).
 *
 * @throws {QemuError} `QemuMissing` naming every missing tool and how to install it.
 */
export function findQemuTools(env: NodeJS.ProcessEnv = process.env): QemuTools {
  const qemu = nonEmpty(env[QEMU_ENV]) ?? findOnPath("qemu-system-i386", env["PATH"] ?? "");
  const nasm = nonEmpty(env[NASM_ENV]) ?? findOnPath("nasm", env["PATH"] ?? "");
  const missing = [qemu === null ? "qemu-system-i386" : null, nasm === null ? "nasm" : null].filter((name) => name !== null);
  if (qemu === null || nasm === null) {
    throw new QemuError("QemuMissing", `Cannot run the QEMU check: ${missing.join(" and ")} not found on PATH; ${INSTALL_HINT}`, {
      missing: missing.join(" "),
    });
  }
  return { qemu, nasm };
}
