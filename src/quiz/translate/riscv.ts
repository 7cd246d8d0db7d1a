import { riscvCodec } from "../../arch/riscv/codec.js";
import { RiscvMmu } from "../../arch/riscv/cpu.js";
import {
  CAUSE_FETCH_PAGE_FAULT,
  CAUSE_LOAD_PAGE_FAULT,
  HI_PPN_MASK,
  LOW_PPN_BITS,
  PPN_SHIFT,
  PTE_A,
  PTE_D,
  PTE_R,
  PTE_RWX,
  PTE_U,
  PTE_V,
  PTE_W,
  PTE_X,
  SATP_MODE,
  SSTATUS_SUM,
} from "../../arch/riscv/pte.js";
import type { RiscvModeName } from "../../arch/riscv/rules.js";
import { hex } from "../../format.js";
import { describeReason, reasonName } from "../../paging/access.js";
import { PAGE_BYTES } from "../../paging/geometry.js";
import type { EntryCodec } from "../../paging/mode.js";
import type { PhysicalMemory } from "../../ram.js";
import type { Address } from "../../types.js";
import type { QuizArch, QuizFault } from "./arch.js";
import { engineQuizArch, type QuizWalker } from "./engine.js";

const PAGE = BigInt(PAGE_BYTES);
const SATP_MODE_SHIFT = 60n;
/** RV32 satp.MODE is bit 31. */
const SV32_MODE_BIT = 2 ** 31;
/** Sv32: a 3 GiB / 1 GiB split, as on x86. */
const SV32_KERNEL_FIRST_PAGE = 0xc0000;
const SV32_PAGES = 2 ** 32 / PAGE_BYTES;
/** Sv39+: user regions in the first 256 GiB (all of Sv39's lower half), kernel in the top 2 GiB, as Linux maps its image. */
const RV64_USER_PAGES = 2 ** 38 / PAGE_BYTES;
const RV64_PAGES = 2 ** 52;
const RV64_KERNEL_FIRST_PAGE = RV64_PAGES - 2 ** 31 / PAGE_BYTES;
const ENTRY_NAMES = ["L0 PTE", "L1 PTE", "L2 PTE", "L3 PTE", "L4 PTE"];
const TABLE_NAMES = ["level-0 page table", "level-1 page table", "level-2 page table", "level-3 page table", "level-4 page table"];
const CAUSE_NAMES: Record<number, string> = { [CAUSE_FETCH_PAGE_FAULT]: "instruction page fault", [CAUSE_LOAD_PAGE_FAULT]: "load page fault" };
const STORE_FAULT_NAME = "store/AMO page fault";

/** What a RISC-V PTE says: `valid pointer, level-1 page table 0x…`, `valid leaf r-x user, frame 0x…`, `not valid`. */
function meaning(lo: number, hi: number, level: number): string {
  if ((lo & PTE_V) === 0) return "not valid";
  const target = ((lo >>> PPN_SHIFT) + (hi & HI_PPN_MASK) * 2 ** LOW_PPN_BITS) * PAGE_BYTES;
  if ((lo & PTE_RWX) === 0) return `valid pointer, ${TABLE_NAMES[level - 1] ?? "table"} ${hex(target)}`;
  const rwx = `${(lo & PTE_R) !== 0 ? "r" : "-"}${(lo & PTE_W) !== 0 ? "w" : "-"}${(lo & PTE_X) !== 0 ? "x" : "-"}`;
  const words = ["valid leaf", rwx, (lo & PTE_U) !== 0 ? "user" : "supervisor", ...((lo & PTE_A) !== 0 ? ["accessed"] : []), ...((lo & PTE_D) !== 0 ? ["dirty"] : [])];
  return `${words.join(" ")}, frame ${hex(target)}`;
}

/** The cause (scause) and kmem's stable reason names (`not-present`, `user-supervisor`, `read-only`). */
function fault(cause: number, reason: number): QuizFault {
  const name = reasonName(reason);
  const stable = name === "notPresent" ? "not-present" : name === "supervisorPage" ? "user-supervisor" : name === "readOnly" ? "read-only" : name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  return { errorCode: cause, codeName: "scause", code: String(cause), bits: CAUSE_NAMES[cause] ?? STORE_FAULT_NAME, reason: stable, description: describeReason(name) };
}

/** The MMU in S-mode with SUM (so the kernel may read user pages, as x86 allows); each access runs in U- or S-mode as asked. */
function walker(mode: RiscvModeName, ram: PhysicalMemory, root: number): QuizWalker {
  const ppn = root / PAGE_BYTES;
  const satp =
    mode === "riscv-sv32"
      ? SV32_MODE_BIT + ppn
      : (BigInt(mode === "riscv-sv39" ? SATP_MODE.sv39 : mode === "riscv-sv48" ? SATP_MODE.sv48 : SATP_MODE.sv57) << SATP_MODE_SHIFT) | BigInt(ppn);
  const mmu = new RiscvMmu({ bus: ram, tlbEntries: 0, xlen: mode === "riscv-sv32" ? 32 : 64, state: { satp, sstatus: SSTATUS_SUM, priv: "S" } });
  return (vaddr, access) => {
    mmu.setState({ priv: access.user ? "U" : "S" });
    return mmu.walk(vaddr, { write: access.write });
  };
}

