import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { x86Codec } from "../../src/arch/x86/codec.js";
import { CR0_PG, CR0_WP, CR4_LA57, CR4_PAE, CR4_PSE } from "../../src/arch/x86/entry64.js";
import { MemoryError } from "../../src/errors/memory-error.js";
import { DumpError } from "../../src/inspect/dump-error.js";
import { DumpMemory } from "../../src/inspect/dump-memory.js";
import { readCoreHeaders } from "../../src/inspect/elf-core.js";
import { resolveTarget } from "../../src/inspect/machine.js";
import { scanTables } from "../../src/inspect/scan.js";
import { bytesSource } from "../../src/inspect/source.js";
import { TableMapper } from "../../src/paging/table-mapper.js";
import { PhysicalMemory } from "../../src/ram.js";
import { TestFrames } from "../arch/x86/support.js";
import { writeCore } from "../helpers/elf-core.js";

const PG = CR0_PG | CR0_WP;

function isDumpError(code: string, message: RegExp) {
  return (e: unknown): boolean => e instanceof DumpError && e.code === code && message.test(e.message);
}

describe("reading QEMU ELF cores", () => {
  test("an ELF64 core gives its PT_LOAD segments by p_paddr and CR0/CR3/CR4 from the QEMU note", () => {
    const core = readCoreHeaders(
      bytesSource(writeCore({ elfClass: 64, machine: 62, registers: { cr0: PG, cr3: 0x12_3000, cr4: CR4_PAE }, segments: [{ physical: 0, bytes: new Uint8Array(0x2000) }, { physical: 0x1_0000_0000, bytes: new Uint8Array(0x1000) }] })),
    );
    assert.equal(core.elfClass, 64);
    assert.equal(core.machine, 62);
    assert.deepEqual(core.segments.map((s) => [s.physical, s.fileBytes]), [[0, 0x2000], [0x1_0000_0000, 0x1000]]);
    assert.deepEqual(core.qemuState, { cr0: PG >>> 0, cr3: 0x12_3000, cr4: CR4_PAE });
  });

  test("an ELF32 core reads the same way", () => {
    const core = readCoreHeaders(bytesSource(writeCore({ elfClass: 32, machine: 3, registers: { cr0: PG, cr3: 0x1000, cr4: CR4_PSE }, segments: [{ physical: 0x10_0000, bytes: new Uint8Array(0x1000) }] })));
    assert.equal(core.elfClass, 32);
    assert.deepEqual(core.segments.map((s) => [s.physical, s.offset > 0, s.memoryBytes]), [[0x10_0000, true, 0x1000]]);
    assert.deepEqual(core.qemuState, { cr0: PG >>> 0, cr3: 0x1000, cr4: CR4_PSE });
  });

  test("more segments than e_phnum holds: PN_XNUM with the count in section header 0, in ELF64 and ELF32", () => {
    for (const elfClass of [64, 32] as const) {
      const segments = [0, 0x1000, 0x2000].map((physical) => ({ physical, bytes: new Uint8Array(0x1000).fill(physical >> 12) }));
      const core = readCoreHeaders(bytesSource(writeCore({ elfClass, machine: elfClass === 64 ? 62 : 3, registers: { cr0: PG, cr3: 0, cr4: 0 }, segments, xnum: true })));
      assert.deepEqual(core.segments.map((s) => s.physical), [0, 0x1000, 0x2000], `ELF${String(elfClass)}`);
      assert.equal(core.qemuState?.cr0, PG >>> 0);
    }
  });

  test("a truncated core is UnreadableDump naming the segment that runs past the end", () => {
    const bytes = writeCore({ elfClass: 64, machine: 62, registers: null, segments: [{ physical: 0, bytes: new Uint8Array(0x4000) }] });
    assert.throws(() => readCoreHeaders(bytesSource(bytes.subarray(0, bytes.length - 1))), isDumpError("UnreadableDump", /^Cannot read the ELF core: segment 1 \(physical 0x00000000, 0x00004000 bytes at file offset 0x[0-9A-F]+\) ends beyond the file's 0x[0-9A-F]+ bytes: the core is truncated$/));
    assert.throws(() => readCoreHeaders(bytesSource(bytes.subarray(0, 40))), isDumpError("UnreadableDump", /ELF header at 0x00000000 \(64 bytes\) lies beyond the file's 40 bytes/));
  });

  test("big-endian and non-ELF files are refused in one line", () => {
    const bytes = writeCore({ elfClass: 64, machine: 62, registers: null, segments: [{ physical: 0, bytes: new Uint8Array(16) }] });
    bytes[5] = 2;
    assert.throws(() => readCoreHeaders(bytesSource(bytes)), isDumpError("UnreadableDump", /big-endian/));
    assert.throws(() => readCoreHeaders(bytesSource(new Uint8Array(64))), isDumpError("UnreadableDump", /does not start with the ELF magic/));
  });
});

describe("choosing the mode and root", () => {
  const core = (machine: number, cr0: number, cr4: number, registers = true) =>
    readCoreHeaders(bytesSource(writeCore({ elfClass: machine === 62 ? 64 : 32, machine, registers: registers ? { cr0, cr3: 0x10_1234, cr4 } : null, segments: [{ physical: 0, bytes: new Uint8Array(16) }] })));
  const cases: [string, number, number, number, string, number][] = [
    ["i386 without PAE", 3, PG, 0, "x86", 0x10_1000],
    ["i386 with PAE (32-byte aligned PDPT)", 3, PG, CR4_PAE, "x86-pae", 0x10_1220],
    ["x86-64 (EM_X86_64 means EFER.LMA)", 62, PG, CR4_PAE, "x86-64", 0x10_1000],
    ["x86-64 with CR4.LA57", 62, PG, CR4_PAE | CR4_LA57, "x86-64-la57", 0x10_1000],
  ];
  for (const [name, machine, cr0, cr4, mode, root] of cases) {
    test(`${name} is ${mode} with its root at ${root.toString(16)}`, () => {
      const target = resolveTarget(core(machine, cr0, cr4), {});
      assert.equal(target.mode.name, mode);
      assert.equal(target.root, root);
    });
  }

  test("flags override the note: --mode and --cr3", () => {
    const target = resolveTarget(core(62, PG, CR4_PAE), { mode: "x86-64-la57", cr3: 0x5000 });
    assert.deepEqual([target.mode.name, target.root, target.source], ["x86-64-la57", 0x5000, "--mode"]);
  });

  test("paging off, no QEMU note, and a raw image without --mode are each refused in one line", () => {
    assert.throws(() => resolveTarget(core(3, 0, 0), {}), isDumpError("InvalidMachineState", /^Cannot inspect the dump: paging is off \(CR0 0x00000000\); give --mode and --cr3/));
    assert.throws(() => resolveTarget(core(62, PG, CR4_PAE, false), {}), isDumpError("MissingCpuState", /it has no QEMU note with CR3/));
    assert.throws(() => resolveTarget(null, { cr3: 0x1000 }), isDumpError("MissingCpuState", /give --mode/));
    assert.throws(() => resolveTarget(null, { mode: "arm64", cr3: 0x1000 }), isDumpError("InvalidMachineState", /^Cannot inspect mode "arm64"/));
  });
});

describe("DumpMemory", () => {
  test("reads each segment at its physical address, zero beyond p_filesz, and nothing between", () => {
    const file = new Uint8Array(0x3000).map((_, i) => i & 0xff);
    const memory = new DumpMemory(bytesSource(file), [
      { physical: 0x10_0000, offset: 0x1000, fileBytes: 0x1000, memoryBytes: 0x2000 },
      { physical: 0, offset: 0, fileBytes: 0x1000, memoryBytes: 0x1000 },
    ]);
    assert.equal(memory.read32(0x10_0004), 0x07060504);
    assert.equal(memory.read32(0x10_1000), 0);
    assert.equal(memory.read64(8), 0x0f0e0d0c0b0a0908n);
    assert.equal(memory.contains(0x10_1ffc, 4), true);
    assert.equal(memory.contains(0x10_1ffc, 8), false);
    assert.throws(() => memory.read32(0x2000), (e: unknown) => e instanceof MemoryError && e.code === "OutOfBounds");
    assert.throws(() => memory.write32(0, 1), (e: unknown) => e instanceof DumpError && e.code === "ReadOnly");
  });

  test("overlapping segments (a paging dump's aliases) read from the first one that holds the address", () => {
    const file = new Uint8Array(0x4000);
    file.fill(1, 0, 0x2000);
    file.fill(2, 0x2000, 0x3000);
    file.fill(3, 0x3000, 0x4000);
    const memory = new DumpMemory(bytesSource(file), [
      { physical: 0x1000, offset: 0x2000, fileBytes: 0x1000, memoryBytes: 0x1000 },
      { physical: 0, offset: 0, fileBytes: 0x2000, memoryBytes: 0x2000 },
      { physical: 0x1000, offset: 0x2000, fileBytes: 0x1800, memoryBytes: 0x1800 },
    ]);
    assert.deepEqual([memory.read8(0x800), memory.read8(0x1800), memory.read8(0x2400)], [1, 1, 3]);
    assert.deepEqual(memory.segments.map((s) => [s.physical, s.offset, s.memoryBytes]), [[0, 0, 0x2000], [0x2000, 0x3000, 0x800]]);
  });

  test("keeps at most cachePages pages and re-reads a dropped one", () => {
    const memory = new DumpMemory(bytesSource(new Uint8Array(0x10_0000)), [{ physical: 0, offset: 0, fileBytes: 0x10_0000, memoryBytes: 0x10_0000 }], { cachePages: 4 });
    for (let page = 0; page < 64; page++) memory.read32(page * 0x1000);
    assert.equal(memory.cachedPages, 4);
    assert.equal(memory.misses, 64);
    memory.read32(63 * 0x1000);
    assert.equal(memory.misses, 64, "the most recent page is cached");
    memory.read32(0);
    assert.equal(memory.misses, 65, "the first page was dropped");
  });

  test("a PAE machine's tables read back from an ELF32 core", () => {
    const ram = new PhysicalMemory(4 * 1024 * 1024);
    const mapper = new TableMapper({ codec: x86Codec("x86-pae"), bus: ram, frames: new TestFrames(0x10_0000, 32) });
    const root = mapper.createRoot();
    mapper.map(0xc000_0000, 0xc000_2000, 0x20_0000, 0x20_2000, { kernel: true, writable: true, cachable: true, executable: false }, root);
    const source = bytesSource(writeCore({ elfClass: 32, machine: 3, registers: { cr0: PG, cr3: root, cr4: CR4_PAE }, segments: [{ physical: 0, bytes: ram.bytes }] }));
    const core = readCoreHeaders(source);
    const target = resolveTarget(core, {});
    const scan = scanTables(new DumpMemory(source, core.segments), target.mode, target.root);
    assert.deepEqual(scan.leaves.map((l) => [l.page * 0x1000, l.phys, l.writable, l.executable, l.user]), [[0xc000_0000, 0x20_0000, true, false, false], [0xc000_1000, 0x20_1000, true, false, false]]);
  });
});
