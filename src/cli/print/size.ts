const UNITS = ["bytes", "KiB", "MiB", "GiB"] as const;
const STEP = 1024;

/**
 * Formats a byte count with a binary unit: exact when whole, else one decimal.
 *
 * @example
 * formatSize(32768);     // "32 KiB"
 * formatSize(0x12e7c0);  // "1.2 MiB"
 */
export function formatSize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= STEP && unit < UNITS.length - 1) {
    value /= STEP;
    unit++;
  }
  return `${Number.isInteger(value) ? String(value) : value.toFixed(1)} ${UNITS[unit] ?? "bytes"}`;
}
