import { X86Mmu } from "../../arch/x86/cpu.js";
import { CR0_PE, CR0_PG, CR0_WP, CR4_LA57, X86_GP_FAULT } from "../../arch/x86/entry64.js";
import type { PhysicalBus } from "../../bus.js";
import { hex } from "../../format.js";
import { PAGE_BYTES } from "../../paging/geometry.js";
import type { PageMapping } from "../../paging/mappings.js";
import { sameFault } from "./probes.js";
import { QemuError } from "./qemu-error.js";
import type { TableChunk } from "./staging.js";

/** The guest's pages from its base: image (2), IDT, stack; then the page QEMU's multiboot information takes. */
const GUEST_PAGES = 4;
const MBI_PAGES = 1;
/** Identity-mapping tables the host adds (up to 4: PML4, PDPT, PD and PT under a PML5). */
const IDENTITY_TABLES = 4;
/** The first page of the probe records, from the guest's base. */
const RECORDS_PAGE = GUEST_PAGES + MBI_PAGES + IDENTITY_TABLES;
const RECORD_BYTES = 48;
const FIELD = { vaddr: 0, kind: 8, value: 16, vector: 24, error: 32, cr2: 40 } as const;
const NO_FAULT = 0xffff_ffff;
/** Entry bits of the identity mapping: P|RW|US. */
const PRESENT_RW_USER = 0x7;
const ENTRY_BYTES = 8;
const LEVEL_BITS = 9;
/** The identity mapping must fit one page table: 2 MiB. */
const PT_SPAN = 0x20_0000;
/** The most probed addresses (and as many unmapped ones), each with 4 accesses. */
const MAX_ADDRESSES = 48;
const ACCESSES = 6;
/** `int 0x80`: what a fetch probe executes. */
const INT_80 = [0xcd, 0x80];
/** A fetch probe's offset from its address's read/write probe (past the 8-byte tag). */
const FETCH_OFFSET = 8;
/** Marks a tag word: the high half of a frame's tag (the low half is the probed physical address's low 32 bits). */
const TAG_MARK = 0x7a67_0000n;
/** The config words of long-guest.asm, from the image's start. */
export const LONG_CONFIG = { cr3: 32, cr4: 36, efer: 40, copyTable: 44, copyCount: 48, records: 52, recordCount: 56, status: 60 } as const;
/** The guest's status word when every probe ran: "DONE". */
export const LONG_STATUS_DONE = 0x454e_4f44;

/** One access the long-mode guest makes. */
export interface LongProbe {
  /** The virtual address (unsigned, canonical). */
  readonly vaddr: bigint;
  /** A write (else a read, or a fetch). */
  readonly write: boolean;
  /** A fetch: the guest jumps to `vaddr`, where QEMU's RAM holds `int 0x80`. */
  readonly fetch: boolean;
  /** From ring 3 (else ring 0). */
  readonly user: boolean;
  /** Where kmem's leaf puts it (ignoring rights), holding a tag (a fetch: `int 0x80`) in QEMU's RAM; null for an unmapped address. */
  readonly tagAt: number | null;
}

/** The guest's area: its pages, the identity tables and the probe records, inside one 2 MiB page table's span. */
export interface LongGuestArea {
  /** The physical (= virtual) base. */
  readonly base: number;
  /** Bytes. */
  readonly bytes: number;
  /** The physical address of the probe records. */
  readonly records: number;
}

function tagOf(phys: number): bigint {
  return (TAG_MARK << 32n) | BigInt(phys >>> 0);
}

/** The guest's area for `probeCount` records: its size in bytes. */
export function longAreaBytes(probeCount: number): number {
  return (RECORDS_PAGE + Math.ceil((probeCount * RECORD_BYTES) / PAGE_BYTES)) * PAGE_BYTES;
}

/** The most records {@link chooseLongProbes} makes. */
export const MAX_LONG_PROBES = MAX_ADDRESSES * 2 * ACCESSES;

/**
 * The lowest area from 1 MiB up, of `bytes`, inside one 2 MiB span, below `limit`, holding no
 * frame `taken` has.
 *
 * @throws {QemuError} `UnsupportedMachine` when there is none.
 */
export function placeLongGuest(bytes: number, limit: number, taken: ReadonlySet<number>): number {
  for (let base = 0x10_0000; base + bytes <= limit; base += PAGE_BYTES) {
    if (Math.floor(base / PT_SPAN) !== Math.floor((base + bytes - 1) / PT_SPAN)) continue;
    let free = true;
    for (let page = base; page < base + bytes && free; page += PAGE_BYTES) free = !taken.has(page);
    if (free) return base;
  }
  throw new QemuError("UnsupportedMachine", `Cannot place the QEMU guest below ${hex(limit)}: no ${hex(bytes)}-byte area from 0x00100000 is free of page tables`, { limit });
}

