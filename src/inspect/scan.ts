import { hex } from "../format.js";
import { REASON } from "../paging/access.js";
import { PAGE_BYTES, PAGE_SHIFT, levelShift, tableEntries } from "../paging/geometry.js";
import { ENTRY_LEAF, ENTRY_TABLE, RIGHTS_GLOBAL, foldTableRights, tableAddressOf } from "../paging/mode.js";
import type { PageRange } from "../paging/pages.js";
import { virtualAddressOf } from "../paging/pages.js";
import { DumpError } from "./dump-error.js";
import type { DumpMemory } from "./dump-memory.js";
import type { Finding } from "./finding.js";
import { type InspectMode, type Rights, rightsOfKinds } from "./inspect-mode.js";

/** One leaf entry: a page or large page the CPU would translate, with its combined rights. */
export interface Leaf extends Rights {
  /** First virtual page number in the mode's `vaBits`-bit space (upper half not sign-extended). */
  readonly page: number;
  /** 4 KiB pages it maps. */
  readonly pages: number;
  /** Physical address of the first byte. */
  readonly phys: number;
  /** The level of the leaf entry (0: a 4 KiB page). */
  readonly level: number;
  /** The entry's low word. */
  readonly lo: number;
  /** The entry's high word (0 for 4-byte entries). */
  readonly hi: number;
  /** Physical address of the entry. */
  readonly entryAddress: number;
}

/** What {@link scanTables} found. */
export interface Scan {
  /** Every leaf, in virtual-address order. */
  readonly leaves: readonly Leaf[];
  /** Tables read (the root included). */
  readonly tables: number;
  /** Structural findings: reserved bits, non-canonical and outside-RAM entries, loops, shared tables. */
  readonly findings: readonly Finding[];
}

/** Options for {@link scanTables}. */
export interface ScanOptions {
  /** Only this range of virtual pages (subtrees outside it are not read). */
  readonly range?: PageRange;
  /** Stop after this many leaves (a guard against tables that map one table everywhere). Default 2^23. */
  readonly maxLeaves?: number;
}

const DEFAULT_MAX_LEAVES = 2 ** 23;

/**
 * Walks every table reachable from `root` the way the CPU would (the mode's rules decide what
 * is a table, a leaf, or a fault) and lists the leaves in virtual-address order. Never throws
 * on malformed tables and never loops: a table outside RAM, an entry with reserved bits or a
 * physical address beyond MAXPHYADDR, and a table that is its own ancestor are findings and
 * are not followed; a table referenced more than once is a note (and followed each time).
 * O(entries of the reachable tables).
 *
 * @throws {DumpError} `InvalidMachineState` when the root table is not in the dump's RAM.
 *
 * @example
 * const { leaves, findings } = scanTables(memory, x86InspectMode("x86-64"), cr3);
 */
