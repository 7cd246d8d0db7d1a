import { X86Mmu } from "../arch/x86/cpu.js";
import { RiscvMmu } from "../arch/riscv/cpu.js";
import { hex, hexRange } from "../format.js";
import type { PagingMmu } from "../paging/mmu.js";
import { BLOCK_SIZE } from "../types.js";
import { isBlockSet, type ModeMachine, modeMappings } from "./mode-boot.js";
import type { ModeMapping } from "./mode-layout.js";
import { MAX_REPORTED_FAILURES, type SelfCheckFailure, type SelfCheckProblem } from "./self-check.js";

/** One failed expectation of {@link selfCheckMode} (see `SelfCheckFailure`). */
export interface ModeSelfCheckFailure extends Omit<SelfCheckFailure, "address"> {
  /** The virtual address of the block (or page) concerned. */
  readonly address: bigint;
}

/** The result of {@link selfCheckMode}: `SelfCheckReport` with addresses as bigints. */
export interface ModeSelfCheckReport {
  /** True when every expectation held. */
  readonly ok: boolean;
  /** Virtual blocks of the kernel VMM whose state was verified: all of them. */
  readonly blocksChecked: number;
  /** Blocks the profile requires to be set, each translated through the MMU. */
  readonly blocksRequired: number;
  /** The number of failures found. */
  readonly failureCount: number;
  /** The first {@link MAX_REPORTED_FAILURES} failures (`address` a bigint). */
  readonly failures: readonly ModeSelfCheckFailure[];
}

const BLOCK = BigInt(BLOCK_SIZE);

/**
 * The self-check of a mode machine, as `selfCheck` does for x86: every block of the kernel
 * VMM is set iff the profile requires it (required blocks one by one; the rest proven clear
 * by the used-block count, and when it is off the VMM's allocations name the culprits); every required block translates through a TLB-less copy of the
 * machine's MMU to the physical address the profile implies (or faults when only reserved);
 * and the tables map nothing else, with the profile's writable, user, executable and (x86)
 * cache-disable bits. O(required blocks + leaves). RAM is restored byte for byte (the walks
 * set accessed bits) and `machine.mmu`'s TLB is untouched.
 *
 * @example
 * selfCheckMode(bootMode(profile)).ok; // true
 */
export function selfCheckMode(machine: ModeMachine): ModeSelfCheckReport {
  const failures: ModeSelfCheckReport["failures"][number][] = [];
  let failureCount = 0;
  const add = (problem: SelfCheckProblem, address: bigint, message: string): void => {
    failureCount++;
    if (failures.length < MAX_REPORTED_FAILURES) failures.push({ problem, address, message });
  };
  const saved = machine.space.mapper.tables(machine.root).map((address) => ({ address, bytes: machine.ram.readBytes(address, BLOCK_SIZE) }));
  const mmu = walker(machine);
  const mappings = [...machine.layout.mappings].sort((a, b) => (a.virtual.start < b.virtual.start ? -1 : 1));
  let required = 0;
  try {
    for (const mapping of mappings) {
      for (let v = mapping.virtual.start; v < mapping.virtual.end; v += BLOCK) {
        required++;
        if (!isBlockSet(machine.space, v)) add("not-set", v, `${hex(v)} is not set in the VMM, but the profile requires it (${mapping.source})`);
        checkTranslation(mmu, machine.spec.wide, mapping, v, add);
      }
    }
    if (machine.space.vmm.blocksUsed !== required) findUnexpectedAllocations(machine, mappings, add);
    checkLeaves(machine, mappings, add);
  } finally {
    for (const { address, bytes } of saved) machine.ram.writeBytes(address, bytes);
  }
  return {
    ok: failureCount === 0,
    blocksChecked: Number((machine.spec.vmmEnd - machine.spec.vmmStart) / BLOCK),
    blocksRequired: required,
    failureCount,
    failures,
  };
}

