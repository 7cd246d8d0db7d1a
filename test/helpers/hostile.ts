/**
 * Values that are not addresses, sizes or counts (not non-negative safe integers), each with
 * a pattern for the text an error message must show for it: the value as the caller gave it
 * (2^53, an integer past the safe range, may print in decimal or hex).
 */
export const NOT_UNSIGNED: readonly (readonly [value: unknown, shown: RegExp])[] = [
  [-1, /-1\b/],
  [Number.NaN, /NaN/],
  [undefined, /undefined/],
  [null, /null/],
  [1.5, /1\.5/],
  [Number.POSITIVE_INFINITY, /Infinity/],
  ["4096", /"4096"/],
  [2 ** 53, /9007199254740992|0x20000000000000/],
  [1n, /1n|0x0*1\b/],
  [Object.create(null), /an object/],
  [Symbol("address"), /a symbol/],
];

/**
 * Arguments that are not `Attributes`, each with the field the error must name. Includes the
 * shapes that once slipped through as user pages (`{}`, `"kernel"`).
 */
export const NOT_ATTRIBUTES: readonly (readonly [value: unknown, field: string])[] = [
  [undefined, "attrs"],
  [null, "attrs"],
  ["kernel", "attrs"],
  [[true, true, true], "attrs"],
  [{}, "attrs.kernel"],
  [{ kernel: 1, writable: true, cachable: true }, "attrs.kernel"],
  [{ kernel: true, writable: "yes", cachable: true }, "attrs.writable"],
  [{ kernel: true, writable: true }, "attrs.cachable"],
  [{ kernel: true, writable: true, cachable: true, executable: 0 }, "attrs.executable"],
  [{ kernel: true, writable: true, cachable: true, global: null }, "attrs.global"],
];
