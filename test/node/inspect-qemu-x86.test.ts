import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { x86Codec } from "../../src/arch/x86/codec.js";
import { CR4_LA57, CR4_PAE, EFER_LME, EFER_NXE } from "../../src/arch/x86/entry64.js";
import { hex } from "../../src/format.js";
import { inspectTables } from "../../src/inspect/inspect.js";
import { toJson } from "../../src/inspect/render.js";
import { openDump } from "../../src/node/dump-file.js";
import { compareInspectWithQemu, parseInfoMemWide, parseInfoTlbWide } from "../../src/node/qemu/inspect-compare.js";
import { QmpSession } from "../../src/node/qemu/qmp.js";
import { findQemuTools } from "../../src/node/qemu/tools.js";
import { TableMapper } from "../../src/paging/table-mapper.js";
import { PhysicalMemory } from "../../src/ram.js";
import type { Attributes } from "../../src/types.js";
import { TestFrames } from "../arch/x86/support.js";

const GUEST = 0x10_0000;
const TABLES = 0x80_0000;
const TABLE_AREA = 0x10_0000;
const RAM_BYTES = 0x100_0000;
const CONFIG_OFFSET = 32;
const POLL_MS = 20;
const TIMEOUT_MS = 10_000;
const SOURCE = fileURLToPath(new URL("../../qemu/mode-guest.asm", import.meta.url));

const CODE: Attributes = { kernel: true, writable: false, cachable: true, executable: true };
const K_RX_G: Attributes = { kernel: true, writable: false, cachable: true, executable: true, global: true };
const K_RW: Attributes = { kernel: true, writable: true, cachable: true, executable: false, global: true };
const K_UC: Attributes = { kernel: true, writable: true, cachable: false, executable: false };
const U_RW: Attributes = { kernel: false, writable: true, cachable: true, executable: false };
const U_RX: Attributes = { kernel: false, writable: false, cachable: true, executable: true };

type Mode = "x86-pae" | "x86-64" | "x86-64-la57";

/** kmem's tables for `mode`: the guest's page identity-mapped, plus kernel, user, uncached and large pages. Returns the root and the leaf count. */
function buildTables(mode: Mode, ram: PhysicalMemory): { root: number; leaves: number } {
  const frames = new TestFrames(TABLES, TABLE_AREA / 4096);
  if (mode === "x86-pae") {
    const m = new TableMapper({ codec: x86Codec("x86-pae"), bus: ram, frames, largePages: true });
    const root = m.createRoot();
    m.map(GUEST, GUEST + 0x1000, GUEST, GUEST + 0x1000, CODE, root);
    m.map(0xc000_0000, 0xc040_0000, 0x20_0000, 0x60_0000, K_RX_G, root);
    m.map(0xd000_0000, 0xd000_4000, 0x60_0000, 0x60_4000, K_RW, root);
    m.map(0xe000_0000, 0xe000_1000, 0xfec0_0000, 0xfec0_1000, K_UC, root);
    m.map(0x40_0000, 0x40_3000, 0x70_0000, 0x70_3000, U_RW, root);
    m.map(0x80_0000, 0x80_1000, 0x70_3000, 0x70_4000, U_RX, root);
    return { root, leaves: 1 + 2 + 4 + 1 + 3 + 1 };
  }
  const m = new TableMapper({ codec: x86Codec(mode), bus: ram, frames, largePages: true });
  const root = m.createRoot();
  m.map(BigInt(GUEST), BigInt(GUEST + 0x1000), BigInt(GUEST), BigInt(GUEST + 0x1000), CODE, root);
  m.map(0xffff_ffff_8000_0000n, 0xffff_ffff_8040_0000n, 0x20_0000n, 0x60_0000n, K_RX_G, root);
  m.map(0xffff_8880_0000_0000n, 0xffff_8880_0000_4000n, 0n, 0x4000n, K_RW, root);
  m.map(0xffff_c900_0000_0000n, 0xffff_c900_4000_0000n, 0x4000_0000n, 0x8000_0000n, K_RW, root);
  m.map(0xffff_ffff_ff5f_c000n, 0xffff_ffff_ff5f_d000n, 0xfec0_0000n, 0xfec0_1000n, K_UC, root);
  m.map(0x40_0000n, 0x40_3000n, 0x70_0000n, 0x70_3000n, U_RW, root);
  m.map(0x7fff_ffff_f000n, 0x8000_0000_0000n, 0x70_3000n, 0x70_4000n, U_RX, root);
  return { root, leaves: 1 + 2 + 4 + 1 + 1 + 3 + 1 };
}

