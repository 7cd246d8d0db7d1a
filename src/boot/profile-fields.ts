import { parseAddress } from "../address.js";
import { ADDRESS_LIMIT } from "../arch/x86/entry.js";
import { describeValue, hex, MAX_ECHO_CHARS } from "../format.js";
import { ProfileError } from "./profile-error.js";

/** The first address above 32-bit physical and virtual memory (4 GiB, x86's `ADDRESS_LIMIT`); the largest end a range may have. */
export const FOUR_GIB = ADDRESS_LIMIT;

const HEX_STRING = /^0x[0-9a-f]+$/i;

/** A JSON value as the parser saw it, with the dotted path that names it in error messages. */
export interface Field {
  readonly path: string;
  readonly value: unknown;
}

/**
 * Renders a profile value for an error message on one bounded line: integers and short
 * `"0x…"` strings in hex (`0x00100000`), other scalars as {@link describeValue} gives them
 * (strings quoted and cut at {@link MAX_ECHO_CHARS} characters), arrays and objects by their
 * shape only (`{}`, `(an array of 3 items)`), never recursing into them.
 *
 * @example
 * showValue(0xb8000); // "0x000B8000"
 * showValue("12k");   // "\"12k\""
 * showValue([[[]]]);  // "(an array of 1 item)"
 */
export function showValue(value: unknown): string {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) {
    return hex(value);
  }
  if (typeof value === "bigint" && value >= 0n) {
    return hex(value);
  }
  if (typeof value === "string" && value.length <= MAX_ECHO_CHARS && HEX_STRING.test(value)) {
    const parsed = Number.parseInt(value, 16);
    return Number.isSafeInteger(parsed) ? hex(parsed) : value;
  }
  if (typeof value === "object" && value !== null) {
    const empty = Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0;
    return empty ? (Array.isArray(value) ? "[]" : "{}") : `(${describeValue(value)})`;
  }
  return describeValue(value);
}

/**
 * Throws the one-line `ProfileError` `<path> <value> <reason>`.
 *
 * @throws ProfileError `InvalidProfile`, always.
 */
export function fail(field: Field, reason: string): never {
  throw new ProfileError(`${field.path} ${showValue(field.value)} ${reason}`, { path: field.path, value: field.value });
}

/** The child field `key` of an object field (path `parent.key`). */
export function child(parent: Field, key: string): Field {
  const value = (parent.value as Record<string, unknown>)[key];
  return { path: parent.path === "" ? key : `${parent.path}.${key}`, value };
}

/**
 * Checks that `field` is a plain object whose keys are all in `required` or `optional`,
 * with every `required` key present.
 *
 * @throws ProfileError `InvalidProfile`: not an object, a missing field, or an unknown field.
 */
export function readObject(field: Field, required: readonly string[], optional: readonly string[] = []): void {
  const { value } = field;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail({ path: field.path === "" ? "profile" : field.path, value }, "is not an object");
  }
  for (const key of required) {
    if (!(key in value) || (value as Record<string, unknown>)[key] === undefined) {
      const path = child(field, key).path;
      throw new ProfileError(`${path} is missing`, { path, value: undefined });
    }
  }
  const known = [...required, ...optional];
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      const unknown = { path: keyPath(field.path, key), value: (value as Record<string, unknown>)[key] };
      throw new ProfileError(`${unknown.path} is not a profile field (expected ${known.join(", ")})`, {
        path: unknown.path,
        value: unknown.value,
      });
    }
  }
}

/** A plain key as `parent.key`; any other (control characters, very long) as `parent["…"]`, bounded. */
function keyPath(parent: string, key: string): string {
  if (/^[A-Za-z_$][\w$]*$/.test(key) && key.length <= MAX_ECHO_CHARS) {
    return parent === "" ? key : `${parent}.${key}`;
  }
  return `${parent === "" ? "profile" : parent}[${describeValue(key)}]`;
}

/**
 * Reads an address: a non-negative safe integer or a `"0x…"` string (`_` allowed between
 * digits: `"0xC000_0000"`), at most 4 GiB.
 *
 * @throws ProfileError `InvalidProfile`: wrong type, not an integer, negative, or beyond 4 GiB.
 */
export function readAddress(field: Field): number {
  const { value } = field;
  let address: number;
  if (typeof value === "number") {
    if (!Number.isInteger(value)) {
      fail(field, "is not an integer");
    }
    address = value;
  } else if (typeof value === "string") {
    const parsed = value.startsWith("0x") || value.startsWith("0X") ? parseAddress(value) : null;
    if (parsed === null) {
      fail(field, 'is not an address (use a number or a "0x…" hex string)');
    }
    address = Number(parsed);
  } else {
    fail(field, 'is not an address (use a number or a "0x…" hex string)');
  }
  if (address < 0) {
    fail(field, "is negative");
  }
  if (address > FOUR_GIB) {
    fail(field, `is beyond 4 GiB (${hex(FOUR_GIB)})`);
  }
  return address;
}

/**
 * Reads a non-empty string.
 *
 * @throws ProfileError `InvalidProfile`: not a string, or empty.
 */
export function readString(field: Field): string {
  if (typeof field.value !== "string") {
    fail(field, "is not a string");
  }
  if (field.value.length === 0) {
    fail(field, "is empty");
  }
  return field.value;
}

/**
 * Reads an array, returning one field per element (paths `parent[i]`).
 *
 * @throws ProfileError `InvalidProfile` if the value is not an array.
 */
export function readArray(field: Field): Field[] {
  if (!Array.isArray(field.value)) {
    fail(field, "is not an array");
  }
  return field.value.map((value: unknown, i) => ({ path: `${field.path}[${i}]`, value }));
}

/**
 * Reads a boolean (`true` or `false`).
 *
 * @throws ProfileError `InvalidProfile` if the value is not a boolean.
 */
export function readBoolean(field: Field): boolean {
  if (typeof field.value !== "boolean") {
    fail(field, "is not a boolean (use true or false)");
  }
  return field.value;
}
