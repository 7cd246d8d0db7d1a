import { describeValue } from "./format.js";

/**
 * Argument checks shared by every layer, so that each public method validates before it
 * changes anything and each layer throws its own error class with the problem these name.
 * They never throw and never format a value other than through `describeValue`, so a hostile
 * value (`undefined`, `NaN`, a string, a huge array) cannot crash the message.
 */

/**
 * Whether `value` is a non-negative safe integer: what a `number`-addressed API accepts as an
 * address, a size or a count (`Number.isSafeInteger` is false for non-numbers, so this is one
 * cheap check).
 *
 * @example
 * isUnsignedInteger(0x1000); // true
 * isUnsignedInteger(-1);     // false
 * isUnsignedInteger("4096"); // false
 */
export function isUnsignedInteger(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/** Why an `Attributes` argument was refused: the field at fault and a message naming it and its value. */
export interface AttributesProblem {
  /** `attrs` (not an object) or `attrs.<field>`. */
  readonly field: string;
  /** `attrs.kernel must be a boolean, not undefined`. */
  readonly message: string;
}

const REQUIRED_FLAGS = ["kernel", "writable", "cachable"] as const;
const OPTIONAL_FLAGS = ["executable", "global"] as const;

/**
 * What is wrong with `attrs` as an `Attributes` value, or `null` when nothing is: it must be
 * an object whose `kernel`, `writable` and `cachable` are booleans and whose `executable` and
 * `global`, when present, are booleans too. O(1), allocates only to report a problem.
 *
 * @example
 * attributesProblem({ kernel: true, writable: false, cachable: true }); // null
 * attributesProblem("kernel")?.message; // 'attrs must be an object { kernel, writable, cachable }, not "kernel"'
 * attributesProblem({})?.field;         // "attrs.kernel"
 */
export function attributesProblem(attrs: unknown): AttributesProblem | null {
  if (typeof attrs !== "object" || attrs === null || Array.isArray(attrs)) {
    return { field: "attrs", message: `attrs must be an object { kernel, writable, cachable }, not ${describeValue(attrs)}` };
  }
  const fields = attrs as Readonly<Record<string, unknown>>;
  for (const name of REQUIRED_FLAGS) {
    const value = fields[name];
    if (typeof value !== "boolean") return { field: `attrs.${name}`, message: `attrs.${name} must be a boolean, not ${describeValue(value)}` };
  }
  for (const name of OPTIONAL_FLAGS) {
    const value = fields[name];
    if (value !== undefined && typeof value !== "boolean") {
      return { field: `attrs.${name}`, message: `attrs.${name} must be a boolean when given, not ${describeValue(value)}` };
    }
  }
  return null;
}
