import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { X86Mmu } from "../../../src/arch/x86/cpu.js";
import { CR0_PG, CR0_WP, CR4_LA57, CR4_PAE, CR4_PSE, EFER_LME, EFER_NXE } from "../../../src/arch/x86/entry64.js";
import { PhysicalMemory } from "../../../src/ram.js";

/**
 * Every combination of R/W, U/S and XD at every level of a path (and P at every level in a
 * second pass) × the six access kinds × CR0.WP × EFER.NXE, in each x86 mode and with the
 * leaf at each level the mode allows, checked against `sdmOutcome`: a reference written
 * from Intel SDM vol. 3 §4.6 (access rights) and §4.7 (error code), independent of the MMU.
 * (LA57 with the leaf at level 0 varies the PML5E and the four levels below it separately.)
 */

type Mode = "x86" | "x86-pae" | "x86-64" | "x86-64-la57";
interface Bits {
  readonly p: boolean;
  readonly rw: boolean;
  readonly us: boolean;
  readonly xd: boolean;
}

const LEVELS: Record<Mode, number> = { x86: 2, "x86-pae": 3, "x86-64": 4, "x86-64-la57": 5 };
const SHIFTS: Record<Mode, number[]> = { x86: [12, 22], "x86-pae": [12, 21, 30], "x86-64": [12, 21, 30, 39], "x86-64-la57": [12, 21, 30, 39, 48] };
const LEAF_LEVELS: Record<Mode, number[]> = { x86: [0, 1], "x86-pae": [0, 1], "x86-64": [0, 1, 2], "x86-64-la57": [0, 1, 2] };
const KINDS = ["read", "write", "fetch", "user read", "user write", "user fetch"] as const;

/**
 * The expected outcome: "ok", or the page-fault error code. Path entries root first.
 * SDM §4.6: user accesses need U/S = 1 at every level; user writes R/W = 1 at every level;
 * supervisor writes R/W = 1 at every level only when CR0.WP = 1; with EFER.NXE, fetches need
 * XD = 0 at every level. §4.4.2/§4.5.4: XD without NXE, and XD in a PAE PDPTE, are reserved.
 * §4.7: P = 0 for a not-present entry, else 1; W/R, U/S from the access; RSVD for a
 * reserved bit; I/D for a fetch when NXE = 1. A PAE PDPTE carries no R/W or U/S (§4.4.1).
 */
function sdmOutcome(mode: Mode, path: readonly Bits[], kind: number, wp: boolean, nxe: boolean): "ok" | number {
  const user = kind >= 3;
  const op = kind % 3;
  const base = (op === 1 ? 0x2 : 0) | (user ? 0x4 : 0) | (op === 2 && nxe ? 0x10 : 0);
  const rights = path.filter((_, i) => !(mode === "x86-pae" && i === 0));
  for (let i = 0; i < path.length; i++) {
    const e = path[i] as Bits;
    if (!e.p) return base;
    if (e.xd && (!nxe || (mode === "x86-pae" && i === 0))) return base | 0x1 | 0x8;
  }
  const rw = rights.every((e) => e.rw);
  const us = rights.every((e) => e.us);
  const xd = rights.some((e) => e.xd);
  if (user && !us) return base | 0x1;
  if (op === 1 && !rw && (user || wp)) return base | 0x1;
  if (op === 2 && nxe && xd) return base | 0x1;
  return "ok";
}

/** Writes the path for `vaddr` by hand (tables at 0x10000 + 0x1000·depth); returns the entry addresses, root first. */
function writePath(ram: PhysicalMemory, mode: Mode, leafLevel: number, path: readonly Bits[], vaddr: number): number[] {
  const levels = LEVELS[mode];
  const wide = mode !== "x86";
  const addresses: number[] = [];
  for (let depth = 0; depth < path.length; depth++) {
    const level = levels - 1 - depth;
    const e = path[depth] as Bits;
    const table = 0x10000 + depth * 0x1000;
    const index = Math.floor(vaddr / 2 ** (SHIFTS[mode][level] as number)) % (mode === "x86-pae" && level === 2 ? 4 : wide ? 512 : 1024);
    const address = table + index * (wide ? 8 : 4);
    const isLeaf = level === leafLevel;
    const target = isLeaf ? (level === 0 ? 0x5000 : 2 ** (SHIFTS[mode][level] as number)) : 0x10000 + (depth + 1) * 0x1000;
    const pdpte = mode === "x86-pae" && level === 2;
    const lo = target | (e.p ? 1 : 0) | (e.rw && !pdpte ? 2 : 0) | (e.us && !pdpte ? 4 : 0) | (isLeaf && level > 0 ? 0x80 : 0);
    ram.write32(address, lo >>> 0);
    if (wide) ram.write32(address + 4, e.xd ? 0x80000000 : 0);
    addresses.push(address);
  }
  return addresses;
}

