import { KmemError } from "./kmem-error.js";

/**
 * Codes a {@link ScriptError} can carry:
 * - `UnknownCommand`: a line whose first word is no command of the process-script language;
 * - `BadArgument`: a missing, extra or malformed argument (an address, a count, rights, a policy);
 * - `UnknownTask`: a task named before it was spawned, or after it exited;
 * - `TaskExists`: a task spawned (or forked, copied, loaded) under a name still in use;
 * - `UnreadableFile`: the ELF file a `load` line names cannot be read.
 */
export type ScriptErrorCode = "UnknownCommand" | "BadArgument" | "UnknownTask" | "TaskExists" | "UnreadableFile";

/** The `data` of a {@link ScriptError}. */
export interface ScriptErrorData {
  /** The 1-based number of the line at fault. */
  readonly line: number;
}

/** Thrown for a process script that cannot run (before any of it runs); `data.line` is the 1-based line. */
export class ScriptError extends KmemError<ScriptErrorCode, ScriptErrorData> {}
