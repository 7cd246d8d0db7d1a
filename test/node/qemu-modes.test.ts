import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { riscvCodec } from "../../src/arch/riscv/codec.js";
import { x86Codec } from "../../src/arch/x86/codec.js";
import type { PhysicalBus } from "../../src/bus.js";
import { listMappings } from "../../src/paging/mappings.js";
import type { EntryCodec } from "../../src/paging/mode.js";
import { TableMapper } from "../../src/paging/table-mapper.js";
import { PhysicalMemoryManager } from "../../src/pmm.js";
import { PhysicalMemory } from "../../src/ram.js";
import type { Address, Attributes } from "../../src/types.js";
import { VirtualMemoryManager } from "../../src/vmm.js";
import { checkModeWithQemu, type ModeCheckResult, type QemuCheckedMode } from "../../src/node/qemu/mode-verify.js";
import { defaultProfilePath, readAnyProfileFile } from "../../src/node/profile-file.js";
import { verifyModeProfile } from "../../src/cli/commands/verify-qemu-mode.js";

const MIB = 0x10_0000;
const SEED = 1;
const RISCV_DRAM = 0x8000_0000;

/** RAM from a physical base: the tables live at their real addresses (RISC-V virt's DRAM starts at 2 GiB). */
class RamAt implements PhysicalBus {
  readonly ram: PhysicalMemory;
  constructor(readonly base: number, bytes: number) {
    this.ram = new PhysicalMemory(bytes);
  }
  read8 = (a: number): number => this.ram.read8(a - this.base);
  read16 = (a: number): number => this.ram.read16(a - this.base);
  read32 = (a: number): number => this.ram.read32(a - this.base);
  read64 = (a: number): bigint => this.ram.read64(a - this.base);
  write8 = (a: number, v: number): void => this.ram.write8(a - this.base, v);
  write16 = (a: number, v: number): void => this.ram.write16(a - this.base, v);
  write32 = (a: number, v: number): void => this.ram.write32(a - this.base, v);
  write64 = (a: number, v: bigint): void => this.ram.write64(a - this.base, v);
}

interface ModeSetup {
  readonly ramBase: number;
  readonly ramBytes: number;
  readonly vmmStart: bigint;
  readonly vmmEnd: bigint;
  /** A large page's size for aligned allocations and device `set`s. */
  readonly large: number;
  /** Device memory (outside RAM) for `set`. */
  readonly device: bigint;
}

const SETUPS: Record<QemuCheckedMode, ModeSetup> = {
  "x86-pae": { ramBase: 0, ramBytes: 32 * MIB, vmmStart: 0xc000_0000n, vmmEnd: 1n << 32n, large: 2 * MIB, device: 0x1_0000_0000n },
  "x86-64": { ramBase: 0, ramBytes: 32 * MIB, vmmStart: 0xffff_8000_0000_0000n, vmmEnd: 1n << 64n, large: 2 * MIB, device: 0x1_0000_0000n },
  "x86-64-la57": { ramBase: 0, ramBytes: 32 * MIB, vmmStart: 0xff00_0000_0000_0000n, vmmEnd: 1n << 64n, large: 2 * MIB, device: 0x1_0000_0000n },
  "riscv-sv32": { ramBase: RISCV_DRAM, ramBytes: 32 * MIB, vmmStart: 0xc000_0000n, vmmEnd: 1n << 32n, large: 4 * MIB, device: 0x1_0000_0000n },
  "riscv-sv39": { ramBase: RISCV_DRAM, ramBytes: 32 * MIB, vmmStart: 0xffff_ffc0_0000_0000n, vmmEnd: 1n << 64n, large: 2 * MIB, device: 0x1_0000_0000n },
  "riscv-sv48": { ramBase: RISCV_DRAM, ramBytes: 32 * MIB, vmmStart: 0xffff_8000_0000_0000n, vmmEnd: 1n << 64n, large: 2 * MIB, device: 0x1_0000_0000n },
  "riscv-sv57": { ramBase: RISCV_DRAM, ramBytes: 32 * MIB, vmmStart: 0xff00_0000_0000_0000n, vmmEnd: 1n << 64n, large: 2 * MIB, device: 0x1_0000_0000n },
};

