import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { CR0_PG, CR0_WP, CR4_LA57, CR4_PAE, EFER_LMA, EFER_LME, EFER_NXE } from "../../src/arch/x86/entry64.js";
import { RiscvMmu } from "../../src/arch/riscv/cpu.js";
import { bootMode, type ModeMachine } from "../../src/boot/mode-boot.js";
import { selfCheckMode } from "../../src/boot/mode-check.js";
import { describeModeMachine, exportModeMachine } from "../../src/boot/mode-describe.js";
import { planModeLayout } from "../../src/boot/mode-layout.js";
import { type ModeProfile, profileArch, readModeProfile } from "../../src/boot/mode-profile.js";
import { MODE_SPECS, PAGING_MODES, type PagingModeName } from "../../src/boot/modes.js";
import { parseProfile } from "../../src/boot/profile.js";
import { ProfileError } from "../../src/boot/profile-error.js";
import { DEFAULT_PROFILE } from "../../src/boot/default-profile.js";
import { GEOMETRIES, levelShift } from "../../src/paging/geometry.js";

const PROFILES = fileURLToPath(new URL("../../profiles/", import.meta.url));

function rawProfile(mode: string): Record<string, unknown> {
  return JSON.parse(readFileSync(`${PROFILES}${mode}.json`, "utf8")) as Record<string, unknown>;
}

function shipped(mode: PagingModeName): ModeProfile {
  return readModeProfile(rawProfile(mode));
}

/** A virtual address in the machine's own type (bigint in 64-bit modes). */
function vaddrOf(machine: ModeMachine, address: bigint): bigint | number {
  return machine.spec.wide ? address : Number(address);
}

/**
 * A walk written from the specs alone, over the raw bytes: x86 P (bit 0), PS (bit 7) above the
 * leaf table, the frame in bits 12–51; RISC-V V (bit 0), a leaf when any of R/W/X (bits 1–3) is
 * set, PPN from bit 10. Returns the physical address, or null when the walk stops.
 */
function naiveWalk(machine: ModeMachine, vaddr: bigint): number | null {
  const g = GEOMETRIES[machine.arch];
  const riscv = machine.spec.family === "riscv";
  const bytes = exportModeMachine(machine).ram;
  const base = machine.layout.ramBase;
  const read = (address: number): bigint => {
    let value = 0n;
    for (let i = g.entryBytes - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[address - base + i] ?? 0);
    return value;
  };
  let table = machine.root;
  for (let level = g.levels - 1; level >= 0; level--) {
    const shift = BigInt(levelShift(g, level));
    const index = Number((vaddr >> shift) & ((1n << BigInt(g.indexBits[level] ?? 0)) - 1n));
    const entry = read(table + index * g.entryBytes);
    if ((entry & 1n) === 0n) return null;
    const address = riscv ? ((entry >> 10n) & ((1n << 44n) - 1n)) << 12n : entry & 0x000f_ffff_ffff_f000n;
    const leaf = riscv ? (entry & 0xen) !== 0n : level === 0 || (entry & 0x80n) !== 0n;
    if (leaf) {
      const span = 1n << shift;
      return Number(address - (address % span) + (vaddr % span));
    }
    table = Number(address);
  }
  return null;
}

describe("bootMode: the shipped profile of every mode", () => {
  for (const mode of PAGING_MODES) {
    test(`${mode}: boots, passes its self-check, and translates the kernel's first byte as the MMU and a naive walk do`, () => {
      const profile = shipped(mode);
      const machine = bootMode(profile);
      const report = selfCheckMode(machine);
      assert.deepEqual(report.failures, [], `${mode} self-check failures`);
      assert.equal(report.ok, true);
      const required = machine.layout.mappings.reduce((sum, m) => sum + Number(m.virtual.end - m.virtual.start) / 4096, 0);
      assert.equal(report.blocksRequired, required, "every block of every mapping is checked");
      assert.equal(machine.space.vmm.blocksUsed, required, "the VMM has exactly the required blocks set");

      const first = profile.kernel.virtStart;
      assert.equal(machine.mmu.translate(vaddrOf(machine, first)), profile.kernel.physStart, "the MMU maps the kernel's first byte to its load address");
      assert.equal(naiveWalk(machine, first), profile.kernel.physStart, "the naive walk agrees");
      const walk = machine.mmu.walk(vaddrOf(machine, first));
      assert.equal(walk.physical, profile.kernel.physStart);
      assert.equal(walk.steps.length, GEOMETRIES[mode].levels, "a 4 KiB kernel page is walked through every level");
      assert.deepEqual(
        walk.steps.map((s) => s.level),
        [...Array(GEOMETRIES[mode].levels).keys()].reverse(),
        "the walk goes root first",
      );
    });
  }
});