/** A second MMU with the machine's registers and no TLB, so every translation walks RAM. */
function walker(machine: ModeMachine): PagingMmu {
  const { registers, ram } = machine;
  if ("cr0" in registers) return new X86Mmu({ bus: ram, state: registers, tlbEntries: 0 });
  const xlen = machine.arch === "riscv-sv32" ? 32 : 64;
  return new RiscvMmu({ bus: ram, xlen, tlbEntries: 0, state: { satp: xlen === 32 ? Number(registers.satp) : registers.satp, sstatus: registers.sstatus, priv: "S" } });
}

type Add = (problem: SelfCheckProblem, address: bigint, message: string) => void;

function checkTranslation(mmu: PagingMmu, wide: boolean, mapping: ModeMapping, v: bigint, add: Add): void {
  const expected = mapping.physical === null ? null : mapping.physical.start + Number(v - mapping.virtual.start);
  const result = mmu.tryTranslate(wide ? v : Number(v));
  if (expected === null) {
    if (result >= 0) add("mapped-but-unbacked", v, `${hex(v)} translates to ${hex(result)}, but the profile reserves it without mapping (${mapping.source})`);
  } else if (result < 0) {
    add("fault", v, `${hex(v)} faults (code ${hex(-1 - result, 1)}), expected ${hex(expected)} (${mapping.source})`);
  } else if (result !== expected) {
    add("wrong-physical", v, `${hex(v)} translates to ${hex(result)}, expected ${hex(expected)} (${mapping.source})`);
  }
}

/** The slow path, run only when the used-block count is off: the VMM's allocations no mapping covers (the space is too large to scan block by block). */
function findUnexpectedAllocations(machine: ModeMachine, mappings: readonly ModeMapping[], add: Add): void {
  const { space } = machine;
  const allocations = space.wide ? space.vmm.allocations().map((a) => a.virtual) : space.vmm.allocations().map((a) => ({ start: BigInt(a.virtual.start), end: BigInt(a.virtual.end) }));
  for (const { start, end } of allocations) {
    if (!mappings.some((m) => m.virtual.start <= start && end <= m.virtual.end)) {
      add("unexpected-set", start, `${hexRange(start, end)} is set in the VMM, but the profile does not require it`);
    }
  }
}

/** Every leaf lies inside a mapped profile range, at its physical address, with its attributes. */
function checkLeaves(machine: ModeMachine, mappings: readonly ModeMapping[], add: Add): void {
  const x86 = machine.spec.family === "x86";
  for (const leaf of modeMappings(machine)) {
    const end = leaf.virt + BigInt(leaf.size);
    const mapping = mappings.find((m) => m.virtual.start <= leaf.virt && end <= m.virtual.end);
    const expected = mapping?.physical === null || mapping === undefined ? null : mapping.physical.start + Number(leaf.virt - mapping.virtual.start);
    if (mapping === undefined || expected === null) {
      add("unexpected-mapping", leaf.virt, `${hexRange(leaf.virt, end)} is mapped to ${hex(leaf.phys)}, but the profile maps nothing there`);
      continue;
    }
    if (leaf.phys !== expected) {
      add("wrong-physical", leaf.virt, `${hexRange(leaf.virt, end)} is mapped to ${hex(leaf.phys)}, expected ${hex(expected)} (${mapping.source})`);
    }
    const { attrs } = mapping;
    const executable = attrs.executable ?? true;
    if (leaf.writable !== attrs.writable || leaf.user === attrs.kernel || leaf.executable !== executable || (x86 && leaf.cachable !== attrs.cachable)) {
      const bits = (w: boolean, u: boolean, x: boolean): string => [w ? "writable" : "read-only", u ? "user" : "supervisor", x ? "executable" : "no-execute"].join(" ");
      add("wrong-attributes", leaf.virt, `${hex(leaf.virt)} is mapped ${bits(leaf.writable, leaf.user, leaf.executable)}, expected ${bits(attrs.writable, !attrs.kernel, executable)} (${mapping.source})`);
    }
  }
}
