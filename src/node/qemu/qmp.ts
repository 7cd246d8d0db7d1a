import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { QemuError } from "./qemu-error.js";
import { INSTALL_HINT } from "./tools.js";

/** How long one QMP command may take before the session is declared dead. */
const DEFAULT_COMMAND_TIMEOUT_MS = 15_000;
/** How much of QEMU's stderr to keep for error messages. */
const STDERR_KEEP_CHARS = 2_000;

/** The arguments {@link QmpSession.start} appends: QMP on QEMU's stdin/stdout. */
export const QMP_STDIO_ARGS: readonly string[] = ["-qmp", "stdio"];

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * A QEMU process driven through QMP on its stdio: `execute` sends QMP commands,
 * `hmp` runs human-monitor commands (`info tlb`, `info registers`, `xp`) and returns their text.
 * Always `close()` it (also on error): that kills QEMU.
 *
 * @example
 * const qemu = await QmpSession.start("/usr/bin/qemu-system-i386", ["-kernel", "guest.bin"]);
 * try { console.log(await qemu.hmp("info tlb")); } finally { qemu.close(); }
 */
export class QmpSession {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #pending = new Map<number, Pending>();
  readonly #timeoutMs: number;
  #nextId = 1;
  #stderr = "";
  #exit: string | null = null;
  #greeting: Pending | null = null;

  private constructor(child: ChildProcessWithoutNullStreams, program: string, timeoutMs: number) {
    this.#child = child;
    this.#timeoutMs = timeoutMs;
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (text: string) => {
      this.#stderr = (this.#stderr + text).slice(-STDERR_KEEP_CHARS);
    });
    createInterface({ input: child.stdout }).on("line", (line) => this.#onLine(line));
    let spawned = false;
    child.on("spawn", () => (spawned = true));
    child.on("error", (error) => {
      // Not started at all (no such file, not executable): the tool is missing, not the guest failing.
      const missing = spawned ? undefined : new QemuError("QemuMissing", `Cannot start QEMU ${program}: ${error.message}; ${INSTALL_HINT}`, { program });
      this.#fail(`could not start QEMU: ${error.message}`, missing);
    });
    child.on("close", (code, signal) => this.#fail(`QEMU exited (${signal ?? `status ${String(code)}`})`));
  }

  /**
   * Starts `qemu` with `args` plus `-qmp stdio`, waits for the QMP greeting and enables commands.
   *
   * @throws {QemuError} `QemuMissing` when `qemu` cannot be started (no such file, not executable);
   *   `GuestFailed` when QEMU exits or does not answer; `MonitorError` on a QMP error.
   */
  static async start(qemu: string, args: readonly string[], options: { timeoutMs?: number } = {}): Promise<QmpSession> {
    const child = spawn(qemu, [...args, ...QMP_STDIO_ARGS], { stdio: ["pipe", "pipe", "pipe"] });
    const session = new QmpSession(child, qemu, options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS);
    try {
      await new Promise<unknown>((resolve, reject) => {
        session.#greeting = { resolve, reject, timer: session.#timer(reject, "the QMP greeting") };
      });
      await session.execute("qmp_capabilities");
    } catch (error) {
      session.close();
      throw error;
    }
    return session;
  }

  /** The last part of QEMU's stderr (for error messages). */
  get stderr(): string {
    return this.#stderr.trim();
  }

  /**
   * Runs a QMP command and resolves to its `return` value.
   *
   * @throws {QemuError} `MonitorError` when QEMU answers with an error; `GuestFailed` when QEMU is gone.
   */
  execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    if (this.#exit !== null) {
      return Promise.reject(new QemuError("GuestFailed", `Cannot run ${command}: ${this.#exit}${this.#stderrSuffix()}`, { command }));
    }
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, timer: this.#timer(reject, command) });
      this.#child.stdin.write(JSON.stringify({ execute: command, ...(args === undefined ? {} : { arguments: args }), id }) + "\n");
    });
  }

  /**
   * Runs a human-monitor command (e.g. `info tlb`) and resolves to its text, lines joined with `\n`.
   *
   * @throws {QemuError} `MonitorError`, `GuestFailed` as {@link QmpSession.execute}.
   */
  async hmp(commandLine: string): Promise<string> {
    const text = await this.execute("human-monitor-command", { "command-line": commandLine });
    if (typeof text !== "string") {
      throw new QemuError("MonitorError", `Cannot read the answer to "${commandLine}": it is not text`, { command: commandLine });
    }
    return text.replace(/\r\n/g, "\n");
  }

  /** Kills QEMU (idempotent) and fails any command still waiting. */
  close(): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill("SIGKILL");
    this.#fail("the session was closed");
  }

  #onLine(line: string): void {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      return;
    }
    if (typeof message !== "object" || message === null) return;
    const record = message as Record<string, unknown>;
    if ("QMP" in record && this.#greeting !== null) {
      clearTimeout(this.#greeting.timer);
      this.#greeting.resolve(record["QMP"]);
      this.#greeting = null;
      return;
    }
    const id = record["id"];
    const pending = typeof id === "number" ? this.#pending.get(id) : undefined;
    if (pending === undefined || typeof id !== "number") return;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    if ("error" in record) {
      const error = record["error"] as { desc?: unknown } | null;
      pending.reject(new QemuError("MonitorError", `QEMU's monitor refused a command: ${String(error?.desc ?? "unknown error")}`, {}));
    } else {
      pending.resolve(record["return"]);
    }
  }

  #timer(reject: (error: Error) => void, what: string): NodeJS.Timeout {
    return setTimeout(() => {
      reject(new QemuError("GuestFailed", `QEMU did not answer ${what} within ${this.#timeoutMs} ms${this.#stderrSuffix()}`, { timeoutMs: this.#timeoutMs }));
      this.close();
    }, this.#timeoutMs);
  }

  /** Ends the session: every waiting command fails with `error`, or with `GuestFailed` giving `reason`. */
  #fail(reason: string, error?: QemuError): void {
    this.#exit ??= reason;
    const waiting = [...this.#pending.values(), ...(this.#greeting === null ? [] : [this.#greeting])];
    this.#pending.clear();
    this.#greeting = null;
    for (const pending of waiting) {
      clearTimeout(pending.timer);
      pending.reject(error ?? new QemuError("GuestFailed", `QEMU stopped answering: ${reason}${this.#stderrSuffix()}`, {}));
    }
  }

  #stderrSuffix(): string {
    const text = this.stderr;
    return text === "" ? "" : ` (stderr: ${text.replace(/\s+/g, " ")})`;
  }
}
