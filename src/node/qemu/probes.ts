import { ADDRESS_LIMIT, LARGE_PAGE_SIZE } from "../../arch/x86/entry.js";
import { hex } from "../../format.js";
import { BLOCK_SIZE, type Range } from "../../types.js";
import type { ComparedPage } from "./compare.js";
import { CR2_MISMATCH, frameTag, NO_FAULT, PROBE_CAPACITY, PROBE_FIELD, PROBE_RECORD_BYTES, PROBE_TAG_FLAG } from "./guest.js";

/** The highest 32-bit page address. */
const LAST_PAGE = ADDRESS_LIMIT - BLOCK_SIZE;

/**
 * One address the guest accesses after enabling paging: from ring 0 a read of the dword at
 * `vaddr` then a write of the same value, then (with a user page for its stub) the same from
 * ring 3. `tagFrame` is the frame kmem says `vaddr` maps to, tagged by the guest beforehand so
 * the value read proves which frame QEMU reached (`null`: not tagged).
 */
export interface Probe {
  readonly vaddr: number;
  readonly tagFrame: number | null;
}

/** What the guest recorded for one probe; a fault is its error code, `null` when none. */
export interface ProbeOutcome {
  /** The probed virtual address. */
  readonly vaddr: number;
  /** The dword the ring-0 read returned (0 when it faulted). */
  readonly value: number;
  /** The ring-0 read's error code (or-ed with `CR2_MISMATCH` when CR2 was wrong). */
  readonly readFault: number | null;
  /** The ring-0 write's error code. */
  readonly writeFault: number | null;
  /** The dword the ring-3 read returned (0 when it faulted or did not run). */
  readonly userValue: number;
  /** The ring-3 read's error code. */
  readonly userReadFault: number | null;
  /** The ring-3 write's error code. */
  readonly userWriteFault: number | null;
}

/** The accesses of one probe, in the order the guest makes them. */
export const PROBE_ACCESSES = ["read", "write", "user read", "user write"] as const;
/** One of {@link PROBE_ACCESSES}. */
export type ProbeAccess = (typeof PROBE_ACCESSES)[number];

/** One data access to ask kmem's MMU about (`user`: from ring 3). */
export interface Access {
  /** The virtual address accessed. */
  readonly vaddr: number;
  /** A write (else a read). */
  readonly write: boolean;
  /** From ring 3 (else ring 0). */
  readonly user: boolean;
}

/**
 * kmem's answers for a batch of accesses, in `Mmu.tryTranslate` form: a physical address,
 * or `-1 - errorCode` for a page fault.
 */
export type ExpectAccesses = (accesses: readonly Access[]) => number[];

/** The accesses each probe makes, in the order {@link compareProbes} reads the answers ({@link PROBE_ACCESSES}). */
export function probeAccesses(probes: readonly Probe[]): Access[] {
  return probes.flatMap((probe) => PROBE_ACCESSES.map((access) => ({ vaddr: probe.vaddr, write: access.endsWith("write"), user: access.startsWith("user") })));
}

/** A probe whose outcome differs from kmem's MMU. */
export interface ProbeDifference {
  /** The probed virtual address. */
  readonly vaddr: number;
  /** Which of the probe's four accesses differs. */
  readonly access: ProbeAccess;
  /** kmem's result, as text (`0x00100000` or `fault 0x3`). */
  readonly kmem: string;
  /** QEMU's result, as text. */
  readonly qemu: string;
}

/** Options for {@link chooseProbes}. */
export interface ProbeChoice {
  /** The most probes (default {@link PROBE_CAPACITY}). */
  readonly capacity?: number;
  /**
   * Frames that `mayTouch` refuses but that may still be read and written back untagged:
   * physical addresses with no memory behind them in QEMU (e.g. far above 4 GiB through a
   * PSE-36 page), where only the fault or its absence is compared. Default: none.
   */
  readonly untagged?: (frame: number) => boolean;
}

/**
 * Chooses the probes for a page list: every mapped page whose frame may be touched (the base of
 * each 4 MiB page), plus the unmapped page on each side of every mapped run (expecting faults).
 * Frames for which `mayTouch` is false (page tables, MMIO, the guest itself) are not accessed,
 * unless `untagged` allows an access without a tag. Over the capacity, every unmapped neighbour
 * is kept and mapped pages are sampled evenly.
 */
