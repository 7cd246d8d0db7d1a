import type { PagingModeName } from "../src/boot/modes.js";
import { hex } from "../src/format.js";
import { describeReason, KIND_FETCH, KIND_USER, KIND_WRITE, kindOperation, reasonName } from "../src/paging/access.js";
import type { WalkExplanation } from "../src/paging/mmu.js";

/** One decoded field of a 64-bit-capable entry or of a fault code. */
export interface ModeField {
  /** Bit position or range, e.g. `"63"` or `"12–51"`. */
  readonly bits: string;
  /** The specification's short name (`XD`, `V`, …), or `address`. */
  readonly name: string;
  /** The raw value as shown: `0`/`1`, or the address in hex. */
  readonly value: string;
  /** Whether a one-bit field is set (an address field counts as set). */
  readonly on: boolean;
  /** What the value means here. */
  readonly meaning: string;
}

const X86_LEVEL_NAMES: Readonly<Partial<Record<PagingModeName, readonly string[]>>> = {
  "x86-pae": ["PTE", "PDE", "PDPTE"],
  "x86-64": ["PTE", "PDE", "PDPTE", "PML4E"],
  "x86-64-la57": ["PTE", "PDE", "PDPTE", "PML4E", "PML5E"],
};

/** The entry's name at `level` (0 = the last table): `PML4E`, `PDE`, … on x86; `L2 PTE`, … on RISC-V. */
export function levelName(mode: PagingModeName, level: number): string {
  return X86_LEVEL_NAMES[mode]?.[level] ?? `L${level} PTE`;
}

/** Whether the mode is a RISC-V one. */
export function isRiscv(mode: PagingModeName): boolean {
  return mode.startsWith("riscv");
}

function bit(entry: bigint, n: number): boolean {
  return ((entry >> BigInt(n)) & 1n) === 1n;
}

function flag(entry: bigint, n: number, name: string, ifOn: string, ifOff: string): ModeField {
  const on = bit(entry, n);
  return { bits: String(n), name, value: on ? "1" : "0", on, meaning: on ? ifOn : ifOff };
}

function field(entry: bigint, low: number, high: number, name: string, meaning: (value: bigint) => string): ModeField {
  const value = (entry >> BigInt(low)) & ((1n << BigInt(high - low + 1)) - 1n);
  return { bits: `${low}–${high}`, name, value: hex(value, 1), on: value !== 0n, meaning: meaning(value) };
}

const X86_PS = 7;
const X86_ADDRESS_HIGH = 51;
const PAGE_SHIFT = 12;

/** An x86 PAE / long-mode entry (SDM vol. 3 tables 4-8 … 4-20): P R/W U/S PWT PCD A D PS G XD and the address. */
function x86Fields(mode: PagingModeName, entry: bigint, level: number, leaf: boolean): ModeField[] {
  const present = flag(entry, 0, "P", "present", "not present: the CPU ignores every other bit");
  const address = field(entry, PAGE_SHIFT, X86_ADDRESS_HIGH, "address", (v) => `${leaf ? "page" : "table"} at ${hex(v << BigInt(PAGE_SHIFT))}`);
  const cache = [flag(entry, 3, "PWT", "write-through", "write-back"), flag(entry, 4, "PCD", "cache disabled", "cachable")];
  if (mode === "x86-pae" && level === 2) return [present, ...cache, address];
  return [
    present,
    flag(entry, 1, "R/W", "writes allowed", "read-only"),
    flag(entry, 2, "U/S", "user and supervisor", "supervisor only"),
    ...cache,
    flag(entry, 5, "A", "accessed (set by the MMU)", "not accessed yet"),
    leaf ? flag(entry, 6, "D", "dirty (written through this entry)", "clean") : flag(entry, 6, "(D)", "ignored above a leaf", "ignored above a leaf"),
    level === 0 ? flag(entry, X86_PS, "PAT", "PAT index bit set", "PAT index bit clear") : flag(entry, X86_PS, "PS", "maps a large page", "points at the next table"),
    leaf ? flag(entry, 8, "G", "global (kept across CR3 loads with CR4.PGE)", "not global") : flag(entry, 8, "(G)", "ignored above a leaf", "ignored above a leaf"),
    flag(entry, 63, "XD", "execute-disable (EFER.NXE): no instruction fetch", "instruction fetches allowed"),
    address,
  ];
}

