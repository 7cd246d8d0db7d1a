import { hex } from "../../format.js";
import { QemuError } from "./qemu-error.js";
import type { QmpSession } from "./qmp.js";

const POLL_MS = 20;

/**
 * Polls the monitor `command` until its output no longer starts with `notYet`, then stops the VM.
 *
 * @throws {QemuError} `GuestFailed` after `timeoutMs`.
 */
export async function waitForPaging(qemu: QmpSession, command: string, notYet: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await qemu.hmp(command)).trimStart().startsWith(notYet)) {
    if (Date.now() > deadline) throw new QemuError("GuestFailed", `The QEMU guest did not enable paging within ${String(timeoutMs)} ms`, { timeoutMs });
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  await qemu.execute("stop");
}

/**
 * Polls the guest's word at physical `address` (`xp`) until it equals `value`, then stops the VM.
 *
 * @throws {QemuError} `GuestFailed` after `timeoutMs`.
 */
export async function waitForWord(qemu: QmpSession, address: number, value: number, bytes: 4 | 8, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = (await qemu.hmp(`xp /1${bytes === 4 ? "w" : "g"}x ${hex(address)}`)).trim();
    const m = /: (0x[0-9a-f]+)$/.exec(text);
    if (m !== null && BigInt(m[1] ?? "0") === BigInt(value)) break;
    if (Date.now() > deadline) throw new QemuError("GuestFailed", `The QEMU guest did not finish within ${String(timeoutMs)} ms (its word at ${hex(address)} reads ${text})`, { timeoutMs });
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  await qemu.execute("stop");
}
