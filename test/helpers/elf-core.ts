/**
 * Writes ELF cores the way QEMU's dump-guest-memory does (for tests): the ELF header,
 * one PT_NOTE holding a "CORE" note and a "QEMU" note (QEMUCPUState version 1, 432 bytes,
 * CR0/CR3/CR4 at 392/416/424), then one PT_LOAD per RAM segment.
 */
export interface CoreSpec {
  readonly elfClass: 32 | 64;
  /** e_machine: 3 (i386), 62 (x86-64), 243 (RISC-V). */
  readonly machine: number;
  /** The QEMU note's registers, or null for a core without one. */
  readonly registers: { cr0: number; cr3: number; cr4: number } | null;
  /** RAM segments: physical address and bytes. */
  readonly segments: readonly { physical: number; bytes: Uint8Array }[];
  /** Write e_phnum as PN_XNUM (0xFFFF) and the real count in section header 0's sh_info, as QEMU does for many segments. */
  readonly xnum?: boolean;
}

const QEMU_STATE_BYTES = 432;
const CORE_DESC_BYTES = 144;

function note(name: string, type: number, desc: Uint8Array): Uint8Array {
  const nameBytes = name.length + 1;
  const namePadded = Math.ceil(nameBytes / 4) * 4;
  const out = new Uint8Array(12 + namePadded + Math.ceil(desc.length / 4) * 4);
  const view = new DataView(out.buffer);
  view.setUint32(0, nameBytes, true);
  view.setUint32(4, desc.length, true);
  view.setUint32(8, type, true);
  for (let i = 0; i < name.length; i++) out[12 + i] = name.charCodeAt(i);
  out.set(desc, 12 + namePadded);
  return out;
}

/** The bytes of a core as `spec` says. */
export function writeCore(spec: CoreSpec): Uint8Array {
  const wide = spec.elfClass === 64;
  const ehsize = wide ? 64 : 52;
  const phentsize = wide ? 56 : 32;
  const state = new Uint8Array(QEMU_STATE_BYTES);
  const stateView = new DataView(state.buffer);
  stateView.setUint32(0, 1, true);
  stateView.setUint32(4, QEMU_STATE_BYTES, true);
  if (spec.registers !== null) {
    stateView.setBigUint64(392, BigInt(spec.registers.cr0 >>> 0), true);
    stateView.setBigUint64(416, BigInt(spec.registers.cr3), true);
    stateView.setBigUint64(424, BigInt(spec.registers.cr4 >>> 0), true);
  }
  const notes = [note("CORE", 1, new Uint8Array(CORE_DESC_BYTES)), ...(spec.registers === null ? [] : [note("QEMU", 0, state)])];
  const noteBytes = notes.reduce((n, b) => n + b.length, 0);
  const phnum = 1 + spec.segments.length;
  let offset = ehsize + phnum * phentsize;
  const noteOffset = offset;
  offset += noteBytes;
  const segmentOffsets = spec.segments.map((s) => {
    const at = offset;
    offset += s.bytes.length;
    return at;
  });
  const shoff = offset;
  const shentsize = wide ? 64 : 40;
  if (spec.xnum === true) offset += shentsize;
  const out = new Uint8Array(offset);
  const view = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, wide ? 2 : 1, 1, 1], 0);
  view.setUint16(16, 4, true);
  view.setUint16(18, spec.machine, true);
  view.setUint32(20, 1, true);
  if (wide) {
    view.setBigUint64(32, BigInt(ehsize), true);
    view.setUint16(52, ehsize, true);
    view.setUint16(54, phentsize, true);
    view.setUint16(56, spec.xnum === true ? 0xffff : phnum, true);
    if (spec.xnum === true) {
      view.setBigUint64(40, BigInt(shoff), true);
      view.setUint16(58, shentsize, true);
      view.setUint32(shoff + 44, phnum, true);
    }
  } else {
    view.setUint32(28, ehsize, true);
    view.setUint16(40, ehsize, true);
    view.setUint16(42, phentsize, true);
    view.setUint16(44, spec.xnum === true ? 0xffff : phnum, true);
    if (spec.xnum === true) {
      view.setUint32(32, shoff, true);
      view.setUint16(46, shentsize, true);
      view.setUint32(shoff + 28, phnum, true);
    }
  }
  const header = (i: number, type: number, fileOffset: number, physical: number, bytes: number): void => {
    const at = ehsize + i * phentsize;
    view.setUint32(at, type, true);
    if (wide) {
      view.setBigUint64(at + 8, BigInt(fileOffset), true);
      view.setBigUint64(at + 24, BigInt(physical), true);
      view.setBigUint64(at + 32, BigInt(bytes), true);
      view.setBigUint64(at + 40, BigInt(bytes), true);
    } else {
      view.setUint32(at + 4, fileOffset, true);
      view.setUint32(at + 12, physical, true);
      view.setUint32(at + 16, bytes, true);
      view.setUint32(at + 20, bytes, true);
    }
  };
  header(0, 4, noteOffset, 0, noteBytes);
  let at = noteOffset;
  for (const n of notes) {
    out.set(n, at);
    at += n.length;
  }
  spec.segments.forEach((s, i) => {
    header(i + 1, 1, segmentOffsets[i] ?? 0, s.physical, s.bytes.length);
    out.set(s.bytes, segmentOffsets[i] ?? 0);
  });
  return out;
}
