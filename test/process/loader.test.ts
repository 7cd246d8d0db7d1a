import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { boot } from "../../src/boot/boot.js";
import { type ModeMachine, bootMode } from "../../src/boot/mode-boot.js";
import { readModeProfile } from "../../src/boot/mode-profile.js";
import { PAGING_MODES, type PagingModeName } from "../../src/boot/modes.js";
import { DEFAULT_PROFILE } from "../../src/boot/default-profile.js";
import { ElfError } from "../../src/errors/elf-error.js";
import { ProcessError } from "../../src/errors/process-error.js";
import { AddressSpace } from "../../src/process/address-space.js";
import { EM_386, EM_RISCV, EM_X86_64, ET_DYN, PF_R, PF_W, PF_X } from "../../src/process/elf.js";
import { ELF_TARGETS, defaultModeOfElf, describeElfTarget, runsElf } from "../../src/process/elf-modes.js";
import { type KernelHalf, isWideKernelHalf, kernelHalfOf, kernelHalfOfMode, sameType } from "../../src/process/kernel-half.js";
import { loadElf } from "../../src/process/loader.js";
import { tableMachine } from "../../src/process/machines.js";
import { MODE_NAMES } from "../../src/paging/geometry.js";
import type { PageMapping } from "../../src/paging/mappings.js";
import type { Address } from "../../src/types.js";
import { buildElf } from "./elf-builder.js";

const text = new Uint8Array(0x1800).map((_, i) => (i * 7 + 1) & 0xff);
const data = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);

/** A static ELF32 x86 program: text at 0x08048000 (R X), data+bss at 0x0804A000 (R W, 0x3000 bytes in memory). */
const elf32 = buildElf({
  bits: 32,
  machine: EM_386,
  entry: 0x0804_8010,
  segments: [
    { vaddr: 0x0804_8000, flags: PF_R | PF_X, data: text },
    { vaddr: 0x0804_a100, flags: PF_R | PF_W, data, memSize: 0x3000 },
  ],
});

function bootProfile(mode: PagingModeName): ModeMachine {
  return bootMode(readModeProfile(JSON.parse(readFileSync(`profiles/${mode}.json`, "utf8"))));
}

function boot32(): { machine: ReturnType<typeof boot>; space: AddressSpace<number> } {
  const machine = boot(DEFAULT_PROFILE);
  return { machine, space: AddressSpace.create(kernelHalfOf(machine)) };
}

