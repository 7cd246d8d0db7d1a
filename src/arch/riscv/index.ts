// RISC-V Sv32/Sv39/Sv48/Sv57 (also available alone as `kmem/riscv`).

// PTE layout, sstatus bits, causes, satp modes.
export {
  CAUSE_FETCH_PAGE_FAULT,
  CAUSE_LOAD_PAGE_FAULT,
  CAUSE_STORE_PAGE_FAULT,
  HI_NAPOT,
  HI_PBMT_MASK,
  HI_PPN_MASK,
  HI_RESERVED_MASK,
  LOW_FLAGS_MASK,
  LOW_PPN_BITS,
  PPN_SHIFT,
  PTE_A,
  PTE_D,
  PTE_G,
  PTE_R,
  PTE_RWX,
  PTE_U,
  PTE_V,
  PTE_W,
  PTE_X,
  SATP_MODE,
  SSTATUS_MXR,
  SSTATUS_SUM,
} from "./pte.js";

// Walk rules, entry codec (for TableMapper), and the MMU.
export { RiscvRules } from "./rules.js";
export type { RiscvModeName, RiscvRuleOptions } from "./rules.js";
export { riscvCodec } from "./codec.js";
export { RiscvMmu, RiscvStateError } from "./cpu.js";
export type { RiscvCpuState, RiscvMmuOptions, RiscvPrivilege, RiscvStateErrorData } from "./cpu.js";