function bitsOf(mask: number, depth: number, present: number): Bits {
  return { p: ((present >> depth) & 1) === 1, rw: ((mask >> (3 * depth)) & 1) === 1, us: ((mask >> (3 * depth + 1)) & 1) === 1, xd: ((mask >> (3 * depth + 2)) & 1) === 1 };
}

function runMatrix(mode: Mode, leafLevel: number, varyPresent: boolean): number {
  const ram = new PhysicalMemory(0x20000);
  const depthCount = LEVELS[mode] - leafLevel;
  const vaddr = SHIFTS[mode].slice(0, LEVELS[mode]).reduce((v, shift, level) => v + (level >= leafLevel && !(mode === "x86-pae" && level === 2) ? 2 ** shift : 0), 0) + 0x123;
  const cr4 = mode === "x86" ? CR4_PSE : mode === "x86-64-la57" ? CR4_PAE | CR4_LA57 : CR4_PAE;
  const long = mode === "x86-64" || mode === "x86-64-la57";
  const mmu = new X86Mmu({ bus: ram, tlbEntries: 0, state: { cr0: CR0_PG, cr3: 0x10000, cr4, efer: long ? EFER_LME : 0 } });
  const wideMasks = mode === "x86" ? [0, 1, 2, 3] : [0, 1, 2, 3, 4, 5, 6, 7];
  let checked = 0;
  const masks: number[] = [];
  // Every R/W, U/S, XD combination over the path (XD only in 64-bit entries).
  const combos = wideMasks.length ** depthCount;
  for (let c = 0; c < combos; c++) {
    let mask = 0;
    for (let d = 0, rest = c; d < depthCount; d++, rest = Math.floor(rest / wideMasks.length)) mask |= (wideMasks[rest % wideMasks.length] as number) << (3 * d);
    // LA57 with 4 KiB pages: every combination below a permissive PML5E, and every PML5E
    // above permissive lower levels (the same rules as 4-level, which runs exhaustively).
    const permissiveBelow = 0b011_011_011_011;
    if (mode === "x86-64-la57" && depthCount === 5 && (mask & 7) !== 3 && mask >> 3 !== permissiveBelow) continue;
    masks.push(mask);
  }
  const presentSets = varyPresent ? Array.from({ length: 2 ** depthCount }, (_, i) => i) : [2 ** depthCount - 1];
  for (const present of presentSets) {
    for (const mask of varyPresent ? [masks[masks.length - 1] as number, 0] : masks) {
      const path = Array.from({ length: depthCount }, (_, d) => bitsOf(mask, d, present));
      for (const wp of [false, true]) {
        for (const nxe of [false, true]) {
          mmu.setState({ cr0: CR0_PG | (wp ? CR0_WP : 0), efer: (long ? EFER_LME : 0) | (nxe ? EFER_NXE : 0) });
          for (let kind = 0; kind < 6; kind++) {
            const addresses = writePath(ram, mode, leafLevel, path, vaddr);
            const want = sdmOutcome(mode, path, kind, wp, nxe);
            const got = mmu.lookup(vaddr, kind);
            const gotText = got >= 0 ? "ok" : -1 - got;
            if (gotText !== want) {
              assert.fail(`${mode} leaf level ${String(leafLevel)}, ${KINDS[kind] ?? ""}, WP=${String(wp)} NXE=${String(nxe)}, path ${JSON.stringify(path)}: want ${String(want)}, got ${String(gotText)}`);
            }
            if (want === "ok") {
              const offsetBits = SHIFTS[mode][leafLevel] as number;
              const leafBase = leafLevel === 0 ? 0x5000 : 2 ** offsetBits;
              assert.equal(got, leafBase + (vaddr % 2 ** offsetBits), "physical address");
              const leaf = addresses[addresses.length - 1] as number;
              assert.equal(ram.read32(leaf) & 0x60, kind % 3 === 1 ? 0x60 : 0x20, "leaf A (and D on a write) after success");
            }
            checked++;
          }
        }
      }
    }
  }
  return checked;
}

describe("x86 fault matrix against the SDM reference", () => {
  for (const mode of ["x86", "x86-pae", "x86-64", "x86-64-la57"] as const) {
    for (const leafLevel of LEAF_LEVELS[mode]) {
      test(`${mode}, leaf at level ${String(leafLevel)}: every R/W, U/S, XD combination × kind × WP × NXE`, () => {
        const checked = runMatrix(mode, leafLevel, false);
        assert.ok(checked >= 24 * 4 ** (LEVELS[mode] - leafLevel), `checked ${String(checked)}`);
      });
      test(`${mode}, leaf at level ${String(leafLevel)}: every P combination`, () => {
        assert.ok(runMatrix(mode, leafLevel, true) > 0, "ran");
      });
    }
  }
});
