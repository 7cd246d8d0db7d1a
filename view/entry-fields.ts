import {
  decodeEntry, ENTRY_AVAILABLE_SHIFT, type EntryLevel, PD_INDEX_SHIFT, PT_INDEX_SHIFT,
} from "../src/arch/x86/entry.js";
import { PF_FETCH, PF_PRESENT, PF_USER, PF_WRITE } from "../src/arch/x86/page-fault.js";
import { hex } from "../src/format.js";
import { ADDRESS_FIELD, type BitField } from "./model.js";

const LAST_BIT = 31;
const AVAILABLE_LAST_BIT = ENTRY_AVAILABLE_SHIFT + 2;
const PWT_BIT = 3;
const PCD_BIT = 4;
const ACCESSED_BIT = 5;
const DIRTY_BIT = 6;
const SIZE_OR_PAT_BIT = 7;
const GLOBAL_BIT = 8;
const RSVD_BIT = 3;

function flag(bit: number, name: string, on: boolean, ifOn: string, ifOff: string): BitField {
  return { bits: String(bit), name, value: on ? 1 : 0, meaning: on ? ifOn : ifOff };
}

/**
 * Every field of a PDE or PTE `value` with what it means at that level (Intel SDM vol. 3,
 * tables 4-5 and 4-6), decoded with kmem's entry layout.
 */
export function entryFields(value: number, level: EntryLevel): BitField[] {
  const e = decodeEntry(value, level);
  const large = level === "pde" && e.pageSize;
  const mapsPage = level === "pte" || large;
  const fields: BitField[] = [
    flag(0, "P", e.present, "present", "not present: the CPU ignores every other bit"),
    flag(1, "R/W", e.writable, "writes allowed", "read-only"),
    flag(2, "U/S", e.user, "user and supervisor", "supervisor only"),
    flag(PWT_BIT, "PWT", e.writeThrough, "write-through", "write-back"),
    flag(PCD_BIT, "PCD", e.cacheDisable, "cache disabled", "cachable"),
    flag(ACCESSED_BIT, "A", e.accessed, "accessed (set by the MMU)", "not accessed yet"),
    mapsPage
      ? flag(DIRTY_BIT, "D", e.dirty, "dirty (written through this entry)", "clean")
      : flag(DIRTY_BIT, "(D)", false, "", "ignored in a PDE that points at a table"),
    level === "pde"
      ? flag(SIZE_OR_PAT_BIT, "PS", e.pageSize, "maps a 4 MiB page", "points at a page table")
      : flag(SIZE_OR_PAT_BIT, "PAT", e.pat, "PAT index bit set", "PAT index bit clear"),
    mapsPage
      ? flag(GLOBAL_BIT, "G", e.global, "global (kept across CR3 loads with CR4.PGE)", "not global")
      : flag(GLOBAL_BIT, "(G)", false, "", "ignored in a PDE that points at a table"),
    { bits: `${ENTRY_AVAILABLE_SHIFT}–${AVAILABLE_LAST_BIT}`, name: "AVL", value: e.available, meaning: "available to the OS" },
  ];
  const addressBits = large ? `${PD_INDEX_SHIFT}–${LAST_BIT}` : `${PT_INDEX_SHIFT}–${LAST_BIT}`;
  const target = level === "pte" ? "4 KiB frame" : large ? "4 MiB frame" : "page table";
  fields.push({ bits: addressBits, name: ADDRESS_FIELD, value: e.address, meaning: `${target} at ${hex(e.address)}` });
  return fields;
}

/** The bits of a page-fault error code (SDM vol. 3, figure 4-12), each with its meaning. */
export function errorCodeFields(errorCode: number): BitField[] {
  return [
    flag(0, "P", (errorCode & PF_PRESENT) !== 0, "protection violation on a present page", "the page is not present"),
    flag(1, "W/R", (errorCode & PF_WRITE) !== 0, "the access was a write", "the access was a read"),
    flag(2, "U/S", (errorCode & PF_USER) !== 0, "the access came from user mode", "the access came from supervisor mode"),
    flag(RSVD_BIT, "RSVD", false, "", "no reserved bit set in an entry"),
    flag(Math.log2(PF_FETCH), "I/D", (errorCode & PF_FETCH) !== 0, "instruction fetch", "not an instruction fetch (or no NX)"),
  ];
}