/**
 * Chooses probes from kmem's leaves: an address in up to {@link MAX_ADDRESSES} leaves spread
 * over the list whose frame `mayTouch` allows, plus the address after each such leaf when no
 * leaf maps it and it is canonical; each is read, written and (8 bytes on) fetched from ring 0 and from ring 3.
 */
export function chooseLongProbes(expected: readonly PageMapping[], vaBits: number, mayTouch: (frame: number) => boolean): LongProbe[] {
  const leaves = expected.map((m) => ({ virt: BigInt.asUintN(64, BigInt(m.virt)), phys: m.phys, size: m.size })).filter((m) => mayTouch(m.phys + (m.size > PAGE_BYTES ? m.size / 2 : 0)));
  const step = Math.max(1, Math.floor(leaves.length / MAX_ADDRESSES));
  const chosen = leaves.filter((_, i) => i % step === 0).slice(0, MAX_ADDRESSES);
  const mapped = (v: bigint): boolean => expected.some((m) => BigInt.asUintN(64, BigInt(m.virt)) <= v && v < BigInt.asUintN(64, BigInt(m.virt)) + BigInt(m.size));
  const canonical = (v: bigint): boolean => BigInt.asUintN(64, BigInt.asIntN(vaBits, v)) === v;
  const addresses: { vaddr: bigint; tagAt: number | null }[] = [];
  for (const leaf of chosen) {
    const offset = (leaf.size > PAGE_BYTES ? leaf.size / 2 : 0) + 0x18;
    addresses.push({ vaddr: leaf.virt + BigInt(offset), tagAt: leaf.phys + offset });
    const after = leaf.virt + BigInt(leaf.size) + 0x20n;
    if (after < 1n << 64n && canonical(after) && !mapped(after)) addresses.push({ vaddr: after, tagAt: null });
  }
  return addresses.flatMap(({ vaddr, tagAt }) => {
    const code = { vaddr: vaddr + BigInt(FETCH_OFFSET), tagAt: tagAt === null ? null : tagAt + FETCH_OFFSET, write: false, fetch: true };
    return [
      { vaddr, tagAt, write: false, fetch: false, user: false },
      { vaddr, tagAt, write: true, fetch: false, user: false },
      { vaddr, tagAt, write: false, fetch: false, user: true },
      { vaddr, tagAt, write: true, fetch: false, user: true },
      { ...code, user: false },
      { ...code, user: true },
    ];
  });
}

/**
 * The chunks the guest copies before it enables paging: the identity tables of its area
 * (P|RW|US at every level, from root entry 0), and a page per probed frame with the tags.
 *
 * @throws {QemuError} `GuestCollision` when kmem's root entry 0 is in use (the guest needs it).
 */
export function longGuestChunks(bus: PhysicalBus, root: number, fiveLevel: boolean, area: LongGuestArea, probes: readonly LongProbe[], records: Uint8Array): { rootEntry: TableChunk; chunks: TableChunk[] } {
  if (bus.read32(root) !== 0 || bus.read32(root + 4) !== 0) {
    throw new QemuError("GuestCollision", `Cannot map the QEMU guest at ${hex(area.base)}: kmem's root table at ${hex(root)} already uses entry 0 (the lowest 256 TiB)`, { root });
  }
  const levels = fiveLevel ? 5 : 4;
  const tableBase = area.base + (GUEST_PAGES + MBI_PAGES) * PAGE_BYTES;
  const tables = new Uint8Array((levels - 1) * PAGE_BYTES);
  const view = new DataView(tables.buffer);
  const entry = (table: number, index: number, target: number): void => view.setBigUint64(table * PAGE_BYTES + index * ENTRY_BYTES, BigInt(target) | BigInt(PRESENT_RW_USER), true);
  // tables[0] is the level below the root, …, tables[levels - 2] the page table.
  for (let t = 0; t < levels - 2; t++) entry(t, Math.floor(area.base / 2 ** (12 + LEVEL_BITS * (levels - 2 - t))) % 2 ** LEVEL_BITS, tableBase + (t + 1) * PAGE_BYTES);
  const mapped = [...Array(GUEST_PAGES).keys(), ...Array.from({ length: (area.bytes - RECORDS_PAGE * PAGE_BYTES) / PAGE_BYTES }, (_, i) => RECORDS_PAGE + i)];
  for (const page of mapped) {
    const address = area.base + page * PAGE_BYTES;
    entry(levels - 2, (address / PAGE_BYTES) % 2 ** LEVEL_BITS, address);
  }
  const rootBytes = new Uint8Array(ENTRY_BYTES);
  new DataView(rootBytes.buffer).setBigUint64(0, BigInt(tableBase) | BigInt(PRESENT_RW_USER), true);
  const tags = new Map<number, Uint8Array>();
  for (const p of probes) {
    if (p.tagAt === null) continue;
    const frame = p.tagAt - (p.tagAt % PAGE_BYTES);
    const page = tags.get(frame) ?? new Uint8Array(PAGE_BYTES);
    if (p.fetch) page.set(INT_80, p.tagAt - frame);
    else new DataView(page.buffer).setBigUint64(p.tagAt - frame, tagOf(p.tagAt), true);
    tags.set(frame, page);
  }
  return {
    rootEntry: { address: root, bytes: rootBytes },
    chunks: [{ address: tableBase, bytes: tables }, { address: area.records, bytes: records }, ...[...tags].map(([address, bytes]) => ({ address, bytes }))],
  };
}

