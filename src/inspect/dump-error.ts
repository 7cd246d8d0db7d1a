import { KmemError } from "../errors/kmem-error.js";

/**
 * Codes a {@link DumpError} carries: `UnreadableDump` (not a dump kmem can read: truncated,
 * not ELF, big-endian, no memory), `MissingCpuState` (no "QEMU" note and no `--cr3`/`--satp`),
 * `InvalidMachineState` (a mode, root or register that cannot describe paging), `ReadOnly` (a
 * store to a dump).
 */
export type DumpErrorCode = "UnreadableDump" | "MissingCpuState" | "InvalidMachineState" | "ReadOnly";

/** Thrown for input `kmem inspect` cannot read: the CLI prints its message on one line and exits 2. */
export class DumpError extends KmemError<DumpErrorCode, Record<string, unknown>> {}
