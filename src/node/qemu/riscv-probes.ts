import { RiscvMmu, type RiscvPrivilege } from "../../arch/riscv/cpu.js";
import { SSTATUS_SUM } from "../../arch/riscv/pte.js";
import type { PhysicalBus } from "../../bus.js";
import { hex } from "../../format.js";
import { PAGE_BYTES } from "../../paging/geometry.js";
import type { PageMapping } from "../../paging/mappings.js";

/**
 * The RISC-V guest, hand-assembled (no compressed instructions, so every instruction is 4
 * bytes) and run from DRAM in M-mode. It sets mtvec, opens PMP entry 0 to all memory (QEMU
 * implements PMP, so an S/U access no entry matches would fail), writes satp, then for each
 * probe record sets mstatus.MPRV with MPP (and SUM) so that its one load or store is
 * translated as an S- or U-mode access, and records the loaded value; a trap records mcause
 * and mtval, steps mepc past the access and returns. Then it sets the done word and spins.
 *
 * ```
 *   auipc s0, 0;  addi t0, s0, 0x100;  csrw mtvec, t0
 *   li t0, -1;  csrw pmpaddr0, t0;  li t0, 0x1f;  csrw pmpcfg0, t0
 *   ld t0, 0x200(s0);  csrw satp, t0;  sfence.vma
 *   ld s1, 0x208(s0);  lui t0, 1;  add s2, s0, t0          # s2: the records at +0x1000
 * loop:  beqz s1, done
 *   ld a0, 0(s2);  ld a1, 8(s2);  ld a2, 16(s2);  ld t1, 24(s2)
 *   csrs mstatus, a1;  bnez a2, store
 *   ld t1, 0(a0);  j after
 * store:  sd t1, 0(a0)
 * after:  csrc mstatus, a1;  sd t1, 24(s2);  addi s2, s2, 48;  addi s1, s1, -1;  j loop
 * done:  li t0, 1;  sd t0, 0x210(s0);  spin: j spin
 * .org 0x100   # the trap handler
 *   csrr t2, mcause;  sd t2, 32(s2);  csrr t2, mtval;  sd t2, 40(s2)
 *   csrr t2, mepc;  addi t2, t2, 4;  csrw mepc, t2;  mret
 * ```
 * RV32 is the same with `lw`/`sw` (each record field's low word).
 */
const CODE_RV64 = [
  0x00000417, 0x10040293, 0x30529073, 0xfff00293, 0x3b029073, 0x01f00293, 0x3a029073, 0x20043283, 0x18029073, 0x12000073, 0x20843483, 0x000012b7, 0x00540933, 0x02048e63, 0x00093503, 0x00893583,
  0x01093603, 0x01893303, 0x3005a073, 0x00061663, 0x00053303, 0x0080006f, 0x00653023, 0x3005b073, 0x00693c23, 0x03090913, 0xfff48493, 0xfc9ff06f, 0x00100293, 0x20543823, 0x0000006f,
];
const HANDLER_RV64 = [0x342023f3, 0x02793023, 0x343023f3, 0x02793423, 0x341023f3, 0x00438393, 0x34139073, 0x30200073];
const CODE_RV32 = [
  0x00000417, 0x10040293, 0x30529073, 0xfff00293, 0x3b029073, 0x01f00293, 0x3a029073, 0x20042283, 0x18029073, 0x12000073, 0x20842483, 0x000012b7, 0x00540933, 0x02048e63, 0x00092503, 0x00892583,
  0x01092603, 0x01892303, 0x3005a073, 0x00061663, 0x00052303, 0x0080006f, 0x00652023, 0x3005b073, 0x00692c23, 0x03090913, 0xfff48493, 0xfc9ff06f, 0x00100293, 0x20542823, 0x0000006f,
];
const HANDLER_RV32 = [0x342023f3, 0x02792023, 0x343023f3, 0x02792423, 0x341023f3, 0x00438393, 0x34139073, 0x30200073];

