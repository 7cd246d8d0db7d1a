/** One segment of a hand-built ELF: its address, `p_flags`, file bytes and memory size (≥ the bytes). */
export interface BuiltSegment {
  readonly vaddr: number;
  readonly flags: number;
  readonly data: Uint8Array;
  readonly memSize?: number;
  /** Override `p_offset` (default: the next offset congruent to `vaddr` modulo 4096). */
  readonly offset?: number;
}

/** What {@link buildElf} writes. */
export interface BuiltElf {
  readonly bits: 32 | 64;
  readonly machine: number;
  readonly type?: number;
  readonly entry: number;
  readonly segments: readonly BuiltSegment[];
}

/** Writes a little-endian ELF executable byte by byte (headers as the gABI lays them out; no sections). */
export function buildElf(spec: BuiltElf): Uint8Array {
  const wide = spec.bits === 64;
  const ehsize = wide ? 64 : 52;
  const phentsize = wide ? 56 : 32;
  const phoff = ehsize;
  let cursor = phoff + phentsize * spec.segments.length;
  const placed = spec.segments.map((s) => {
    const offset = s.offset ?? cursor + ((s.vaddr - cursor) % 4096 + 4096) % 4096;
    cursor = Math.max(cursor, offset + s.data.length);
    return { ...s, offset };
  });
  const bytes = new Uint8Array(cursor);
  const view = new DataView(bytes.buffer);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, wide ? 2 : 1, 1, 1]);
  const word = (at: number, value: number): void => {
    if (wide) view.setBigUint64(at, BigInt(value), true);
    else view.setUint32(at, value, true);
  };
  view.setUint16(16, spec.type ?? 2, true);
  view.setUint16(18, spec.machine, true);
  view.setUint32(20, 1, true);
  word(24, spec.entry);
  word(wide ? 32 : 28, phoff);
  view.setUint16(wide ? 52 : 40, ehsize, true);
  view.setUint16(wide ? 54 : 42, phentsize, true);
  view.setUint16(wide ? 56 : 44, spec.segments.length, true);
  placed.forEach((s, i) => {
    const at = phoff + i * phentsize;
    view.setUint32(at, 1, true);
    if (wide) {
      view.setUint32(at + 4, s.flags, true);
      word(at + 8, s.offset);
      word(at + 16, s.vaddr);
      word(at + 24, s.vaddr);
      word(at + 32, s.data.length);
      word(at + 40, s.memSize ?? s.data.length);
      word(at + 48, 4096);
    } else {
      word(at + 4, s.offset);
      word(at + 8, s.vaddr);
      word(at + 12, s.vaddr);
      word(at + 16, s.data.length);
      word(at + 20, s.memSize ?? s.data.length);
      view.setUint32(at + 24, s.flags, true);
      word(at + 28, 4096);
    }
    bytes.set(s.data, s.offset);
  });
  return bytes;
}
