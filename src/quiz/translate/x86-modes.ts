import { x86Codec } from "../../arch/x86/codec.js";
import { X86Mmu, type X86CpuState } from "../../arch/x86/cpu.js";
import { PTE_ACCESSED, PTE_DIRTY, PTE_PRESENT, PTE_USER, PTE_WRITABLE } from "../../arch/x86/entry.js";
import { CR0_PE, CR0_PG, CR0_WP, CR4_LA57, CR4_PAE, EFER_LME, EFER_NXE, HI_ADDRESS_MASK, HI_NX, PF_RESERVED } from "../../arch/x86/entry64.js";
import { PF_FETCH, PF_PRESENT, PF_USER, PF_WRITE } from "../../arch/x86/page-fault.js";
import { hex } from "../../format.js";
import { describeReason, reasonName } from "../../paging/access.js";
import { TWO_32 } from "../../paging/address.js";
import { PAGE_BYTES, tableEntries } from "../../paging/geometry.js";
import type { EntryCodec } from "../../paging/mode.js";
import { TableMapper } from "../../paging/table-mapper.js";
import { PhysicalMemoryManager } from "../../pmm.js";
import { PhysicalMemory } from "../../ram.js";
import type { Address } from "../../types.js";
import type { Chooser } from "../choice.js";
import type { QuizAccess, QuizArch, QuizFault, QuizMachine, QuizTable, QuizWalk, QuizWalkStep } from "./arch.js";
import { RandomFrames } from "./random-frames.js";

const MIB = 1024 * 1024;
const MEMORY_BYTES = 16 * MIB;
const FRAME_FLOOR = MIB;
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

/** What differs between the x86 modes the engine walks, for the exercise. */
interface X86ModeQuiz<A extends Address> {
  readonly name: "x86-pae" | "x86-64" | "x86-64-la57";
  readonly description: string;
  readonly codec: EntryCodec<A>;
  /** CR0, CR4 and EFER for the mode (CR3 is the exercise's root). */
  readonly registers: Omit<X86CpuState, "cr3">;
  readonly addressDigits: number;
  readonly userPages: { readonly start: number; readonly end: number };
  readonly kernelPages: { readonly start: number; readonly end: number };
  readonly splitNote: string;
  readonly address: (page: number, offset: number) => A;
}

/** The words of an entry's meaning: `present writable user, table 0x…`, `not present`. */
function meaning(lo: number, hi: number, level: number, leaf: boolean, paeRoot: boolean): string {
  if ((lo & PTE_PRESENT) === 0) return "not present";
  const target = (lo & 0xfffff000) + (hi & HI_ADDRESS_MASK) * TWO_32;
  if (paeRoot) return `present, ${TABLE_NAMES[level - 1] ?? "table"} ${hex(target)}`;
  const words = [
    "present",
    (lo & PTE_WRITABLE) !== 0 ? "writable" : "read-only",
    (lo & PTE_USER) !== 0 ? "user" : "supervisor",
    ...((hi & HI_NX) !== 0 ? ["no-execute"] : []),
    ...((lo & PTE_ACCESSED) !== 0 ? ["accessed"] : []),
    ...(leaf && (lo & PTE_DIRTY) !== 0 ? ["dirty"] : []),
  ];
  return `${words.join(" ")}, ${leaf ? "frame" : (TABLE_NAMES[level - 1] ?? "table")} ${hex(target)}`;
}

/** `P=1 W=1 U=1` (and RSVD, I/D when set) for an x86 error code. */
function errorBits(code: number): string {
  const bit = (mask: number): string => ((code & mask) !== 0 ? "1" : "0");
  const extra = [(code & PF_RESERVED) !== 0 ? " RSVD=1" : "", (code & PF_FETCH) !== 0 ? " I/D=1" : ""].join("");
  return `P=${bit(PF_PRESENT)} W=${bit(PF_WRITE)} U=${bit(PF_USER)}${extra}`;
}

