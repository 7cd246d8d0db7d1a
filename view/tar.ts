/** One file to put in a tar archive. */
export interface TarEntry {
  readonly name: string;
  readonly data: Uint8Array;
}

const BLOCK = 512;
const NAME_FIELD = { offset: 0, length: 100 };
const MODE_FIELD = { offset: 100, length: 8 };
const UID_FIELD = { offset: 108, length: 8 };
const GID_FIELD = { offset: 116, length: 8 };
const SIZE_FIELD = { offset: 124, length: 12 };
const MTIME_FIELD = { offset: 136, length: 12 };
const CHECKSUM_FIELD = { offset: 148, length: 8 };
const TYPE_OFFSET = 156;
const MAGIC_OFFSET = 257;
const MAGIC = "ustar\u000000";
const REGULAR_FILE = "0";
const FILE_MODE = 0o644;
const OCTAL = 8;
const SPACE = 0x20;
const END_BLOCKS = 2;

function putText(header: Uint8Array, offset: number, text: string): void {
  for (let i = 0; i < text.length; i += 1) {
    header[offset + i] = text.charCodeAt(i);
  }
}

/** Writes `value` as zero-padded octal followed by a NUL, as ustar numeric fields are. */
function putOctal(header: Uint8Array, field: { offset: number; length: number }, value: number): void {
  putText(header, field.offset, value.toString(OCTAL).padStart(field.length - 1, "0"));
}

/** A ustar header for a regular file. */
function header(entry: TarEntry, mtimeSeconds: number): Uint8Array<ArrayBuffer> {
  const block = new Uint8Array(BLOCK);
  putText(block, NAME_FIELD.offset, entry.name.slice(0, NAME_FIELD.length));
  putOctal(block, MODE_FIELD, FILE_MODE);
  putOctal(block, UID_FIELD, 0);
  putOctal(block, GID_FIELD, 0);
  putOctal(block, SIZE_FIELD, entry.data.length);
  putOctal(block, MTIME_FIELD, mtimeSeconds);
  putText(block, TYPE_OFFSET, REGULAR_FILE);
  putText(block, MAGIC_OFFSET, MAGIC);
  block.fill(SPACE, CHECKSUM_FIELD.offset, CHECKSUM_FIELD.offset + CHECKSUM_FIELD.length);
  const sum = block.reduce((total, byte) => total + byte, 0);
  putOctal(block, { offset: CHECKSUM_FIELD.offset, length: CHECKSUM_FIELD.length - 1 }, sum);
  return block;
}

/** `data` as a view of a plain `ArrayBuffer` (what `Blob` accepts), copying only a shared buffer. */
function unshared(data: Uint8Array): Uint8Array<ArrayBuffer> {
  return data.buffer instanceof ArrayBuffer ? (data as Uint8Array<ArrayBuffer>) : new Uint8Array(data);
}

/**
 * The parts of a ustar archive holding `entries` (headers, data, padding, end marker), as
 * `BlobPart`s so large files are not copied; `tar xf` extracts them.
 *
 * @example
 * new Blob(tarParts([{ name: "machine.json", data }], 0));
 */
export function tarParts(entries: readonly TarEntry[], mtimeSeconds: number): Uint8Array<ArrayBuffer>[] {
  const parts: Uint8Array<ArrayBuffer>[] = [];
  for (const entry of entries) {
    parts.push(header(entry, mtimeSeconds), unshared(entry.data));
    const padding = (BLOCK - (entry.data.length % BLOCK)) % BLOCK;
    if (padding > 0) {
      parts.push(new Uint8Array(padding));
    }
  }
  parts.push(new Uint8Array(BLOCK * END_BLOCKS));
  return parts;
}
