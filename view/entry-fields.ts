import {
  decodeEntry, ENTRY_AVAILABLE_MASK, ENTRY_AVAILABLE_SHIFT, type EntryLevel, LARGE_HIGH_FRAME_MASK, LARGE_HIGH_FRAME_SHIFT, LARGE_RESERVED_MASK, PD_INDEX_SHIFT, PDE_PAGE_SIZE, PT_INDEX_SHIFT,
  PTE_ACCESSED, PTE_CACHE_DISABLE, PTE_DIRTY, PTE_GLOBAL, PTE_PAT, PTE_PRESENT, PTE_USER, PTE_WRITABLE, PTE_WRITE_THROUGH,
} from "../src/arch/x86/entry.js";
import { PF_FETCH, PF_PRESENT, PF_RSVD, PF_USER, PF_WRITE } from "../src/arch/x86/page-fault.js";
import { hex } from "../src/format.js";
import { ADDRESS_FIELD, type BitField } from "./model.js";

const LAST_BIT = 31;

/** The position of the highest bit set in `mask` (of its only bit, for a one-bit mask). */
function bitOf(mask: number): number {
  return LAST_BIT - Math.clz32(mask);
}

function flag(mask: number, name: string, on: boolean, ifOn: string, ifOff: string): BitField {
  return { bits: String(bitOf(mask)), name, value: on ? 1 : 0, meaning: on ? ifOn : ifOff };
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
    flag(PTE_PRESENT, "P", e.present, "present", "not present: the CPU ignores every other bit"),
    flag(PTE_WRITABLE, "R/W", e.writable, "writes allowed", "read-only"),
    flag(PTE_USER, "U/S", e.user, "user and supervisor", "supervisor only"),
    flag(PTE_WRITE_THROUGH, "PWT", e.writeThrough, "write-through", "write-back"),
    flag(PTE_CACHE_DISABLE, "PCD", e.cacheDisable, "cache disabled", "cachable"),
    flag(PTE_ACCESSED, "A", e.accessed, "accessed (set by the MMU)", "not accessed yet"),
    mapsPage
      ? flag(PTE_DIRTY, "D", e.dirty, "dirty (written through this entry)", "clean")
      : flag(PTE_DIRTY, "(D)", false, "", "ignored in a PDE that points at a table"),
    level === "pde"
      ? flag(PDE_PAGE_SIZE, "PS", e.pageSize, "maps a 4 MiB page", "points at a page table")
      : flag(PTE_PAT, "PAT", e.pat, "PAT index bit set", "PAT index bit clear"),
    mapsPage
      ? flag(PTE_GLOBAL, "G", e.global, "global (kept across CR3 loads with CR4.PGE)", "not global")
      : flag(PTE_GLOBAL, "(G)", false, "", "ignored in a PDE that points at a table"),
    { bits: `${ENTRY_AVAILABLE_SHIFT}–${bitOf(ENTRY_AVAILABLE_MASK)}`, name: "AVL", value: e.available, meaning: "available to the OS" },
  ];
  if (large) {
    const reserved = (value & LARGE_RESERVED_MASK) !== 0;
    fields.push(flag(LARGE_RESERVED_MASK, "(21)", reserved, "reserved bit set: with CR4.PSE every access faults with RSVD", "reserved, clear"));
  }
  const addressBits = large
    ? `${LARGE_HIGH_FRAME_SHIFT}–${bitOf(LARGE_HIGH_FRAME_MASK)}, ${PD_INDEX_SHIFT}–${LAST_BIT}`
    : `${PT_INDEX_SHIFT}–${LAST_BIT}`;
  const target = level === "pte" ? "4 KiB frame" : large ? "4 MiB frame" : "page table";
  fields.push({ bits: addressBits, name: ADDRESS_FIELD, value: e.address, meaning: `${target} at ${hex(e.address)}` });
  return fields;
}

/** The bits of a page-fault error code (SDM vol. 3, figure 4-12), each with its meaning. */
export function errorCodeFields(errorCode: number): BitField[] {
  return [
    flag(PF_PRESENT, "P", (errorCode & PF_PRESENT) !== 0, "protection violation on a present page", "the page is not present"),
    flag(PF_WRITE, "W/R", (errorCode & PF_WRITE) !== 0, "the access was a write", "the access was a read"),
    flag(PF_USER, "U/S", (errorCode & PF_USER) !== 0, "the access came from user mode", "the access came from supervisor mode"),
    flag(PF_RSVD, "RSVD", (errorCode & PF_RSVD) !== 0, "a reserved bit is set in an entry (a 4 MiB PDE's bit 21)", "no reserved bit set in an entry"),
    flag(PF_FETCH, "I/D", (errorCode & PF_FETCH) !== 0, "instruction fetch", "not an instruction fetch (or no NX)"),
  ];
}
