import type { PageRange } from "../paging/pages.js";
import { auditLeaves } from "./audit.js";
import type { DumpMemory } from "./dump-memory.js";
import type { Finding } from "./finding.js";
import type { InspectTarget } from "./machine.js";
import { type Leaf, scanTables } from "./scan.js";

/** Options for {@link inspectTables}. */
export interface InspectOptions {
  /** Only this range of virtual pages. */
  readonly range?: PageRange;
  /** Also run the security audit (W+X, user pages in the kernel half, writable aliases). */
  readonly audit?: boolean;
}

/** The tables of a dump, read: leaves in virtual order and what is wrong with them. */
export interface Inspection {
  /** The mode and root read. */
  readonly target: InspectTarget;
  /** Every leaf entry, in virtual-address order. */
  readonly leaves: readonly Leaf[];
  /** Tables read. */
  readonly tables: number;
  /** Structural findings, then (with `audit`) the audit's, in that order. */
  readonly findings: readonly Finding[];
}

/**
 * Reads the page tables of `target` in `memory`: every leaf, the structural findings and,
 * with `audit`, the security findings. Never throws on malformed tables (they are findings).
 *
 * @throws {DumpError} `InvalidMachineState` when the root table is outside the dump's RAM.
 * @example
 * const memory = new DumpMemory(bytesSource(ram), [{ physical: 0, offset: 0, fileBytes: ram.length, memoryBytes: ram.length }]);
 * const result = inspectTables(memory, resolveTarget(null, { mode: "x86-64", cr3: 0x1000 }), { audit: true });
 * result.findings.filter((f) => f.severity === "error"); // [] for sound tables
 */
export function inspectTables(memory: DumpMemory, target: InspectTarget, options: InspectOptions = {}): Inspection {
  const scan = scanTables(memory, target.mode, target.root, options.range === undefined ? {} : { range: options.range });
  const findings = options.audit === true ? [...scan.findings, ...auditLeaves(scan.leaves, target.mode)] : scan.findings;
  return { target, leaves: scan.leaves, tables: scan.tables, findings };
}
