/**
 * The 64-bit paging-structure entry of x86 PAE and long mode (Intel SDM vol. 3 §4.4–4.5),
 * as two 32-bit words. Low word (bits 0–31): the same flags as 32-bit paging (P, R/W, U/S,
 * PWT, PCD, A, D, PS/PAT, G — see `entry.ts`), then frame bits 12–31. High word (bits
 * 32–63):
 *
 * | entry bits | high-word bits | meaning                                            |
 * | ---------- | -------------- | -------------------------------------------------- |
 * | 32–51      | 0–19           | physical-address bits 32–51 (above MAXPHYADDR: reserved) |
 * | 52–62      | 20–30          | ignored (long mode); reserved in a PAE PDPTE         |
 * | 63         | 31             | XD/NX: execute-disable (reserved unless EFER.NXE)    |
 *
 * In a large-page entry (PS = 1) bit 12 is PAT and the frame starts at bit 21 (2 MiB) or
 * 30 (1 GiB); the bits between are reserved.
 */

/** Bytes in a PAE / long-mode entry. */
export const ENTRY64_BYTES = 8;
/** High word, bit 31 (entry bit 63), XD: instruction fetches from the region fault (with EFER.NXE). */
export const HI_NX = 0x80000000;
/** High word, bits 0–19 (entry bits 32–51): physical-address bits 32–51. */
export const HI_ADDRESS_MASK = 0x000fffff;
/** High word, bits 20–30 (entry bits 52–62): ignored in long mode, reserved in a PAE PDPTE. */
export const HI_IGNORED_MASK = 0x7ff00000;
/** Low word, bits 12–31: physical-address bits 12–31 of a table or 4 KiB frame. */
export const LO_ADDRESS_MASK = 0xfffff000;
/** Low word, bit 12 of a large-page entry: its PAT bit. */
export const LO_LARGE_PAT = 1 << 12;
/** Low word, bits 13–20 of a 2 MiB entry: reserved (the frame starts at bit 21). */
export const LO_RESERVED_2M = 0x001fe000;
/** Low word, bits 13–29 of a 1 GiB entry: reserved (the frame starts at bit 30). */
export const LO_RESERVED_1G = 0x3fffe000;
/** 32-bit PSE PDE, bits 13–20: physical-address bits 32–39 of a 4 MiB page (PSE-36). */
export const PSE36_HIGH_MASK = 0x001fe000;
/** Shift of the PSE-36 bits in a 4 MiB PDE. */
export const PSE36_HIGH_SHIFT = 13;
/** 32-bit PSE PDE, bit 21: reserved. */
export const PSE36_RESERVED = 1 << 21;
/** The widest physical address x86 defines (MAXPHYADDR ≤ 52). */
export const MAX_PHYSICAL_BITS = 52;

/** CR0.WP (bit 16): supervisor writes honour read-only pages. */
export const CR0_WP = 1 << 16;
/** CR0.PG (bit 31): paging on. */
export const CR0_PG = 0x80000000;
/** CR0.PE (bit 0): protected mode. */
export const CR0_PE = 1;
/** CR4.PSE (bit 4): 4 MiB pages in 32-bit paging. */
export const CR4_PSE = 1 << 4;
/** CR4.PAE (bit 5): 64-bit entries (PAE, or long mode with EFER.LME). */
export const CR4_PAE = 1 << 5;
/** CR4.PGE (bit 7): global pages survive CR3 loads. */
export const CR4_PGE = 1 << 7;
/** CR4.LA57 (bit 12): 5-level paging in long mode. */
export const CR4_LA57 = 1 << 12;
/** EFER.LME (bit 8): long mode enable. */
export const EFER_LME = 1 << 8;
/** EFER.LMA (bit 10): long mode active (set by the CPU when PG and LME are both set). */
export const EFER_LMA = 1 << 10;
/** EFER.NXE (bit 11): the XD bit is honoured (else it is reserved). */
export const EFER_NXE = 1 << 11;

/** Error-code bit 3, RSVD: a reserved bit was set in a paging-structure entry. */
export const PF_RESERVED = 1 << 3;
/**
 * Flag on the code an x86 MMU's `tryTranslate`/`lookup` returns (`-1 - code`) for a
 * general-protection fault (#GP, a non-canonical address) instead of a page fault; the
 * low bits then hold #GP's error code, 0.
 */
export const X86_GP_FAULT = 1 << 16;
