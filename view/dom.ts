/** Attributes accepted by {@link el}: strings set as attributes, `text` sets the text content. */
export type ElProps = Readonly<Record<string, string>>;

/**
 * Creates an element with attributes and children.
 *
 * @example
 * el("td", { class: "addr" }, "0xC0100000");
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: ElProps = {},
  ...children: readonly (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

/** Finds the element with `data-testid="id"` under `root`; throws when the page lacks it. */
export function byTestId<T extends HTMLElement = HTMLElement>(id: string, root: ParentNode = document): T {
  const found = root.querySelector<T>(`[data-testid="${id}"]`);
  if (found === null) {
    throw new Error(`Cannot find [data-testid="${id}"]: the page template lacks it`);
  }
  return found;
}

const HEX_PATTERN = /^0x[0-9a-f]+$/i;
const DEC_PATTERN = /^[0-9]+$/;

/**
 * Parses a user-typed address or count: `0x…` hex or decimal, with `_` allowed as a separator.
 *
 * @throws Error naming the field when the text is not a non-negative safe integer.
 */
export function parseNumber(text: string, field: string): number {
  const clean = text.trim().replaceAll("_", "");
  const valid = HEX_PATTERN.test(clean) || DEC_PATTERN.test(clean);
  const value = valid ? Number(clean) : Number.NaN;
  if (!Number.isSafeInteger(value)) {
    throw new Error(`${field} "${text}" is not a number (use 0x… hex or decimal)`);
  }
  return value;
}

/** Formats a byte count as B, KiB, MiB or GiB, whichever reads best. */
export function formatSize(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB"];
  let value = bytes;
  let unit = 0;
  const step = 1024;
  while (value >= step && unit < units.length - 1 && value % step === 0) {
    value /= step;
    unit += 1;
  }
  return `${value} ${units[unit] ?? "B"}`;
}
