import { hex } from "../../format.js";
import type { PageMapping } from "../../paging/mappings.js";
import type { InspectComparison } from "./inspect-compare.js";
import { QemuError } from "./qemu-error.js";

/**
 * One run of QEMU's RISC-V `info mem` (target/riscv/monitor.c `mem_info_svxx`): virtually and
 * physically contiguous pages with the same `rwxugad` bits.
 */
export interface RiscvMemRun {
  /** The first virtual address (unsigned; 64-bit modes sign-extend the top half). */
  readonly virt: bigint;
  /** The first physical address. */
  readonly phys: number;
  /** Bytes. */
  readonly size: number;
  /** The leaf's bits as seven characters `rwxugad` (`-` for a clear bit). */
  readonly attrs: string;
}

const MEM_LINE = /^([0-9a-f]+) ([0-9a-f]+) ([0-9a-f]+) ([-r][-w][-x][-u][-g][-a][-d])$/;
const HEADER_LINE = /^(vaddr|-+ )/;

/**
 * Parses QEMU's RISC-V `info mem` (Sv32 or Sv39/48/57), header lines skipped.
 *
 * @throws {QemuError} `MonitorError` on a line of another shape (e.g. "No translation or protection").
 */
export function parseRiscvInfoMem(text: string): RiscvMemRun[] {
  const runs: RiscvMemRun[] = [];
  for (const line of text.split(/\r?\n/).map((l) => l.trim())) {
    if (line === "" || HEADER_LINE.test(line)) continue;
    const m = MEM_LINE.exec(line);
    if (m === null) throw new QemuError("MonitorError", `Cannot parse QEMU's "info mem" output: unexpected line "${line}"`, { command: "info mem", line });
    runs.push({ virt: BigInt(`0x${m[1] ?? ""}`), phys: Number(BigInt(`0x${m[2] ?? ""}`)), size: Number(BigInt(`0x${m[3] ?? ""}`)), attrs: m[4] ?? "" });
  }
  return runs;
}

/** A leaf's bits as QEMU prints them: `rwxugad`. */
export function riscvAttrs(m: Pick<PageMapping, "user" | "writable" | "executable" | "global" | "accessed" | "dirty"> & { readable: boolean }): string {
  const bit = (on: boolean, c: string): string => (on ? c : "-");
  return `${bit(m.readable, "r")}${bit(m.writable, "w")}${bit(m.executable, "x")}${bit(m.user, "u")}${bit(m.global, "g")}${bit(m.accessed, "a")}${bit(m.dirty, "d")}`;
}

/**
 * Joins runs the way QEMU's `info mem` does — a run continues while the next page follows it
 * virtually and physically with the same bits — so that kmem's leaves and QEMU's lines can be
 * compared run for run. The runs must be in virtual address order.
 */
export function mergeRuns(runs: readonly RiscvMemRun[]): RiscvMemRun[] {
  const out: RiscvMemRun[] = [];
  for (const run of runs) {
    const last = out.at(-1);
    if (last !== undefined && last.attrs === run.attrs && last.virt + BigInt(last.size) === run.virt && last.phys + last.size === run.phys) {
      out[out.length - 1] = { ...last, size: last.size + run.size };
    } else {
      out.push(run);
    }
  }
  return out;
}

/**
 * Compares kmem's runs with QEMU's (both merged by {@link mergeRuns}): the same virtual
 * start, frame, length and `rwxugad` bits, run for run.
 */
export function compareRiscvRuns(ours: readonly RiscvMemRun[], theirs: readonly RiscvMemRun[]): InspectComparison {
  const key = (r: RiscvMemRun): string => `${hex(r.phys)} +${hex(r.size)} ${r.attrs}`;
  const qemu = new Map(mergeRuns(theirs).map((r) => [r.virt, key(r)]));
  const kmem = new Map(mergeRuns(ours).map((r) => [r.virt, key(r)]));
  const differences: string[] = [];
  for (const [virt, text] of kmem) if (qemu.get(virt) !== text) differences.push(`${hex(virt, 16)}: kmem ${text}, QEMU ${qemu.get(virt) ?? "not mapped"}`);
  for (const [virt, text] of qemu) if (!kmem.has(virt)) differences.push(`${hex(virt, 16)}: kmem not mapped, QEMU ${text}`);
  return { compared: new Set([...kmem.keys(), ...qemu.keys()]).size, differences };
}
