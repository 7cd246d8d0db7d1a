import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { RiscvMmu } from "../../../src/arch/riscv/cpu.js";
import { PhysicalMemory } from "../../../src/ram.js";

/**
 * Every combination of a leaf's R, W, X, U, A, D × the pointer entries' U, A, D × the six
 * access kinds (load/store/fetch × S/U) × SUM × MXR × Svade/Svadu, with the leaf at every
 * level, checked against `specOutcome`: a reference written from the RISC-V privileged spec
 * §10.3.2 (the translation process) and §10.1.1 (SUM, MXR), independent of the MMU. Sv32 and
 * Sv39 vary every pointer level at once; Sv48 and Sv57 (the same rules over more levels)
 * vary one pointer level at a time, to keep the run short.
 */

interface Pte {
  readonly r: boolean;
  readonly w: boolean;
  readonly x: boolean;
  readonly u: boolean;
  readonly a: boolean;
  readonly d: boolean;
}

type Outcome = "ok" | 12 | 13 | 15;

/** Spec §10.3.2, steps 2–8, for a path root first whose last entry is meant as the leaf. */
function specOutcome(path: readonly Pte[], kind: number, sum: boolean, mxr: boolean, svade: boolean): Outcome {
  const op = kind % 3;
  const user = kind >= 3;
  const fault: Outcome = op === 0 ? 13 : op === 1 ? 15 : 12;
  for (let i = 0; i < path.length; i++) {
    const e = path[i] as Pte;
    // Step 3: W without R is reserved (V is always set in this matrix).
    if (!e.r && e.w) return fault;
    // Step 4: not a leaf: D, A, U are reserved in pointers; a pointer at level 0 faults, and so
    // does one where the leaf was meant (it points at a table of invalid entries).
    if (!e.r && !e.x) {
      if (e.u || e.a || e.d || i === path.length - 1) return fault;
      continue;
    }
    // Step 5: the leaf's permissions for the privilege, SUM and MXR.
    if (user && !e.u) return fault;
    if (!user && e.u && (!sum || op === 2)) return fault;
    const allowed = op === 0 ? e.r || (mxr && e.x) : op === 1 ? e.w : e.x;
    if (!allowed) return fault;
    // Step 7: Svade faults on A = 0, or D = 0 for a store.
    if (svade && (!e.a || (op === 1 && !e.d))) return fault;
    return "ok";
  }
  return fault;
}

const pteOf = (bits: number): Pte => ({ r: (bits & 1) !== 0, w: (bits & 2) !== 0, x: (bits & 4) !== 0, u: (bits & 8) !== 0, a: (bits & 16) !== 0, d: (bits & 32) !== 0 });
const pointerOf = (bits: number): Pte => ({ r: false, w: false, x: false, u: (bits & 1) !== 0, a: (bits & 2) !== 0, d: (bits & 4) !== 0 });

function encode(e: Pte, ppn: number, wide: boolean): [number, number] {
  const flags = 1 | (e.r ? 2 : 0) | (e.w ? 4 : 0) | (e.x ? 8 : 0) | (e.u ? 16 : 0) | (e.a ? 64 : 0) | (e.d ? 128 : 0);
  const low = wide ? ppn % 2 ** 22 : ppn;
  return [(low * 1024 + flags) >>> 0, wide ? Math.floor(ppn / 2 ** 22) : 0];
}

function run(levels: 2 | 3 | 4 | 5, leafLevel: number, allPointerCombos: boolean): number {
  const wide = levels > 2;
  const bits = wide ? 9 : 10;
  const ram = new PhysicalMemory(0x20000);
  const depth = levels - leafLevel;
  // Index 1 at every level of the walk; the leaf's own offset bits 0x123.
  let vaddr = 0x123;
  for (let level = leafLevel; level < levels; level++) vaddr += 2 ** (12 + bits * level);
  const leafPpn = 2 ** (bits * leafLevel) * 3;
  const mmus = [false, true].map((svade) => new RiscvMmu({ bus: ram, xlen: wide ? 64 : 32, tlbEntries: 0, svade, state: { satp: wide ? (BigInt(levels + 5) << 60n) | 0x10n : 0x80000010 } }));
  const pointerSets: Pte[][] = [];
  if (allPointerCombos) {
    for (let c = 0; c < 8 ** (depth - 1); c++) pointerSets.push(Array.from({ length: depth - 1 }, (_, i) => pointerOf(Math.floor(c / 8 ** i) % 8)));
  } else {
    for (let level = 0; level < depth - 1; level++) for (let b = 0; b < 8; b++) pointerSets.push(Array.from({ length: depth - 1 }, (_, i) => pointerOf(i === level ? b : 0)));
    if (pointerSets.length === 0) pointerSets.push([]);
  }
  let checked = 0;
  for (const pointers of pointerSets) {
    for (let leafBits = 0; leafBits < 64; leafBits++) {
      const path = [...pointers, pteOf(leafBits)];
      for (const [s, mmu] of mmus.entries()) {
        const svade = s === 1;
        for (const sstatus of [0, 1 << 18, 1 << 19, (1 << 18) | (1 << 19)]) {
          mmu.setState({ sstatus });
          for (let kind = 0; kind < 6; kind++) {
            const addresses: number[] = [];
            path.forEach((e, i) => {
              const table = 0x10000 + i * 0x1000;
              const address = table + (wide ? 8 : 4);
              // A "leaf" without R, W, X is a pointer: aim it at an all-invalid table (0x18000).
              const isLast = i === path.length - 1;
              const [lo, hi] = encode(e, !isLast ? 0x11 + i : e.r || e.w || e.x ? leafPpn : 0x18, wide);
              ram.write32(address, lo);
              if (wide) ram.write32(address + 4, hi);
              addresses.push(address);
            });
            const want = specOutcome(path, kind, (sstatus & (1 << 18)) !== 0, (sstatus & (1 << 19)) !== 0, svade);
            const got = mmu.lookup(vaddr, kind);
            const gotOutcome = got >= 0 ? "ok" : -1 - got;
            if (gotOutcome !== want) {
              assert.fail(`Sv${String(levels === 2 ? 32 : 12 + 9 * levels)} leaf level ${String(leafLevel)} kind ${String(kind)} sstatus 0x${sstatus.toString(16)} svade ${String(svade)} path ${JSON.stringify(path)}: want ${String(want)}, got ${String(gotOutcome)}`);
            }
            if (want === "ok") {
              assert.equal(got, leafPpn * 4096 + (vaddr % 2 ** (12 + bits * leafLevel)), "physical address");
              const leaf = ram.read32(addresses[addresses.length - 1] as number);
              const e = path[path.length - 1] as Pte;
              assert.equal((leaf >> 6) & 1, 1, "A set (or already set)");
              assert.equal((leaf >> 7) & 1, e.d || kind % 3 === 1 ? 1 : 0, "D set by a store only");
            }
            checked++;
          }
        }
      }
    }
  }
  return checked;
}

describe("RISC-V fault matrix against the privileged spec", () => {
  for (const [levels, all] of [[2, true], [3, true], [4, false], [5, false]] as const) {
    for (let leafLevel = 0; leafLevel < levels; leafLevel++) {
      test(`Sv${String(levels === 2 ? 32 : 12 + 9 * levels)}, leaf at level ${String(leafLevel)}: R W X U A D × pointer U A D × kind × SUM × MXR × Svade`, () => {
        assert.ok(run(levels, leafLevel, all) >= 64 * 48, "ran the matrix");
      });
    }
  }
});
