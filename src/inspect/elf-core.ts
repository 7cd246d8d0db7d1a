import { hex } from "../format.js";
import { DumpError } from "./dump-error.js";
import type { ByteSource } from "./source.js";

/** ELF `e_machine` values kmem reads: i386, x86-64, RISC-V. */
export const ELF_MACHINE = {
  /** EM_386: 32-bit x86 (QEMU writes it for a CPU not in long mode). */
  i386: 3,
  /** EM_X86_64: QEMU writes it only when EFER.LMA is set. */
  x86_64: 62,
  /** EM_RISCV. */
  riscv: 243,
} as const;

/** A run of physical memory held in the file (a PT_LOAD segment). */
export interface MemorySegment {
  /** Physical address of the first byte (`p_paddr`). */
  readonly physical: number;
  /** File offset of the first byte. */
  readonly offset: number;
  /** Bytes held in the file (`p_filesz`). */
  readonly fileBytes: number;
  /** Bytes of memory (`p_memsz`; beyond `fileBytes` they read as zero). */
  readonly memoryBytes: number;
}

/** The x86 registers of QEMU's "QEMU" note that shape paging (QEMUCPUState version 1). */
export interface QemuX86State {
  /** CR0 (PG is bit 31, WP bit 16). */
  readonly cr0: number;
  /** CR3: the root table's address with its flag and PCID bits. */
  readonly cr3: number;
  /** CR4 (PSE bit 4, PAE bit 5, LA57 bit 12). */
  readonly cr4: number;
}

/** What an ELF core says about the machine. */
export interface CoreFile {
  /** 32 or 64 (`EI_CLASS`). */
  readonly elfClass: 32 | 64;
  /** `e_machine` (see {@link ELF_MACHINE}). */
  readonly machine: number;
  /** The RAM the core holds. */
  readonly segments: readonly MemorySegment[];
  /** The first CPU's state from the "QEMU" note (x86 only), or null when there is none. */
  readonly qemuState: QemuX86State | null;
}

const ELF_MAGIC = 0x464c457f;
const CLASS_32 = 1;
const CLASS_64 = 2;
const DATA_LITTLE = 1;
const PT_LOAD = 1;
const PT_NOTE = 4;
/** `e_phnum` saying the real count is in section header 0's `sh_info`. */
const PN_XNUM = 0xffff;
const NOTE_HEADER_BYTES = 12;
const NOTE_ALIGN = 4;
/** The most note bytes read (QEMU writes two small notes per CPU). */
const MAX_NOTE_BYTES = 16 * 1024 * 1024;
/** The most program headers accepted (QEMU writes one per RAM block, or per guest-mapped run with paging). */
const MAX_PROGRAM_HEADERS = 1 << 20;

/**
 * QEMUCPUState, as target/i386/arch_dump.c writes it (QEMUCPUSTATE_VERSION 1): `version`,
 * `size` (u32 each), 18 u64 registers (rax…r15, rip, rflags), 10 QEMUCPUSegment of 24 bytes
 * (cs, ds, es, fs, gs, ss, ldt, tr, gdt, idt), then `uint64_t cr[5]`. No EFER: long mode is
 * told by the ELF machine (QEMU writes EM_X86_64 only when EFER.LMA is set, `cpu_get_dump_info`).
 */
const QEMU_STATE = { version: 0, size: 4, cr0: 392, cr3: 416, cr4: 424, bytes: 432 } as const;

/** Whether `head` (the first bytes of a file) starts with the ELF magic. */
export function isElf(head: Uint8Array): boolean {
  return head.length >= 4 && new DataView(head.buffer, head.byteOffset, head.byteLength).getUint32(0, true) === ELF_MAGIC;
}

/**
 * Reads the headers and notes of a QEMU `dump-guest-memory` ELF core (ELF32 or ELF64,
 * little-endian): the PT_LOAD segments (physical memory by `p_paddr`) and the "QEMU" note.
 * Reads only the headers, never the memory.
 *
 * @throws {DumpError} `UnreadableDump` for a file that is not such a core or is truncated.
 * @example
 * const core = readCoreHeaders(fileSource("vm.core")); // core.segments, core.qemuState?.cr3
 */