const HANDLER_OFFSET = 0x100;
const CONFIG = { satp: 0x200, count: 0x208, done: 0x210 } as const;
/** Where the probe records start, from the guest's base. */
export const RECORDS_OFFSET = 0x1000;
const RECORD_BYTES = 48;
const FIELD = { vaddr: 0, mstatus: 8, store: 16, value: 24, cause: 32, tval: 40 } as const;
/** mstatus.MPRV, and MPP's shift. */
const MSTATUS_MPRV = 1n << 17n;
const MPP_SHIFT = 11n;
const MPP: Record<"S" | "U", bigint> = { S: 1n, U: 0n };
/** Marks a tag word: the high half of a frame's tag (the low half is the probed physical address). */
const TAG_MARK = 0x7a67_0000n;
/** The most probed addresses (and as many unmapped ones), each with 5 accesses. */
const MAX_ADDRESSES = 48;
/** The most bytes the probe records take. */
export const MAX_PROBE_BYTES = MAX_ADDRESSES * 2 * 5 * RECORD_BYTES;

/** One access the guest makes. */
export interface RiscvProbe {
  /** The virtual address (unsigned). */
  readonly vaddr: bigint;
  /** The privilege the access is translated with. */
  readonly priv: "S" | "U";
  /** sstatus.SUM for the access. */
  readonly sum: boolean;
  /** A store (else a load). */
  readonly store: boolean;
  /** The physical address kmem's leaf gives (ignoring rights), where the tag is, or null for an unmapped address. */
  readonly tagAt: number | null;
}

/** A probe whose outcome in QEMU differs from kmem's MMU. */
export interface RiscvProbeDifference {
  /** The access. */
  readonly probe: RiscvProbe;
  /** kmem's answer: `0x…` physical address, or `cause N tval 0x…`. */
  readonly kmem: string;
  /** QEMU's: the frame whose tag a load read, `stored`, or `cause N tval 0x…`. */
  readonly qemu: string;
}

/** The tag QEMU's RAM holds at `phys`: `TAG_MARK` high, the address low. */
function tagOf(phys: number): bigint {
  return (TAG_MARK << 32n) | BigInt(phys >>> 0);
}

/**
 * Chooses probes from kmem's leaves: an address in (up to {@link MAX_ADDRESSES}) leaves, spread
 * over the list, whose frame `mayTouch` allows, plus the address after each such leaf when no
 * leaf maps it; each is loaded and stored from S-mode, from U-mode, and loaded from S-mode with SUM.
 */
export function chooseRiscvProbes(expected: readonly PageMapping[], bits: 32 | 64, mayTouch: (frame: number) => boolean): RiscvProbe[] {
  const unsigned = (v: bigint): bigint => BigInt.asUintN(bits, v);
  const leaves = expected.map((m) => ({ virt: unsigned(BigInt(m.virt)), phys: m.phys, size: m.size })).filter((m) => mayTouch(m.phys + (m.size > PAGE_BYTES ? m.size / 2 : 0)));
  const step = Math.max(1, Math.floor(leaves.length / MAX_ADDRESSES));
  const chosen = leaves.filter((_, i) => i % step === 0).slice(0, MAX_ADDRESSES);
  const mapped = (v: bigint): boolean => expected.some((m) => unsigned(BigInt(m.virt)) <= v && v < unsigned(BigInt(m.virt)) + BigInt(m.size));
  const addresses: { vaddr: bigint; tagAt: number | null }[] = [];
  for (const leaf of chosen) {
    const offset = (leaf.size > PAGE_BYTES ? leaf.size / 2 : 0) + 0x18;
    addresses.push({ vaddr: leaf.virt + BigInt(offset), tagAt: leaf.phys + offset });
    const after = leaf.virt + BigInt(leaf.size);
    if (after < 1n << BigInt(bits) && !mapped(after)) addresses.push({ vaddr: after + 0x20n, tagAt: null });
  }
  return addresses.flatMap(({ vaddr, tagAt }) => [
    { vaddr, tagAt, priv: "S" as const, sum: false, store: false },
    { vaddr, tagAt, priv: "S" as const, sum: false, store: true },
    { vaddr, tagAt, priv: "U" as const, sum: false, store: false },
    { vaddr, tagAt, priv: "U" as const, sum: false, store: true },
    { vaddr, tagAt, priv: "S" as const, sum: true, store: false },
  ]);
}

