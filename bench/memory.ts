/** Counting the bytes of allocator state held in typed arrays, by walking an object's fields. */

/**
 * Sums the `byteLength` of every typed array reachable from `root` through own fields
 * (including TypeScript-`private` ones), skipping `exclude`d objects and `Map`/`Set`/array
 * contents (the allocation table is not allocator state). Each backing buffer counts once,
 * whole, so views that alias one buffer are not double-counted.
 */
export function typedArrayBytes(root: object, exclude: readonly object[] = []): number {
  const seen = new Set<object>(exclude);
  const buffers = new Set<ArrayBufferLike>();
  let total = 0;
  const visit = (value: unknown): void => {
    if (typeof value !== "object" || value === null || seen.has(value)) return;
    seen.add(value);
    if (ArrayBuffer.isView(value)) {
      if (!buffers.has(value.buffer)) {
        buffers.add(value.buffer);
        total += value.buffer.byteLength;
      }
      return;
    }
    if (value instanceof Map || value instanceof Set || Array.isArray(value)) return;
    for (const key of Object.keys(value)) {
      visit((value as Record<string, unknown>)[key]);
    }
  };
  visit(root);
  return total;
}