export function scanTables(memory: DumpMemory, mode: InspectMode, root: number, options: ScanOptions = {}): Scan {
  const g = mode.geometry;
  const rules = mode.rules;
  const leaves: Leaf[] = [];
  const findings: Finding[] = [];
  /** Table → the entries (by address) pointing at it: more than one is a shared table. */
  const parents = new Map<number, Set<number>>();
  const maxLeaves = options.maxLeaves ?? DEFAULT_MAX_LEAVES;
  const range = options.range ?? { from: 0, to: 2 ** (g.vaBits - PAGE_SHIFT) };
  const limit = 2 ** mode.physicalBits;
  const wide = g.entryBytes === 8;
  const ancestors: number[] = [];
  let tables = 0;
  let stopped = false;
  const at = (page: number): string => hex(virtualAddressOf(page, g), g.signExtended ? 16 : 8);
  const where = (address: number, level: number, page: number): string => `the ${mode.levelName(level)} entry at ${hex(address)} (mapping ${at(page)})`;

  const visit = (table: number, level: number, firstPage: number, rights: number): void => {
    tables++;
    ancestors.push(table);
    const spanPages = 2 ** (levelShift(g, level) - PAGE_SHIFT);
    const entries = tableEntries(g, level);
    const first = Math.max(0, Math.floor((range.from - firstPage) / spanPages));
    const last = Math.min(entries, Math.ceil((range.to - firstPage) / spanPages));
    for (let i = first; i < last && !stopped; i++) {
      const address = table + i * g.entryBytes;
      const lo = memory.read32(address);
      const hi = wide ? memory.read32(address + 4) : 0;
      if (!mode.present(lo, hi)) continue;
      const page = firstPage + i * spanPages;
      const role = rules.classify(lo, hi, level);
      if (role === ENTRY_TABLE) {
        const next = tableAddressOf(rules, lo, hi);
        if (next >= limit) {
          findings.push({ kind: "nonCanonical", severity: "error", address: page, message: `${where(address, level, page)} points at ${hex(next)}, beyond the ${String(mode.physicalBits)}-bit physical address space` });
        } else if (!memory.contains(next, tableEntries(g, level - 1) * g.entryBytes)) {
          findings.push({ kind: "tableOutsideRam", severity: "error", address: page, message: `${where(address, level, page)} points at a table at ${hex(next)}, outside the dump's RAM` });
        } else if (ancestors.includes(next)) {
          findings.push({ kind: "tableLoop", severity: "error", address: page, message: `${where(address, level, page)} points back at the table at ${hex(next)} on its own path (a loop; not followed)` });
        } else {
          const referrers = parents.get(next) ?? new Set<number>();
          referrers.add(address);
          parents.set(next, referrers);
          visit(next, level - 1, page, foldTableRights(rules, rights, lo, hi, level));
        }
        continue;
      }
      const bad = role === ENTRY_LEAF ? rules.checkLeaf(lo, hi, level) : role;
      if (bad !== 0) {
        const entry = wide ? `${hex(hi)}${hex(lo).slice(2)}` : hex(lo);
        const why = bad === REASON.misaligned ? "maps a misaligned superpage" : bad === REASON.noLeaf ? "points at a table below the last level" : "has reserved bits set";
        findings.push({ kind: "reservedBits", severity: "error", address: page, message: `${where(address, level, page)} = ${entry} ${why}: the CPU faults on it` });
        continue;
      }
      const phys = rules.pageAddress(lo, hi, level);
      if (phys + spanPages * PAGE_BYTES > limit) {
        findings.push({ kind: "nonCanonical", severity: "error", address: page, message: `${where(address, level, page)} maps ${hex(phys)}, beyond the ${String(mode.physicalBits)}-bit physical address space` });
        continue;
      }
      const final = rules.combineLeaf(rights, lo, hi, level);
      const kinds = rules.allowedKinds(final);
      leaves.push({ page, pages: spanPages, phys, level, lo, hi, entryAddress: address, ...rightsOfKinds(kinds, (final & RIGHTS_GLOBAL) !== 0) });
      if (leaves.length >= maxLeaves) {
        stopped = true;
        findings.push({ kind: "truncated", severity: "error", address: page, message: `Stopped after ${String(maxLeaves)} leaves at ${at(page)}: the tables map more than kmem lists (a table shared everywhere?)` });
      }
    }
    ancestors.pop();
  };

  if (!memory.contains(root, tableEntries(g, g.levels - 1) * g.entryBytes)) {
    throw new DumpError("InvalidMachineState", `Cannot inspect the tables at ${hex(root)}: the root table lies outside the dump's RAM (wrong --cr3/--satp, or an incomplete dump?)`, { root });
  }
  visit(root, g.levels - 1, 0, rules.initialRights);
  for (const [table, referrers] of parents) {
    const count = referrers.size;
    if (count > 1) findings.push({ kind: "sharedTable", severity: "note", address: null, message: `The table at ${hex(table)} is referenced by ${String(count)} entries (shared)` });
  }
  return { leaves, tables, findings };
}
