import { ENTRY_FRAME_MASK } from "../../arch/x86/entry.js";
import { hex } from "../../format.js";
import { type CpuState, CR4_PSE, parseCpuState } from "./monitor-text.js";
import { QemuError } from "./qemu-error.js";

/** How often {@link waitForGuest} asks QEMU. */
const POLL_INTERVAL_MS = 10;
/** Run states in which QEMU's VM will not go on by itself (with -no-shutdown, a triple fault ends in "shutdown"). */
const STOPPED_STATES: readonly string[] = ["shutdown", "guest-panicked", "internal-error", "io-error"];

/** What {@link waitForGuest} needs of a QEMU session (a `QmpSession` is one). */
export interface GuestMonitor {
  /** Runs a human-monitor command (`info registers`) and resolves to its text. */
  hmp(commandLine: string): Promise<string>;
  /** Runs a QMP command (`query-status`) and resolves to its `return` value. */
  execute(command: string, args?: Record<string, unknown>): Promise<unknown>;
}

/** CR0 bit 31, PG: paging enabled. */
export const CR0_PG = 0x8000_0000;
/** CR0 bit 16, WP: supervisor writes honour read-only pages. */
export const CR0_WP = 1 << 16;

/** The control registers the guest must hold once it has halted with paging on. */
export interface ExpectedCpu {
  /** The page directory kmem's tables start at (only bits 12–31 are compared). */
  readonly cr3: number;
  /** CR4.PSE. */
  readonly pse: boolean;
  /** CR0.WP. */
  readonly wp: boolean;
}

/**
 * Where the guest stands, judged from one `info registers` answer: `running` (not yet halted
 * with CR0.PG set: ask again), `done` (halted with paging on and CR3, CR4.PSE, CR0.WP as
 * asked), or `wrong` (halted with paging on, but a register differs: `problem` says which).
 */
export type GuestProgress =
  | {
      /** Not yet halted with CR0.PG set: ask again. */
      readonly state: "running";
      /** The registers read. */
      readonly cpu: CpuState;
    }
  | {
      /** Halted with paging on and CR3, CR4.PSE, CR0.WP as asked. */
      readonly state: "done";
      /** The registers read. */
      readonly cpu: CpuState;
    }
  | {
      /** Halted with paging on, but some register differs. */
      readonly state: "wrong";
      /** The registers read. */
      readonly cpu: CpuState;
      /** Which registers differ and how, e.g. `CR4 0x00000000 with PSE off, not on`. */
      readonly problem: string;
    };

/**
 * Judges the guest's CPU from QEMU's `info registers` text against what it was told to load.
 * Pure: the same text always gives the same verdict.
 *
 * @throws {QemuError} `MonitorError` when CR0, CR3, CR4, EIP or HLT is missing from `text`.
 * @example
 * judgeGuestCpu(await qemu.hmp("info registers"), { cr3: 0x1000, pse: true, wp: true });
 * // { state: "done", cpu: { cr0: 0x80010011, cr3: 0x1000, cr4: 0x10, eip: 0xf0019f, halted: true } }
 */
export function judgeGuestCpu(text: string, expected: ExpectedCpu): GuestProgress {
  const cpu = parseCpuState(text);
  if ((cpu.cr0 & CR0_PG) === 0 || !cpu.halted) return { state: "running", cpu };
  const problems: string[] = [];
  if ((cpu.cr3 & ENTRY_FRAME_MASK) >>> 0 !== (expected.cr3 & ENTRY_FRAME_MASK) >>> 0) {
    problems.push(`CR3 ${hex(cpu.cr3)}, not ${hex(expected.cr3)}`);
  }
  if (((cpu.cr4 & CR4_PSE) !== 0) !== expected.pse) {
    problems.push(`CR4 ${hex(cpu.cr4)} with PSE ${expected.pse ? "off, not on" : "on, not off"}`);
  }
  if (((cpu.cr0 & CR0_WP) !== 0) !== expected.wp) {
    problems.push(`CR0 ${hex(cpu.cr0)} with WP ${expected.wp ? "off, not on" : "on, not off"}`);
  }
  return problems.length === 0 ? { state: "done", cpu } : { state: "wrong", cpu, problem: problems.join("; ") };
}

/**
 * Polls `info registers` until the guest has halted with paging on as `expected`, and returns
 * its registers. A VM that stopped by itself (a triple fault, a panic) is reported with the
 * registers read after it stopped — not those of the last poll, which may predate the stop.
 *
 * @throws {QemuError} `GuestFailed` when the guest halts with other registers, stops, or
 *   takes longer than `timeoutMs`; `MonitorError` as {@link judgeGuestCpu}.
 */
export async function waitForGuest(qemu: GuestMonitor, expected: ExpectedCpu, timeoutMs: number): Promise<CpuState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const progress = judgeGuestCpu(await qemu.hmp("info registers"), expected);
    const cpu = progress.cpu;
    if (progress.state === "done") return cpu;
    if (progress.state === "wrong") {
      throw new QemuError("GuestFailed", `The QEMU guest halted with ${progress.problem}`, { cr0: cpu.cr0, cr3: cpu.cr3, cr4: cpu.cr4 });
    }
    const state = (await qemu.execute("query-status")) as { status?: unknown } | null;
    const status = String(state?.status ?? "unknown");
    if (STOPPED_STATES.includes(status)) {
      const last = parseCpuState(await qemu.hmp("info registers"));
      throw new QemuError(
        "GuestFailed",
        `The QEMU guest stopped (${status === "shutdown" ? "triple fault" : status}) at EIP ${hex(last.eip)} with CR0 ${hex(last.cr0)}, CR3 ${hex(last.cr3)}: the tables do not map what the guest needs as expected`,
        { eip: last.eip, cr0: last.cr0, status },
      );
    }
    if (Date.now() > deadline) {
      throw new QemuError("GuestFailed", `The QEMU guest did not enable paging and halt within ${timeoutMs} ms (CR0 ${hex(cpu.cr0)}, EIP ${hex(cpu.eip)})`, { cr0: cpu.cr0, eip: cpu.eip });
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}