/** The probe records as the guest reads them. */
export function encodeLongProbes(probes: readonly LongProbe[]): Uint8Array {
  const out = new Uint8Array(Math.ceil((probes.length * RECORD_BYTES) / PAGE_BYTES) * PAGE_BYTES);
  const view = new DataView(out.buffer);
  probes.forEach((p, i) => {
    const at = i * RECORD_BYTES;
    view.setBigUint64(at + FIELD.vaddr, p.vaddr, true);
    view.setBigUint64(at + FIELD.kind, BigInt((p.write ? 1 : 0) | (p.user ? 2 : 0) | (p.fetch ? 4 : 0)), true);
    view.setBigUint64(at + FIELD.value, p.tagAt === null || p.fetch ? 0n : tagOf(p.tagAt), true);
  });
  return out;
}

/** Virtual addresses of the guest's own identity-mapped pages (left out of the page comparison). */
export function longGuestPages(area: LongGuestArea): Set<bigint> {
  const pages = new Set<bigint>();
  for (let page = 0; page < GUEST_PAGES; page++) pages.add(BigInt(area.base + page * PAGE_BYTES));
  for (let address = area.records; address < area.base + area.bytes; address += PAGE_BYTES) pages.add(BigInt(address));
  return pages;
}

/** The records' physical address in an area at `base`. */
export function longRecordsAt(base: number): number {
  return base + RECORDS_PAGE * PAGE_BYTES;
}

/**
 * kmem's answers for `probes`, in order, from a fresh {@link X86Mmu} (CR0.PE|PG|WP and the
 * given CR3/CR4/EFER) over `bus`, which it changes (A/D bits) — restore the tables afterwards.
 */
export function kmemLongAnswers(bus: PhysicalBus, state: { cr3: number; cr4: number; efer: number }, probes: readonly LongProbe[]): number[] {
  const mmu = new X86Mmu({ bus, state: { cr0: (CR0_PE | CR0_PG | CR0_WP) >>> 0, ...state } });
  return probes.map((p) => mmu.tryTranslate(p.vaddr, { write: p.write, fetch: p.fetch, user: p.user }));
}

/** Compares the guest's records (`records`: its dumped record pages) with kmem's answers: one line per access that differs. */
export function compareLongProbes(probes: readonly LongProbe[], answers: readonly number[], records: Uint8Array): string[] {
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
  const differences: string[] = [];
  probes.forEach((probe, i) => {
    const at = i * RECORD_BYTES;
    const vector = view.getUint32(at + FIELD.vector, true);
    const error = Number(view.getBigUint64(at + FIELD.error, true));
    const cr2 = view.getBigUint64(at + FIELD.cr2, true);
    const value = view.getBigUint64(at + FIELD.value, true);
    const answer = answers[i] ?? 0;
    const code = -1 - answer;
    const gp = answer < 0 && (code & X86_GP_FAULT) !== 0;
    const kmem = answer >= 0 ? hex(answer) : gp ? "#GP(0)" : `#PF ${hex(code, 1)} CR2 ${hex(probe.vaddr, 16)}`;
    const qemu =
      vector === NO_FAULT
        ? probe.fetch ? `fetched, back from ${hex(cr2, 16)}` : probe.write ? "written" : value >> 32n === TAG_MARK ? hex(Number(value & 0xffff_ffffn)) : `read ${hex(value, 16)}, no tag`
        : vector === 13 ? `#GP(${hex(error, 1)})` : vector === 14 ? `#PF ${hex(error, 1)} CR2 ${hex(cr2, 16)}` : `vector ${String(vector)}`;
    const agree =
      answer >= 0
        ? vector === NO_FAULT && (probe.fetch ? cr2 === probe.vaddr + BigInt(INT_80.length) : probe.write || qemu === hex(answer >>> 0))
        : gp
          ? vector === 13 && error === 0
          : vector === 14 && cr2 === probe.vaddr && sameFault(code, error);
    if (!agree) differences.push(`${hex(probe.vaddr, 16)} ${probe.user ? "ring 3" : "ring 0"} ${probe.fetch ? "fetch" : probe.write ? "write" : "read"}: kmem ${kmem}, QEMU ${qemu}`);
  });
  return differences;
}

/** Whether CR4 selects 5-level paging. */
export function isFiveLevel(cr4: number): boolean {
  return (cr4 & CR4_LA57) !== 0;
}
