import type { Address } from "./types.js";

/** How many characters of a foreign value {@link describeValue} echoes before eliding with "…". */
export const MAX_ECHO_CHARS = 60;

/**
 * Formats an address as `0x` followed by at least `digits` upper-case hex digits; `bigint`s
 * print exactly (`hex(0xffffffff80000000n)` → `"0xFFFFFFFF80000000"`). A value that is not
 * a non-negative integer (`-1`, `NaN`, `1.5`, `undefined`) prints as {@link describeValue}
 * gives it, so a message about a bad address shows the value as the caller gave it.
 *
 * @example
 * hex(0xb8000); // "0x000B8000"
 * hex(-1);      // "-1"
 */
export function hex(value: Address, digits = 8): string {
  if (typeof value === "bigint" ? value < 0n : !Number.isInteger(value) || value < 0) return describeValue(value);
  return "0x" + value.toString(16).toUpperCase().padStart(digits, "0");
}

/**
 * Formats a value given where a `number` address was expected: as {@link hex} for a number
 * (so `-1`, `NaN`, `1.5` show as given), and as {@link describeValue} for anything else — a
 * bigint shows as `1n`, not as the address it would be in a 64-bit API.
 *
 * @example
 * describeNumberAddress(0x1000); // "0x00001000"
 * describeNumberAddress(1n);     // "1n"
 */
export function describeNumberAddress(value: unknown): string {
  return typeof value === "number" ? hex(value) : describeValue(value);
}

/** Formats a half-open range as `0x…–0x…` (end exclusive). */
export function hexRange(start: Address, end: Address): string {
  return `${hex(start)}–${hex(end)}`;
}

/**
 * A short, single-line rendering of any value for an error message: strings quoted with
 * control characters escaped, numbers and bigints as JS prints them (`-1`, `NaN`, `12n`),
 * `undefined`/`null` by name, arrays and objects by their shape only (never recursing), all
 * cut to {@link MAX_ECHO_CHARS} characters with "…".
 *
 * @example
 * describeValue("a\nb");        // "\"a\\nb\""
 * describeValue([[[1]]]);       // "an array of 1 item"
 * describeValue("x".repeat(99)); // "\"xxxx…" (60 characters)
 */
export function describeValue(value: unknown): string {
  let text: string;
  if (typeof value === "string") text = JSON.stringify(value.length > MAX_ECHO_CHARS ? value.slice(0, MAX_ECHO_CHARS) : value);
  else if (typeof value === "bigint") text = `${value}n`;
  else if (typeof value === "number" || typeof value === "boolean" || value === undefined || value === null) text = String(value);
  else if (Array.isArray(value)) text = `an array of ${value.length} item${value.length === 1 ? "" : "s"}`;
  else if (typeof value === "function") text = "a function";
  else if (typeof value === "symbol") text = "a symbol";
  else text = "an object";
  return text.length > MAX_ECHO_CHARS ? text.slice(0, MAX_ECHO_CHARS - 1) + "…" : text;
}

/**
 * An address as `--json` writes it (docs/cli.md, "64-bit values"): a `bigint` — a value that
 * can exceed 2^53 — as an exact `"0x…"` string, a `number` as itself.
 *
 * @example
 * jsonAddress(0xffffffff80000000n); // "0xFFFFFFFF80000000"
 * jsonAddress(0xb8000);             // 753664
 */
export function jsonAddress(value: Address): number | string {
  return typeof value === "bigint" ? hex(value) : value;
}

/** Control characters (C0, DEL, C1) and the two Unicode line separators: what would break a line. */
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const NAMED_ESCAPES: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * Escapes the characters of `text` that would break or garble a line of output (`\n`, `\r`,
 * `\t`, other control characters, U+2028/U+2029) as `\n`, `\x1B`, `\u2028`; everything else
 * is kept. For names and labels echoed in messages and tables.
 *
 * @example
 * printable("VGA\nbuffer"); // "VGA\\nbuffer"
 */
export function printable(text: string): string {
  return text.replace(CONTROL_CHARS, (c) => {
    const code = c.charCodeAt(0);
    return NAMED_ESCAPES[c] ?? (code <= 0xff ? `\\x${code.toString(16).toUpperCase().padStart(2, "0")}` : `\\u${code.toString(16).toUpperCase()}`);
  });
}

/**
 * What an operation was doing, for its error messages: the text, or a function that makes it
 * (so a hot path does not format addresses it will only print when it fails).
 */
export type ActionText = string | (() => string);

/** The text of an {@link ActionText}. */
export function actionText(action: ActionText): string {
  return typeof action === "string" ? action : action();
}
