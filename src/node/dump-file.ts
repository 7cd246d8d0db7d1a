import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import { DumpError } from "../inspect/dump-error.js";
import { DumpMemory, type DumpMemoryOptions } from "../inspect/dump-memory.js";
import { type CoreFile, isElf, readCoreHeaders } from "../inspect/elf-core.js";
import { type InspectTarget, type MachineOverrides, resolveTarget } from "../inspect/machine.js";
import type { ByteSource } from "../inspect/source.js";

/** A {@link ByteSource} over an open file, read with positioned reads (`fs.readSync` at offsets). */
export interface FileSource extends ByteSource {
  /** Closes the file. */
  close(): void;
}

/**
 * Opens `path` for positioned reads; nothing is read until asked.
 *
 * @throws {DumpError} `UnreadableDump` when the file cannot be opened.
 */
export function openFileSource(path: string): FileSource {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    throw unreadable(path, error);
  }
  const size = fstatSync(fd).size;
  return {
    size,
    read(offset, target) {
      let done = 0;
      while (done < target.length && offset + done < size) {
        const n = readSync(fd, target, done, target.length - done, offset + done);
        if (n === 0) break;
        done += n;
      }
      return done;
    },
    close() {
      closeSync(fd);
    },
  };
}

/** Options for {@link openDump}. */
export interface OpenDumpOptions extends MachineOverrides {
  /** Physical address of a raw image's first byte (default 0). */
  readonly base?: number;
  /** The page cache's size. */
  readonly cache?: DumpMemoryOptions;
}

/** An opened dump: its memory (read on demand), the core's headers, and what to inspect. */
export interface OpenedDump {
  /** Its physical memory, read on demand. */
  readonly memory: DumpMemory;
  /** `ELF core`, `raw image` or `kmem export`. */
  readonly kind: string;
  /** The ELF core's headers, or null for a raw image. */
  readonly core: CoreFile | null;
  /** The mode and root to read. */
  readonly target: InspectTarget;
  /** Closes the file. */
  close(): void;
}

function unreadable(path: string, error: unknown): DumpError {
  const why = error instanceof Error ? error.message.replace(/^[A-Z]+: /, "").replace(/, \w+ '.*'$/, "") : String(error);
  return new DumpError("UnreadableDump", `Cannot read ${path}: ${why}`, { path });
}

/** The machine a `kmem export` directory's machine.json describes, as overrides, and where its ram.bin starts. */
function exportOverrides(dir: string): { readonly overrides: MachineOverrides; readonly base: number } {
  const file = join(dir, "machine.json");
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw unreadable(file, error);
  }
  const record = (typeof json === "object" && json !== null ? json : {}) as Record<string, unknown>;
  const arch = typeof record["arch"] === "string" ? record["arch"] : "x86";
  if (arch === "x86") {
    // A 32-bit x86 export: { memoryBytes, cr3, cr4Pse, regions }, RAM from physical 0.
    const cr3 = record["cr3"];
    if (typeof cr3 !== "number" || !Number.isSafeInteger(cr3)) throw new DumpError("UnreadableDump", `Cannot read ${file}: it has no numeric "cr3"`, { dir });
    return { overrides: { mode: arch, cr3, pse: record["cr4Pse"] === true, origin: "machine.json" }, base: 0 };
  }
  // Every other mode: { arch, memoryBytes, ramBase, registers, root, regions }, RAM from ramBase.
  const root = record["root"];
  const ramBase = record["ramBase"] ?? 0;
  if (typeof root !== "number" || !Number.isSafeInteger(root)) throw new DumpError("UnreadableDump", `Cannot read ${file}: it has no numeric "root"`, { dir });
  if (typeof ramBase !== "number" || !Number.isSafeInteger(ramBase)) throw new DumpError("UnreadableDump", `Cannot read ${file}: its "ramBase" is not a number`, { dir });
  const registers = (typeof record["registers"] === "object" && record["registers"] !== null ? record["registers"] : {}) as Record<string, unknown>;
  const satp = registers["satp"];
  const overrides: MachineOverrides = arch.startsWith("riscv-")
    ? { mode: arch, satp: typeof satp === "string" && /^0x[0-9a-f]+$/i.test(satp) ? BigInt(satp) : BigInt(root / 4096), origin: "machine.json" }
    : { mode: arch, cr3: root, origin: "machine.json" };
  return { overrides, base: ramBase };
}

/**
 * Opens a dump for inspection: a QEMU ELF core, a raw physical-memory image (`pmemsave`,
 * `ram.bin`) placed at `base`, or a `kmem export` directory. Reads only headers; memory is
 * read a page at a time as the tables are walked.
 *
 * @throws {DumpError} `UnreadableDump`, `MissingCpuState`, `InvalidMachineState`.
 * @example
 * const dump = openDump("vm.core", {});
 * try { console.log(inspectTables(dump.memory, dump.target).leaves.length); } finally { dump.close(); }
 */
export function openDump(path: string, options: OpenDumpOptions = {}): OpenedDump {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (error) {
    throw unreadable(path, error);
  }
  const exported = isDirectory ? exportOverrides(path) : null;
  const overrides: MachineOverrides = exported === null ? options : { ...exported.overrides, ...options };
  const source = openFileSource(isDirectory ? join(path, "ram.bin") : path);
  try {
    const head = new Uint8Array(16);
    source.read(0, head);
    const core = isElf(head) ? readCoreHeaders(source) : null;
    if (core === null && source.size === 0) throw new DumpError("UnreadableDump", `Cannot read ${path}: it is empty`, { path });
    const base = options.base ?? exported?.base ?? 0;
    const segments = core?.segments ?? [{ physical: base, offset: 0, fileBytes: source.size, memoryBytes: source.size }];
    const memory = new DumpMemory(source, segments, options.cache);
    const target = resolveTarget(core, overrides);
    return { memory, kind: core !== null ? "ELF core" : isDirectory ? "kmem export" : "raw image", core, target, close: () => source.close() };
  } catch (error) {
    source.close();
    throw error;
  }
}