export function chooseProbes(pages: readonly ComparedPage[], mayTouch: (frame: number) => boolean, choice: ProbeChoice = {}): Probe[] {
  const capacity = choice.capacity ?? PROBE_CAPACITY;
  const untagged = choice.untagged ?? ((): boolean => false);
  const sorted = [...pages].sort((a, b) => a.virt - b.virt);
  const mapped = new Set(sorted.map((p) => p.virt));
  const runs: Range[] = [];
  for (const page of sorted) {
    const end = page.virt + (page.large ? LARGE_PAGE_SIZE : BLOCK_SIZE);
    const last = runs[runs.length - 1];
    if (last !== undefined && last.end === page.virt) runs[runs.length - 1] = { start: last.start, end };
    else runs.push({ start: page.virt, end });
  }
  const unmapped = new Set<number>();
  for (const run of runs) {
    if (run.start > 0 && !mapped.has(run.start - BLOCK_SIZE)) unmapped.add(run.start - BLOCK_SIZE);
    if (run.end <= LAST_PAGE) unmapped.add(run.end);
  }
  const touched = sorted.flatMap((p): Probe[] => (mayTouch(p.phys) ? [{ vaddr: p.virt, tagFrame: p.phys }] : untagged(p.phys) ? [{ vaddr: p.virt, tagFrame: null }] : []));
  const faults = [...unmapped].map((vaddr) => ({ vaddr, tagFrame: null }));
  const room = Math.max(0, capacity - faults.length);
  const step = touched.length > room ? touched.length / room : 1;
  const sampled = step === 1 ? touched : Array.from({ length: room }, (_, i) => touched[Math.floor(i * step)]).filter((p) => p !== undefined);
  return [...sampled, ...faults.slice(0, capacity)].sort((a, b) => a.vaddr - b.vaddr);
}

/**
 * Encodes probes as the guest's records (`PROBE_RECORD_BYTES` each). Only frames below 4 GiB
 * are flagged for the guest to tag (it runs with paging off and 32-bit addresses); the host
 * tags those above through QEMU's loader.
 */
export function encodeProbes(probes: readonly Probe[]): Uint8Array {
  const bytes = new Uint8Array(probes.length * PROBE_RECORD_BYTES);
  const view = new DataView(bytes.buffer);
  probes.forEach((probe, i) => {
    const at = i * PROBE_RECORD_BYTES;
    const guestTags = probe.tagFrame !== null && probe.tagFrame < ADDRESS_LIMIT;
    view.setUint32(at + PROBE_FIELD.vaddr, (probe.vaddr | (guestTags ? PROBE_TAG_FLAG : 0)) >>> 0, true);
    view.setUint32(at + PROBE_FIELD.value, guestTags ? (probe.tagFrame ?? 0) : 0, true);
  });
  return bytes;
}

/** Decodes `count` records the guest filled in. */
export function decodeProbes(bytes: Uint8Array, count: number): ProbeOutcome[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: count }, (_, i) => {
    const at = i * PROBE_RECORD_BYTES;
    const word = (field: number): number => view.getUint32(at + field, true);
    const fault = (field: number): number | null => (word(field) === NO_FAULT ? null : word(field));
    return {
      vaddr: (word(PROBE_FIELD.vaddr) & ~PROBE_TAG_FLAG) >>> 0,
      value: word(PROBE_FIELD.value),
      readFault: fault(PROBE_FIELD.read),
      writeFault: fault(PROBE_FIELD.write),
      userValue: word(PROBE_FIELD.userValue),
      userReadFault: fault(PROBE_FIELD.userRead),
      userWriteFault: fault(PROBE_FIELD.userWrite),
    };
  });
}

/** What the guest saw for one access of a probe: its fault, and for reads the value. */
function observed(outcome: ProbeOutcome, access: ProbeAccess): { fault: number | null; value: number | null } {
  switch (access) {
    case "read":
      return { fault: outcome.readFault, value: outcome.value };
    case "write":
      return { fault: outcome.writeFault, value: null };
    case "user read":
      return { fault: outcome.userReadFault, value: outcome.userValue };
    case "user write":
      return { fault: outcome.userWriteFault, value: null };
  }
}