const ANSWER_NOTE = "Answer with the physical address, or with \"fault\" and the exception cause (scause): 13 load page fault, 15 store/AMO page fault.";
const RIGHTS_NOTE =
  "Pointers (R = W = X = 0) carry no rights: the leaf decides. U-mode needs U = 1; S-mode may read and write U pages here (sstatus.SUM = 1); writes need W = 1.";

function splitNote(bits: readonly number[], top: string): string {
  let shift = 12;
  const fields = bits.map((width, level) => {
    const field = `${shift + width - 1}-${shift} (VPN[${level}])`;
    shift += width;
    return field;
  });
  return `A virtual address splits into bits ${fields.reverse().join(", ")} and 11-0 (offset)${top}.`;
}

function riscvArch<A extends Address>(options: {
  readonly name: RiscvModeName;
  readonly description: string;
  readonly codec: EntryCodec<A>;
  readonly addressDigits: number;
  readonly userPages: { readonly start: number; readonly end: number };
  readonly kernelPages: { readonly start: number; readonly end: number };
  readonly top: string;
  readonly address: (page: number, offset: number) => A;
}): QuizArch<A> {
  const g = options.codec.geometry;
  const entryNote =
    g.entryBytes === 4
      ? "PTEs are 32-bit little-endian words: bit 0 V, 1 R, 2 W, 3 X, 4 U, 5 G, 6 A, 7 D; bits 31-10 the PPN (the physical address is PPN × 4096)."
      : "PTEs are 64-bit little-endian words: bit 0 V, 1 R, 2 W, 3 X, 4 U, 5 G, 6 A, 7 D; bits 53-10 the PPN (the physical address is PPN × 4096).";
  return engineQuizArch({
    ...options,
    rootRegister: "satp.PPN × 4096",
    faultCodeName: "exception cause (scause)",
    notes: [splitNote(g.indexBits, options.top), entryNote, RIGHTS_NOTE, ANSWER_NOTE],
    entryNames: ENTRY_NAMES,
    tableNames: TABLE_NAMES,
    createWalker: (ram, root) => walker(options.name, ram, root),
    meaning,
    fault,
  });
}

const bigAddress = (page: number, offset: number): bigint => BigInt(page) * PAGE + BigInt(offset);
const rv64 = { addressDigits: 16, userPages: { start: 1, end: RV64_USER_PAGES }, kernelPages: { start: RV64_KERNEL_FIRST_PAGE, end: RV64_PAGES }, address: bigAddress };

/** RISC-V Sv32 (RV32, 2 levels, 4-byte PTEs) for `kmem quiz translate --arch riscv-sv32`. */
export const RISCV_SV32_QUIZ: QuizArch<number> = riscvArch({
  name: "riscv-sv32",
  description: "RISC-V Sv32: two levels of 32-bit PTEs, 4 KiB pages (privileged spec §10.3)",
  codec: riscvCodec("riscv-sv32"),
  addressDigits: 8,
  userPages: { start: 1, end: SV32_KERNEL_FIRST_PAGE },
  kernelPages: { start: SV32_KERNEL_FIRST_PAGE, end: SV32_PAGES },
  top: "",
  address: (page, offset) => page * PAGE_BYTES + offset,
});

/** RISC-V Sv39 (3 levels) for `kmem quiz translate --arch riscv-sv39`. */
export const RISCV_SV39_QUIZ: QuizArch<bigint> = riscvArch({
  name: "riscv-sv39",
  description: "RISC-V Sv39: three levels of 64-bit PTEs, 4 KiB pages (privileged spec §10.4)",
  codec: riscvCodec("riscv-sv39"),
  top: "; bits 63-39 copy bit 38",
  ...rv64,
});

/** RISC-V Sv48 (4 levels) for `kmem quiz translate --arch riscv-sv48`. */
export const RISCV_SV48_QUIZ: QuizArch<bigint> = riscvArch({
  name: "riscv-sv48",
  description: "RISC-V Sv48: four levels of 64-bit PTEs, 4 KiB pages (privileged spec §10.5)",
  codec: riscvCodec("riscv-sv48"),
  top: "; bits 63-48 copy bit 47",
  ...rv64,
});

/** RISC-V Sv57 (5 levels) for `kmem quiz translate --arch riscv-sv57`. */
export const RISCV_SV57_QUIZ: QuizArch<bigint> = riscvArch({
  name: "riscv-sv57",
  description: "RISC-V Sv57: five levels of 64-bit PTEs, 4 KiB pages (privileged spec §10.6)",
  codec: riscvCodec("riscv-sv57"),
  top: "; bits 63-57 copy bit 56",
  ...rv64,
});
