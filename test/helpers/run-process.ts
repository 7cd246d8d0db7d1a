import { spawn } from "node:child_process";

/** What a finished child process left: its exit status (`null` when killed) and its output. */
export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** How {@link runProcess} starts the child. */
export interface RunProcessOptions {
  /** Working directory. */
  readonly cwd: string;
  /** The environment (default: this process's). */
  readonly env?: NodeJS.ProcessEnv;
  /** Kill the child after this many milliseconds (its status is then `null`). */
  readonly timeout?: number;
  /** Close the reading end of stdout at once, as `| head -0` would (stdout is then ""). */
  readonly closeStdout?: boolean;
  /** Text written to the child's standard input, which is then closed (default: nothing, stdin left open). */
  readonly input?: string;
}

/**
 * Runs `command args…` and collects its exit status and UTF-8 output; rejects only when the
 * process cannot be started at all.
 */
export function runProcess(command: string, args: readonly string[], options: RunProcessOptions): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, ...(options.timeout === undefined ? {} : { timeout: options.timeout }) });
    let stdout = "";
    let stderr = "";
    if (options.closeStdout === true) child.stdout.destroy();
    else child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
    if (options.input !== undefined) child.stdin.end(options.input);
  });
}
