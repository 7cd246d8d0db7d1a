import { TABLE_BYTES } from "../arch/x86/entry.js";
import { pageTables } from "../arch/x86/mappings.js";
import { Mmu } from "../arch/x86/mmu.js";
import { hex, hexRange } from "../format.js";
import { BLOCK_SIZE } from "../types.js";
import type { Machine } from "./boot.js";
import type { PlannedMapping } from "./layout.js";

/** At most this many failures are listed in a report (all are counted). */
export const MAX_REPORTED_FAILURES = 8;

/** What went wrong at one address. */
export type SelfCheckProblem =
  | "not-set"
  | "unexpected-set"
  | "wrong-physical"
  | "fault"
  | "mapped-but-unbacked"
  | "unexpected-mapping"
  | "wrong-attributes";

/** One failed expectation of the self-check. */
export interface SelfCheckFailure {
  /** What kind of failure. */
  readonly problem: SelfCheckProblem;
  /** The virtual address of the block (or page) concerned. */
  readonly address: number;
  /** One line, e.g. `0xC0100000 translates to 0x00200000, expected 0x00100000`. */
  readonly message: string;
}

/** The result of {@link selfCheck}. */
export interface SelfCheckReport {
  /** True when every expectation held. */
  readonly ok: boolean;
  /** Virtual blocks of the kernel VMM whose state was verified: all of them. */
  readonly blocksChecked: number;
  /** Blocks the profile requires to be set (each translated through the MMU). */
  readonly blocksRequired: number;
  /** The number of failures found (only the first {@link MAX_REPORTED_FAILURES} are listed). */
  readonly failureCount: number;
  /** The first failures, in the order found. */
  readonly failures: readonly SelfCheckFailure[];
}

/**
 * The seed's `runtimeTests`, generalised and made exact: every virtual block of the kernel VMM
 * is set if and only if the profile requires it, every required block translates through an
 * MMU walk of the tables in RAM to the physical address the profile implies (or faults as
 * not present when the profile only reserves it), and the page tables map nothing else, with
 * the profile's attributes (writable, user = !kernel, cache-disable = !cachable).
 *
 * Cost: O(required blocks + present pages); the blocks outside the profile are proven clear by
 * the VMM's used-block count, and searched one by one only when that count is off.
 * The walks set accessed bits; the check restores the directory and tables byte for byte,
 * so RAM is unchanged afterwards (and `machine.mmu`'s TLB is not touched).
 *
 * @example
 * const report = selfCheck(boot(DEFAULT_PROFILE));
 * report.ok; // true
 */
export function selfCheck(machine: Machine): SelfCheckReport {
  const failures = new FailureList();
  const snapshot = snapshotTables(machine);
  const mmu = new Mmu({ ram: machine.ram, cr3: machine.cr3, pse: machine.cr4Pse, tlbEntries: 0 });
  const mappings = [...machine.layout.mappings].sort((a, b) => a.virtual.start - b.virtual.start);
  let required = 0;
  let requiredSet = 0;
  try {
    for (const mapping of mappings) {
      for (let v = mapping.virtual.start; v < mapping.virtual.end; v += BLOCK_SIZE) {
        required++;
        if (machine.vmm.isSet(v)) {
          requiredSet++;
        } else {
          failures.add("not-set", v, `${hex(v)} is not set in the VMM, but the profile requires it (${mapping.source})`);
        }
        checkTranslation(mmu, mapping, v, failures);
      }
    }
    const extra = machine.vmm.blocksUsed - requiredSet;
    if (extra !== 0) {
      findUnexpectedBlocks(machine, mappings, failures);
    }
    checkPageTables(machine, mappings, failures);
  } finally {
    snapshot.restore();
  }
  return {
    ok: failures.count === 0,
    blocksChecked: (machine.vmm.end - machine.vmm.start) / BLOCK_SIZE,
    blocksRequired: required,
    failureCount: failures.count,
    failures: failures.listed,
  };
}

class FailureList {
  count = 0;
  readonly listed: SelfCheckFailure[] = [];

  add(problem: SelfCheckProblem, address: number, message: string): void {
    this.count++;
    if (this.listed.length < MAX_REPORTED_FAILURES) {
      this.listed.push({ problem, address, message });
    }
  }
}