describe("loadElf", () => {
  test("ELF32 x86: each PT_LOAD at its page-rounded address, file bytes copied, .bss zero, stack under a guard", () => {
    const { machine, space } = boot32();
    machine.ram.fill(0x0010_0000, 0x0100_0000, 0xcc);
    const loaded = loadElf(space, elf32);
    assert.equal(loaded.entry, 0x0804_8010);
    assert.deepEqual(
      loaded.segments.map((s) => s.virtual),
      [
        { start: 0x0804_8000, end: 0x0804_a000 },
        { start: 0x0804_a000, end: 0x0804_e000 },
      ],
    );
    assert.deepEqual(space.read(0x0804_8000, text.length), text);
    assert.deepEqual(space.read(0x0804_a100, 8), data);
    assert.deepEqual(space.read(0x0804_a108, 0x2ff8), new Uint8Array(0x2ff8), ".bss is zero");
    assert.deepEqual(space.read(0x0804_a000, 0x100), new Uint8Array(0x100), "the page before the data is zero");
    assert.deepEqual(loaded.stack, { start: 0xbfff_7000, end: 0xbffff000 });
    assert.deepEqual(loaded.guard, { start: 0xbfff_6000, end: 0xbfff_7000 });
    space.activate(machine.mmu);
    assert.throws(() => machine.mmu.write8(0x0804_8000, 1, { user: true }), { code: "PageFault" }, "text is read-only");
    machine.mmu.write8(0x0804_a100, 9, { user: true });
    machine.mmu.write8(0xbfff_efff, 9, { user: true });
    assert.throws(() => machine.mmu.write8(0xbfff_6fff, 1, { user: true }), { code: "PageFault" }, "the guard page faults");
    assert.deepEqual(
      space.regions().map((r) => [r.label, r.attrs.writable]),
      [
        ["PT_LOAD 0", false],
        ["PT_LOAD 1", true],
        ["stack guard", false],
        ["stack", true],
      ],
    );
  });

  test("ELF64 RISC-V on Sv39: X only where PF_X, NX elsewhere; a PIE lands at the chosen base", () => {
    const machine = tableMachine("riscv-sv39");
    const space = AddressSpace.create(machine.kernel);
    const pie = buildElf({
      bits: 64,
      machine: EM_RISCV,
      type: ET_DYN,
      entry: 0x1000,
      segments: [
        { vaddr: 0x1000, flags: PF_R | PF_X, data: text },
        { vaddr: 0x3000, flags: PF_R, data },
        { vaddr: 0x4000, flags: PF_R | PF_W, data, memSize: 0x1000 },
      ],
    });
    const loaded = loadElf(space, pie, { base: 0x10_0000_0000n });
    assert.equal(loaded.entry, 0x10_0000_1000n);
    const leaves = machine.mapper.mappings(space.root).filter((m) => m.user);
    const rights = (v: bigint): string => {
      const m = leaves.find((l) => l.virt === v);
      return m === undefined ? "none" : `${m.writable ? "w" : "-"}${m.executable ? "x" : "-"}`;
    };
    assert.equal(rights(0x10_0000_1000n), "-x");
    assert.equal(rights(0x10_0000_3000n), "--");
    assert.equal(rights(0x10_0000_4000n), "w-");
    assert.equal(rights(loaded.stack.start), "w-");
  });

  const lsMachines: readonly [string, () => { space: AddressSpace<bigint>; leaves: () => readonly PageMapping[] }][] = [
    ["the minimal x86-64 tableMachine", () => {
      const machine = tableMachine("x86-64");
      const space = AddressSpace.create(machine.kernel);
      return { space, leaves: () => machine.mapper.mappings(space.root) };
    }],
    ...(["x86-64", "x86-64-la57"] as const).map((mode): [string, () => { space: AddressSpace<bigint>; leaves: () => readonly PageMapping[] }] => [`the booted ${mode} profile`, () => {
      const machine = bootProfile(mode);
      const kernel = kernelHalfOfMode(machine);
      assert.ok(isWideKernelHalf(kernel), `${mode} has a 64-bit kernel half`);
      const space = AddressSpace.create(kernel);
      return { space, leaves: () => machine.space.mapper.mappings(space.root) };
    }]),
  ];
  for (const [name, make] of lsMachines) {
    test(`/bin/ls (x86-64 PIE) loads into ${name} with exactly the PT_LOAD rights readelf -l shows`, () => {
      const bytes = readFileSync("/bin/ls");
      const { space, leaves: mappings } = make();
      const loaded = loadElf(space, bytes);
      const listing = execFileSync("readelf", ["-lW", "/bin/ls"], { encoding: "utf8" });
      const rows = [...listing.matchAll(/^\s*LOAD\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+([RWE ]+?)\s+0x/gm)];
      assert.ok(rows.length >= 2, `readelf lists the LOAD segments:\n${listing}`);
      assert.equal(loaded.segments.length, rows.length);
      const leaves = mappings().filter((m) => m.user);
      rows.forEach((row, i) => {
        const vaddr = BigInt(`0x${row[2] ?? ""}`) + loaded.base;
        const memsz = BigInt(`0x${row[4] ?? ""}`);
        const flags = row[5] ?? "";
        const start = (vaddr / 4096n) * 4096n;
        const end = ((vaddr + memsz + 4095n) / 4096n) * 4096n;
        assert.deepEqual(loaded.segments[i]?.virtual, { start, end }, `segment ${i}`);
        for (let page = start; page < end; page += 4096n) {
          const leaf = leaves.find((l) => l.virt === page);
          assert.ok(leaf !== undefined, `page ${page.toString(16)} mapped`);
          assert.equal(leaf.writable, flags.includes("W"), `W of ${page.toString(16)}`);
          assert.equal(leaf.executable, flags.includes("E"), `X of ${page.toString(16)}`);
        }
        const offset = Number(BigInt(`0x${row[1] ?? ""}`));
        assert.deepEqual(space.read(vaddr, 64), new Uint8Array(bytes.subarray(offset, offset + 64)), `segment ${i}'s bytes`);
      });
    });
  }

  const bad: readonly [string, () => Uint8Array, string][] = [
    ["truncated header", () => elf32.subarray(0, 40), "Truncated"],
    ["truncated segment bytes", () => elf32.subarray(0, 0x1000), "Truncated"],
    ["not ELF", () => new Uint8Array(64), "NotElf"],
    ["ELF64 x86-64 into x86", () => buildElf({ bits: 64, machine: EM_X86_64, entry: 0, segments: [{ vaddr: 0x40_0000, flags: PF_R, data }] }), "WrongMachine"],
    ["RISC-V ELF32 into x86", () => buildElf({ bits: 32, machine: EM_RISCV, entry: 0, segments: [{ vaddr: 0x40_0000, flags: PF_R, data }] }), "WrongMachine"],
    [
      "overlapping segments",
      () =>
        buildElf({
          bits: 32,
          machine: EM_386,
          entry: 0,
          segments: [
            { vaddr: 0x40_0000, flags: PF_R | PF_X, data: text },
            { vaddr: 0x40_1900, flags: PF_R | PF_W, data },
          ],
        }),
      "OverlappingSegments",
    ],
    ["a segment in the kernel half", () => buildElf({ bits: 32, machine: EM_386, entry: 0, segments: [{ vaddr: 0x40_0000, flags: PF_R, data }, { vaddr: 0xbfff_f000, flags: PF_R, data, memSize: 0x2000 }] }), "SegmentInKernelHalf"],
    ["a segment on the null page", () => buildElf({ bits: 32, machine: EM_386, entry: 0, segments: [{ vaddr: 0x100, flags: PF_R, data }] }), "SegmentOutsideUserSpace"],
    ["filesz > memsz", () => buildElf({ bits: 32, machine: EM_386, entry: 0, segments: [{ vaddr: 0x40_0000, flags: PF_R, data, memSize: 4 }] }), "BadSegment"],
    ["not executable (ET_REL)", () => buildElf({ bits: 32, machine: EM_386, type: 1, entry: 0, segments: [{ vaddr: 0x40_0000, flags: PF_R, data }] }), "NotExecutable"],
  ];
  for (const [name, make, code] of bad) {
    test(`${name} is ElfError ${code} and allocates nothing`, () => {
      const { machine, space } = boot32();
      const before = machine.pmm.blocksFree();
      assert.throws(() => loadElf(space, make()), (e: unknown) => e instanceof ElfError && e.code === code && e.message.startsWith("Cannot"));
      assert.equal(machine.pmm.blocksFree(), before);
      assert.equal(space.regions().length, 0);
    });
  }

  test("running out of frames midway frees every region already made", () => {
    const machine = tableMachine("x86-64", { memoryBytes: 4 * 0x10_0000 });
    const space = AddressSpace.create(machine.kernel);
    const hog = space.map(machine.pmm.blocksFree() - 12, { kernel: false, writable: true, cachable: true });
    const before = machine.pmm.blocksFree();
    const big = buildElf({ bits: 64, machine: EM_X86_64, entry: 0x40_0000, segments: [{ vaddr: 0x40_0000, flags: PF_R | PF_X, data: text }, { vaddr: 0x60_0000, flags: PF_R | PF_W, data, memSize: 0x8000 }] });
    assert.throws(() => loadElf(space, big), (e: unknown) => e instanceof ProcessError && e.code === "OutOfMemory");
    assert.equal(machine.pmm.blocksFree(), before);
    assert.equal(space.regions().length, 1);
    space.unmap(hog);
  });
});

