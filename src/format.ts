/**
 * Formats an address as `0x` followed by at least eight upper-case hex digits.
 *
 * @example
 * hex(0xb8000); // "0x000B8000"
 */
export function hex(value: number, digits = 8): string {
  return "0x" + value.toString(16).toUpperCase().padStart(digits, "0");
}

/** Formats a half-open range as `0x…–0x…` (end exclusive). */
export function hexRange(start: number, end: number): string {
  return `${hex(start)}–${hex(end)}`;
}
