import { PDE_PAGE_SIZE, PTE_ACCESSED, PTE_CACHE_DISABLE, PTE_DIRTY, PTE_GLOBAL, PTE_USER, PTE_WRITABLE, PTE_WRITE_THROUGH } from "../../arch/x86/entry.js";
import { HI_NX } from "../../arch/x86/entry64.js";
import { entryCodecFor } from "../../arch/entry-codec-for.js";
import { PTE_A, PTE_D, PTE_G, PTE_R, PTE_U, PTE_V, PTE_W, PTE_X } from "../../arch/riscv/pte.js";
import type { PagingModeName } from "../../boot/modes.js";
import { hex, jsonAddress } from "../../format.js";
import { KIND_FETCH, KIND_USER, KIND_WRITE, describeReason, kindOperation, reasonName } from "../../paging/access.js";
import { PAGE_BYTES } from "../../paging/geometry.js";
import type { WalkExplanation } from "../../paging/mmu.js";
import { formatSize } from "./size.js";

const TWO_32 = 2n ** 32n;
const INDEX_DIGITS = 3;

/** x86 table names by level, leaf table first. */
const X86_LEVEL_NAMES: Readonly<Record<string, readonly string[]>> = {
  "x86-pae": ["PT", "PD", "PDPT"],
  "x86-64": ["PT", "PD", "PDPT", "PML4"],
  "x86-64-la57": ["PT", "PD", "PDPT", "PML4", "PML5"],
};


/**
 * An entry's flags in words, then what it points at, e.g.
 * `present writable supervisor accessed table 0x00002000` (x86) or `V R X A leaf 0x80200000` (RISC-V).
 */
export function describeModeEntry(mode: PagingModeName, entry: bigint, level: number): string {
  const lo = Number(entry % TWO_32);
  const hi = Number(entry / TWO_32);
  const codec = entryCodecFor(mode);
  if (!codec.isPresent(lo, hi)) return "not present";
  const leaf = level === 0 || codec.isLeaf(lo, hi, level);
  const target = `${leaf ? "page" : "table"} ${hex(codec.pageNumber(lo, hi, level) * PAGE_BYTES)}`;
  if (mode === "x86-pae" && level === 2) {
    // A PDPTE has P, PWT and PCD only: its other low bits are reserved.
    return ["present", (lo & PTE_WRITE_THROUGH) !== 0 ? "write-through" : "", (lo & PTE_CACHE_DISABLE) !== 0 ? "cache-disabled" : "", target].filter((w) => w !== "").join(" ");
  }
  if (mode.startsWith("riscv")) {
    const bits: readonly [number, string][] = [[PTE_V, "V"], [PTE_R, "R"], [PTE_W, "W"], [PTE_X, "X"], [PTE_U, "U"], [PTE_G, "G"], [PTE_A, "A"], [PTE_D, "D"]];
    return [...bits.filter(([bit]) => (lo & bit) !== 0).map(([, name]) => name), target].join(" ");
  }
  const words = [
    "present",
    (lo & PTE_WRITABLE) !== 0 ? "writable" : "read-only",
    (lo & PTE_USER) !== 0 ? "user" : "supervisor",
    (lo & PTE_WRITE_THROUGH) !== 0 ? "write-through" : "",
    (lo & PTE_CACHE_DISABLE) !== 0 ? "cache-disabled" : "",
    (lo & PTE_ACCESSED) !== 0 ? "accessed" : "",
    leaf && (lo & PTE_DIRTY) !== 0 ? "dirty" : "",
    level > 0 && (lo & PDE_PAGE_SIZE) !== 0 ? "large" : "",
    leaf && (lo & PTE_GLOBAL) !== 0 ? "global" : "",
    (hi & HI_NX) !== 0 ? "no-execute" : "",
    target,
  ];
  return words.filter((w) => w !== "").join(" ");
}

function accessText(kind: number): string {
  const op = kindOperation(kind);
  return `${kind >= KIND_USER ? "user" : "supervisor"} ${op === KIND_WRITE ? "write" : op === KIND_FETCH ? "fetch" : "read"}`;
}

/** `page fault on a supervisor write (x86-64), error code 0x3: …`; RISC-V names scause, x86 #GP has no error code. */
function faultText(mode: PagingModeName, walk: WalkExplanation, access: string): string {
  const reason = walk.faultReason === null ? "notPresent" : reasonName(walk.faultReason);
  const code = walk.faultCode ?? 0;
  const kind = mode.startsWith("riscv") ? `page fault on a ${access} (${mode}), scause ${code}` : reason === "nonCanonical" ? `general-protection fault #GP(0) on a ${access} (${mode})` : `page fault on a ${access} (${mode}), error code ${hex(code, 1)}`;
  return `${kind}: ${describeReason(reason)}`;
}

function levelName(mode: PagingModeName, level: number): string {
  return X86_LEVEL_NAMES[mode]?.[level] ?? `L${level}`;
}

/** The text `kmem translate` prints for a mode machine: the result or the fault, then every level of the walk. */
export function renderModeWalk(mode: PagingModeName, walk: WalkExplanation): string {
  const vaddr = hex(walk.vaddr);
  const access = accessText(walk.kind);
  const head = walk.physical !== null ? `${vaddr} -> ${hex(walk.physical)} (${mode}, ${access}, ${formatSize(walk.pageSize)} page)` : `${vaddr}: ${faultText(mode, walk, access)}`;
  const root = mode.startsWith("riscv") ? `root ${hex(walk.root)} (satp.PPN ${hex(walk.root / PAGE_BYTES, 1)})` : `CR3 ${hex(walk.root)}`;
  const lines = [head, `  ${root}${walk.tlbHit ? " (answered by the TLB)" : ""}`];
  for (const step of walk.steps) {
    const index = `[${hex(step.index, INDEX_DIGITS)}]`;
    lines.push(`  ${levelName(mode, step.level).padEnd(4)} ${index} at ${hex(step.entryAddress)} = ${hex(step.entry, mode === "riscv-sv32" ? 8 : 16)}  ${describeModeEntry(mode, step.entry, step.level)}`);
  }
  if (walk.physical !== null) {
    lines.push(`  offset ${hex(walk.physical % walk.pageSize, 1)} in the ${formatSize(walk.pageSize)} page`);
  }
  return lines.join("\n") + "\n";
}

/** The walk as JSON: bigints (addresses of 64-bit modes, entries) as `"0x…"` strings. */
export function modeWalkJson(walk: WalkExplanation): Record<string, unknown> {
  return {
    ...walk,
    vaddr: jsonAddress(walk.vaddr),
    steps: walk.steps.map((step) => ({ ...step, entry: hex(step.entry, 16) })),
  };
}