/** A RISC-V PTE (privileged spec §4.3–4.6): V R W X U G A D, RSW and the PPN. */
function riscvFields(mode: PagingModeName, entry: bigint): ModeField[] {
  const ppnHigh = mode === "riscv-sv32" ? 31 : 53;
  const leaf = bit(entry, 1) || bit(entry, 3);
  return [
    flag(entry, 0, "V", "valid", "not valid: the walk stops with a page fault"),
    flag(entry, 1, "R", "readable", "not readable"),
    flag(entry, 2, "W", "writable", "not writable"),
    flag(entry, 3, "X", "executable", "not executable"),
    flag(entry, 4, "U", "user mode may access (S-mode only with SUM)", "supervisor only"),
    flag(entry, 5, "G", "global mapping", "not global"),
    flag(entry, 6, "A", "accessed", "not accessed yet"),
    flag(entry, 7, "D", "dirty", "clean"),
    field(entry, 8, 9, "RSW", () => "reserved for the OS"),
    field(entry, 10, ppnHigh, "PPN", (v) => `${leaf ? "page" : "table"} at ${hex(v << BigInt(PAGE_SHIFT))}${leaf || !bit(entry, 0) ? "" : " (R=W=X=0: a pointer to the next table)"}`),
  ];
}

/** Every field of one walk step's entry, decoded for its mode. */
export function modeEntryFields(mode: PagingModeName, entry: bigint, level: number, role: "table" | "leaf" | "fault"): ModeField[] {
  if (isRiscv(mode)) return riscvFields(mode, entry);
  const leaf = role === "leaf" || level === 0 || (role === "fault" && level > 0 && bit(entry, X86_PS));
  return x86Fields(mode, entry, level, leaf);
}

/** `supervisor read`, `user write`, `supervisor fetch`. */
export function accessText(kind: number): string {
  const op = kindOperation(kind);
  return `${kind >= KIND_USER ? "user" : "supervisor"} ${op === KIND_WRITE ? "write" : op === KIND_FETCH ? "fetch" : "read"}`;
}

const SCAUSE: Readonly<Record<number, string>> = { 12: "instruction page fault", 13: "load page fault", 15: "store/AMO page fault" };
const X86_ERROR_BITS: readonly [number, string, string, string][] = [
  [0, "P", "protection violation on a present page", "the page is not present"],
  [1, "W/R", "the access was a write", "the access was a read"],
  [2, "U/S", "the access came from user mode", "the access came from supervisor mode"],
  [3, "RSVD", "a reserved bit is set in an entry", "no reserved bit set"],
  [4, "I/D", "instruction fetch", "not an instruction fetch"],
];

/** A fault as the page shows it: a headline and the fault code's fields (x86 error code bits, or RISC-V scause and stval). */
export interface ModeFault {
  /** What faulted, with CR2 and the error code, #GP(0), or scause and stval. */
  readonly headline: string;
  /** Why, in words (the MMU's fault reason). */
  readonly reason: string;
  /** The error code's bits (x86), or scause and stval (RISC-V); none for #GP. */
  readonly fields: readonly ModeField[];
}

/** The fault of a walk that failed, decoded for its mode (addresses in `digits` hex digits), or `null` when it translated. */
export function modeFault(mode: PagingModeName, walk: WalkExplanation, digits: number): ModeFault | null {
  if (walk.physical !== null) return null;
  const reason = reasonName(walk.faultReason ?? 1);
  const code = walk.faultCode ?? 0;
  const access = accessText(walk.kind);
  if (isRiscv(mode)) {
    return {
      headline: `${SCAUSE[code] ?? "page fault"} on a ${access}: scause = ${code}, stval = ${hex(walk.vaddr, digits)}`,
      reason: describeReason(reason),
      fields: [
        { bits: "scause", name: "scause", value: String(code), on: true, meaning: SCAUSE[code] ?? "page fault" },
        { bits: "stval", name: "stval", value: hex(walk.vaddr, digits), on: true, meaning: "the faulting virtual address" },
      ],
    };
  }
  if (reason === "nonCanonical") {
    return { headline: `general-protection fault #GP(0) on a ${access}: the address is not canonical (no page walk, no CR2)`, reason: describeReason(reason), fields: [] };
  }
  const errorCode = BigInt(code);
  return {
    headline: `page fault on a ${access}: CR2 = ${hex(walk.vaddr, digits)}, error code ${hex(code, 1)}`,
    reason: describeReason(reason),
    fields: X86_ERROR_BITS.map(([n, name, on, off]) => flag(errorCode, n, name, on, off)),
  };
}
