/**
 * Where a dump's bytes come from: positioned reads, so a dump larger than memory is read a
 * page at a time. `src/node/dump-file.ts` implements it over a file; {@link bytesSource}
 * over bytes already in memory (tests, the browser).
 */
export interface ByteSource {
  /** Bytes in the source. */
  readonly size: number;
  /**
   * Copies `target.length` bytes from `offset` into `target` and returns how many were
   * copied (fewer only at the end of the source).
   */
  read(offset: number, target: Uint8Array): number;
}

/** A {@link ByteSource} over `bytes` (no copy). */
export function bytesSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    read(offset, target) {
      const chunk = bytes.subarray(offset, offset + target.length);
      target.set(chunk);
      return chunk.length;
    },
  };
}
