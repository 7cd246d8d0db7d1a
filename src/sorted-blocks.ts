/** Keys per chunk before a chunk splits in two. */
const MAX_CHUNK = 512;

/**
 * A sorted set of block numbers for sparse spaces (where a bit per block would not fit):
 * chunks of at most {@link MAX_CHUNK} ascending keys, themselves in order. Membership,
 * predecessor and ordered listing use binary search; inserting or deleting moves at most one
 * chunk's keys (O(log k + 512)) for k keys. Memory: about 8 bytes per key.
 */
export class SortedBlocks {
  private readonly chunks: number[][] = [];

  /** Adds `key` (already present: no change). */
  add(key: number): void {
    if (this.chunks.length === 0) {
      this.chunks.push([key]);
      return;
    }
    const index = this.chunkFor(key);
    const chunk = this.chunks[index]!;
    const at = lowerBound(chunk, key);
    if (chunk[at] === key) return;
    chunk.splice(at, 0, key);
    if (chunk.length > MAX_CHUNK) this.chunks.splice(index + 1, 0, chunk.splice(MAX_CHUNK / 2));
  }

  /** Removes `key` (absent: no change). */
  delete(key: number): void {
    if (this.chunks.length === 0) return;
    const index = this.chunkFor(key);
    const chunk = this.chunks[index]!;
    const at = lowerBound(chunk, key);
    if (chunk[at] !== key) return;
    chunk.splice(at, 1);
    if (chunk.length === 0) this.chunks.splice(index, 1);
  }

  /** The largest key at or below `key`, or -1. */
  floor(key: number): number {
    if (this.chunks.length === 0) return -1;
    const chunk = this.chunks[this.chunkFor(key)]!;
    const at = lowerBound(chunk, key);
    if (chunk[at] === key) return key;
    return at === 0 ? -1 : chunk[at - 1]!;
  }

  /** Every key in ascending order. */
  *[Symbol.iterator](): IterableIterator<number> {
    for (const chunk of this.chunks) yield* chunk;
  }

  /** The chunk whose range holds `key`: the last chunk whose first key is at or below it (else the first). */
  private chunkFor(key: number): number {
    let low = 0;
    let high = this.chunks.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >>> 1;
      if (this.chunks[mid]![0]! <= key) low = mid;
      else high = mid - 1;
    }
    return low;
  }
}

/** The index of the first element of the ascending `keys` that is at or above `key`. */
function lowerBound(keys: readonly number[], key: number): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (keys[mid]! < key) low = mid + 1;
    else high = mid;
  }
  return low;
}
