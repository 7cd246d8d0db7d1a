import { RiscvMmu } from "../arch/riscv/cpu.js";
import { X86Mmu } from "../arch/x86/cpu.js";
import { CR0_PG, CR0_WP, CR4_PSE } from "../arch/x86/entry64.js";
import type { Access } from "../paging/access.js";
import type { Address } from "../types.js";
import type { AnyMmu } from "./context-switch.js";
import type { ProcessMemory } from "./kernel-half.js";

/** A translation the TLB served that the tables in RAM no longer give: a missed invalidation. */
export interface StaleTranslation {
  /** The address translated. */
  readonly vaddr: Address;
  /** The access. */
  readonly access: Access;
  /** What the MMU answered (physical address, or `-1 - code`). */
  readonly cached: number;
  /** What a walk of the tables in RAM answers. */
  readonly tables: number;
}

/** The answer of {@link translateAudited}. */
export interface AuditedTranslation {
  /** The MMU's answer (physical address, or `-1 - code`), as `tryTranslate` gives it. */
  readonly result: number;
  /** The disagreement with the tables in RAM, or null. */
  readonly stale: StaleTranslation | null;
}

/**
 * The missed-invalidation detector: translates through `mmu` and through a TLB-less MMU in
 * the same state over the same memory, and reports when they differ — a stale TLB entry,
 * left by a change to the tables without `invlpg` / `sfence.vma` (the bug kernels ship most
 * often). The second walk sets accessed/dirty bits as an uncached access would. For RISC-V
 * the shadow assumes hardware A/D updates off (kmem's default, no Svade option copied).
 *
 * @example
 * const stale = translateAudited(mmu, ram, 0x400000, { user: true });
 * if (stale.stale !== null) console.log("missed invlpg at", hex(stale.stale.vaddr));
 */
export function translateAudited(mmu: AnyMmu, memory: ProcessMemory, vaddr: Address, access: Access): AuditedTranslation {
  const tables = shadowOf(mmu, memory).tryTranslate(vaddr, access);
  const result = mmu instanceof X86Mmu || mmu instanceof RiscvMmu ? mmu.tryTranslate(vaddr, access) : mmu.tryTranslate(Number(vaddr), access);
  return { result, stale: result === tables ? null : { vaddr, access, cached: result, tables } };
}

/** An MMU with no TLB in `mmu`'s state. */
function shadowOf(mmu: AnyMmu, memory: ProcessMemory): X86Mmu | RiscvMmu {
  if (mmu instanceof X86Mmu) return new X86Mmu({ bus: memory, state: mmu.state, tlbEntries: 0, physicalBits: mmu.physicalBits });
  if (mmu instanceof RiscvMmu) return new RiscvMmu({ bus: memory, xlen: mmu.xlen, state: mmu.state, tlbEntries: 0 });
  return new X86Mmu({ bus: memory, state: { cr0: CR0_PG | CR0_WP, cr3: mmu.cr3, cr4: mmu.pse ? CR4_PSE : 0 }, tlbEntries: 0 });
}
