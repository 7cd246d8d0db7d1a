import { hex } from "../format.js";
import { REASON, describeReason, reasonName } from "../paging/access.js";
import { isCanonical } from "../paging/address.js";
import { indexAt, offsetWithin } from "../paging/mmu.js";
import { levelShift, tableEntries } from "../paging/geometry.js";
import { ENTRY_LEAF, ENTRY_TABLE, RIGHTS_GLOBAL, foldTableRights, tableAddressOf } from "../paging/mode.js";
import type { DumpMemory } from "./dump-memory.js";
import { type InspectMode, type Rights, rightsOfKinds } from "./inspect-mode.js";

/** One level of a traced walk. */
export interface TraceStep {
  /** The table's level (0: the last). */
  readonly level: number;
  /** Linux's name for it (`pgd`, `pte`…). */
  readonly levelName: string;
  /** The entry's index in its table. */
  readonly index: number;
  /** The entry's physical address. */
  readonly entryAddress: number;
  /** The entry (4-byte entries zero-extended). */
  readonly entry: bigint;
  /** `table`, `leaf`, or why the walk stopped here. */
  readonly role: "table" | "leaf" | "notPresent" | "reserved" | "outsideRam";
  /** The entry in words. */
  readonly description: string;
}

/** The walk of one virtual address through a dump's tables. */
export interface Trace {
  /** The address walked. */
  readonly vaddr: bigint;
  /** The root table's physical address. */
  readonly root: number;
  /** Every level looked at, root first. */
  readonly steps: readonly TraceStep[];
  /** The physical address, or null when the walk stops. */
  readonly physical: number | null;
  /** Bytes of the page (0 when unmapped). */
  readonly pageSize: number;
  /** The combined rights of the leaf, or null. */
  readonly rights: Rights | null;
  /** Why the walk stopped, or null. */
  readonly reason: string | null;
}

/**
 * Walks `vaddr` (any 64-bit value; 32-bit modes take it below 2^32) through the tables at
 * `root` without side effects, decoding every level's entry. A non-canonical address, a
 * missing entry or a table outside RAM ends the walk with a reason; nothing throws.
 */
export function traceAddress(memory: DumpMemory, mode: InspectMode, root: number, vaddr: bigint): Trace {
  const g = mode.geometry;
  const rules = mode.rules;
  const hi = Number((vaddr >> 32n) & 0xffffffffn);
  const lo = Number(vaddr & 0xffffffffn);
  const steps: TraceStep[] = [];
  const stop = (reason: string): Trace => ({ vaddr, root, steps, physical: null, pageSize: 0, rights: null, reason });
  if (!g.signExtended && vaddr >= 1n << 32n) return stop(`the address is beyond the 32 bits ${mode.name} translates`);
  if (!isCanonical(hi, lo, g)) return stop(describeReason("nonCanonical"));
  let table = root;
  let rights = rules.initialRights;
  for (let level = g.levels - 1; level >= 0; level--) {
    const shift = levelShift(g, level);
    const index = indexAt(hi, lo, shift, g.indexBits[level] ?? 0);
    const entryAddress = table + index * g.entryBytes;
    const base = { level, levelName: mode.levelName(level), index, entryAddress };
    if (!memory.contains(table, tableEntries(g, level) * g.entryBytes)) {
      steps.push({ ...base, entry: 0n, role: "outsideRam", description: `table ${hex(table)} is outside the dump's RAM` });
      return stop(`the ${mode.levelName(level)} table at ${hex(table)} is outside the dump's RAM`);
    }
    const entryLo = memory.read32(entryAddress);
    const entryHi = g.entryBytes === 8 ? memory.read32(entryAddress + 4) : 0;
    const entry = (BigInt(entryHi) << 32n) | BigInt(entryLo);
    const role = rules.classify(entryLo, entryHi, level);
    const bad = role === ENTRY_LEAF ? rules.checkLeaf(entryLo, entryHi, level) : role === ENTRY_TABLE ? 0 : role;
    if (bad !== 0) {
      const notPresent = bad === REASON.notPresent;
      steps.push({ ...base, entry, role: notPresent ? "notPresent" : "reserved", description: notPresent ? "not present" : describeReason(reasonName(bad)) });
      return stop(describeReason(reasonName(bad)));
    }
    if (role === ENTRY_TABLE) {
      const next = tableAddressOf(rules, entryLo, entryHi);
      steps.push({ ...base, entry, role: "table", description: `${mode.describeEntry(entryLo, entryHi, level, false)} table ${hex(next)}` });
      rights = foldTableRights(rules, rights, entryLo, entryHi, level);
      table = next;
      continue;
    }
    const page = rules.pageAddress(entryLo, entryHi, level);
    steps.push({ ...base, entry, role: "leaf", description: `${mode.describeEntry(entryLo, entryHi, level, true)} frame ${hex(page)}` });
    const final = rules.combineLeaf(rights, entryLo, entryHi, level);
    return {
      vaddr,
      root,
      steps,
      physical: page + offsetWithin(hi, lo, shift),
      pageSize: 2 ** shift,
      rights: rightsOfKinds(rules.allowedKinds(final), (final & RIGHTS_GLOBAL) !== 0),
      reason: null,
    };
  }
  return stop(describeReason("noLeaf"));
}

/** The text of `--translate`: the result, then one line per level. */
export function renderTrace(trace: Trace, mode: InspectMode): string {
  const digits = mode.geometry.signExtended ? 16 : 8;
  const r = trace.rights;
  const head =
    trace.physical !== null && r !== null
      ? `${hex(trace.vaddr, digits)} -> ${hex(trace.physical)} (${String(trace.pageSize / 1024)} KiB page; ${r.user ? "user" : "supervisor"}, ${r.writable ? "writable" : "read-only"}, ${r.executable ? "executable" : "no-execute"}${r.global ? ", global" : ""})`
      : `${hex(trace.vaddr, digits)}: not mapped: ${trace.reason ?? ""}`;
  const lines = [head, `  root ${hex(trace.root)} (${mode.name})`];
  const entryDigits = mode.geometry.entryBytes * 2;
  for (const s of trace.steps) {
    lines.push(`  ${s.levelName.toUpperCase()}[${hex(s.index, 3)}] at ${hex(s.entryAddress)} = ${hex(s.entry, entryDigits)}  ${s.description}`);
  }
  return lines.join("\n") + "\n";
}