function expectedPhysical(mapping: PlannedMapping, vaddr: number): number | null {
  return mapping.physical === null ? null : mapping.physical.start + (vaddr - mapping.virtual.start);
}

function checkTranslation(mmu: Mmu, mapping: PlannedMapping, v: number, failures: FailureList): void {
  const expected = expectedPhysical(mapping, v);
  let result: number;
  try {
    result = mmu.tryTranslate(v);
  } catch (error) {
    failures.add("fault", v, `${hex(v)} cannot be walked: ${error instanceof Error ? error.message : String(error)}`);
    return;
  }
  if (expected === null) {
    if (result >= 0) {
      failures.add("mapped-but-unbacked", v, `${hex(v)} translates to ${hex(result)}, but the profile reserves it without mapping (${mapping.source})`);
    }
  } else if (result < 0) {
    failures.add("fault", v, `${hex(v)} faults (error code ${hex(-1 - result, 1)}), expected ${hex(expected)} (${mapping.source})`);
  } else if (result !== expected) {
    failures.add("wrong-physical", v, `${hex(v)} translates to ${hex(result)}, expected ${hex(expected)} (${mapping.source})`);
  }
}

/** The mapping containing `vaddr` among disjoint mappings sorted by start; O(log n). */
function mappingAt(mappings: readonly PlannedMapping[], vaddr: number): PlannedMapping | undefined {
  let low = 0;
  let high = mappings.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const candidate = mappings[middle];
    if (candidate === undefined || candidate.virtual.end <= vaddr) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  const found = mappings[low];
  return found !== undefined && found.virtual.start <= vaddr ? found : undefined;
}

/** The slow path, run only when the used-block count is off: finds the set blocks no mapping requires. */
function findUnexpectedBlocks(machine: Machine, mappings: readonly PlannedMapping[], failures: FailureList): void {
  const { vmm } = machine;
  for (let v = vmm.start; v < vmm.end; v += BLOCK_SIZE) {
    if (mappingAt(mappings, v) === undefined && vmm.isSet(v)) {
      failures.add("unexpected-set", v, `${hex(v)} is set in the VMM, but the profile does not require it`);
    }
  }
}

/** Every present page must belong to a mapped profile range, with its physical address and attributes. */
function checkPageTables(machine: Machine, mappings: readonly PlannedMapping[], failures: FailureList): void {
  for (const page of machine.paging.mappings(machine.cr3)) {
    const mapping = mappingAt(mappings, page.virt);
    if (mapping === undefined || mapping.physical === null || page.virt + page.size > mapping.virtual.end) {
      failures.add("unexpected-mapping", page.virt, `${hexRange(page.virt, page.virt + page.size)} is mapped to ${hex(page.phys)}, but the profile maps nothing there`);
      continue;
    }
    const { attrs } = mapping;
    if (page.writable !== attrs.writable || page.user === attrs.kernel || page.cacheDisable === attrs.cachable) {
      failures.add(
        "wrong-attributes",
        page.virt,
        `${hex(page.virt)} is mapped ${describeBits(page.writable, page.user, page.cacheDisable)}, expected ${describeBits(attrs.writable, !attrs.kernel, !attrs.cachable)} (${mapping.source})`,
      );
    }
  }
}

function describeBits(writable: boolean, user: boolean, cacheDisable: boolean): string {
  return [writable ? "writable" : "read-only", user ? "user" : "supervisor", cacheDisable ? "uncached" : "cached"].join(" ");
}

/** A copy of the directory and its tables, to undo the accessed bits the check's walks set. */
function snapshotTables(machine: Machine): { restore(): void } {
  const { ram, cr3 } = machine;
  const saved: { address: number; bytes: Uint8Array }[] = [{ address: cr3, bytes: ram.readBytes(cr3, TABLE_BYTES) }];
  for (const table of pageTables(ram, cr3, { pse: machine.cr4Pse })) {
    if (table + TABLE_BYTES <= ram.size) {
      saved.push({ address: table, bytes: ram.readBytes(table, TABLE_BYTES) });
    }
  }
  return {
    restore(): void {
      for (const { address, bytes } of saved) {
        ram.writeBytes(address, bytes);
      }
    },
  };
}