export function readCoreHeaders(source: ByteSource): CoreFile {
  const fail = (why: string): DumpError => new DumpError("UnreadableDump", `Cannot read the ELF core: ${why}`, { size: source.size });
  const read = (offset: number, length: number, what: string): DataView => {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + length > source.size) {
      throw fail(`its ${what} at ${hex(offset)} (${String(length)} bytes) lies beyond the file's ${String(source.size)} bytes (truncated?)`);
    }
    const bytes = new Uint8Array(length);
    source.read(offset, bytes);
    return new DataView(bytes.buffer);
  };
  const ident = read(0, 16, "identification");
  if (ident.getUint32(0, true) !== ELF_MAGIC) throw fail("it does not start with the ELF magic 7F 45 4C 46");
  const elfClass = ident.getUint8(4);
  if (elfClass !== CLASS_32 && elfClass !== CLASS_64) throw fail(`unknown ELF class ${String(elfClass)}`);
  if (ident.getUint8(5) !== DATA_LITTLE) throw fail("it is big-endian; kmem reads little-endian cores");
  const wide = elfClass === CLASS_64;
  const header = read(0, wide ? 64 : 52, "ELF header");
  const u64 = (view: DataView, at: number, what: string): number => {
    const value = view.getBigUint64(at, true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw fail(`its ${what} ${hex(value, 16)} is beyond 2^53`);
    return Number(value);
  };
  const word = (view: DataView, at32: number, at64: number, what: string): number => (wide ? u64(view, at64, what) : view.getUint32(at32, true));
  const machine = header.getUint16(18, true);
  const phoff = word(header, 28, 32, "program-header offset");
  const phentsize = header.getUint16(wide ? 54 : 42, true);
  let phnum = header.getUint16(wide ? 56 : 44, true);
  if (phnum === PN_XNUM) {
    const shoff = word(header, 32, 40, "section-header offset");
    const section = read(shoff, wide ? 64 : 40, "section header 0");
    phnum = section.getUint32(wide ? 44 : 28, true);
  }
  const minEntry = wide ? 56 : 32;
  if (phnum === 0) throw fail("it has no program headers (no memory)");
  if (phentsize < minEntry) throw fail(`its program headers are ${String(phentsize)} bytes, not ${String(minEntry)}`);
  if (phnum > MAX_PROGRAM_HEADERS) throw fail(`it claims ${String(phnum)} program headers`);
  const table = read(phoff, phnum * phentsize, "program-header table");
  const segments: MemorySegment[] = [];
  const notes: { offset: number; bytes: number }[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = i * phentsize;
    const type = table.getUint32(at, true);
    const offset = word(table, at + 4, at + 8, "segment offset");
    const physical = word(table, at + 12, at + 24, "segment address");
    const fileBytes = word(table, at + 16, at + 32, "segment size");
    const memoryBytes = word(table, at + 20, at + 40, "segment size");
    if (type === PT_NOTE) notes.push({ offset, bytes: fileBytes });
    if (type !== PT_LOAD || memoryBytes === 0) continue;
    if (offset + fileBytes > source.size) {
      throw fail(`segment ${String(i)} (physical ${hex(physical)}, ${hex(fileBytes)} bytes at file offset ${hex(offset)}) ends beyond the file's ${hex(source.size)} bytes: the core is truncated`);
    }
    segments.push({ physical, offset, fileBytes: Math.min(fileBytes, memoryBytes), memoryBytes });
  }
  if (segments.length === 0) throw fail("it has no PT_LOAD segment (no memory)");
  let qemuState: QemuX86State | null = null;
  for (const note of notes) {
    qemuState ??= findQemuNote(read(note.offset, Math.min(note.bytes, MAX_NOTE_BYTES), "note segment"), machine);
  }
  return { elfClass: wide ? 64 : 32, machine, segments, qemuState };
}

/** The first "QEMU" note's x86 control registers in a note segment, or null. */
function findQemuNote(view: DataView, machine: number): QemuX86State | null {
  if (machine !== ELF_MACHINE.i386 && machine !== ELF_MACHINE.x86_64) return null;
  const align = (n: number): number => Math.ceil(n / NOTE_ALIGN) * NOTE_ALIGN;
  let at = 0;
  while (at + NOTE_HEADER_BYTES <= view.byteLength) {
    const nameBytes = view.getUint32(at, true);
    const descBytes = view.getUint32(at + 4, true);
    const nameAt = at + NOTE_HEADER_BYTES;
    const descAt = nameAt + align(nameBytes);
    if (descAt + descBytes > view.byteLength) return null;
    const name = String.fromCharCode(...new Uint8Array(view.buffer, view.byteOffset + nameAt, Math.min(nameBytes, 8))).replace(/\0+$/, "");
    if (name === "QEMU" && descBytes >= QEMU_STATE.bytes) {
      const low = (offset: number): number => view.getUint32(descAt + offset, true);
      const cr3 = Number(view.getBigUint64(descAt + QEMU_STATE.cr3, true) & ((1n << 52n) - 1n));
      return { cr0: low(QEMU_STATE.cr0), cr3, cr4: low(QEMU_STATE.cr4) };
    }
    at = descAt + align(descBytes);
  }
  return null;
}
