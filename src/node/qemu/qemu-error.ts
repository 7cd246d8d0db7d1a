import { KmemError } from "../../errors/kmem-error.js";

/**
 * Codes a {@link QemuError} can carry:
 * `QemuMissing` (qemu-system-i386 or nasm is not installed, or cannot be run),
 * `GuestCollision` (the guest's area overlaps something the profile or kmem uses),
 * `UnsupportedMachine` (the machine cannot be checked in QEMU, e.g. too much memory),
 * `GuestFailed` (QEMU exited, or the guest never enabled paging),
 * `MonitorError` (QEMU's monitor rejected a command or printed something unparsable).
 */
export type QemuErrorCode = "QemuMissing" | "GuestCollision" | "UnsupportedMachine" | "GuestFailed" | "MonitorError";

/** Thrown by the QEMU fidelity driver; `data` holds the offending addresses or tool names. */
export class QemuError extends KmemError<QemuErrorCode, Record<string, number | string>> {}
