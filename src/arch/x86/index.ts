/**
 * kmem/x86: 32-bit x86 paging — the PDE/PTE layout, the `X86Paging` mapper writing page
 * tables into RAM, and the `Mmu` that walks them with a TLB and raises page faults.
 *
 * @example
 * import { Mmu } from "kmem/x86";
 * const mmu = new Mmu({ ram: machine.ram, cr3: machine.cr3 });
 * mmu.translate(0xc0100010, { user: false, write: false }); // 0x00100010
 *
 * @module kmem/x86
 */

// Entry layout: PDE/PTE fields, masks and encode/decode helpers.
export {
  ADDRESS_LIMIT,
  ATTRIBUTE_BITS_MASK,
  ENTRIES_PER_TABLE,
  ENTRY_AVAILABLE_MASK,
  ENTRY_AVAILABLE_SHIFT,
  ENTRY_BYTES,
  ENTRY_FRAME_MASK,
  ENTRY_FRAME_SHIFT,
  INDEX_MASK,
  LARGE_FRAME_MASK,
  LARGE_HIGH_FRAME_MASK,
  LARGE_HIGH_FRAME_SHIFT,
  LARGE_PAGE_OFFSET_MASK,
  LARGE_PAGE_SIZE,
  LARGE_PHYSICAL_LIMIT,
  LARGE_RESERVED_MASK,
  PAGE_OFFSET_MASK,
  PAGE_SIZE,
  PDE_LARGE_PAT,
  PDE_PAGE_SIZE,
  PD_INDEX_SHIFT,
  PTE_ACCESSED,
  PTE_CACHE_DISABLE,
  PTE_DIRTY,
  PTE_GLOBAL,
  PTE_PAT,
  PTE_PRESENT,
  PTE_USER,
  PTE_WRITABLE,
  PTE_WRITE_THROUGH,
  PT_INDEX_SHIFT,
  TABLE_BYTES,
  TABLE_PDE_FLAGS,
  attributeBits,
  decodeEntry,
  encodeLargePde,
  encodePte,
  encodeTablePde,
  formatEntryFlags,
  isLargePde,
  largeFrameAddress,
  pdIndex,
  ptIndex,
} from "./entry.js";
export type { DecodedEntry, EntryLevel } from "./entry.js";

// The x86 Mapper: page directories and tables as bytes in RAM.
export { X86Paging } from "./paging.js";
export type { X86PagingOptions } from "./paging.js";
export { listMappings } from "./mappings.js";
export type { WalkOptions, X86Mapping } from "./mappings.js";

// The MMU: walk, TLB, page faults.
export { Mmu } from "./mmu.js";
export type { MmuOptions, WalkResult } from "./mmu.js";
export type { Access } from "./access.js";
export { Tlb, TLB_DIRTY, TLB_LARGE, TLB_USER, TLB_WRITABLE, requiredTlbFlags, tlbFlagsFor } from "./tlb.js";
export { PF_FETCH, PF_PRESENT, PF_RSVD, PF_USER, PF_WRITE, PageFault, describeFaultReason, formatErrorCode } from "./page-fault.js";
export type { FaultReason, PageFaultOptions } from "./page-fault.js";

// PAE and long mode: 64-bit entries, control registers, rules, codecs and the X86Mmu of every x86 mode.
export {
  CR0_PE,
  CR0_PG,
  CR0_WP,
  CR4_LA57,
  CR4_PAE,
  CR4_PGE,
  CR4_PSE,
  EFER_LMA,
  EFER_LME,
  EFER_NXE,
  ENTRY64_BYTES,
  HI_ADDRESS_MASK,
  HI_IGNORED_MASK,
  HI_NX,
  LO_ADDRESS_MASK,
  LO_LARGE_PAT,
  LO_RESERVED_1G,
  LO_RESERVED_2M,
  MAX_PHYSICAL_BITS,
  PF_RESERVED,
  PSE36_HIGH_MASK,
  PSE36_HIGH_SHIFT,
  PSE36_RESERVED,
  X86_GP_FAULT,
} from "./entry64.js";
export { X86Rules } from "./rules.js";
export type { X86ModeName, X86RuleOptions } from "./rules.js";
export { x86Codec } from "./codec.js";
export type { X86CodecOptions } from "./codec.js";
export { CpuStateError, X86Mmu } from "./cpu.js";
export type { CpuStateErrorData, X86CpuState, X86MmuOptions } from "./cpu.js";
