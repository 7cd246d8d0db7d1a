import type { PhysicalBus } from "../../bus.js";
import { PAGE_BYTES, tableEntries } from "../../paging/geometry.js";
import type { EntryCodec } from "../../paging/mode.js";
import type { Address } from "../../types.js";
import type { TableChunk } from "./staging.js";

/**
 * Every table frame a walk from `root` can reach in `codec`'s mode (the root first, then
 * ascending): the frames QEMU must hold for its MMU to see kmem's address space.
 */
export function modeTableFrames(codec: EntryCodec<Address>, bus: PhysicalBus, root: number): number[] {
  const g = codec.geometry;
  const found = new Set<number>();
  const visit = (table: number, level: number): void => {
    found.add(table);
    if (level === 0) return;
    for (let i = 0; i < tableEntries(g, level); i++) {
      const address = table + i * g.entryBytes;
      const lo = bus.read32(address);
      const hi = g.entryBytes === 8 ? bus.read32(address + 4) : 0;
      if (!codec.isPresent(lo, hi) || codec.isLeaf(lo, hi, level)) continue;
      visit(codec.pageNumber(lo, hi, level) * PAGE_BYTES, level - 1);
    }
  };
  visit(root - (root % PAGE_BYTES), g.levels - 1);
  found.delete(root - (root % PAGE_BYTES));
  return [root - (root % PAGE_BYTES), ...[...found].sort((a, b) => a - b)];
}

/** Groups `frames` into runs of consecutive pages with their bytes read from `bus`. */
export function frameChunks(bus: PhysicalBus, frames: readonly number[]): TableChunk[] {
  const sorted = [...new Set(frames)].sort((a, b) => a - b);
  const chunks: TableChunk[] = [];
  let run: number[] = [];
  const flush = (): void => {
    const first = run[0];
    if (first === undefined) return;
    const bytes = new Uint8Array(run.length * PAGE_BYTES);
    const view = new DataView(bytes.buffer);
    for (let offset = 0; offset < bytes.length; offset += 4) view.setUint32(offset, bus.read32(first + offset), true);
    chunks.push({ address: first, bytes });
    run = [];
  };
  for (const frame of sorted) {
    if (run.length > 0 && frame !== (run.at(-1) ?? 0) + PAGE_BYTES) flush();
    run.push(frame);
  }
  flush();
  return chunks;
}

/** Writes `chunks` back to `bus` (undoing the A/D bits kmem's oracle MMU set). */
export function restoreChunks(bus: PhysicalBus, chunks: readonly TableChunk[]): void {
  for (const chunk of chunks) {
    const view = new DataView(chunk.bytes.buffer, chunk.bytes.byteOffset, chunk.bytes.byteLength);
    for (let offset = 0; offset < chunk.bytes.length; offset += 4) bus.write32(chunk.address + offset, view.getUint32(offset, true));
  }
}
