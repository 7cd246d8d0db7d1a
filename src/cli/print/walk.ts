import { decodeEntry } from "../../arch/x86/entry.js";
import type { WalkResult } from "../../arch/x86/mmu.js";
import { describeFaultReason, formatErrorCode } from "../../arch/x86/page-fault.js";
import { hex } from "../../format.js";

const INDEX_DIGITS = 3;
const ERROR_CODE_DIGITS = 1;
/** Hex digits of a 22-bit offset inside a 4 MiB page. */
const LARGE_OFFSET_DIGITS = 6;

/** The flag words of a PDE or PTE, e.g. `present read-only supervisor accessed frame 0x00100000`. */
export function describeEntry(value: number, level: "pde" | "pte"): string {
  const e = decodeEntry(value, level);
  if (!e.present) {
    return "not present";
  }
  const words = [
    "present",
    e.writable ? "writable" : "read-only",
    e.user ? "user" : "supervisor",
    e.writeThrough ? "write-through" : "",
    e.cacheDisable ? "cache-disabled" : "",
    e.accessed ? "accessed" : "",
    e.dirty ? "dirty" : "",
    e.pageSize ? "4MiB-page" : "",
    e.global ? "global" : "",
    `${level === "pde" && !e.pageSize ? "table" : "frame"} ${hex(e.address)}`,
  ];
  return words.filter((w) => w !== "").join(" ");
}

function accessText(walk: WalkResult): string {
  return `${walk.access.user ? "user" : "supervisor"} ${walk.access.write ? "write" : "read"}`;
}

/** The text `kmem translate` prints: the result or the fault, then the entries the walk used. */
export function renderWalk(walk: WalkResult): string {
  const errorCode = walk.errorCode ?? 0;
  const head =
    walk.physical !== null
      ? `${hex(walk.vaddr)} -> ${hex(walk.physical)} (${accessText(walk)})`
      : `${hex(walk.vaddr)}: page fault on a ${accessText(walk)}, error code ${hex(errorCode, ERROR_CODE_DIGITS)} (${formatErrorCode(errorCode)}): ${walk.reason === null ? "" : describeFaultReason(walk.reason)}`;
  const lines = [
    head,
    `  CR3 ${hex(walk.cr3)}${walk.tlbHit ? " (answered by the TLB)" : ""}`,
    `  PDE[${hex(walk.pdIndex, INDEX_DIGITS)}] at ${hex(walk.pdeAddress)} = ${hex(walk.pde)}  ${describeEntry(walk.pde, "pde")}`,
  ];
  if (walk.pteAddress !== null && walk.pte !== null) {
    lines.push(`  PTE[${hex(walk.ptIndex, INDEX_DIGITS)}] at ${hex(walk.pteAddress)} = ${hex(walk.pte)}  ${describeEntry(walk.pte, "pte")}`);
  }
  lines.push(walk.physical !== null ? `  offset ${hex(walk.offset, walk.large ? LARGE_OFFSET_DIGITS : INDEX_DIGITS)}` : `  CR2 ${hex(walk.vaddr)}`);
  return lines.join("\n") + "\n";
}
