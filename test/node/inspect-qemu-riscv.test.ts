import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { riscvCodec } from "../../src/arch/riscv/codec.js";
import { SATP_MODE } from "../../src/arch/riscv/pte.js";
import type { RiscvModeName } from "../../src/arch/riscv/rules.js";
import type { PhysicalBus } from "../../src/bus.js";
import { hex } from "../../src/format.js";
import { inspectTables } from "../../src/inspect/inspect.js";
import { toJson } from "../../src/inspect/render.js";
import { openDump } from "../../src/node/dump-file.js";
import { QmpSession } from "../../src/node/qemu/qmp.js";
import { TableMapper } from "../../src/paging/table-mapper.js";
import { PhysicalMemory } from "../../src/ram.js";
import type { Attributes } from "../../src/types.js";
import { TestFrames } from "../arch/x86/support.js";

/** QEMU virt's DRAM base, where `-bios none` starts the hart. */
const DRAM = 0x8000_0000;
const IMAGE_BYTES = 2 * 1024 * 1024;
const PAGE = 4096;
const POLL_MS = 20;
const TIMEOUT_MS = 10_000;

/** Guest physical memory from DRAM: kmem's mapper writes tables through it at their real addresses. */
class DramBus implements PhysicalBus {
  readonly ram = new PhysicalMemory(IMAGE_BYTES);
  read8 = (a: number): number => this.ram.read8(a - DRAM);
  read16 = (a: number): number => this.ram.read16(a - DRAM);
  read32 = (a: number): number => this.ram.read32(a - DRAM);
  read64 = (a: number): bigint => this.ram.read64(a - DRAM);
  write8 = (a: number, v: number): void => this.ram.write8(a - DRAM, v);
  write16 = (a: number, v: number): void => this.ram.write16(a - DRAM, v);
  write32 = (a: number, v: number): void => this.ram.write32(a - DRAM, v);
  write64 = (a: number, v: bigint): void => this.ram.write64(a - DRAM, v);
}

/**
 * The guest, hand-assembled (M-mode, so nothing it runs is translated): load satp from the
 * word after the code, write it, spin. `auipc t0, 0; l{d,w} t0, 16(t0); csrw satp, t0; j .`
 */
function guestCode(satp: bigint, rv32: boolean): Uint8Array {
  const words = [0x0000_0297, rv32 ? 0x0102_a283 : 0x0102_b283, 0x1802_9073, 0x0000_006f];
  const out = new Uint8Array(24);
  const view = new DataView(out.buffer);
  words.forEach((w, i) => view.setUint32(i * 4, w, true));
  view.setBigUint64(16, satp, true);
  return out;
}

const K_RX: Attributes = { kernel: true, writable: false, cachable: true, executable: true, global: true };
const K_RW: Attributes = { kernel: true, writable: true, cachable: true, executable: false, global: true };
const U_RW: Attributes = { kernel: false, writable: true, cachable: true, executable: false };
const U_RX: Attributes = { kernel: false, writable: false, cachable: true, executable: true };

/** One 4 KiB page per key: `vaddr → "paddr rwxugad"`. */
type PageMap = Map<bigint, string>;

function qemuInfoMemPages(text: string): PageMap {
  const pages: PageMap = new Map();
  for (const line of text.split(/\r?\n/).map((l) => l.trim())) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) ([0-9a-f]+) ([-r][-w][-x][-u][-g][-a][-d])$/.exec(line);
    if (m === null) continue;
    const [vaddr, paddr, size] = [BigInt(`0x${m[1] ?? ""}`), BigInt(`0x${m[2] ?? ""}`), BigInt(`0x${m[3] ?? ""}`)];
    for (let off = 0n; off < size; off += BigInt(PAGE)) pages.set((vaddr + off) & ((1n << 64n) - 1n), `${hex(paddr + off)} ${m[4] ?? ""}`);
  }
  return pages;
}

function inspectPages(corePath: string, satp: bigint): { pages: PageMap; mode: string } {
  const dump = openDump(corePath, { satp });
  try {
    const json = toJson(inspectTables(dump.memory, dump.target).leaves, dump.target.mode, dump.target.root);
    const pages: PageMap = new Map();
    for (const m of json.mappings) {
      const bits = [["readable", "r"], ["writable", "w"], ["executable", "x"], ["user", "u"], ["global", "g"], ["accessed", "a"], ["dirty", "d"]].map(([k, c]) => (m[k ?? ""] === true ? c : "-")).join("");
      for (let off = 0; off < Number(m["size"]); off += PAGE) pages.set(BigInt(String(m["virt"])) + BigInt(off), `${hex(Number(m["phys"]) + off)} ${bits}`);
    }
    return { pages, mode: dump.target.mode.name };
  } finally {
    dump.close();
  }
}

