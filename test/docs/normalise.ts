/**
 * What the doc-test harness does not compare: the only parts of a command's output that vary
 * from run to run. Each is replaced by a placeholder in both the doc and the real output.
 * Keep this list short; anything else a doc shows must be exactly what kmem prints.
 */
export const NORMALISATIONS: readonly { readonly what: string; readonly pattern: RegExp; readonly placeholder: string }[] = [
  { what: "timings such as `19.6 ms` (kmem boot's boot time)", pattern: /\b\d+(?:\.\d+)? ms\b/g, placeholder: "<t> ms" },
];

/** `text` with every {@link NORMALISATIONS} pattern replaced by its placeholder. */
export function normalise(text: string): string {
  return NORMALISATIONS.reduce((out, n) => out.replace(n.pattern, n.placeholder), text);
}
