import { PAGE_BYTES, tableEntries } from "../../paging/geometry.js";
import type { WalkExplanation } from "../../paging/mmu.js";
import type { EntryCodec } from "../../paging/mode.js";
import { TableMapper } from "../../paging/table-mapper.js";
import { PhysicalMemoryManager } from "../../pmm.js";
import { PhysicalMemory } from "../../ram.js";
import type { Address, Range } from "../../types.js";
import type { Chooser } from "../choice.js";
import type { QuizAccess, QuizArch, QuizFault, QuizMachine, QuizTable, QuizWalk, QuizWalkStep } from "./arch.js";
import { RandomFrames } from "./random-frames.js";

const MIB = 1024 * 1024;
/** RAM of an exercise: small enough to allocate at once, large enough for varied frames. */
const MEMORY_BYTES = 16 * MIB;
/** Frames are drawn above the first MiB. */
const FRAME_FLOOR = MIB;
const PAGE = BigInt(PAGE_BYTES);

/** What a mode's MMU does for the exercise: walk one access (setting whatever privilege state the mode keeps). */
export type QuizWalker = (vaddr: Address, access: QuizAccess) => WalkExplanation;

/**
 * One paging mode driven by the engine (`TableMapper` + the mode's `PagingMmu`), described
 * for the exercise: everything {@link engineQuizArch} needs beyond the codec.
 */
export interface EngineQuizMode<A extends Address> {
  /** The mode's name as `--arch` takes it. */
  readonly name: string;
  /** One line: the mode and the manual section that defines it. */
  readonly description: string;
  /** How the root table's address is named in the header: `CR3`, `satp.PPN × 4096`. */
  readonly rootRegister: string;
  /** The mode's entry codec (geometry included). */
  readonly codec: EntryCodec<A>;
  /** Hex digits of a virtual address. */
  readonly addressDigits: number;
  /** Virtual page numbers user regions are placed in. */
  readonly userPages: Range;
  /** Virtual page numbers kernel regions are placed in. */
  readonly kernelPages: Range;
  /** What a student needs to know, one line each. */
  readonly notes: readonly string[];
  /** What a fault's answer gives besides "fault": `error code`, `exception cause (scause)`. */
  readonly faultCodeName: string;
  /** Entry names by level, leaf level first (`PTE`, `PDE`, …). */
  readonly entryNames: readonly string[];
  /** Table names by level, leaf level first (`page table`, `page directory`, …). */
  readonly tableNames: readonly string[];
  /** The address of byte `offset` of page number `page`. */
  address(page: number, offset: number): A;
  /** The mode's MMU over `ram`, walking the tables at `root`. */
  createWalker(ram: PhysicalMemory, root: number): QuizWalker;
  /** What entry `lo, hi` at `level` says, e.g. `present writable user, page table 0x…`. */
  meaning(lo: number, hi: number, level: number, role: "table" | "leaf" | "fault"): string;
  /** The fault of a failed walk, from the MMU's fault code, reason and level. */
  fault(code: number, reason: number, level: number): QuizFault;
}

class EngineQuizMachine<A extends Address> implements QuizMachine<A> {
  readonly mapper: TableMapper<A>;
  readonly root: number;
  readonly #mode: EngineQuizMode<A>;
  readonly #ram = new PhysicalMemory(MEMORY_BYTES);
  readonly #frames: RandomFrames;
  readonly #walk: QuizWalker;

  constructor(mode: EngineQuizMode<A>, choose: Chooser) {
    this.#mode = mode;
    const pmm = new PhysicalMemoryManager({ memoryBytes: MEMORY_BYTES, reserved: [{ start: 0, end: FRAME_FLOOR }] });
    this.#frames = new RandomFrames(pmm, choose, { floor: FRAME_FLOOR });
    this.mapper = new TableMapper({ codec: mode.codec, bus: this.#ram, frames: this.#frames });
    this.root = this.mapper.createRoot();
    this.#walk = mode.createWalker(this.#ram, this.root);
  }

  takeFrame(): number {
    const frame = this.#frames.alloc();
    if (frame === null) throw new RangeError(`Cannot take a frame: the exercise's ${MEMORY_BYTES / MIB} MiB of RAM are full`);
    return frame / PAGE_BYTES;
  }

  tables(): QuizTable[] {
    const { codec, tableNames } = this.#mode;
    const g = codec.geometry;
    const out: QuizTable[] = [];
    const visit = (address: number, level: number): void => {
      const entries = tableEntries(g, level);
      out.push({ level: tableNames[level] ?? "table", address, bytes: this.#ram.readBytes(address, entries * g.entryBytes) });
      if (level === 0) return;
      for (let i = 0; i < entries; i++) {
        const [lo, hi] = this.#entry(address + i * g.entryBytes);
        if (codec.isPresent(lo, hi) && !codec.isLeaf(lo, hi, level)) visit(codec.pageNumber(lo, hi, level) * PAGE_BYTES, level - 1);
      }
    };
    visit(this.root, g.levels - 1);
    return out;
  }

  walk(vaddr: A, access: QuizAccess): QuizWalk {
    const saved = this.tables();
    const explanation = this.#walk(vaddr, access);
    // A successful walk sets accessed/dirty bits; put RAM back so the dump stays the truth.
    for (const table of saved) this.#ram.writeBytes(table.address, table.bytes);
    const steps = explanation.steps.map((step): QuizWalkStep => {
      const [lo, hi] = this.#entry(step.entryAddress);
      return {
        level: this.#mode.entryNames[step.level] ?? "entry",
        index: step.index,
        entryAddress: step.entryAddress,
        entry: this.#mode.codec.geometry.entryBytes === 4 ? lo : (BigInt(hi) << 32n) | BigInt(lo),
        meaning: this.#mode.meaning(lo, hi, step.level, step.role),
      };
    });
    const offset = Number(BigInt(vaddr) % PAGE);
    const { physical, faultCode, faultReason } = explanation;
    const fault = faultCode === null || faultReason === null ? null : this.#mode.fault(faultCode, faultReason, explanation.faultLevel ?? 0);
    return { steps, frame: physical === null ? null : physical - offset, offset, physical, fault };
  }

  /** The entry at `address` as `[lo, hi]` (`hi` 0 for 4-byte entries). */
  #entry(address: number): [number, number] {
    return [this.#ram.read32(address), this.#mode.codec.geometry.entryBytes === 8 ? this.#ram.read32(address + 4) : 0];
  }
}

/**
 * The {@link QuizArch} of an engine-driven mode: 16 MiB of RAM, frames drawn at random
 * above 1 MiB, the tables built by `TableMapper` with the mode's codec and walked by the
 * mode's MMU (no TLB), RAM restored after every walk.
 */
export function engineQuizArch<A extends Address>(mode: EngineQuizMode<A>): QuizArch<A> {
  const g = mode.codec.geometry;
  return {
    name: mode.name,
    description: mode.description,
    rootRegister: mode.rootRegister,
    memoryBytes: MEMORY_BYTES,
    pageBytes: PAGE_BYTES,
    pagesPerTable: tableEntries(g, 0),
    entryBytes: g.entryBytes,
    addressDigits: mode.addressDigits,
    physicalDigits: 8,
    userPages: mode.userPages,
    kernelPages: mode.kernelPages,
    notes: mode.notes,
    faultCodeName: mode.faultCodeName,
    address: (page, offset) => mode.address(page, offset),
    createMachine: (choose) => new EngineQuizMachine(mode, choose),
  };
}
