import { x86Codec } from "../../arch/x86/codec.js";
import { X86Mmu, type X86CpuState } from "../../arch/x86/cpu.js";
import { PTE_ACCESSED, PTE_DIRTY, PTE_PRESENT, PTE_USER, PTE_WRITABLE } from "../../arch/x86/entry.js";
import { CR0_PE, CR0_PG, CR0_WP, CR4_LA57, CR4_PAE, EFER_LME, EFER_NXE, HI_ADDRESS_MASK, HI_NX, PF_RESERVED } from "../../arch/x86/entry64.js";
import { PF_FETCH, PF_PRESENT, PF_USER, PF_WRITE } from "../../arch/x86/page-fault.js";
import { hex } from "../../format.js";
import { describeReason, reasonName } from "../../paging/access.js";
import { TWO_32 } from "../../paging/address.js";
import { PAGE_BYTES } from "../../paging/geometry.js";
import type { EntryCodec } from "../../paging/mode.js";
import type { Address } from "../../types.js";
import type { QuizArch, QuizFault } from "./arch.js";
import { engineQuizArch } from "./engine.js";

const PAGE = BigInt(PAGE_BYTES);
/** Page numbers of 0xC0000000 and 4 GiB: PAE's 3 GiB / 1 GiB split. */
const PAE_KERNEL_FIRST_PAGE = 0xc0000;
const PAE_PAGES = 2 ** 32 / PAGE_BYTES;
/** Long mode: user regions in the first 512 GiB (one top-level entry), kernel in the top 2 GiB (Linux's -2 GiB kernel map). */
const LONG_USER_PAGES = 2 ** 39 / PAGE_BYTES;
const LONG_PAGES = 2 ** 52;
const LONG_KERNEL_FIRST_PAGE = LONG_PAGES - 2 ** 31 / PAGE_BYTES;

/** Entry and table names, leaf level first (SDM vol. 3 §4.4, §4.5). */
const ENTRY_NAMES = ["PTE", "PDE", "PDPTE", "PML4E", "PML5E"];
const TABLE_NAMES = ["page table", "page directory", "page-directory-pointer table", "PML4 table", "PML5 table"];
const PAGING_ON = CR0_PG | CR0_WP | CR0_PE;
const ANSWER_NOTE =
  "Answer with the physical address, or with \"fault\" and the page-fault error code: bit 0 P (1: protection, 0: not present), bit 1 W (write), bit 2 U (user mode).";
const ENTRY_NOTE = "Entries are 64-bit little-endian words: bit 0 P (present), 1 R/W (writable), 2 U/S (user), 5 A, 6 D, 7 PS, 63 XD; bits 51-12 the frame.";
const LONG_RIGHTS_NOTE = "User accesses need U/S = 1 in every entry on the path; writes need R/W = 1 in every entry (CR0.WP = 1: supervisor writes too).";

/** `P=1 W=1 U=1` (and RSVD, I/D when set) for an x86 error code. */
function errorBits(code: number): string {
  const bit = (mask: number): string => ((code & mask) !== 0 ? "1" : "0");
  const extra = [(code & PF_RESERVED) !== 0 ? " RSVD=1" : "", (code & PF_FETCH) !== 0 ? " I/D=1" : ""].join("");
  return `P=${bit(PF_PRESENT)} W=${bit(PF_WRITE)} U=${bit(PF_USER)}${extra}`;
}

/** kmem's stable reason names, as `kmem translate --json` spells x86's: `pde-not-present`, `user-supervisor`, `read-only`. */
function x86Fault(code: number, reason: number, level: number): QuizFault {
  const name = reasonName(reason);
  const stable =
    name === "notPresent"
      ? `${(ENTRY_NAMES[level] ?? "entry").toLowerCase()}-not-present`
      : name === "supervisorPage"
        ? "user-supervisor"
        : name === "readOnly"
          ? "read-only"
          : name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  return { errorCode: code, codeName: "error code", code: hex(code, 1), bits: errorBits(code), reason: stable, description: describeReason(name) };
}

/** The words of an entry's meaning: `present writable user, page table 0x…`, `not present`. PAE's PDPTEs carry P alone. */
function x86Meaning(paeRootLevel: number | null): (lo: number, hi: number, level: number, role: "table" | "leaf" | "fault") => string {
  return (lo, hi, level, role) => {
    if ((lo & PTE_PRESENT) === 0) return "not present";
    const target = (lo & 0xfffff000) + (hi & HI_ADDRESS_MASK) * TWO_32;
    const leaf = role === "leaf" || level === 0;
    if (level === paeRootLevel) return `present, ${TABLE_NAMES[level - 1] ?? "table"} ${hex(target)}`;
    const words = [
      "present",
      (lo & PTE_WRITABLE) !== 0 ? "writable" : "read-only",
      (lo & PTE_USER) !== 0 ? "user" : "supervisor",
      ...((hi & HI_NX) !== 0 ? ["no-execute"] : []),
      ...((lo & PTE_ACCESSED) !== 0 ? ["accessed"] : []),
      ...(leaf && (lo & PTE_DIRTY) !== 0 ? ["dirty"] : []),
    ];
    return `${words.join(" ")}, ${leaf ? "frame" : (TABLE_NAMES[level - 1] ?? "table")} ${hex(target)}`;
  };
}

