import { PAGE_BYTES, PAGE_SHIFT } from "../paging/geometry.js";
import type { Finding } from "./finding.js";
import type { InspectMode } from "./inspect-mode.js";
import { physicalText, virtualText } from "./render.js";
import type { Leaf } from "./scan.js";

/** Runs of leaves contiguous in virtual memory for which `test` holds: `[first page, pages]`. */
function runs(leaves: readonly Leaf[], test: (leaf: Leaf) => boolean): [number, number][] {
  const out: [number, number][] = [];
  for (const leaf of leaves) {
    if (!test(leaf)) continue;
    const last = out[out.length - 1];
    if (last !== undefined && last[0] + last[1] === leaf.page) last[1] += leaf.pages;
    else out.push([leaf.page, leaf.pages]);
  }
  return out;
}

function pagesText(pages: number): string {
  return `${String(pages)} page${pages === 1 ? "" : "s"}`;
}

/** The first page of the kernel half, in `mode`'s `vaBits` space. */
export function kernelFirstPage(mode: InspectMode): number {
  return Number((mode.kernelBase & ((1n << BigInt(mode.geometry.vaBits)) - 1n)) >> BigInt(PAGE_SHIFT));
}

interface Alias {
  phys: number;
  end: number;
  user: number;
  kernel: number;
}

/** Physical ranges writable through a user mapping and through a different, supervisor-only mapping. */
function writableAliases(leaves: readonly Leaf[]): Alias[] {
  const writable = leaves.filter((l) => l.writable);
  const supervisor = writable.filter((l) => !l.user).sort((a, b) => a.phys - b.phys);
  const ends: number[] = [];
  let maxEnd = 0;
  for (const s of supervisor) {
    maxEnd = Math.max(maxEnd, s.phys + s.pages * PAGE_BYTES);
    ends.push(maxEnd);
  }
  const found: Alias[] = [];
  for (const u of writable.filter((l) => l.user)) {
    const uEnd = u.phys + u.pages * PAGE_BYTES;
    // The last supervisor leaf starting before uEnd; walk back while an earlier one may still reach u.
    let low = 0;
    let high = supervisor.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((supervisor[mid] as Leaf).phys < uEnd) low = mid + 1;
      else high = mid;
    }
    for (let k = low - 1; k >= 0 && (ends[k] as number) > u.phys; k--) {
      const s = supervisor[k] as Leaf;
      const from = Math.max(u.phys, s.phys);
      const to = Math.min(uEnd, s.phys + s.pages * PAGE_BYTES);
      if (from < to) found.push({ phys: from, end: to, user: u.page + (from - u.phys) / PAGE_BYTES, kernel: s.page + (from - s.phys) / PAGE_BYTES });
    }
  }
  found.sort((a, b) => a.phys - b.phys || a.user - b.user);
  const merged: Alias[] = [];
  for (const a of found) {
    const last = merged[merged.length - 1];
    const pages = last === undefined ? 0 : (last.end - last.phys) / PAGE_BYTES;
    if (last !== undefined && last.end === a.phys && last.user + pages === a.user && last.kernel + pages === a.kernel) last.end = a.end;
    else merged.push({ ...a });
  }
  return merged;
}

/**
 * The security audit of a leaf list: W+X mappings (worded as Linux's CONFIG_DEBUG_WX),
 * user-accessible pages in the kernel half, and physical memory writable both through a user
 * mapping and through a supervisor-only one (a user page aliased by the kernel). Runs of
 * contiguous pages give one finding each. O(leaves log leaves + aliases).
 */
export function auditLeaves(leaves: readonly Leaf[], mode: InspectMode): Finding[] {
  const findings: Finding[] = [];
  if (!mode.noExecute) {
    findings.push({ kind: "writableExecutable", severity: "note", address: null, message: `W+X mappings not checked: ${mode.name} entries without NX cannot deny execution (as Linux skips the check without NX)` });
  }
  for (const [page, pages] of mode.noExecute ? runs(leaves, (l) => l.writable && l.executable) : []) {
    findings.push({ kind: "writableExecutable", severity: "error", address: page, message: `Found insecure W+X mapping at address ${virtualText(page, mode)} (${pagesText(pages)})` });
  }
  const kernelFirst = kernelFirstPage(mode);
  for (const [page, pages] of runs(leaves, (l) => l.user && l.page >= kernelFirst)) {
    findings.push({ kind: "userInKernelHalf", severity: "error", address: page, message: `Found user-accessible mapping in the kernel half at address ${virtualText(page, mode)} (${pagesText(pages)})` });
  }
  for (const alias of writableAliases(leaves)) {
    findings.push({
      kind: "writableAlias",
      severity: "error",
      address: alias.user,
      message: `Physical ${physicalText(alias.phys, mode)}–${physicalText(alias.end, mode)} (${pagesText((alias.end - alias.phys) / PAGE_BYTES)}) is writable from user mode at ${virtualText(alias.user, mode)} and by the kernel at ${virtualText(alias.kernel, mode)}`,
    });
  }
  return findings;
}

/** The one-line summary `--audit` ends with. */
export function auditSummary(findings: readonly Finding[]): string {
  const errors = findings.filter((f) => f.severity === "error").length;
  const notes = findings.length - errors;
  return errors === 0 ? `Audit passed: no findings${notes === 0 ? "" : ` (${String(notes)} note${notes === 1 ? "" : "s"})`}` : `Audit failed: ${String(errors)} finding${errors === 1 ? "" : "s"}${notes === 0 ? "" : `, ${String(notes)} note${notes === 1 ? "" : "s"}`}`;
}

