import { hex } from "../../format.js";
import type { InspectJson } from "../../inspect/render.js";
import { QemuError } from "./qemu-error.js";

/** One line of QEMU's `info tlb` in any x86 mode: a leaf entry's own bits (target/i386/monitor.c `print_pte`). */
export interface QemuTlbEntry {
  /** The page's virtual address (sign-extended in long mode). */
  readonly virt: bigint;
  /** The frame's physical address. */
  readonly phys: number;
  /** PS: a large page. */
  readonly large: boolean;
  /** XD (bit 63). */
  readonly noExecute: boolean;
  /** G. */
  readonly global: boolean;
  /** PCD. */
  readonly cacheDisable: boolean;
  /** PWT. */
  readonly writeThrough: boolean;
  /** U/S of the leaf alone. */
  readonly user: boolean;
  /** R/W of the leaf alone. */
  readonly writable: boolean;
  /** A of the leaf. */
  readonly accessed: boolean;
  /** D of the leaf. */
  readonly dirty: boolean;
}

/** One range of QEMU's `info mem`: U and R/W combined over every level. */
export interface QemuMemRange {
  /** The first virtual address. */
  readonly start: bigint;
  /** The address after the last (2^64 at the top). */
  readonly end: bigint;
  /** User mode may access it. */
  readonly user: boolean;
  /** It may be written. */
  readonly writable: boolean;
}

/** Bits 12–51 of an entry: the physical address of a page (MAXPHYADDR ≤ 52). */
const PHYSICAL_ADDRESS_MASK = ((1n << 52n) - 1n) & ~0xfffn;
const TLB_LINE = /^([0-9a-f]+): ([0-9a-f]+) ([-X])([-G])([-P])([-D])([-A])([-C])([-T])([-U])([-W])$/;
const MEM_LINE = /^([0-9a-f]+)-([0-9a-f]+) ([0-9a-f]+) ([-u])r([-w])$/;

function lines(text: string): string[] {
  return text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== "");
}

function unparsable(command: string, line: string): QemuError {
  return new QemuError("MonitorError", `Cannot parse QEMU's "${command}" output: unexpected line "${line}"`, { command, line });
}

/**
 * Parses `info tlb` of any x86 mode (64-bit addresses as bigints). The physical address keeps
 * bits 12–51 only: QEMU's PAE listing (`tlb_info_pae32`) prints an NX page's XD bit as part of
 * its address.
 *
 * @throws {QemuError} `MonitorError` on a line of another shape.
 */
export function parseInfoTlbWide(text: string): QemuTlbEntry[] {
  return lines(text).map((line) => {
    const m = TLB_LINE.exec(line);
    if (m === null) throw unparsable("info tlb", line);
    return {
      virt: BigInt(`0x${m[1] ?? ""}`),
      // QEMU's PAE walker prints the leaf masked with ~0xFFF (tlb_info_pae32), so XD (bit 63)
      // shows up in the address: keep the architectural address bits 12-51 only.
      phys: Number(BigInt(`0x${m[2] ?? ""}`) & PHYSICAL_ADDRESS_MASK),
      noExecute: m[3] === "X",
      global: m[4] === "G",
      large: m[5] === "P",
      cacheDisable: m[8] === "C",
      writeThrough: m[9] === "T",
      user: m[10] === "U",
      writable: m[11] === "W",
      accessed: m[7] === "A",
      dirty: m[6] === "D",
    };
  });
}

/**
 * Parses `info mem` of any x86 mode (64-bit addresses as bigints; an end of 0 is the top of the space).
 *
 * @throws {QemuError} `MonitorError` on a line of another shape.
 */
export function parseInfoMemWide(text: string): QemuMemRange[] {
  return lines(text).map((line) => {
    const m = MEM_LINE.exec(line);
    if (m === null) throw unparsable("info mem", line);
    const start = BigInt(`0x${m[1] ?? ""}`);
    const end = BigInt(`0x${m[2] ?? ""}`);
    return { start, end: end === 0n ? 1n << 64n : end, user: m[4] === "u", writable: m[5] === "w" };
  });
}

/** How `inspect --json` and QEMU compared. */
export interface InspectComparison {
  /** Leaves on either side. */
  readonly compared: number;
  /** One line per page that differs (missing on a side, or other frame or bits). */
  readonly differences: readonly string[];
}