describe("bootMode: registers", () => {
  test("x86-64 and LA57 run with CR0.PG|WP, CR4.PAE (+LA57) and EFER.LME|LMA|NXE, CR3 the root", () => {
    for (const mode of ["x86-64", "x86-64-la57"] as const) {
      const machine = bootMode(shipped(mode));
      const r = machine.registers;
      assert.ok("cr0" in r, "x86 registers");
      assert.equal((r.cr0 & (CR0_PG | CR0_WP)) >>> 0, (CR0_PG | CR0_WP) >>> 0, "CR0.PG and CR0.WP");
      assert.equal(r.cr3, machine.root);
      assert.equal(r.cr4 & (CR4_PAE | CR4_LA57), CR4_PAE | (mode === "x86-64-la57" ? CR4_LA57 : 0));
      assert.equal(r.efer, EFER_LME | EFER_LMA | EFER_NXE);
    }
  });

  test("PAE runs with CR4.PAE and EFER.NXE, without long mode", () => {
    const r = bootMode(shipped("x86-pae")).registers;
    assert.ok("cr4" in r, "x86 registers");
    assert.equal(r.cr4 & CR4_PAE, CR4_PAE);
    assert.equal(r.efer, EFER_NXE);
  });

  test("RISC-V satp holds the mode and the root's PPN; the PMM reserves everything below RAM", () => {
    const expected: Record<string, bigint> = { "riscv-sv32": 1n, "riscv-sv39": 8n, "riscv-sv48": 9n, "riscv-sv57": 10n };
    for (const mode of ["riscv-sv32", "riscv-sv39", "riscv-sv48", "riscv-sv57"] as const) {
      const machine = bootMode(shipped(mode));
      const r = machine.registers;
      assert.ok("satp" in r, "RISC-V registers");
      const modeShift = mode === "riscv-sv32" ? 31n : 60n;
      assert.equal(r.satp >> modeShift, expected[mode], `${mode} satp.MODE`);
      const ppnMask = mode === "riscv-sv32" ? 0x3f_ffffn : 0xfff_ffff_ffffn;
      assert.equal(Number(r.satp & ppnMask), machine.root / 4096, `${mode} satp.PPN`);
      assert.equal(machine.layout.ramBase, 0x8000_0000);
      assert.ok(machine.root >= 0x8000_0000, "the root lies in RAM");
      assert.equal(machine.pmm.isSet(0), true, "physical block 0 (below RAM) is reserved");
      assert.equal(machine.pmm.isSet(0x7fff_f000), true, "the last block below RAM is reserved");
    }
  });
});

describe("bootMode: the direct map", () => {
  test("x86-64 maps all RAM at 0xFFFF888000000000 with 2 MiB no-execute pages, taking no block from the PMM", () => {
    const machine = bootMode(shipped("x86-64"));
    const walk = machine.mmu.walk(0xffff_8880_0123_4567n);
    assert.equal(walk.physical, 0x0123_4567);
    assert.equal(walk.pageSize, 0x20_0000);
    assert.throws(() => machine.mmu.translate(0xffff_8880_0123_4567n, { fetch: true }), /execut/i, "the direct map is not executable");
    const withoutDirect = bootMode({ ...shipped("x86-64"), directMap: undefined } as unknown as ModeProfile);
    assert.equal(machine.pmm.blocksFree(), withoutDirect.pmm.blocksFree() - (machine.space.mapper.tables(machine.root).length - withoutDirect.space.mapper.tables(withoutDirect.root).length), "only the direct map's page tables are taken");
  });

  test("Sv39 maps RAM from its base 0x80000000 at 0xFFFFFFD800000000", () => {
    const machine = bootMode(shipped("riscv-sv39"));
    assert.equal(machine.mmu.translate(0xffff_ffd8_0000_1000n), 0x8000_1000);
    assert.equal(machine.mmu.translate(0xffff_ffd8_07ff_fff8n), 0x87ff_fff8);
    assert.equal(naiveWalk(machine, 0xffff_ffd8_0000_1000n), 0x8000_1000);
  });

  test("a user-mode access to a kernel page faults on RISC-V", () => {
    const machine = bootMode(shipped("riscv-sv39"));
    assert.ok(machine.mmu instanceof RiscvMmu, "a RISC-V MMU");
    machine.mmu.setState({ priv: "U" });
    assert.ok(machine.mmu.tryTranslate(0xffff_ffff_8000_0000n) < 0, "U-mode cannot read a supervisor page");
  });
});

