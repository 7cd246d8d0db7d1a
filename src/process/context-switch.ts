import type { Mmu } from "../arch/x86/mmu.js";
import { X86Mmu } from "../arch/x86/cpu.js";
import { RiscvMmu } from "../arch/riscv/cpu.js";
import { PAGE_BYTES } from "../paging/geometry.js";
import type { Address } from "../types.js";

/** An MMU an address space can be loaded into: 32-bit `Mmu`, any-mode `X86Mmu`, or `RiscvMmu`. */
export type AnyMmu = Mmu | X86Mmu | RiscvMmu;

/**
 * Loads the root table at `root` into `mmu` as a context switch does: CR3 (non-global TLB
 * entries are dropped, global kernel ones survive with CR4.PGE) or satp (MODE kept, `asid`
 * written to satp.ASID).
 *
 * @throws {CpuStateError | RiscvStateError} when the MMU refuses the root.
 */
export function loadRoot(mmu: AnyMmu, root: number, asid = 0): void {
  if (mmu instanceof X86Mmu) mmu.setState({ cr3: root });
  else if (mmu instanceof RiscvMmu) mmu.setState({ satp: satpFor(mmu, root, asid) });
  else mmu.loadCr3(root);
}

/** Whether `mmu` translates through the root table at `root` now (CR3's or satp.PPN's table). */
export function holdsRoot(mmu: AnyMmu, root: number): boolean {
  if (mmu instanceof X86Mmu) return mmu.state.cr3 - (mmu.state.cr3 % PAGE_BYTES) === root;
  if (mmu instanceof RiscvMmu) return Number(BigInt(mmu.state.satp) & (mmu.xlen === 64 ? 0xfff_ffff_ffffn : 0x3f_ffffn)) * PAGE_BYTES === root;
  return mmu.cr3 === root;
}

/** Drops the TLB entry of the page holding `vaddr` in `mmu` (`invlpg` / `sfence.vma vaddr`). */
export function invalidatePage(mmu: AnyMmu, vaddr: Address): void {
  if (mmu instanceof RiscvMmu) mmu.sfenceVma(vaddr);
  else if (mmu instanceof X86Mmu) mmu.invlpg(vaddr);
  else mmu.invlpg(Number(vaddr));
}

/** satp with `mmu`'s current MODE, `asid` and the root's PPN. */
function satpFor(mmu: RiscvMmu, root: number, asid: number): bigint | number {
  const ppn = BigInt(root / PAGE_BYTES);
  if (mmu.xlen === 64) return (BigInt(mmu.state.satp) & (0xfn << 60n)) | (BigInt(asid) << 44n) | ppn;
  return Number((BigInt(mmu.state.satp) & (1n << 31n)) | (BigInt(asid) << 22n) | ppn);
}
