import { ENTRIES_PER_TABLE, ENTRY_BYTES, ENTRY_FRAME_MASK, LARGE_PAGE_SIZE, PAGE_SIZE, PTE_ACCESSED, PTE_DIRTY, PTE_PRESENT, isLargePde } from "../../arch/x86/entry.js";
import { hex } from "../../format.js";
import type { Access } from "./probes.js";

/** The bits compared: accessed and dirty. */
const AD_MASK = PTE_ACCESSED | PTE_DIRTY;

/**
 * kmem's paging entries after its MMU made `accesses` in order, from an empty TLB and the
 * tables as staged for QEMU: a reader of the 32-bit entry at a physical address.
 */
export type ExpectEntries = (accesses: readonly Access[]) => (address: number) => number;

/** An entry whose accessed or dirty bit differs between kmem and QEMU after the same accesses. */
export interface EntryDifference {
  /** A page-directory or a page-table entry. */
  readonly level: "pde" | "pte";
  /** Physical address of the entry. */
  readonly address: number;
  /** The first virtual address the entry maps. */
  readonly vaddr: number;
  /** The entry's A and D bits in kmem's RAM (`PTE_ACCESSED | PTE_DIRTY` at most). */
  readonly kmem: number;
  /** The same bits in QEMU's RAM. */
  readonly qemu: number;
}

/** What {@link compareAccessedDirty} looked at. */
export interface EntryComparison {
  /** Entries whose A and D bits were compared. */
  readonly compared: number;
  /** Entries whose A or D differs, in directory order. */
  readonly differences: readonly EntryDifference[];
}

/** Inputs of {@link compareAccessedDirty}. */
export interface AccessedDirtyInput {
  /** The page directory's physical address. */
  readonly directory: number;
  /** CR4.PSE of both walks. */
  readonly pse: boolean;
  /** kmem's entry at a physical address (after its accesses); the tables' structure is read from it. */
  readonly kmem: (address: number) => number;
  /** QEMU's entry at a physical address (after the guest's accesses). */
  readonly qemu: (address: number) => number;
  /**
   * Pages the guest touches by itself (its code, stack, probe records, its ring-3 stub): their
   * PTEs, and the PDEs of their 4 MiB slots, are not compared.
   */
  readonly guestPages: (vaddr: number) => boolean;
}

/**
 * Compares the accessed (A) and dirty (D) bits of every present PDE and PTE reachable from
 * `directory` in kmem's RAM with QEMU's, after both made the same accesses. Entries the guest
 * touches by itself are skipped. The final bits do not depend on either TLB: each walk sets
 * what it uses and both bits only ever go from 0 to 1. O(entries).
 *
 * @example
 * const result = compareAccessedDirty({ directory: cr3, pse: false, kmem, qemu, guestPages: () => false });
 * result.differences; // [] when QEMU set exactly the bits kmem set
 */
export function compareAccessedDirty(input: AccessedDirtyInput): EntryComparison {
  const differences: EntryDifference[] = [];
  let compared = 0;
  const compare = (level: "pde" | "pte", address: number, vaddr: number): void => {
    compared++;
    const kmem = input.kmem(address) & AD_MASK;
    const qemu = input.qemu(address) & AD_MASK;
    if (kmem !== qemu) differences.push({ level, address, vaddr, kmem, qemu });
  };
  for (let pdi = 0; pdi < ENTRIES_PER_TABLE; pdi++) {
    const pdeAddress = input.directory + pdi * ENTRY_BYTES;
    const pde = input.kmem(pdeAddress);
    if ((pde & PTE_PRESENT) === 0) continue;
    const slot = pdi * LARGE_PAGE_SIZE;
    if (!slotHasGuestPage(slot, input.guestPages)) compare("pde", pdeAddress, slot);
    if (input.pse && isLargePde(pde)) continue;
    const table = (pde & ENTRY_FRAME_MASK) >>> 0;
    for (let pti = 0; pti < ENTRIES_PER_TABLE; pti++) {
      const vaddr = slot + pti * PAGE_SIZE;
      if ((input.kmem(table + pti * ENTRY_BYTES) & PTE_PRESENT) !== 0 && !input.guestPages(vaddr)) compare("pte", table + pti * ENTRY_BYTES, vaddr);
    }
  }
  return { compared, differences };
}

function slotHasGuestPage(slot: number, guestPages: (vaddr: number) => boolean): boolean {
  for (let vaddr = slot; vaddr < slot + LARGE_PAGE_SIZE; vaddr += PAGE_SIZE) {
    if (guestPages(vaddr)) return true;
  }
  return false;
}

function bits(ad: number): string {
  return `${(ad & PTE_ACCESSED) !== 0 ? "A" : "-"}${(ad & PTE_DIRTY) !== 0 ? "D" : "-"}`;
}

/**
 * Formats entry differences one per line, at most `limit`, then a count of the rest.
 *
 * @example
 * formatEntryDifferences([{ level: "pde", address: 0x1c00, vaddr: 0xc0000000, kmem: 0, qemu: 0x20 }], 20);
 * // "PDE at 0x00001C00 (0xC0000000): kmem -- | qemu A-"
 */
export function formatEntryDifferences(differences: readonly EntryDifference[], limit: number): string {
  const lines = differences.slice(0, limit).map((d) => `${d.level.toUpperCase()} at ${hex(d.address)} (${hex(d.vaddr)}): kmem ${bits(d.kmem)} | qemu ${bits(d.qemu)}`);
  if (differences.length > limit) lines.push(`… and ${differences.length - limit} more differing entries`);
  return lines.join("\n");
}
