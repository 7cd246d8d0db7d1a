/**
 * The RISC-V page-table entry (privileged spec, §10.3.1 Sv32 and §10.4–10.6 Sv39/48/57),
 * one place. Low bits, both widths:
 *
 * | bit  | field | meaning                                                         |
 * | ---- | ----- | --------------------------------------------------------------- |
 * | 0    | V     | valid                                                           |
 * | 1–3  | R W X | readable, writable, executable; all clear = pointer to a table  |
 * | 4    | U     | user-mode accessible                                            |
 * | 5    | G     | global mapping (this entry and everything below it)             |
 * | 6    | A     | accessed                                                        |
 * | 7    | D     | dirty                                                           |
 * | 8–9  | RSW   | reserved for supervisor software                                |
 * | 10–  | PPN   | physical page number: 22 bits (Sv32), 44 bits (Sv39/48/57)      |
 *
 * Sv39/48/57 high word (entry bits 32–63): PPN bits 22–43 in bits 0–21 (entry 32–53),
 * reserved bits 54–60 (high 22–28), PBMT 61–62 (high 29–30, Svpbmt), N 63 (high 31, Svnapot).
 * A leaf R W X may not be "W without R" (`W`, `WX`: reserved). In a pointer entry D, A and U
 * are reserved (they must be clear).
 */

/** Bit 0, V: the entry is valid. */
export const PTE_V = 1 << 0;
/** Bit 1, R: readable. */
export const PTE_R = 1 << 1;
/** Bit 2, W: writable. */
export const PTE_W = 1 << 2;
/** Bit 3, X: executable. */
export const PTE_X = 1 << 3;
/** Bit 4, U: accessible in U-mode (and in S-mode only with SUM, never for fetches). */
export const PTE_U = 1 << 4;
/** Bit 5, G: global. */
export const PTE_G = 1 << 5;
/** Bit 6, A: accessed. */
export const PTE_A = 1 << 6;
/** Bit 7, D: dirty. */
export const PTE_D = 1 << 7;
/** R, W and X: any set makes the entry a leaf. */
export const PTE_RWX = PTE_R | PTE_W | PTE_X;
/** Shift of the PPN in an entry. */
export const PPN_SHIFT = 10;
/** The bits below the PPN in the low word: flags and RSW. */
export const LOW_FLAGS_MASK = (1 << PPN_SHIFT) - 1;
/** PPN bits held by the low word (Sv39+: PPN bits 0–21; Sv32: all 22). */
export const LOW_PPN_BITS = 22;
/** High word bits 0–21: PPN bits 22–43 (Sv39/48/57). */
export const HI_PPN_MASK = 0x003fffff;
/** High word bits 22–28 (entry bits 54–60): reserved, must be zero. */
export const HI_RESERVED_MASK = 0x1fc00000;
/** High word bits 29–30 (entry bits 61–62): PBMT (Svpbmt); reserved without it. */
export const HI_PBMT_MASK = 0x60000000;
/** High word bit 31 (entry bit 63): N (Svnapot); reserved without it. */
export const HI_NAPOT = 0x80000000;

/** sstatus.SUM (bit 18): S-mode may load/store U pages. */
export const SSTATUS_SUM = 1 << 18;
/** sstatus.MXR (bit 19): loads from executable pages succeed. */
export const SSTATUS_MXR = 1 << 19;

/** Exception cause: instruction page fault. */
export const CAUSE_FETCH_PAGE_FAULT = 12;
/** Exception cause: load page fault. */
export const CAUSE_LOAD_PAGE_FAULT = 13;
/** Exception cause: store/AMO page fault. */
export const CAUSE_STORE_PAGE_FAULT = 15;

/** satp.MODE values (RV64: bits 60–63; RV32: bit 31, 1 = Sv32). */
export const SATP_MODE = {
  /** No translation. */
  bare: 0,
  /** Sv32 (RV32's MODE bit). */
  sv32: 1,
  /** Sv39. */
  sv39: 8,
  /** Sv48. */
  sv48: 9,
  /** Sv57. */
  sv57: 10,
} as const;
