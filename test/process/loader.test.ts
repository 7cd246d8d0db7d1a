import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { boot } from "../../src/boot/boot.js";
import { DEFAULT_PROFILE } from "../../src/boot/default-profile.js";
import { ElfError } from "../../src/errors/elf-error.js";
import { ProcessError } from "../../src/errors/process-error.js";
import { AddressSpace } from "../../src/process/address-space.js";
import { EM_386, EM_RISCV, EM_X86_64, ET_DYN, PF_R, PF_W, PF_X } from "../../src/process/elf.js";
import { kernelHalfOf } from "../../src/process/kernel-half.js";
import { loadElf } from "../../src/process/loader.js";
import { tableMachine } from "../../src/process/machines.js";
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

  test("/bin/ls (x86-64 PIE) loads with exactly the PT_LOAD rights readelf -l shows", () => {
    const bytes = readFileSync("/bin/ls");
    const machine = tableMachine("x86-64");
    const space = AddressSpace.create(machine.kernel);
    const loaded = loadElf(space, bytes);
    const listing = execFileSync("readelf", ["-lW", "/bin/ls"], { encoding: "utf8" });
    const rows = [...listing.matchAll(/^\s*LOAD\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+([RWE ]+?)\s+0x/gm)];
    assert.ok(rows.length >= 2, `readelf lists the LOAD segments:\n${listing}`);
    assert.equal(loaded.segments.length, rows.length);
    const leaves = machine.mapper.mappings(space.root).filter((m) => m.user);
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