/** Error-code bit 0, P. */
const PF_P = 1 << 0;
/** Error-code bit 3, RSVD. */
const PF_RSVD = 1 << 3;

/**
 * Whether QEMU's recorded fault `qemu` is the fault kmem's MMU names (`kmem`): the same error
 * code and CR2 — except that QEMU leaves P clear in a reserved-bit fault (v7.2
 * target/i386/tcg/sysemu/excp_helper.c, `mmu_translate`: `do_fault_rsvd` sets only
 * `PG_ERROR_RSVD_MASK`), where the SDM (vol. 3 §4.7) and kmem set P with RSVD; that one
 * difference is accepted and counted ({@link countRsvdWithoutPresent}).
 *
 * @example
 * sameFault(0x9, 0x8); // true: QEMU's RSVD fault without P
 * sameFault(0x1, 0x0); // false
 */
export function sameFault(kmem: number, qemu: number): boolean {
  return qemu === kmem || ((kmem & (PF_RSVD | PF_P)) === (PF_RSVD | PF_P) && qemu === (kmem & ~PF_P));
}

/** How many recorded faults carry RSVD without P: QEMU's deviation from the SDM that {@link sameFault} accepts. */
export function countRsvdWithoutPresent(outcomes: readonly ProbeOutcome[]): number {
  const faults = outcomes.flatMap((o) => [o.readFault, o.writeFault, o.userReadFault, o.userWriteFault]);
  return faults.filter((code) => code !== null && (code & (PF_RSVD | PF_P | CR2_MISMATCH)) === PF_RSVD).length;
}

function describeFault(code: number): string {
  return `fault ${hex(code & ~CR2_MISMATCH, 1)}${(code & CR2_MISMATCH) !== 0 ? " (CR2 wrong)" : ""}`;
}

/**
 * Compares what QEMU's CPU did with what kmem's MMU says (`expected`: the answers for
 * {@link probeAccesses}): each access must fault with the same error code (and CR2; see
 * {@link sameFault} for QEMU's reserved-bit faults) or succeed, and a tagged read must return its frame's tag. Ring-3 accesses are compared
 * only when `user` is set (the guest had a user page for its stub).
 */
export function compareProbes(probes: readonly Probe[], outcomes: readonly ProbeOutcome[], expected: readonly number[], user: boolean): ProbeDifference[] {
  const differences: ProbeDifference[] = [];
  probes.forEach((probe, i) => {
    const outcome = outcomes[i];
    if (outcome === undefined) return;
    for (const [slot, access] of PROBE_ACCESSES.entries()) {
      const answer = expected[i * PROBE_ACCESSES.length + slot];
      if (answer === undefined || (!user && access.startsWith("user"))) continue;
      const { fault, value } = observed(outcome, access);
      const kmem = answer >= 0 ? hex(answer) : describeFault(-1 - answer);
      if (fault !== null) {
        if (answer >= 0 || !sameFault(-1 - answer, fault)) differences.push({ vaddr: probe.vaddr, access, kmem, qemu: describeFault(fault) });
        continue;
      }
      if (answer < 0) {
        differences.push({ vaddr: probe.vaddr, access, kmem, qemu: "no fault" });
      } else if (value !== null && probe.tagFrame !== null && value !== frameTag(answer)) {
        differences.push({ vaddr: probe.vaddr, access, kmem, qemu: `read ${hex(value)}, not the tag ${hex(frameTag(answer))} of ${hex(answer)}` });
      }
    }
  });
  return differences;
}

/** Formats probe differences one per line, at most `limit`, then a count of the rest. */
export function formatProbeDifferences(differences: readonly ProbeDifference[], limit: number): string {
  const lines = differences.slice(0, limit).map((d) => `${hex(d.vaddr)} ${d.access}: kmem ${d.kmem} | qemu ${d.qemu}`);
  if (differences.length > limit) lines.push(`… and ${differences.length - limit} more differing accesses`);
  return lines.join("\n");
}