/** A leaf as {@link compareLeavesWithQemu} compares it with QEMU's `info tlb` (+ `info mem`). */
export interface ComparableLeaf {
  /** Virtual start, as QEMU prints it (64-bit sign-extended, unsigned). */
  readonly virt: bigint;
  /** The frame's physical address. */
  readonly phys: number;
  /** A large page (any size above 4 KiB). */
  readonly large: boolean;
  /** U/S combined over every level. */
  readonly user: boolean;
  /** R/W combined over every level. */
  readonly writable: boolean;
  /** No XD in the leaf. */
  readonly executable: boolean;
  /** G. */
  readonly global: boolean;
  /** PCD. */
  readonly pcd: boolean;
  /** PWT. */
  readonly pwt: boolean;
  /** The leaf's A bit (compared only with `accessedDirty`). */
  readonly accessed?: boolean;
  /** The leaf's D bit (compared only with `accessedDirty`). */
  readonly dirty?: boolean;
}

/**
 * Compares `inspect --json` with QEMU's view, page by page: the same leaves, each with the
 * same frame, size class, U and W (both sides combined over every level: `info mem`), X (the
 * leaf's NX as `info tlb` shows it, which QEMU's view alone can give), G, PCD and PWT.
 * With `mem` null, U and W are the leaf's own (for tables whose upper entries grant
 * everything — QEMU 7.2's `info mem` does not answer in 5-level paging).
 */
export function compareInspectWithQemu(json: InspectJson, tlb: readonly QemuTlbEntry[], mem: readonly QemuMemRange[] | null): InspectComparison {
  const leaves = json.mappings.map((m) => ({
    virt: BigInt(String(m["virt"])),
    phys: Number(m["phys"]),
    large: Number(m["size"]) > 4096,
    user: m["user"] === true,
    writable: m["writable"] === true,
    executable: m["executable"] === true,
    global: m["global"] === true,
    pcd: m["pcd"] === true,
    pwt: m["pwt"] === true,
  }));
  return compareLeavesWithQemu(leaves, tlb, mem);
}

/**
 * Compares a list of leaves with QEMU's x86 view (see {@link compareInspectWithQemu}): every
 * leaf on either side must have the same frame, size class, U, W, X, G, PCD and PWT — and with
 * `accessedDirty`, the leaf's A and D bits.
 */
export function compareLeavesWithQemu(leaves: readonly ComparableLeaf[], tlb: readonly QemuTlbEntry[], mem: readonly QemuMemRange[] | null, accessedDirty = false): InspectComparison {
  const ranges = [...(mem ?? [])].sort((a, b) => (a.start < b.start ? -1 : 1));
  const covering = (virt: bigint): QemuMemRange | undefined => {
    let low = 0;
    let high = ranges.length - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const r = ranges[mid] as QemuMemRange;
      if (virt < r.start) high = mid - 1;
      else if (virt >= r.end) low = mid + 1;
      else return r;
    }
    return undefined;
  };
  const describe = (p: ComparableLeaf): string =>
    `${hex(p.phys)}${p.large ? " large" : ""} ${p.user ? "U" : "-"}${p.writable ? "W" : "-"}${p.executable ? "X" : "-"}${p.global ? "G" : "-"}${p.pcd ? "C" : "-"}${p.pwt ? "T" : "-"}${
      accessedDirty ? `${p.accessed === true ? "A" : "-"}${p.dirty === true ? "D" : "-"}` : ""
    }`;
  const qemu = new Map<bigint, string>();
  for (const t of tlb) {
    const range = mem === null ? { user: true, writable: true } : covering(t.virt);
    qemu.set(t.virt, describe({ virt: t.virt, phys: t.phys, large: t.large, user: t.user && range?.user === true, writable: t.writable && range?.writable === true, executable: !t.noExecute, global: t.global, pcd: t.cacheDisable, pwt: t.writeThrough, accessed: t.accessed, dirty: t.dirty }));
  }
  const differences: string[] = [];
  const seen = new Set<bigint>();
  for (const leaf of leaves) {
    const { virt } = leaf;
    seen.add(virt);
    const ours = describe(leaf);
    const theirs = qemu.get(virt);
    if (theirs !== ours) differences.push(`${hex(virt, 16)}: kmem ${ours}, QEMU ${theirs ?? "not mapped"}`);
  }
  for (const virt of qemu.keys()) if (!seen.has(virt)) differences.push(`${hex(virt, 16)}: kmem not mapped, QEMU ${qemu.get(virt) ?? ""}`);
  return { compared: seen.size + [...qemu.keys()].filter((v) => !seen.has(v)).length, differences };
}
