import { PF_PRESENT } from "../src/arch/x86/page-fault.js";
import type { WalkView } from "./model.js";

/** One entry bit that caused a page fault: the walk level (0 the PDE, 1 the PTE) and the field's name. */
export interface FaultCause {
  readonly level: number;
  readonly field: string;
}

const PRESENT = "P";
const WRITABLE = "R/W";
const USER = "U/S";

/** The levels of `view` whose field `name` is 0, as causes. */
function cleared(view: WalkView, name: string): FaultCause[] {
  return view.levels.flatMap((level, index) =>
    level.fields.some((f) => f.name === name && f.value === 0) ? [{ level: index, field: name }] : []);
}

/**
 * The entry bits that made a walk fault, as the CPU decides (SDM vol. 3 §4.6): P of the entry
 * that is not present; else, for a user access, U/S of every entry that denies user mode (both
 * levels count); else, for a write, R/W of every read-only entry (CR0.WP makes it apply to
 * supervisor writes too). Empty when the walk did not fault, or when no entry in RAM explains
 * the fault (a stale TLB entry).
 */
export function faultCauses(view: WalkView): FaultCause[] {
  if (view.fault === null) {
    return [];
  }
  if ((view.fault.errorCode & PF_PRESENT) === 0) {
    const missing = cleared(view, PRESENT);
    return missing.slice(0, 1);
  }
  const user = view.access.user ? cleared(view, USER) : [];
  if (user.length > 0) {
    return user;
  }
  return view.access.write ? cleared(view, WRITABLE) : [];
}