/** A static program of `mode`'s class and machine: text R X (2 pages), rodata R (1 page), data R W with .bss (4 pages). */
function programFor(bits: 32 | 64, machine: number): Uint8Array {
  return buildElf({
    bits,
    machine,
    entry: 0x40_0010,
    segments: [
      { vaddr: 0x40_0000, flags: PF_R | PF_X, data: text },
      { vaddr: 0x40_2000, flags: PF_R, data },
      { vaddr: 0x40_3100, flags: PF_R | PF_W, data, memSize: 0x3000 },
    ],
  });
}

/** Every class and machine pair kmem knows, and one it does not (ELF64 EM_386). */
const TARGETS: readonly { bits: 32 | 64; machine: number }[] = [
  { bits: 32, machine: EM_386 },
  { bits: 64, machine: EM_386 },
  { bits: 64, machine: EM_X86_64 },
  { bits: 32, machine: EM_RISCV },
  { bits: 64, machine: EM_RISCV },
];

describe("loadElf into every booted mode profile", () => {
  test("defaultModeOfElf: EM_386 → x86, EM_X86_64 → x86-64, RISC-V ELF32 → Sv32 and ELF64 → Sv39, others none; runsElf agrees", () => {
    assert.deepEqual(
      TARGETS.map((t) => [describeElfTarget(t), defaultModeOfElf(t)]),
      [
        ["ELF32 EM_386", "x86"],
        ["ELF64 EM_386", null],
        ["ELF64 EM_X86_64", "x86-64"],
        ["ELF32 EM_RISCV", "riscv-sv32"],
        ["ELF64 EM_RISCV", "riscv-sv39"],
      ],
    );
    assert.equal(describeElfTarget({ bits: 32, machine: 40 }), "ELF32 e_machine 40");
    assert.deepEqual(
      TARGETS.map((t) => MODE_NAMES.filter((mode) => runsElf(mode, t))),
      [["x86", "x86-pae"], [], ["x86-64", "x86-64-la57"], ["riscv-sv32"], ["riscv-sv39", "riscv-sv48", "riscv-sv57"]],
    );
  });

  for (const mode of PAGING_MODES) {
    const target = ELF_TARGETS[mode];
    test(`${mode}: an ${describeElfTarget(target)} program gets exactly its R/W/X, its bytes and a zero .bss; other machines are WrongMachine; destroy returns every frame`, () => {
      const machine = bootProfile(mode);
      const kernel = kernelHalfOfMode(machine);
      const leaves = (root: number): readonly PageMapping[] => machine.space.mapper.mappings(root);
      if (isWideKernelHalf(kernel)) checkProgram(mode, machine, kernel, leaves);
      else checkProgram(mode, machine, kernel, leaves);
    });
  }
});