async function compareMode(mode: RiscvModeName): Promise<void> {
  const rv32 = mode === "riscv-sv32";
  const bus = new DramBus();
  const frames = new TestFrames(DRAM + 0x10_0000, 200);
  const m32 = rv32 ? new TableMapper({ codec: riscvCodec("riscv-sv32"), bus, frames, largePages: true }) : null;
  const m64 = rv32 ? null : new TableMapper({ codec: riscvCodec(mode === "riscv-sv48" ? "riscv-sv48" : mode === "riscv-sv57" ? "riscv-sv57" : "riscv-sv39"), bus, frames, largePages: true });
  const root = m32?.createRoot() ?? m64?.createRoot() ?? 0;
  const map = (v0: bigint, v1: bigint, p0: number, p1: number, attrs: Attributes): void => {
    if (m32 !== null) m32.map(Number(v0), Number(v1), p0, p1, attrs, root);
    else m64?.map(v0, v1, BigInt(p0), BigInt(p1), attrs, root);
  };
  const top = rv32 ? 0xc000_0000n : (1n << 64n) - (1n << 30n);
  const large = rv32 ? 0x40_0000 : 0x20_0000;
  map(top, top + 0x8000n, DRAM, DRAM + 0x8000, K_RX);
  map(top + 0x10_0000n, top + 0x10_3000n, DRAM + 0x20_0000, DRAM + 0x20_3000, K_RW);
  map(top + BigInt(large) * 2n, top + BigInt(large) * 3n, DRAM + large * 2, DRAM + large * 3, K_RW);
  map(0x1_0000n, 0x1_4000n, DRAM + 0x30_0000, DRAM + 0x30_4000, U_RX);
  map(0x40_0000n, 0x40_2000n, 0x1000_0000, 0x1000_2000, U_RW);
  const satp = rv32 ? (1n << 31n) | BigInt(root / PAGE) : (BigInt(SATP_MODE[mode === "riscv-sv39" ? "sv39" : mode === "riscv-sv48" ? "sv48" : "sv57"]) << 60n) | BigInt(root / PAGE);
  bus.ram.bytes.set(guestCode(satp, rv32), 0);
  const dir = mkdtempSync(join(tmpdir(), "kmem-riscv-"));
  try {
    const image = join(dir, "image.bin");
    const core = join(dir, "vm.core");
    writeFileSync(image, bus.ram.bytes);
    const qemu = await QmpSession.start(rv32 ? "qemu-system-riscv32" : "qemu-system-riscv64", ["-M", "virt", "-accel", "tcg", "-smp", "1", "-m", "128M", "-display", "none", "-nodefaults", "-bios", "none", "-device", `loader,file=${image},addr=${hex(DRAM)},force-raw=on`]);
    let mem = "";
    try {
      const deadline = Date.now() + TIMEOUT_MS;
      for (;;) {
        mem = await qemu.hmp("info mem");
        if (!mem.includes("No translation")) break;
        if (Date.now() > deadline) throw new Error(`the guest did not set satp within ${String(TIMEOUT_MS)} ms`);
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      await qemu.execute("stop");
      mem = await qemu.hmp("info mem");
      await qemu.execute("dump-guest-memory", { paging: false, protocol: `file:${core}` });
    } finally {
      qemu.close();
    }
    const theirs = qemuInfoMemPages(mem);
    const ours = inspectPages(core, satp);
    assert.equal(ours.mode, mode);
    const differences = [...new Set([...theirs.keys(), ...ours.pages.keys()])].filter((v) => theirs.get(v) !== ours.pages.get(v)).map((v) => `${hex(v, 16)}: kmem ${ours.pages.get(v) ?? "unmapped"}, QEMU ${theirs.get(v) ?? "unmapped"}`);
    assert.deepEqual(differences, [], "inspect and QEMU's info mem differ");
    assert.equal(ours.pages.size, 8 + 3 + large / PAGE + 4 + 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("kmem inspect against QEMU's RISC-V MMU (info mem), page by page", () => {
  for (const mode of ["riscv-sv32", "riscv-sv39", "riscv-sv48", "riscv-sv57"] as const) {
    test(`${mode}: a dump-guest-memory core with --satp lists exactly info mem's pages, frames and rwxugad bits`, async () => {
      await compareMode(mode);
    });
  }
});