describe("selfCheckMode", () => {
  test("reports a cleared leaf as a fault and leaves RAM unchanged", () => {
    const machine = bootMode(shipped("x86-64"));
    const walk = machine.mmu.walk(0xffff_ffff_8100_0000n);
    const leaf = walk.steps[walk.steps.length - 1];
    assert.ok(leaf !== undefined, "the walk has a leaf");
    machine.ram.write32(leaf.entryAddress, 0);
    machine.ram.write32(leaf.entryAddress + 4, 0);
    const before = machine.ram.memory.bytes.slice();
    const report = selfCheckMode(machine);
    assert.equal(report.ok, false);
    assert.equal(report.failures[0]?.problem, "fault");
    assert.equal(report.failures[0]?.address, 0xffff_ffff_8100_0000n);
    assert.deepEqual(machine.ram.memory.bytes, before, "the check restores RAM");
  });
});

describe("selfCheckMode finds what the profile does not ask for", () => {
  test("a block allocated after boot is reported as unexpected-set, at its address", () => {
    const machine = bootMode(shipped("riscv-sv39"));
    assert.ok(machine.space.wide, "Sv39 has a bigint VMM");
    const at = machine.space.vmm.alloc(2, { kernel: true, writable: true, cachable: true });
    assert.ok(at !== null, "the VMM has room");
    const report = selfCheckMode(machine);
    const unexpected = report.failures.filter((f) => f.problem === "unexpected-set");
    assert.deepEqual(unexpected.map((f) => f.address), [at]);
    assert.equal(report.failures.some((f) => f.problem === "unexpected-mapping"), true, "its pages are mapped where the profile maps nothing");
  });
});

describe("describeModeMachine and exportModeMachine", () => {
  test("64-bit modes write virtual addresses and registers as 0x… strings, physical ones as numbers", () => {
    const machine = bootMode(shipped("x86-64"));
    const json = describeModeMachine(machine, selfCheckMode(machine));
    assert.equal(json.arch, "x86-64");
    assert.deepEqual(json.registers, { cr0: "0x80010001", cr3: "0x00001000", cr4: "0x00000020", efer: "0x00000D00" });
    assert.deepEqual(json.vmm.start, "0xFFFF800000000000");
    const kernel = json.regions.find((r) => r.label === "kernel image");
    assert.deepEqual(kernel && { virtStart: kernel.virtStart, physStart: kernel.physStart }, { virtStart: "0xFFFFFFFF81000000", physStart: 0x0100_0000 });
    assert.equal(JSON.parse(JSON.stringify(json)).regions.length, json.regions.length, "the object serialises (no bigint left)");
  });

  test("32-bit modes write numbers", () => {
    const machine = bootMode(shipped("riscv-sv32"));
    const json = describeModeMachine(machine, selfCheckMode(machine));
    assert.equal(json.vmm.start, 0x1000);
    assert.equal(typeof json.regions[0]?.virtStart, "number");
    assert.match(json.registers.satp ?? "", /^0x[0-9A-F]{8}$/);
  });

  test("machine.json names the arch, registers and regions; ram.bin is RAM from ramBase", () => {
    const machine = bootMode(shipped("riscv-sv39"));
    const { ram, machine: json } = exportModeMachine(machine);
    assert.deepEqual(Object.keys(json), ["arch", "memoryBytes", "ramBase", "registers", "root", "regions"]);
    assert.equal(json.arch, "riscv-sv39");
    assert.equal(ram.length, json.memoryBytes - json.ramBase);
    assert.equal(json.registers.satp, `0x${((8n << 60n) | BigInt(machine.root / 4096)).toString(16).toUpperCase()}`);
    assert.equal(json.regions.length, machine.regions.length);
    assert.equal(ram[machine.root - json.ramBase + 0xff0], machine.ram.read8(machine.root + 0xff0), "ram.bin is the machine's RAM at its offset");
  });
});

