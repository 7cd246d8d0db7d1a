/**
 * kmem/node: the parts of kmem that need Node (files, child processes) — profile files and
 * the check of kmem's page tables against QEMU's x86 MMU. The core is `kmem`.
 *
 * @example
 * import { DEFAULT_PROFILE } from "kmem";
 * import { checkProfileWithQemu } from "kmem/node";
 * const result = await checkProfileWithQemu(DEFAULT_PROFILE, { random: { count: 300, seed: 7 } });
 * result.ok; // true: QEMU walks kmem's tables to the same pages
 *
 * @module kmem/node
 */

// Memory profiles from files, with the CLI's one-line errors.
export { MAX_PROFILE_BYTES, readProfileFile } from "./profile-file.js";

// The QEMU fidelity check (docs/qemu.md): kmem's page tables walked by QEMU's x86 CPU.
export { checkMachineWithQemu, checkProfileWithQemu } from "./qemu/machine-check.js";
export type { MachineCheckOptions, ProfileCheckOptions, ProfileCheckResult } from "./qemu/machine-check.js";
export { checkWithQemu } from "./qemu/verify.js";
export { expectedPages } from "./qemu/expected.js";
export type { QemuCheckInput, QemuCheckOptions, QemuCheckResult, UserPage } from "./qemu/verify.js";
export { GUEST_LABEL, placeGuest, withGuest } from "./qemu/placement.js";
export { GUEST_AREA_BYTES } from "./qemu/guest.js";
export { findQemuTools } from "./qemu/tools.js";
export type { QemuTools } from "./qemu/tools.js";
export { QemuError } from "./qemu/qemu-error.js";
export type { QemuErrorCode } from "./qemu/qemu-error.js";
export type { RandomRunSummary } from "./qemu/random-ops.js";

// Dumps on disk for `kmem inspect` (positioned reads), and inspect compared with QEMU.
export { openDump, openFileSource } from "./dump-file.js";
export type { FileSource, OpenDumpOptions, OpenedDump } from "./dump-file.js";
export { compareInspectWithQemu, parseInfoMemWide, parseInfoTlbWide } from "./qemu/inspect-compare.js";
export type { InspectComparison, QemuMemRange, QemuTlbEntry } from "./qemu/inspect-compare.js";
export { compareLeavesWithQemu } from "./qemu/inspect-compare.js";
export type { ComparableLeaf } from "./qemu/inspect-compare.js";
// verify-qemu in PAE, long mode (4/5-level) and RISC-V Sv32/39/48/57.
export { checkModeWithQemu } from "./qemu/mode-verify.js";
export type { ModeCheckInput, ModeCheckOptions, ModeCheckRegisters, ModeCheckResult, ModeProbes, QemuCheckedMode } from "./qemu/mode-verify.js";
export { applyModeRandomOperations } from "./qemu/mode-random.js";
export type { ModeRandomOptions, ModeRandomSummary, RandomOpsSpace, RandomSetArea } from "./qemu/mode-random.js";
export { compareRiscvRuns, mergeRuns, parseRiscvInfoMem } from "./qemu/riscv-mem.js";
export type { RiscvMemRun } from "./qemu/riscv-mem.js";
export { QmpSession } from "./qemu/qmp.js";

// Its lower layers: QEMU's monitor text parsed, and page lists diffed.
export { parseInfoMem, parseInfoTlb } from "./qemu/monitor-text.js";
export type { CpuState, MemRange, TlbLine } from "./qemu/monitor-text.js";
export { asQemuMonitorShows, comparePages, formatDifferences, kmemPages, qemuPages } from "./qemu/compare.js";
export type { ComparedPage, Comparison, PageDifference, PageMapping } from "./qemu/compare.js";
export { PROBE_ACCESSES, countRsvdWithoutPresent, sameFault } from "./qemu/probes.js";
export type { ExpectAccesses, ProbeAccess, ProbeDifference, ProbeOutcome } from "./qemu/probes.js";
export type { Access as ProbedAccess } from "./qemu/probes.js";
export { judgeGuestCpu, waitForGuest } from "./qemu/cpu-check.js";
export type { ExpectedCpu, GuestMonitor, GuestProgress } from "./qemu/cpu-check.js";
export { compareAccessedDirty, formatEntryDifferences } from "./qemu/accessed-dirty.js";
export type { AccessedDirtyInput, EntryComparison, EntryDifference, ExpectEntries } from "./qemu/accessed-dirty.js";
