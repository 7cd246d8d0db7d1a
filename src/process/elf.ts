import { ElfError } from "../errors/elf-error.js";
import { hex } from "../format.js";

/** `e_machine` of 32-bit x86. */
export const EM_386 = 3;
/** `e_machine` of x86-64. */
export const EM_X86_64 = 62;
/** `e_machine` of RISC-V (both classes). */
export const EM_RISCV = 243;
/** `e_type` of a fixed-address executable. */
export const ET_EXEC = 2;
/** `e_type` of a position-independent executable (or shared object). */
export const ET_DYN = 3;
/** `p_type` of a loadable segment. */
export const PT_LOAD = 1;
/** `p_flags` bit: executable. */
export const PF_X = 1;
/** `p_flags` bit: writable. */
export const PF_W = 2;
/** `p_flags` bit: readable. */
export const PF_R = 4;

const ELFCLASS32 = 1;
const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;
const EV_CURRENT = 1;
const EI_NIDENT = 16;
const MAGIC = [0x7f, 0x45, 0x4c, 0x46];

/** One `PT_LOAD` program header. Addresses are `bigint` (ELF64 fields are 64-bit). */
export interface ElfSegment {
  /** Position among the `PT_LOAD` headers (0 = first), as in the label `PT_LOAD 0`. */
  readonly index: number;
  /** `p_vaddr`. */
  readonly vaddr: bigint;
  /** `p_offset`. */
  readonly offset: number;
  /** `p_filesz`. */
  readonly fileSize: number;
  /** `p_memsz`. */
  readonly memSize: bigint;
  /** `p_flags`: {@link PF_R} | {@link PF_W} | {@link PF_X}. */
  readonly flags: number;
}

/** What the loader needs from an ELF executable's headers. */
export interface ElfImage {
  /** 32 or 64 (`EI_CLASS`). */
  readonly bits: 32 | 64;
  /** `e_machine`. */
  readonly machine: number;
  /** `e_type`: {@link ET_EXEC} or {@link ET_DYN}. */
  readonly type: number;
  /** `e_entry` (before a PIE's base is added). */
  readonly entry: bigint;
  /** The `PT_LOAD` segments, in header order. */
  readonly segments: readonly ElfSegment[];
  /** The file. */
  readonly bytes: Uint8Array;
}

/**
 * Reads an ELF32 or ELF64 little-endian executable's header and `PT_LOAD` program headers,
 * checking that every header and every segment's file bytes lie inside the file. O(headers).
 *
 * @throws {ElfError} `NotElf` (magic, class, encoding, version), `Truncated`,
 * `NotExecutable` (not `ET_EXEC`/`ET_DYN`), `BadSegment` (`p_filesz > p_memsz`, or file offset
 * and address not congruent modulo 4096), `NoSegments`.
 * @example
 * const image = parseElf(bytes);
 * image.segments.map((s) => s.flags); // [PF_R, PF_R | PF_X, PF_R, PF_R | PF_W]
 */
export function parseElf(bytes: Uint8Array): ElfImage {
  if (bytes.length < EI_NIDENT) throw new ElfError("Truncated", `Cannot read the ELF header: the file has ${String(bytes.length)} bytes`, { length: bytes.length });
  if (MAGIC.some((b, i) => bytes[i] !== b)) throw new ElfError("NotElf", "Cannot load the file: it does not start with \\x7fELF", {});
  const cls = bytes[4];
  if ((cls !== ELFCLASS32 && cls !== ELFCLASS64) || bytes[5] !== ELFDATA2LSB || bytes[6] !== EV_CURRENT) {
    throw new ElfError("NotElf", `Cannot load the ELF file: class ${String(cls)}, encoding ${String(bytes[5])}, version ${String(bytes[6])} (kmem reads little-endian ELF32/ELF64, version 1)`, {
      class: cls,
      encoding: bytes[5],
    });
  }
  const wide = cls === ELFCLASS64;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (end: number, what: string): void => {
    if (end > bytes.length) throw new ElfError("Truncated", `Cannot read ${what}: it ends at ${hex(end)}, past the file's ${hex(bytes.length)} bytes`, { end, length: bytes.length });
  };
  need(wide ? 64 : 52, "the ELF header");
  const word = (at: number): bigint => (wide ? view.getBigUint64(at, true) : BigInt(view.getUint32(at, true)));
  const type = view.getUint16(16, true);
  const machine = view.getUint16(18, true);
  if (type !== ET_EXEC && type !== ET_DYN) throw new ElfError("NotExecutable", `Cannot load the ELF file: e_type ${String(type)} is not ET_EXEC (2) or ET_DYN (3)`, { type });
  const entry = word(24);
  const phoff = Number(word(wide ? 32 : 28));
  const phentsize = view.getUint16(wide ? 54 : 42, true);
  const phnum = view.getUint16(wide ? 56 : 44, true);
  const minimum = wide ? 56 : 32;
  if (phnum > 0 && phentsize < minimum) throw new ElfError("Truncated", `Cannot read the program headers: e_phentsize ${String(phentsize)} is below ${String(minimum)}`, { phentsize });
  need(phoff + phnum * phentsize, "the program-header table");
  const segments: ElfSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (view.getUint32(at, true) !== PT_LOAD) continue;
    const flags = wide ? view.getUint32(at + 4, true) : view.getUint32(at + 24, true);
    const offset = Number(word(wide ? at + 8 : at + 4));
    const vaddr = word(wide ? at + 16 : at + 8);
    const fileSize = Number(word(wide ? at + 32 : at + 16));
    const memSize = word(wide ? at + 40 : at + 20);
    const index = segments.length;
    need(offset + fileSize, `PT_LOAD ${String(index)}'s file bytes`);
    if (BigInt(fileSize) > memSize) {
      throw new ElfError("BadSegment", `Cannot load PT_LOAD ${String(index)}: p_filesz ${hex(fileSize)} exceeds p_memsz ${hex(memSize)}`, { index });
    }
    if (fileSize > 0 && BigInt(offset % 4096) !== vaddr % 4096n) {
      throw new ElfError("BadSegment", `Cannot load PT_LOAD ${String(index)}: offset ${hex(offset)} and address ${hex(vaddr)} differ modulo 4096`, { index });
    }
    segments.push({ index, vaddr, offset, fileSize, memSize, flags });
  }
  if (segments.length === 0) throw new ElfError("NoSegments", "Cannot load the ELF file: it has no PT_LOAD segment", {});
  return { bits: wide ? 64 : 32, machine, type, entry, segments, bytes };
}