describe("mode profiles", () => {
  test("profileArch reads arch, x86 when absent, and refuses an unknown one in one line", () => {
    assert.equal(profileArch({}), "x86");
    assert.equal(profileArch({ arch: "riscv-sv48" }), "riscv-sv48");
    assert.throws(() => profileArch({ arch: "arm64" }), (e: unknown) => e instanceof ProfileError && /^arch "arm64" is not a paging mode/.test(e.message) && !e.message.includes("\n"));
  });

  test("an x86 profile may say arch x86 and parses as without it; another arch is not x86", () => {
    assert.deepEqual(parseProfile({ ...DEFAULT_PROFILE, arch: "x86" }), parseProfile(DEFAULT_PROFILE));
    assert.throws(() => parseProfile({ ...DEFAULT_PROFILE, arch: "x86-64" }), /arch "x86-64" is not 32-bit x86/);
  });

  test("a kernel outside the kernel half is refused, naming the field", () => {
    const raw = rawProfile("x86-64");
    const kernel = { ...(raw.kernel as object), virtStart: "0x0000_7FFF_0000_0000", virtEnd: "0x0000_7FFF_0060_37C0" };
    assert.throws(() => planModeLayout(readModeProfile({ ...raw, kernel })), /^ProfileError: kernel\.virtStart 0x7FFF00000000 puts kernel 0x7FFF00000000–0x7FFF00704000 outside the kernel VMM 0xFFFF800000000000–0x10000000000000000 of x86-64$/);
  });

  test("an address above 2^53 written as a JSON number is refused", () => {
    const raw = rawProfile("x86-64");
    assert.throws(() => readModeProfile({ ...raw, directMap: { virtStart: 2 ** 60 } }), /directMap\.virtStart .* is not a safe integer/);
  });

  test("the direct map may not overlap the kernel", () => {
    const raw = rawProfile("riscv-sv39");
    assert.throws(() => planModeLayout(readModeProfile({ ...raw, directMap: { virtStart: "0xFFFFFFFF80000000" } })), /directMap\.virtStart .* over kernel/);
  });

  test("every mode's kernel VMM is its upper half (64-bit) or 32-bit space", () => {
    assert.equal(MODE_SPECS["riscv-sv39"].vmmStart, 0xffff_ffc0_0000_0000n);
    assert.equal(MODE_SPECS["x86-64-la57"].vmmStart, 0xff00_0000_0000_0000n);
    assert.equal(MODE_SPECS["x86-pae"].vmmEnd, 1n << 32n);
  });
});

describe("mode profile reservations", () => {
  test("a reservation's cachable, writable and user attributes reach its pages (an uncached MMIO window on x86-64)", () => {
    const raw = rawProfile("x86-64");
    const virtualReserved = [{ virtStart: "0xFFFFFFFFFF000000", virtEnd: "0xFFFFFFFFFF001000", physStart: "0xFEC00000", label: "IOAPIC", cachable: false, user: true, writable: false }];
    const machine = bootMode(readModeProfile({ ...raw, virtualReserved }));
    assert.deepEqual(selfCheckMode(machine).failures, []);
    const page = machine.space.mapper.mappings(machine.root).find((m) => BigInt.asUintN(64, BigInt(m.virt)) === 0xffff_ffff_ff00_0000n);
    assert.deepEqual(page && { phys: page.phys, cachable: page.cachable, user: page.user, writable: page.writable }, { phys: 0xfec0_0000, cachable: false, user: true, writable: false });
  });
});