const K_RX: Attributes = { kernel: true, writable: false, cachable: true, executable: true, global: true };
const K_RW: Attributes = { kernel: true, writable: true, cachable: true, executable: false, global: true };
const K_UC: Attributes = { kernel: true, writable: true, cachable: false, executable: false };
const U_RW: Attributes = { kernel: false, writable: true, cachable: true, executable: false };
const U_RX: Attributes = { kernel: false, writable: false, cachable: true, executable: true };

interface Built {
  readonly bus: RamAt;
  readonly root: number;
  readonly codec: EntryCodec<Address>;
}

/**
 * kmem's stack for `mode`, as a kernel builds it: a PMM over [0, RAM end) with everything
 * below RAM (and its first MiB) reserved, the mode's TableMapper with large pages, a kernel
 * VMM; a few mappings of every kind.
 */
function build(mode: QemuCheckedMode): Built {
  const s = SETUPS[mode];
  const bus = new RamAt(s.ramBase, s.ramBytes);
  const end = s.ramBase + s.ramBytes;
  const pmm = new PhysicalMemoryManager({ memoryBytes: end, reserved: [{ start: 0, end: s.ramBase + MIB }] });
  const common = { bus, frames: pmm, largePages: true };
  const setVirt = s.vmmEnd - BigInt(32 * s.large);
  if (mode === "x86-pae" || mode === "riscv-sv32") {
    const mapper = mode === "x86-pae" ? new TableMapper({ codec: x86Codec(mode), ...common }) : new TableMapper({ codec: riscvCodec(mode), ...common });
    const root = mapper.createRoot();
    const vmm = new VirtualMemoryManager({ start: Number(s.vmmStart), end: Number(s.vmmEnd), pmm, mapper, payload: root });
    vmm.alloc(3, K_RX);
    vmm.alloc(2, K_RW);
    vmm.alloc(s.large / 4096, K_RW, { align: s.large });
    vmm.alloc(1, K_UC);
    vmm.alloc(4, U_RW);
    vmm.alloc(1, U_RX);
    const [virt, phys] = [Number(setVirt), Number(s.device)];
    vmm.set({ start: virt, end: virt + s.large }, { start: phys, end: phys + s.large }, K_UC);
    return { bus, root, codec: mapper.codec as EntryCodec<Address> };
  }
  const mapper = mode.startsWith("x86") ? new TableMapper({ codec: x86Codec(mode as "x86-64"), ...common }) : new TableMapper({ codec: riscvCodec(mode as "riscv-sv39"), ...common });
  const root = mapper.createRoot();
  const vmm = new VirtualMemoryManager({ start: s.vmmStart, end: s.vmmEnd, pmm, mapper, payload: root });
  vmm.alloc(3, K_RX);
  vmm.alloc(2, K_RW);
  vmm.alloc(s.large / 4096, K_RW, { align: s.large });
  vmm.alloc(1, K_UC);
  vmm.alloc(4, U_RW);
  vmm.alloc(1, U_RX);
  const large = BigInt(s.large);
  vmm.set({ start: setVirt, end: setVirt + large }, { start: s.device, end: s.device + large }, K_UC);
  return { bus, root, codec: mapper.codec as EntryCodec<Address> };
}

async function check(mode: QemuCheckedMode, built: Built): Promise<{ result: ModeCheckResult; leaves: number }> {
  const expected = listMappings(built.codec, built.bus, built.root);
  const s = SETUPS[mode];
  const result = await checkModeWithQemu({ mode, bus: built.bus, root: built.root, memoryEnd: s.ramBase + s.ramBytes, expected });
  return { result, leaves: expected.length };
}