/** The guest image (code, handler, satp, records) to load at DRAM's base. */
export function riscvProbeGuest(satp: bigint, probes: readonly RiscvProbe[], rv32: boolean): Uint8Array {
  const out = new Uint8Array(RECORDS_OFFSET + probes.length * RECORD_BYTES);
  const view = new DataView(out.buffer);
  (rv32 ? CODE_RV32 : CODE_RV64).forEach((w, i) => view.setUint32(i * 4, w, true));
  (rv32 ? HANDLER_RV32 : HANDLER_RV64).forEach((w, i) => view.setUint32(HANDLER_OFFSET + i * 4, w, true));
  view.setBigUint64(CONFIG.satp, satp, true);
  view.setBigUint64(CONFIG.count, BigInt(probes.length), true);
  probes.forEach((p, i) => {
    const at = RECORDS_OFFSET + i * RECORD_BYTES;
    view.setBigUint64(at + FIELD.vaddr, p.vaddr, true);
    view.setBigUint64(at + FIELD.mstatus, MSTATUS_MPRV | (MPP[p.priv] << MPP_SHIFT) | (p.sum ? BigInt(SSTATUS_SUM) : 0n), true);
    view.setBigUint64(at + FIELD.store, p.store ? 1n : 0n, true);
    view.setBigUint64(at + FIELD.value, p.tagAt === null ? 0n : tagOf(p.tagAt), true);
  });
  return out;
}

/** The physical address of the guest's done word, from its base. */
export const DONE_OFFSET = CONFIG.done;

/** The tag files to load: one page per probed frame, each tag at its probe's offset. */
export function tagPages(probes: readonly RiscvProbe[]): Map<number, Uint8Array> {
  const pages = new Map<number, Uint8Array>();
  for (const p of probes) {
    if (p.tagAt === null) continue;
    const frame = p.tagAt - (p.tagAt % PAGE_BYTES);
    const page = pages.get(frame) ?? new Uint8Array(PAGE_BYTES);
    new DataView(page.buffer).setBigUint64(p.tagAt - frame, tagOf(p.tagAt), true);
    pages.set(frame, page);
  }
  return pages;
}

/**
 * kmem's answers for `probes`, in order, from a fresh {@link RiscvMmu} over `bus` (which it
 * changes: the A/D bits of the leaves it uses, as QEMU's walker does).
 */
export function kmemRiscvAnswers(bus: PhysicalBus, satp: bigint, rv32: boolean, probes: readonly RiscvProbe[]): number[] {
  const mmu = new RiscvMmu({ bus, xlen: rv32 ? 32 : 64, state: { satp: rv32 ? Number(satp) : satp, sstatus: 0, priv: "S" } });
  return probes.map((p) => {
    mmu.setState({ priv: p.priv as RiscvPrivilege, sstatus: p.sum ? SSTATUS_SUM : 0 });
    return mmu.tryTranslate(rv32 ? Number(p.vaddr) : p.vaddr, { write: p.store });
  });
}

/** Compares the guest's records (`dump` from its base) with kmem's answers. */
export function compareRiscvProbes(probes: readonly RiscvProbe[], answers: readonly number[], dump: Uint8Array, rv32: boolean): RiscvProbeDifference[] {
  const view = new DataView(dump.buffer, dump.byteOffset, dump.byteLength);
  const mask = rv32 ? 0xffff_ffffn : (1n << 64n) - 1n;
  const differences: RiscvProbeDifference[] = [];
  probes.forEach((probe, i) => {
    const at = RECORDS_OFFSET + i * RECORD_BYTES;
    const cause = Number(view.getBigUint64(at + FIELD.cause, true) & mask);
    const tval = view.getBigUint64(at + FIELD.tval, true) & mask;
    const value = view.getBigUint64(at + FIELD.value, true) & mask;
    const answer = answers[i] ?? 0;
    const kmem = answer >= 0 ? hex(answer) : `cause ${String(-1 - answer)} tval ${hex(probe.vaddr)}`;
    const loaded = hex(Number(value & 0xffff_ffffn));
    const tagged = rv32 || value >> 32n === TAG_MARK;
    const qemu = cause !== 0 ? `cause ${String(cause)} tval ${hex(tval)}` : probe.store ? "stored" : tagged ? loaded : `read ${hex(value)}, no tag`;
    const expected = answer < 0 ? kmem : probe.store ? "stored" : hex(answer);
    if (qemu !== expected) differences.push({ probe, kmem, qemu });
  });
  return differences;
}

/** One line per difference: `0x… S load (SUM): kmem …, QEMU …`. */
export function formatRiscvProbe(d: RiscvProbeDifference): string {
  const p = d.probe;
  return `${hex(p.vaddr)} ${p.priv} ${p.store ? "store" : "load"}${p.sum ? " (SUM)" : ""}: kmem ${d.kmem}, QEMU ${d.qemu}`;
}