function checkProgram<A extends Address>(mode: PagingModeName, machine: ModeMachine, kernel: KernelHalf<A>, leavesOf: (root: number) => readonly PageMapping[]): void {
  const before = machine.pmm.blocksFree();
  const space = AddressSpace.create(kernel);
  for (const other of TARGETS.filter((t) => !runsElf(mode, t))) {
    assert.throws(
      () => loadElf(space, programFor(other.bits, other.machine)),
      (e: unknown) => e instanceof ElfError && e.code === "WrongMachine" && e.message.includes(describeElfTarget(other)) && e.message.includes(mode),
      `${describeElfTarget(other)} into ${mode}`,
    );
  }
  assert.equal(space.regions().length, 0, "a refused file maps nothing");
  const target = ELF_TARGETS[mode];
  const loaded = loadElf(space, programFor(target.bits, target.machine));
  const at = (value: bigint): A => sameType(kernel.userStart, value);
  assert.equal(loaded.entry, at(0x40_0010n));
  assert.deepEqual(space.read(at(0x40_0000n), text.length), text, "text bytes");
  assert.deepEqual(space.read(at(0x40_3100n), data.length), data, "data bytes");
  assert.deepEqual(space.read(at(0x40_3108n), 0x2ff8), new Uint8Array(0x2ff8), ".bss is zero");
  const window = BigInt(kernel.userEnd) < 1n << 47n ? BigInt(kernel.userEnd) : 1n << 47n;
  assert.equal(BigInt(loaded.stack.end), window - 4096n, "the stack ends one page below the user window (the user half, at most 2^47 as Linux's DEFAULT_MAP_WINDOW)");
  const user = leavesOf(space.root).filter((m) => m.user);
  const rights = (page: bigint): string => {
    const leaf = user.find((l) => BigInt(l.virt) === page);
    return leaf === undefined ? "none" : `${leaf.writable ? "w" : "-"}${leaf.executable ? "x" : "-"}`;
  };
  const expected: [bigint, bigint, string][] = [
    [0x40_0000n, 0x40_2000n, "-x"],
    [0x40_2000n, 0x40_3000n, "--"],
    [0x40_3000n, 0x40_7000n, "w-"],
    [0x40_7000n, 0x40_8000n, "none"],
    [BigInt(loaded.guard.start), BigInt(loaded.guard.end), "none"],
    [BigInt(loaded.stack.start), BigInt(loaded.stack.end), "w-"],
  ];
  for (const [start, end, want] of expected) {
    for (let page = start; page < end; page += 4096n) assert.equal(rights(page), want, `${mode} page 0x${page.toString(16)}`);
  }
  assert.equal(user.length, 2 + 1 + 4 + 8, "no other user page is mapped");
  space.destroy();
  assert.equal(machine.pmm.blocksFree(), before, "destroy returns every frame and table");
}