async function compareMode(mode: Mode): Promise<void> {
  const tools = findQemuTools();
  const ram = new PhysicalMemory(RAM_BYTES);
  const { root, leaves } = buildTables(mode, ram);
  const dir = mkdtempSync(join(tmpdir(), "kmem-x86-"));
  try {
    const guest = join(dir, "guest.bin");
    execFileSync(tools.nasm, ["-f", "bin", `-DGUEST_BASE=${hex(GUEST)}`, "-o", guest, SOURCE]);
    const image = new Uint8Array(readFileSync(guest));
    const config = new DataView(image.buffer, image.byteOffset + CONFIG_OFFSET, 12);
    config.setUint32(0, root, true);
    config.setUint32(4, CR4_PAE | (mode === "x86-64-la57" ? CR4_LA57 : 0), true);
    config.setUint32(8, EFER_NXE | (mode === "x86-pae" ? 0 : EFER_LME), true);
    writeFileSync(guest, image);
    writeFileSync(join(dir, "tables.bin"), ram.bytes.subarray(TABLES, TABLES + TABLE_AREA));
    const core = join(dir, "vm.core");
    const qemu = await QmpSession.start("qemu-system-x86_64", ["-M", "pc", "-accel", "tcg", "-cpu", "max", "-m", "32M", "-smp", "1", "-display", "none", "-nodefaults", "-no-reboot", "-no-shutdown",
      "-kernel", guest, "-device", `loader,file=${join(dir, "tables.bin")},addr=${hex(TABLES)},force-raw=on`]);
    let tlb = "";
    let mem: string | null = null;
    try {
      const deadline = Date.now() + TIMEOUT_MS;
      while ((await qemu.hmp("info tlb")).startsWith("PG disabled")) {
        if (Date.now() > deadline) throw new Error(`the guest did not enable paging within ${String(TIMEOUT_MS)} ms`);
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      await qemu.execute("stop");
      tlb = await qemu.hmp("info tlb");
      // QEMU 7.2's `info mem` never answers in 5-level paging; kmem's table entries grant
      // everything (P|RW|US), so there the leaf's bits from `info tlb` are the rights.
      if (mode !== "x86-64-la57") mem = await qemu.hmp("info mem");
      await qemu.execute("dump-guest-memory", { paging: false, protocol: `file:${core}` });
    } finally {
      qemu.close();
    }
    const dump = openDump(core);
    try {
      assert.equal(dump.target.mode.name, mode, "the mode detected from the core");
      assert.equal(dump.target.root, root);
      const json = toJson(inspectTables(dump.memory, dump.target).leaves, dump.target.mode, dump.target.root);
      const comparison = compareInspectWithQemu(json, parseInfoTlbWide(tlb), mem === null ? null : parseInfoMemWide(mem));
      assert.deepEqual(comparison.differences, [], "inspect and QEMU's info tlb differ");
      assert.equal(comparison.compared, leaves);
    } finally {
      dump.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("kmem inspect against QEMU's x86 MMU in PAE and long mode (info tlb), page by page", () => {
  for (const mode of ["x86-pae", "x86-64", "x86-64-la57"] as const) {
    test(`${mode}: the core's mode is detected, and every leaf has info tlb's frame, size and U/W/X/G/PCD/PWT`, async () => {
      await compareMode(mode);
    });
  }
});
