import { ENTRIES_PER_TABLE, ENTRY_BYTES, PAGE_SIZE, TABLE_BYTES, decodeEntry, type EntryLevel } from "../../arch/x86/entry.js";
import { pageTables } from "../../arch/x86/mappings.js";
import { Mmu, type WalkResult } from "../../arch/x86/mmu.js";
import { describeFaultReason, formatErrorCode } from "../../arch/x86/page-fault.js";
import { X86Paging } from "../../arch/x86/paging.js";
import { hex } from "../../format.js";
import { PhysicalMemoryManager } from "../../pmm.js";
import { PhysicalMemory } from "../../ram.js";
import type { Chooser } from "../choice.js";
import type { QuizAccess, QuizArch, QuizMachine, QuizTable, QuizWalk, QuizWalkStep } from "./arch.js";
import { RandomFrames } from "./random-frames.js";

const MIB = 1024 * 1024;
/** RAM of an x86 exercise: small enough to allocate at once, large enough for varied frames. */
const MEMORY_BYTES = 16 * MIB;
/** Frames are drawn above the first MiB (the PC's real-mode area). */
const FRAME_FLOOR = MIB;
/** Virtual page number of 0xC0000000: the 3 GiB / 1 GiB user/kernel split. */
const KERNEL_FIRST_PAGE = 0xc0000;
const PAGES = 2 ** 32 / PAGE_SIZE;

/** The words of an entry that are its meaning: `present writable user, table 0x…` or `not present`. */
function meaning(value: number, level: EntryLevel): string {
  const e = decodeEntry(value, level);
  if (!e.present) return "not present";
  const words = [
    "present",
    e.writable ? "writable" : "read-only",
    e.user ? "user" : "supervisor",
    ...(e.accessed ? ["accessed"] : []),
    ...(e.dirty ? ["dirty"] : []),
  ];
  return `${words.join(" ")}, ${level === "pde" ? "table" : "frame"} ${hex(e.address)}`;
}

/** The exercise's view of a 32-bit x86 machine: X86Paging builds, the Mmu walks. */
class X86QuizMachine implements QuizMachine<number> {
  readonly mapper: X86Paging;
  readonly root: number;
  readonly #ram = new PhysicalMemory(MEMORY_BYTES);
  readonly #frames: RandomFrames;
  readonly #mmu: Mmu;

  constructor(choose: Chooser) {
    const pmm = new PhysicalMemoryManager({ memoryBytes: MEMORY_BYTES, reserved: [{ start: 0, end: FRAME_FLOOR }] });
    this.#frames = new RandomFrames(pmm, choose, { floor: FRAME_FLOOR });
    this.mapper = new X86Paging({ ram: this.#ram, frames: this.#frames });
    this.root = this.mapper.createDirectory();
    // No TLB: every question is answered by the tables in RAM, as the dump shows them.
    this.#mmu = new Mmu({ ram: this.#ram, tlbEntries: 0, wp: true, cr3: this.root });
  }

  takeFrame(): number {
    const frame = this.#frames.alloc();
    if (frame === null) throw new RangeError(`Cannot take a frame: the exercise's ${MEMORY_BYTES / MIB} MiB of RAM are full`);
    return frame / PAGE_SIZE;
  }

  tables(): QuizTable[] {
    return [
      { level: "page directory", address: this.root, bytes: this.#ram.readBytes(this.root, TABLE_BYTES) },
      ...pageTables(this.#ram, this.root, { pse: false }).map((table) => ({ level: "page table", address: table, bytes: this.#ram.readBytes(table, TABLE_BYTES) })),
    ];
  }

  walk(vaddr: number, access: QuizAccess): QuizWalk {
    const saved = this.tables();
    const result = this.#mmu.walk(vaddr, access);
    // A successful walk sets accessed/dirty bits; put RAM back so the dump stays the truth.
    for (const table of saved) this.#ram.writeBytes(table.address, table.bytes);
    return this.#explain(result);
  }

  #explain(result: WalkResult): QuizWalk {
    const steps: QuizWalkStep[] = [this.#step("PDE", result.pdIndex, result.pdeAddress, "pde")];
    if (result.pteAddress !== null) steps.push(this.#step("PTE", result.ptIndex, result.pteAddress, "pte"));
    const fault =
      result.errorCode === null || result.reason === null
        ? null
        : {
          errorCode: result.errorCode,
          codeName: "error code",
          code: hex(result.errorCode, 1),
          bits: formatErrorCode(result.errorCode),
          reason: result.reason,
          description: describeFaultReason(result.reason),
        };
    const physical = result.physical;
    return { steps, frame: physical === null ? null : physical - result.offset, offset: result.offset, physical, fault };
  }

  #step(level: string, index: number, entryAddress: number, kind: EntryLevel): QuizWalkStep {
    const entry = this.#ram.read32(entryAddress);
    return { level, index, entryAddress, entry, meaning: meaning(entry, kind) };
  }
}

/**
 * 32-bit x86 two-level paging for `kmem quiz translate --arch x86`: 16 MiB of RAM, a 3 GiB /
 * 1 GiB user/kernel split, CR0.WP = 1, no 4 MiB pages, no TLB.
 */
export const X86_QUIZ: QuizArch<number> = {
  name: "x86",
  description: "32-bit x86, two-level paging with 4 KiB pages (Intel SDM vol. 3 §4.3)",
  rootRegister: "CR3",
  memoryBytes: MEMORY_BYTES,
  pageBytes: PAGE_SIZE,
  pagesPerTable: ENTRIES_PER_TABLE,
  entryBytes: ENTRY_BYTES,
  addressDigits: 8,
  physicalDigits: 8,
  userPages: { start: 1, end: KERNEL_FIRST_PAGE },
  kernelPages: { start: KERNEL_FIRST_PAGE, end: PAGES },
  faultCodeName: "error code",
  notes: [
    "A virtual address splits into bits 31-22 (page-directory index), 21-12 (page-table index) and 11-0 (offset).",
    "Entries are 32-bit little-endian words: bit 0 P (present), 1 R/W (writable), 2 U/S (user), 5 A, 6 D; bits 31-12 the frame.",
    "User accesses need U/S = 1 in the PDE and the PTE; writes need R/W = 1 in both (CR0.WP = 1: supervisor writes too).",
    "Answer with the physical address, or with \"fault\" and the page-fault error code: bit 0 P (1: protection, 0: not present), bit 1 W (write), bit 2 U (user mode).",
  ],
  address: (page, offset) => page * PAGE_SIZE + offset,
  createMachine: (choose) => new X86QuizMachine(choose),
};