/** An x86 mode on the engine: the codec, the registers that select it, its address halves and its notes. */
function x86ModeArch<A extends Address>(options: {
  readonly name: "x86-pae" | "x86-64" | "x86-64-la57";
  readonly description: string;
  readonly codec: EntryCodec<A>;
  readonly registers: Omit<X86CpuState, "cr3">;
  readonly addressDigits: number;
  readonly userPages: { readonly start: number; readonly end: number };
  readonly kernelPages: { readonly start: number; readonly end: number };
  readonly notes: readonly string[];
  readonly address: (page: number, offset: number) => A;
}): QuizArch<A> {
  const paeRootLevel = options.name === "x86-pae" ? options.codec.geometry.levels - 1 : null;
  return engineQuizArch({
    ...options,
    rootRegister: "CR3",
    faultCodeName: "error code",
    entryNames: ENTRY_NAMES,
    tableNames: TABLE_NAMES,
    createWalker: (ram, root) => {
      const mmu = new X86Mmu({ bus: ram, tlbEntries: 0, state: { ...options.registers, cr3: root } });
      return (vaddr, access) => mmu.walk(vaddr, access);
    },
    meaning: x86Meaning(paeRootLevel),
    fault: x86Fault,
  });
}

const bigAddress = (page: number, offset: number): bigint => BigInt(page) * PAGE + BigInt(offset);

/** x86 PAE paging (3 levels, 64-bit entries, 32-bit addresses) for `kmem quiz translate --arch x86-pae`. */
export const X86_PAE_QUIZ: QuizArch<number> = x86ModeArch({
  name: "x86-pae",
  description: "x86 PAE paging: a 4-entry PDPT, page directories and page tables of 64-bit entries, 4 KiB pages (Intel SDM vol. 3 §4.4)",
  codec: x86Codec("x86-pae"),
  registers: { cr0: PAGING_ON, cr4: CR4_PAE, efer: EFER_NXE },
  addressDigits: 8,
  userPages: { start: 1, end: PAE_KERNEL_FIRST_PAGE },
  kernelPages: { start: PAE_KERNEL_FIRST_PAGE, end: PAE_PAGES },
  notes: [
    "A virtual address splits into bits 31-30 (PDPT index), 29-21 (page-directory index), 20-12 (page-table index) and 11-0 (offset).",
    ENTRY_NOTE,
    "The 4 PDPTEs have only P; user accesses need U/S = 1 in the PDE and the PTE, writes need R/W = 1 in both (CR0.WP = 1: supervisor writes too).",
    ANSWER_NOTE,
  ],
  address: (page, offset) => page * PAGE_BYTES + offset,
});

/** x86-64 4-level paging for `kmem quiz translate --arch x86-64`. */
export const X86_64_QUIZ: QuizArch<bigint> = x86ModeArch({
  name: "x86-64",
  description: "x86-64 4-level paging with 4 KiB pages (Intel SDM vol. 3 §4.5)",
  codec: x86Codec("x86-64"),
  registers: { cr0: PAGING_ON, cr4: CR4_PAE, efer: EFER_LME | EFER_NXE },
  addressDigits: 16,
  userPages: { start: 1, end: LONG_USER_PAGES },
  kernelPages: { start: LONG_KERNEL_FIRST_PAGE, end: LONG_PAGES },
  notes: [
    "A virtual address splits into bits 47-39 (PML4 index), 38-30 (PDPT index), 29-21 (PD index), 20-12 (PT index) and 11-0 (offset); bits 63-48 copy bit 47.",
    ENTRY_NOTE,
    LONG_RIGHTS_NOTE,
    ANSWER_NOTE,
  ],
  address: bigAddress,
});

/** x86-64 5-level paging (CR4.LA57) for `kmem quiz translate --arch x86-64-la57`. */
export const X86_64_LA57_QUIZ: QuizArch<bigint> = x86ModeArch({
  name: "x86-64-la57",
  description: "x86-64 5-level paging (CR4.LA57) with 4 KiB pages (Intel SDM vol. 3 §4.5)",
  codec: x86Codec("x86-64-la57"),
  registers: { cr0: PAGING_ON, cr4: CR4_PAE | CR4_LA57, efer: EFER_LME | EFER_NXE },
  addressDigits: 16,
  userPages: { start: 1, end: LONG_USER_PAGES },
  kernelPages: { start: LONG_KERNEL_FIRST_PAGE, end: LONG_PAGES },
  notes: [
    "A virtual address splits into bits 56-48 (PML5 index), 47-39 (PML4 index), 38-30 (PDPT index), 29-21 (PD index), 20-12 (PT index) and 11-0 (offset); bits 63-57 copy bit 56.",
    ENTRY_NOTE,
    LONG_RIGHTS_NOTE,
    ANSWER_NOTE,
  ],
  address: bigAddress,
});
