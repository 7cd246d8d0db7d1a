import { ENTRIES_PER_TABLE, ENTRY_BYTES, ENTRY_FRAME_MASK, isLargePde, PTE_PRESENT } from "../../arch/x86/entry.js";
import { hex } from "../../format.js";
import { BLOCK_SIZE } from "../../types.js";
import { COPY_DESCRIPTOR_BYTES, COPY_FIELD } from "./guest.js";
import { QemuError } from "./qemu-error.js";

/** A run of physically contiguous bytes (table frames, probe records), copied in one piece by the guest. */
export interface TableChunk {
  /** Physical address of the first frame. */
  readonly address: number;
  /** The bytes, a multiple of 4 (table chunks: of 4 KiB). */
  readonly bytes: Uint8Array;
}

/** The blob QEMU's generic loader places at `base`, and what the guest needs to unpack it. */
export interface Staging {
  /** Physical address where the blob goes (above the profile's memory). */
  readonly base: number;
  /** Copy descriptors followed by the chunks' bytes. */
  readonly blob: Uint8Array;
  /** Physical address of the copy descriptors (equals `base`). */
  readonly copyTable: number;
  /** Number of copy descriptors (chunks). */
  readonly copyCount: number;
  /** Every table frame's physical address, directory first then ascending. */
  readonly frames: readonly number[];
}

/**
 * Finds the frames an x86 CPU walks from `cr3` in `ram`: the page directory and every page
 * table a present PDE points to (4 MiB PDEs point to no table when `pse` is set).
 *
 * @throws {QemuError} `UnsupportedMachine` when CR3 or a PDE points outside `ram`.
 */
export function tableFrames(ram: Uint8Array, cr3: number, pse: boolean): number[] {
  const directory = (cr3 & ENTRY_FRAME_MASK) >>> 0;
  if (directory + BLOCK_SIZE > ram.length) {
    throw new QemuError("UnsupportedMachine", `Cannot stage the page directory at ${hex(directory)}: it lies outside the ${hex(ram.length)}-byte RAM image`, { cr3 });
  }
  const view = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
  const tables = new Set<number>();
  for (let index = 0; index < ENTRIES_PER_TABLE; index++) {
    const pde = view.getUint32(directory + index * ENTRY_BYTES, true);
    if ((pde & PTE_PRESENT) === 0 || (pse && isLargePde(pde))) continue;
    const table = (pde & ENTRY_FRAME_MASK) >>> 0;
    if (table + BLOCK_SIZE > ram.length) {
      throw new QemuError("UnsupportedMachine", `Cannot stage the page table at ${hex(table)} (PDE ${index}): it lies outside the ${hex(ram.length)}-byte RAM image`, { table, index });
    }
    tables.add(table);
  }
  tables.delete(directory);
  return [directory, ...[...tables].sort((a, b) => a - b)];
}

/** Groups frames into runs of consecutive physical pages, copying their bytes from `ram`. */
export function chunkFrames(ram: Uint8Array, frames: readonly number[]): TableChunk[] {
  const sorted = [...new Set(frames)].sort((a, b) => a - b);
  const chunks: TableChunk[] = [];
  let start = -1;
  let end = -1;
  const flush = (): void => {
    if (start >= 0) chunks.push({ address: start, bytes: ram.slice(start, end) });
  };
  for (const frame of sorted) {
    if (frame !== end) {
      flush();
      start = frame;
    }
    end = frame + BLOCK_SIZE;
  }
  flush();
  return chunks;
}

/**
 * Lays out `chunks` for the guest to copy: at `base` the copy descriptors `{ dst, src, len }`
 * (padded to a page), then each chunk's bytes, in order.
 *
 * @example
 * const { blob, copyCount } = stageChunks(chunkFrames(ram, frames), 0x08000000);
 */
export function stageChunks(chunks: readonly TableChunk[], base: number): { blob: Uint8Array; copyTable: number; copyCount: number } {
  const headerBytes = Math.ceil((chunks.length * COPY_DESCRIPTOR_BYTES) / BLOCK_SIZE) * BLOCK_SIZE;
  const dataBytes = chunks.reduce((sum, chunk) => sum + chunk.bytes.length, 0);
  const blob = new Uint8Array(headerBytes + dataBytes);
  const view = new DataView(blob.buffer);
  let offset = headerBytes;
  chunks.forEach((chunk, index) => {
    const descriptor = index * COPY_DESCRIPTOR_BYTES;
    view.setUint32(descriptor + COPY_FIELD.dst, chunk.address, true);
    view.setUint32(descriptor + COPY_FIELD.src, base + offset, true);
    view.setUint32(descriptor + COPY_FIELD.len, chunk.bytes.length, true);
    blob.set(chunk.bytes, offset);
    offset += chunk.bytes.length;
  });
  return { blob, copyTable: base, copyCount: chunks.length };
}

/**
 * Lays out the table frames reachable from `cr3` for the guest to copy: at `base` the copy
 * descriptors `{ dst, src, len }` (padded to a page), then each chunk's bytes; `extra` chunks
 * (e.g. the probe records) are copied after the tables.
 *
 * @throws {QemuError} `UnsupportedMachine` when CR3 or a PDE points outside `ram`.
 * @example
 * const staging = stageTables(ram, { cr3: 0x1000, pse: false, base: 0x08000000 });
 * // load staging.blob at staging.base with `-device loader,file=…,addr=…,force-raw=on`
 */
export function stageTables(ram: Uint8Array, options: { cr3: number; pse: boolean; base: number; extra?: readonly TableChunk[] }): Staging {
  const frames = tableFrames(ram, options.cr3, options.pse);
  const staged = stageChunks([...chunkFrames(ram, frames), ...(options.extra ?? [])], options.base);
  return { base: options.base, ...staged, frames };
}