/** kmem's stable reason names, as `kmem translate --json` spells x86's: `pde-not-present`, `user-supervisor`, `read-only`. */
function reasonText(reason: number, level: number): string {
  const name = reasonName(reason);
  if (name === "notPresent") return `${(ENTRY_NAMES[level] ?? "entry").toLowerCase()}-not-present`;
  if (name === "supervisorPage") return "user-supervisor";
  if (name === "readOnly") return "read-only";
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

class X86ModeMachine<A extends Address> implements QuizMachine<A> {
  readonly mapper: TableMapper<A>;
  readonly root: number;
  readonly #mode: X86ModeQuiz<A>;
  readonly #ram = new PhysicalMemory(MEMORY_BYTES);
  readonly #frames: RandomFrames;
  readonly #mmu: X86Mmu;

  constructor(mode: X86ModeQuiz<A>, choose: Chooser) {
    this.#mode = mode;
    const pmm = new PhysicalMemoryManager({ memoryBytes: MEMORY_BYTES, reserved: [{ start: 0, end: FRAME_FLOOR }] });
    this.#frames = new RandomFrames(pmm, choose, { floor: FRAME_FLOOR });
    this.mapper = new TableMapper({ codec: mode.codec, bus: this.#ram, frames: this.#frames });
    this.root = this.mapper.createRoot();
    this.#mmu = new X86Mmu({ bus: this.#ram, tlbEntries: 0, state: { ...mode.registers, cr3: this.root } });
  }

  takeFrame(): number {
    const frame = this.#frames.alloc();
    if (frame === null) throw new RangeError(`Cannot take a frame: the exercise's ${MEMORY_BYTES / MIB} MiB of RAM are full`);
    return frame / PAGE_BYTES;
  }

  tables(): QuizTable[] {
    const { codec } = this.#mode;
    const g = codec.geometry;
    const out: QuizTable[] = [];
    const visit = (address: number, level: number): void => {
      const entries = tableEntries(g, level);
      out.push({ level: TABLE_NAMES[level] ?? "table", address, bytes: this.#ram.readBytes(address, entries * g.entryBytes) });
      if (level === 0) return;
      for (let i = 0; i < entries; i++) {
        const lo = this.#ram.read32(address + i * g.entryBytes);
        const hi = this.#ram.read32(address + i * g.entryBytes + 4);
        if (codec.isPresent(lo, hi) && !codec.isLeaf(lo, hi, level)) visit(codec.pageNumber(lo, hi, level) * PAGE_BYTES, level - 1);
      }
    };
    visit(this.root, g.levels - 1);
    return out;
  }

  walk(vaddr: A, access: QuizAccess): QuizWalk {
    const saved = this.tables();
    const explanation = this.#mmu.walk(vaddr, access);
    // A successful walk sets accessed/dirty bits; put RAM back so the dump stays the truth.
    for (const table of saved) this.#ram.writeBytes(table.address, table.bytes);
    const rootLevel = this.#mode.codec.geometry.levels - 1;
    const steps = explanation.steps.map((step): QuizWalkStep => {
      const lo = this.#ram.read32(step.entryAddress);
      const hi = this.#ram.read32(step.entryAddress + 4);
      const paeRoot = this.#mode.name === "x86-pae" && step.level === rootLevel;
      return {
        level: ENTRY_NAMES[step.level] ?? "entry",
        index: step.index,
        entryAddress: step.entryAddress,
        entry: (BigInt(hi) << 32n) | BigInt(lo),
        meaning: meaning(lo, hi, step.level, step.role === "leaf", paeRoot),
      };
    });
    const offset = Number(BigInt(vaddr) % PAGE);
    const { physical, faultCode, faultReason } = explanation;
    const fault: QuizFault | null =
      faultCode === null || faultReason === null
        ? null
        : {
          errorCode: faultCode,
          bits: errorBits(faultCode),
          reason: reasonText(faultReason, explanation.faultLevel ?? 0),
          description: describeReason(reasonName(faultReason)),
        };
    return { steps, frame: physical === null ? null : physical - offset, offset, physical, fault };
  }
}

function modeArch<A extends Address>(mode: X86ModeQuiz<A>): QuizArch<A> {
  const g = mode.codec.geometry;
  return {
    name: mode.name,
    description: mode.description,
    rootRegister: "CR3",
    memoryBytes: MEMORY_BYTES,
    pageBytes: PAGE_BYTES,
    pagesPerTable: tableEntries(g, 0),
    entryBytes: g.entryBytes,
    addressDigits: mode.addressDigits,
    physicalDigits: 8,
    userPages: mode.userPages,
    kernelPages: mode.kernelPages,
    notes: [
      mode.splitNote,
      "Entries are 64-bit little-endian words: bit 0 P (present), 1 R/W (writable), 2 U/S (user), 5 A, 6 D, 7 PS, 63 XD; bits 51-12 the frame.",
      mode.name === "x86-pae"
        ? "The 4 PDPTEs have only P; user accesses need U/S = 1 in the PDE and the PTE, writes need R/W = 1 in both (CR0.WP = 1: supervisor writes too)."
        : "User accesses need U/S = 1 in every entry on the path; writes need R/W = 1 in every entry (CR0.WP = 1: supervisor writes too).",
      "Answer with the physical address, or with \"fault\" and the page-fault error code: bit 0 P (1: protection, 0: not present), bit 1 W (write), bit 2 U (user mode).",
    ],
    address: mode.address,
    createMachine: (choose) => new X86ModeMachine(mode, choose),
  };
}

const PAGING_ON = CR0_PG | CR0_WP | CR0_PE;
const bigAddress = (page: number, offset: number): bigint => BigInt(page) * PAGE + BigInt(offset);
const LONG_SPLIT_4 = "A virtual address splits into bits 47-39 (PML4 index), 38-30 (PDPT index), 29-21 (PD index), 20-12 (PT index) and 11-0 (offset); bits 63-48 copy bit 47.";
const LONG_SPLIT_5 =
  "A virtual address splits into bits 56-48 (PML5 index), 47-39 (PML4 index), 38-30 (PDPT index), 29-21 (PD index), 20-12 (PT index) and 11-0 (offset); bits 63-57 copy bit 56.";

/** x86 PAE paging (3 levels, 64-bit entries, 32-bit addresses) for `kmem quiz translate --arch x86-pae`. */
export const X86_PAE_QUIZ: QuizArch<number> = modeArch({
  name: "x86-pae",
  description: "x86 PAE paging: a 4-entry PDPT, page directories and page tables of 64-bit entries, 4 KiB pages (Intel SDM vol. 3 §4.4)",
  codec: x86Codec("x86-pae"),
  registers: { cr0: PAGING_ON, cr4: CR4_PAE, efer: EFER_NXE },
  addressDigits: 8,
  userPages: { start: 1, end: PAE_KERNEL_FIRST_PAGE },
  kernelPages: { start: PAE_KERNEL_FIRST_PAGE, end: PAE_PAGES },
  splitNote: "A virtual address splits into bits 31-30 (PDPT index), 29-21 (page-directory index), 20-12 (page-table index) and 11-0 (offset).",
  address: (page, offset) => page * PAGE_BYTES + offset,
});

/** x86-64 4-level paging for `kmem quiz translate --arch x86-64`. */
export const X86_64_QUIZ: QuizArch<bigint> = modeArch({
  name: "x86-64",
  description: "x86-64 4-level paging with 4 KiB pages (Intel SDM vol. 3 §4.5)",
  codec: x86Codec("x86-64"),
  registers: { cr0: PAGING_ON, cr4: CR4_PAE, efer: EFER_LME | EFER_NXE },
  addressDigits: 16,
  userPages: { start: 1, end: LONG_USER_PAGES },
  kernelPages: { start: LONG_KERNEL_FIRST_PAGE, end: LONG_PAGES },
  splitNote: LONG_SPLIT_4,
  address: bigAddress,
});

/** x86-64 5-level paging (CR4.LA57) for `kmem quiz translate --arch x86-64-la57`. */
export const X86_64_LA57_QUIZ: QuizArch<bigint> = modeArch({
  name: "x86-64-la57",
  description: "x86-64 5-level paging (CR4.LA57) with 4 KiB pages (Intel SDM vol. 3 §4.5)",
  codec: x86Codec("x86-64-la57"),
  registers: { cr0: PAGING_ON, cr4: CR4_PAE | CR4_LA57, efer: EFER_LME | EFER_NXE },
  addressDigits: 16,
  userPages: { start: 1, end: LONG_USER_PAGES },
  kernelPages: { start: LONG_KERNEL_FIRST_PAGE, end: LONG_PAGES },
  splitNote: LONG_SPLIT_5,
  address: bigAddress,
});