describe("verify-qemu in every mode but 32-bit x86: QEMU lists exactly kmem's pages with their bits, and its accesses match kmem's MMU", () => {
  for (const mode of ["x86-64", "riscv-sv32", "riscv-sv39"] as const) {
    test(`${mode}: a hand-built PMM + TableMapper + VMM with kernel, user, uncached, read-only, no-execute, 2 MiB/4 MiB and device pages agrees with QEMU`, async () => {
      const built = build(mode);
      const { result, leaves } = await check(mode, built);
      assert.deepEqual(result.differences, [], `QEMU (${result.source}) and kmem differ`);
      assert.deepEqual(result.probes?.differences ?? [], [], "QEMU's accesses and kmem's MMU differ");
      assert.ok(result.probes !== null && result.probes.count >= 13 * 5 && result.probes.faulted > 0, `probes ran: ${JSON.stringify(result.probes)}`);
      assert.equal(result.ok, true);
      assert.ok(leaves >= 13, `expected at least 13 leaves, got ${String(leaves)}`);
      const sizes = new Set(listMappings(built.codec, built.bus, built.root).map((m) => m.size));
      assert.deepEqual([...sizes].sort((a, b) => a - b), [4096, SETUPS[mode].large], "4 KiB and large leaves");
      assert.ok(result.compared > 0 && result.compared <= leaves, `compared ${String(result.compared)} of ${String(leaves)}`);
    });
  }

  for (const mode of Object.keys(SETUPS) as QemuCheckedMode[]) {
    test(`${mode}: the default profile (profiles/${mode}.json) agrees with QEMU, then again after 10^4 random alloc/set/free operations (seed ${String(SEED)})`, async () => {
      const read = readAnyProfileFile(defaultProfilePath(mode));
      assert.ok(read.arch === mode, `profiles/${mode}.json names its arch`);
      const plain = await verifyModeProfile(read.profile, { largePages: false, random: null });
      assert.deepEqual([...plain.result.differences, ...(plain.result.probes?.differences ?? [])], [], `QEMU (${plain.result.source}) and kmem differ on the default profile`);
      assert.equal(plain.result.ok, true);
      const run = await verifyModeProfile(read.profile, { largePages: false, random: { count: 10_000, seed: SEED } });
      const { random, result } = run;
      // ~5000 allocations (some refused for want of memory), ~4000 frees, ~150 device sets.
      assert.ok(random !== null && random.allocs > 3000 && random.frees > 2500 && random.sets - random.refusedSets > 50, `operations ran: ${JSON.stringify(random)}`);
      assert.deepEqual(result.differences, [], `QEMU (${result.source}) and kmem differ after the random operations`);
      assert.deepEqual(result.probes?.differences ?? [], [], "QEMU's accesses and kmem's MMU differ");
      assert.ok(result.compared > plain.result.compared, `more compared after the operations (${String(result.compared)} > ${String(plain.result.compared)})`);
      if (mode !== "x86-pae") assert.ok(result.probes !== null && result.probes.count > 200 && result.probes.faulted > 0, `accesses made: ${JSON.stringify(result.probes)}`);
    });
  }

  for (const mode of ["x86-64", "riscv-sv39"] as const) {
    test(`${mode}: a leaf changed behind kmem's list (W cleared) is reported at its address`, async () => {
      const built = build(mode);
      const expected = listMappings(built.codec, built.bus, built.root);
      const target = expected.find((m) => m.writable && m.size === 4096);
      assert.ok(target !== undefined, "a writable 4 KiB page");
      const flipped = expected.map((m) => (m === target ? { ...m, writable: false } : m));
      const s = SETUPS[mode];
      const result = await checkModeWithQemu({ mode, bus: built.bus, root: built.root, memoryEnd: s.ramBase + s.ramBytes, expected: flipped });
      assert.equal(result.ok, false);
      // x86 compares leaf by leaf; RISC-V run by run, so the run around the page splits too.
      assert.ok(result.differences.length >= 1 && result.differences.length <= 3, result.differences.join("\n"));
      assert.match(result.differences[0] ?? "", new RegExp(`^0x${BigInt.asUintN(64, BigInt(target.virt)).toString(16).toUpperCase()}: kmem \\S+( \\S+)? [-rU]-`));
    });
  }
});
