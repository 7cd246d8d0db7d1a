import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { MapperError } from "../../../src/errors/mapper-error.js";
import { Mmu } from "../../../src/arch/x86/mmu.js";
import { X86Paging } from "../../../src/arch/x86/paging.js";
import { PhysicalMemory } from "../../../src/ram.js";
import type { Attributes } from "../../../src/types.js";
import { NOT_ATTRIBUTES, NOT_UNSIGNED } from "../../helpers/hostile.js";
import { TestFrames, naiveWalk, nonZeroWords } from "./support.js";
import { assertProperty } from "../../helpers/property.js";

const MIB = 1024 * 1024;
const FRAMES_BASE = 0x00100000;
const FRAME_COUNT = 64;
const D = FRAMES_BASE;
const T1 = FRAMES_BASE + 0x1000;
const T2 = FRAMES_BASE + 0x2000;

const KWC: Attributes = { kernel: true, writable: true, cachable: true };
const KRC: Attributes = { kernel: true, writable: false, cachable: true };
const KRN: Attributes = { kernel: true, writable: false, cachable: false };
const URC: Attributes = { kernel: false, writable: false, cachable: true };
const UWC: Attributes = { kernel: false, writable: true, cachable: true };
const UWN: Attributes = { kernel: false, writable: true, cachable: false };
const URN: Attributes = { kernel: false, writable: false, cachable: false };

function setup(options: { largePages?: boolean; frames?: number; fill?: number } = {}) {
  const ram = new PhysicalMemory(4 * MIB);
  if (options.fill !== undefined) {
    ram.fill(0, ram.size, options.fill);
  }
  const frames = new TestFrames(FRAMES_BASE, options.frames ?? FRAME_COUNT);
  const paging = new X86Paging({ ram, frames, largePages: options.largePages ?? false });
  const dir = paging.createDirectory();
  return { ram, frames, paging, dir };
}

function tableWords(ram: PhysicalMemory): [number, number][] {
  return nonZeroWords(ram.bytes, FRAMES_BASE, FRAMES_BASE + FRAME_COUNT * 0x1000);
}

function hexPairs(pairs: [number, number][]): string[] {
  return pairs.map(([a, v]) => `${a.toString(16).padStart(8, "0")}=${v.toString(16).padStart(8, "0")}`);
}

function ptes(table: number, firstIndex: number, firstValue: number, count: number): [number, number][] {
  return Array.from({ length: count }, (_, i) => [table + (firstIndex + i) * 4, firstValue + i * 0x1000] as [number, number]);
}

interface Golden {
  name: string;
  largePages?: boolean;
  v: [number, number];
  p: number;
  attrs: Attributes;
  words: [number, number][];
}

const GOLDEN: Golden[] = [
  { name: "kernel writable cachable page at 0xC0000000", v: [0xc0000000, 0xc0001000], p: 0x00200000, attrs: KWC, words: [[D + 0xc00, 0x00101007], [T1, 0x00200003]] },
  { name: "kernel read-only cachable page", v: [0xc0001000, 0xc0002000], p: 0x00201000, attrs: KRC, words: [[D + 0xc00, 0x00101007], [T1 + 4, 0x00201001]] },
  { name: "user read-only cachable page", v: [0x00400000, 0x00401000], p: 0x00300000, attrs: URC, words: [[D + 4, 0x00101007], [T1, 0x00300005]] },
  { name: "kernel read-only uncachable page (VGA text)", v: [0x000b8000, 0x000b9000], p: 0x000b8000, attrs: KRN, words: [[D, 0x00101007], [T1 + 0x2e0, 0x000b8011]] },
  { name: "user writable uncachable page", v: [0x00800000, 0x00801000], p: 0x00500000, attrs: UWN, words: [[D + 8, 0x00101007], [T1, 0x00500017]] },
  {
    name: "user writable range crossing the 4 MiB boundary uses two tables",
    v: [0x003ff000, 0x00401000],
    p: 0x00600000,
    attrs: UWC,
    words: [[D, 0x00101007], [D + 4, 0x00102007], [T1 + 0xffc, 0x00600007], [T2, 0x00601007]],
  },
  { name: "4 MiB kernel writable page is one PS PDE", largePages: true, v: [0xc0400000, 0xc0800000], p: 0x00400000, attrs: KWC, words: [[D + 0xc04, 0x00400083]] },
  { name: "4 MiB user read-only uncachable page", largePages: true, v: [0x00800000, 0x00c00000], p: 0x00c00000, attrs: URN, words: [[D + 8, 0x00c00095]] },
  {
    name: "4 MiB run not 4 MiB-aligned physically falls back to a table",
    largePages: true,
    v: [0x00400000, 0x00800000],
    p: 0x00401000,
    attrs: KWC,
    words: [[D + 4, 0x00101007], ...ptes(T1, 0, 0x00401003, 1024)],
  },
  {
    name: "8 MiB + 4 KiB with large pages: two PS PDEs then a table",
    largePages: true,
    v: [0x00400000, 0x00c01000],
    p: 0x01000000,
    attrs: KWC,
    words: [[D + 4, 0x01000083], [D + 8, 0x01400083], [D + 0xc, 0x00101007], [T1, 0x01800003]],
  },
];

describe("X86Paging golden vectors", () => {
  for (const g of GOLDEN) {
    test(`${g.name} writes exactly these entries`, () => {
      const { ram, paging, dir } = setup({ largePages: g.largePages ?? false });
      assert.equal(dir, D);
      paging.map(g.v[0], g.v[1], g.p, g.p + (g.v[1] - g.v[0]), g.attrs, dir);
      const expected = [...g.words].sort((a, b) => a[0] - b[0]);
      assert.deepEqual(hexPairs(tableWords(ram)), hexPairs(expected));
    });
  }
});

describe("X86Paging", () => {
  test("createDirectory returns a zeroed frame even over dirty RAM, and new tables are zeroed", () => {
    const { ram, paging, dir } = setup({ fill: 0xaa });
    assert.deepEqual([...new Set(ram.readBytes(dir, 4096))], [0]);
    paging.map(0x1000, 0x2000, 0x5000, 0x6000, KWC, dir);
    const table = ram.read32(dir) & ~0xfff;
    const entries = Array.from({ length: 1024 }, (_, i) => ram.read32(table + i * 4));
    assert.deepEqual(entries.filter((e) => e !== 0), [0x00005003]);
    assert.equal(entries.indexOf(0x00005003), 1);
  });

  test("a table is taken on first use and freed when its last entry is unmapped", () => {
    const { frames, paging, dir } = setup();
    assert.equal(frames.inUse, 1);
    paging.map(0x1000, 0x3000, 0x5000, 0x7000, KWC, dir);
    assert.equal(paging.tablesInUse(dir), 1);
    assert.equal(frames.inUse, 2);
    paging.unmap(0x1000, 0x2000, dir);
    assert.equal(paging.tablesInUse(dir), 1);
    paging.unmap(0x2000, 0x3000, dir);
    assert.equal(paging.tablesInUse(dir), 0);
    assert.equal(frames.inUse, 1);
  });

  test("a table is freed only with its last present entry: a page at either end, or in the middle, keeps it", () => {
    const base = 0x0040_0000;
    for (const [keep, drop] of [[0, 1023], [1023, 0], [512, 511], [511, 512]] as const) {
      const { ram, frames, paging, dir } = setup();
      const mmu = new Mmu({ ram, cr3: dir, tlbEntries: 0 });
      const page = (index: number) => base + index * 0x1000;
      paging.map(page(keep), page(keep) + 0x1000, 0x5000, 0x6000, KWC, dir);
      paging.map(page(drop), page(drop) + 0x1000, 0x7000, 0x8000, KWC, dir);
      const case_ = `keep ${String(keep)}, drop ${String(drop)}`;
      paging.unmap(page(drop), page(drop) + 0x1000, dir);
      assert.equal(frames.inUse, 2, `${case_}: directory and table still in use`);
      assert.equal(paging.tablesInUse(dir), 1, case_);
      assert.equal(mmu.tryTranslate(page(keep) + 8), 0x5008, `${case_}: the remaining page still translates`);
      assert.equal(mmu.tryTranslate(page(drop)), -1, `${case_}: the dropped page faults`);
      paging.unmap(page(keep), page(keep) + 0x1000, dir);
      assert.deepEqual([frames.inUse, paging.tablesInUse(dir)], [1, 0], `${case_}: the empty table is freed`);
    }
  });

  test("unmapping a range crossing 4 MiB frees both tables and leaves the directory zero", () => {
    const { ram, frames, paging, dir } = setup();
    paging.map(0x003fe000, 0x00402000, 0x10000, 0x14000, URC, dir);
    assert.equal(frames.inUse, 3);
    paging.unmap(0x003fe000, 0x00402000, dir);
    assert.equal(frames.inUse, 1);
    assert.deepEqual(tableWords(ram), []);
  });

  test("mappings lists present pages in address order with combined permissions", () => {
    const { paging, dir } = setup({ largePages: true });
    paging.map(0xc0000000, 0xc0400000, 0x00400000, 0x00800000, KWC, dir);
    paging.map(0x00002000, 0x00003000, 0x000b8000, 0x000b9000, URN, dir);
    paging.map(0x00001000, 0x00002000, 0x00010000, 0x00011000, UWC, dir);
    assert.deepEqual(paging.mappings(dir), [
      { virt: 0x1000, phys: 0x10000, size: 0x1000, user: true, writable: true, writeThrough: false, cacheDisable: false, global: false, large: false, accessed: false, dirty: false },
      { virt: 0x2000, phys: 0xb8000, size: 0x1000, user: true, writable: false, writeThrough: false, cacheDisable: true, global: false, large: false, accessed: false, dirty: false },
      { virt: 0xc0000000, phys: 0x400000, size: 0x400000, user: false, writable: true, writeThrough: false, cacheDisable: false, global: false, large: true, accessed: false, dirty: false },
    ]);
  });

  test("mappings and tablesInUse read a PS PDE as the MMU does: a 4 MiB page with PSE, a table pointer without", () => {
    const ram = new PhysicalMemory(4 * MIB);
    ram.write32(0x4, 0x0000_2083);
    ram.write32(0x2000 + 3 * 4, 0x0005_0003);
    const frames = new TestFrames(FRAMES_BASE, 1);
    const withoutPse = new X86Paging({ ram, frames });
    assert.equal(withoutPse.pse, false);
    assert.deepEqual(withoutPse.mappings(0).map((m) => [m.virt, m.phys, m.size]), [[0x0040_3000, 0x5_0000, 0x1000]]);
    assert.equal(withoutPse.tablesInUse(0), 1);
    assert.equal(new Mmu({ ram, pse: false }).translate(0x0040_3008), 0x5_0008);
    const withPse = new X86Paging({ ram, frames, largePages: true });
    assert.equal(withPse.pse, true);
    assert.deepEqual(withPse.mappings(0).map((m) => [m.virt, m.phys, m.size]), [[0x0040_0000, 0x1_0000_0000, 0x40_0000]], "bit 13 is physical bit 32");
    assert.equal(withPse.tablesInUse(0), 0);
    assert.deepEqual(withoutPse.mappings(0, { pse: true }), withPse.mappings(0), "the option overrides the mapper's setting");
    assert.equal(withPse.tablesInUse(0, { pse: false }), 1);
    ram.write32(0x4, 0x0020_2083);
    assert.deepEqual(withPse.mappings(0), [], "a 4 MiB PDE with reserved bit 21 maps nothing");
    assert.throws(() => new X86Paging({ ram, frames, largePages: true, pse: false }), RangeError);
  });

  test("remapping a present page throws AlreadyMapped and writes nothing", () => {
    const { ram, frames, paging, dir } = setup();
    paging.map(0x00401000, 0x00402000, 0x9000, 0xa000, KWC, dir);
    const before = ram.bytes.slice();
    const used = frames.inUse;
    assert.throws(
      () => paging.map(0x003ff000, 0x00402000, 0x1000, 0x4000, KWC, dir),
      (e: unknown) => e instanceof MapperError && e.code === "AlreadyMapped" && e.data["address"] === 0x00401000 && /0x00401000 is already mapped/.test(e.message),
    );
    assert.deepEqual(ram.bytes, before);
    assert.equal(frames.inUse, used);
  });

  test("unmapping a range with a non-present page throws NotMapped and changes nothing", () => {
    const { ram, frames, paging, dir } = setup();
    paging.map(0x1000, 0x3000, 0x9000, 0xb000, KWC, dir);
    const before = ram.bytes.slice();
    for (const [start, end, missing] of [
      [0x1000, 0x4000, 0x3000],
      [0x00400000, 0x00401000, 0x00400000],
    ] as const) {
      assert.throws(
        () => paging.unmap(start, end, dir),
        (e: unknown) => e instanceof MapperError && e.code === "NotMapped" && e.data["address"] === missing,
      );
    }
    assert.deepEqual(ram.bytes, before);
    assert.equal(frames.inUse, 2);
  });

  test("running out of frames for a table throws OutOfMemory, returns frames it took and writes nothing", () => {
    const { ram, frames, paging, dir } = setup({ frames: 2 });
    const before = ram.bytes.slice();
    assert.throws(
      () => paging.map(0x003ff000, 0x00401000, 0x1000, 0x3000, KWC, dir),
      (e: unknown) => e instanceof MapperError && e.code === "OutOfMemory",
    );
    assert.deepEqual(ram.bytes, before);
    assert.equal(frames.inUse, 1);
    paging.map(0x003fe000, 0x00400000, 0x1000, 0x3000, KWC, dir);
    assert.equal(frames.inUse, 2);
  });

  test("bad ranges throw the seed's mapper codes and write nothing", () => {
    const { ram, paging, dir } = setup();
    const before = ram.bytes.slice();
    const cases: [string, () => void, string][] = [
      ["virtual start after end", () => paging.map(0x3000, 0x2000, 0, 0x1000, KWC, dir), "InvalidVirtualAddress"],
      ["virtual end beyond 4 GiB", () => paging.map(0xfffff000, 0x100001000, 0, 0x2000, KWC, dir), "InvalidVirtualAddress"],
      ["negative virtual", () => paging.map(-0x1000, 0, 0, 0x1000, KWC, dir), "InvalidVirtualAddress"],
      ["physical beyond 4 GiB", () => paging.map(0, 0x1000, 0x100000000, 0x100001000, KWC, dir), "InvalidPhysicalAddress"],
      ["misaligned virtual start", () => paging.map(0x1001, 0x2001, 0, 0x1000, KWC, dir), "MisalignedVirtualAddress"],
      ["misaligned virtual end", () => paging.map(0x1000, 0x1800, 0, 0x800, KWC, dir), "MisalignedVirtualAddress"],
      ["misaligned physical", () => paging.map(0x1000, 0x2000, 0x10, 0x1010, KWC, dir), "MisalignedPhysicalAddress"],
      ["length mismatch", () => paging.map(0x1000, 0x3000, 0, 0x1000, KWC, dir), "AddressMismatch"],
      ["misaligned unmap", () => paging.unmap(0x1800, 0x2000, dir), "MisalignedVirtualAddress"],
      ["unmap beyond 4 GiB", () => paging.unmap(0xfffff000, 0x100001000, dir), "InvalidVirtualAddress"],
      ["directory not aligned", () => paging.map(0, 0x1000, 0, 0x1000, KWC, dir + 4), "InvalidPhysicalAddress"],
      ["directory outside RAM", () => paging.unmap(0, 0x1000, 4 * MIB), "InvalidPhysicalAddress"],
    ];
    for (const [name, run, code] of cases) {
      assert.throws(run, (e: unknown) => e instanceof MapperError && e.code === code, name);
    }
    assert.deepEqual(ram.bytes, before);
  });

  test("the last page below 4 GiB can be mapped and unmapped", () => {
    const { paging, dir, frames } = setup();
    paging.map(0xfffff000, 0x100000000, 0xfffff000, 0x100000000, KRC, dir);
    assert.deepEqual(paging.mappings(dir).map((m) => [m.virt, m.phys]), [[0xfffff000, 0xfffff000]]);
    paging.unmap(0xfffff000, 0x100000000, dir);
    assert.equal(frames.inUse, 1);
  });

  test("empty ranges map and unmap nothing", () => {
    const { ram, paging, dir } = setup();
    paging.map(0x5000, 0x5000, 0x9000, 0x9000, KWC, dir);
    paging.unmap(0x5000, 0x5000, dir);
    assert.deepEqual(tableWords(ram), []);
  });

  test("unmapping a whole 4 MiB page clears its PDE; remapping it as small pages then works", () => {
    const { ram, frames, paging, dir } = setup({ largePages: true });
    paging.map(0x00400000, 0x00800000, 0x00800000, 0x00c00000, KWC, dir);
    assert.throws(() => paging.map(0x00401000, 0x00402000, 0, 0x1000, KWC, dir), (e: unknown) => e instanceof MapperError && e.code === "AlreadyMapped");
    paging.unmap(0x00400000, 0x00800000, dir);
    assert.deepEqual(tableWords(ram), []);
    assert.equal(frames.inUse, 1);
  });

  test("unmapping part of a 4 MiB page splits it into a table with the same frames and bits", () => {
    const { ram, frames, paging, dir } = setup({ largePages: true });
    paging.map(0x00400000, 0x00800000, 0x00800000, 0x00c00000, URN, dir);
    paging.unmap(0x00401000, 0x00403000, dir);
    assert.equal(frames.inUse, 2);
    assert.equal(ram.read32(D + 4), 0x00101007);
    const expected = ptes(T1, 0, 0x00800015, 1024).filter(([a]) => a !== T1 + 4 && a !== T1 + 8);
    assert.deepEqual(hexPairs(tableWords(ram)), hexPairs([[D + 4, 0x00101007], ...expected]));
    const pages = naiveWalk(ram.bytes, dir);
    assert.equal(pages.size, 1022);
    assert.deepEqual(pages.get(0x400), { phys: 0x00800000, user: true, writable: false, cacheDisable: true });
    paging.unmap(0x00400000, 0x00401000, dir);
    paging.unmap(0x00403000, 0x00800000, dir);
    assert.equal(frames.inUse, 1);
    assert.deepEqual(tableWords(ram), []);
  });

  test("splitting a 4 MiB page with no free frame throws OutOfMemory and changes nothing", () => {
    const { ram, paging, dir } = setup({ largePages: true, frames: 1 });
    paging.map(0x00400000, 0x00800000, 0x00800000, 0x00c00000, KWC, dir);
    const before = ram.bytes.slice();
    assert.throws(() => paging.unmap(0x00400000, 0x00401000, dir), (e: unknown) => e instanceof MapperError && e.code === "OutOfMemory");
    assert.deepEqual(ram.bytes, before);
  });

  test("part of a 4 MiB PDE naming a frame above 4 GiB or with its reserved bit cannot be split: InvalidPhysicalAddress, nothing changed", () => {
    const { ram, frames, paging, dir } = setup({ largePages: true });
    for (const pde of [0x00802083, 0x00a00083]) {
      ram.write32(dir + 4, pde);
      const before = ram.bytes.slice();
      assert.throws(() => paging.unmap(0x00400000, 0x00401000, dir), (e: unknown) => e instanceof MapperError && e.code === "InvalidPhysicalAddress" && e.message.includes(`PDE 0x${pde.toString(16).toUpperCase().padStart(8, "0")}`));
      assert.deepEqual(ram.bytes, before);
      assert.equal(frames.inUse, 1);
      paging.unmap(0x00400000, 0x00800000, dir);
      assert.equal(ram.read32(dir + 4), 0, "the whole 4 MiB page can still be unmapped");
    }
  });

  test("destroyDirectory returns every table and the directory to the allocator", () => {
    const { frames, paging, dir } = setup({ largePages: true });
    paging.map(0x1000, 0x2000, 0x1000, 0x2000, KWC, dir);
    paging.map(0x00800000, 0x00c00000, 0x00800000, 0x00c00000, KWC, dir);
    paging.map(0xc0000000, 0xc0001000, 0x1000, 0x2000, KWC, dir);
    assert.equal(frames.inUse, 3);
    paging.destroyDirectory(dir);
    assert.equal(frames.inUse, 0);
  });

  test("map with attrs that are not Attributes throws InvalidAttributes naming the field, before taking a table frame", () => {
    for (const [bad, field] of NOT_ATTRIBUTES) {
      const { ram, frames, paging, dir } = setup();
      const before = hexPairs(tableWords(ram));
      assert.throws(() => paging.map(0x2000_0000, 0x2000_1000, 0x3000, 0x4000, bad as Attributes, dir), (error: unknown) => {
        assert.equal(error instanceof MapperError, true, `a MapperError for ${field}, got ${String(error)}`);
        assert.equal((error as MapperError).code, "InvalidAttributes", field);
        assert.equal((error as MapperError).data.field, field);
        assert.match((error as MapperError).message, /^Cannot map 0x20000000–0x20001000 to 0x00003000–0x00004000: attrs/);
        return true;
      });
      assert.equal(frames.inUse, 1, `${field}: only the directory is in use`);
      assert.deepEqual(hexPairs(tableWords(ram)), before, `${field}: no entry written`);
    }
  });

  test("map, unmap and the directory queries show a bad address as given", () => {
    const { ram, frames, paging, dir } = setup();
    const before = hexPairs(tableWords(ram));
    for (const [bad, shown] of NOT_UNSIGNED) {
      const value = bad as number;
      const calls: [string, string, () => unknown][] = [
        ["map vStart", "InvalidVirtualAddress", () => paging.map(value, 0x1000, 0x3000, 0x4000, KWC, dir)],
        ["map pEnd", "InvalidPhysicalAddress", () => paging.map(0, 0x1000, 0x3000, value, KWC, dir)],
        ["unmap vEnd", "InvalidVirtualAddress", () => paging.unmap(0, value, dir)],
        ["map directory", "InvalidPhysicalAddress", () => paging.map(0, 0x1000, 0x3000, 0x4000, KWC, value)],
        ["unmap directory", "InvalidPhysicalAddress", () => paging.unmap(0, 0x1000, value)],
        ["tablesInUse", "InvalidPhysicalAddress", () => paging.tablesInUse(value)],
        ["mappings", "InvalidPhysicalAddress", () => paging.mappings(value)],
        ["destroyDirectory", "InvalidPhysicalAddress", () => paging.destroyDirectory(value)],
      ];
      for (const [name, code, call] of calls) {
        assert.throws(call, { name: "MapperError", code, message: shown }, `${name}(${String(shown)})`);
      }
    }
    assert.throws(() => paging.map(1n as never, 0x1000, 0x3000, 0x4000, KWC, dir), { code: "InvalidVirtualAddress", message: /^Cannot map 1n–0x00001000 / }, "a bigint shows as one");
    assert.throws(() => paging.tablesInUse(1n as never), { code: "InvalidPhysicalAddress", message: /page directory 1n is not/ }, "a bigint directory shows as one");
    assert.equal(frames.inUse, 1, "only the directory is in use");
    assert.deepEqual(hexPairs(tableWords(ram)), before, "no entry written");
  });

  test("a frame allocator with another block size is refused", () => {
    const ram = new PhysicalMemory(MIB);
    const frames = { alloc: () => null, free: () => undefined, blockSize: 8192 };
    assert.throws(() => new X86Paging({ ram, frames }), RangeError);
  });
});

describe("X86Paging and Mmu against a reference model (property)", () => {
  const WINDOW_BASE = 0xbf800000;
  const SLOTS = 4;
  const WINDOW_PAGES = SLOTS * 1024;
  const PAGE = 0x1000;
  const LARGE = 0x400000;

  interface ModelPage {
    phys: number;
    attrs: Attributes;
  }

  type Op =
    | { kind: "map"; page: number; count: number; phys: number; attrs: Attributes }
    | { kind: "mapLarge"; slot: number; slots: number; frame: number; attrs: Attributes }
    | { kind: "unmapPresent"; pick: number; len: number }
    | { kind: "unmap"; page: number; count: number };

  const attrsArb = fc.record({ kernel: fc.boolean(), writable: fc.boolean(), cachable: fc.boolean() });
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    { arbitrary: fc.record({ kind: fc.constant("mapLarge" as const), slot: fc.integer({ min: 0, max: SLOTS - 1 }), slots: fc.integer({ min: 1, max: 2 }), frame: fc.integer({ min: 0, max: 1021 }), attrs: attrsArb }), weight: 2 },
    fc.record({ kind: fc.constant("map" as const), page: fc.integer({ min: 0, max: WINDOW_PAGES - 1 }), count: fc.integer({ min: 1, max: 1100 }), phys: fc.integer({ min: 0, max: 0xfffff - 1100 }), attrs: attrsArb }),
    { arbitrary: fc.record({ kind: fc.constant("unmapPresent" as const), pick: fc.nat(), len: fc.nat() }), weight: 2 },
    fc.record({ kind: fc.constant("unmap" as const), page: fc.integer({ min: 0, max: WINDOW_PAGES - 1 }), count: fc.integer({ min: 1, max: 1100 }) }),
  );

  /** Resolves an op into a page range `[first, first + count)` of the window, plus the physical start for maps. */
  function resolve(op: Op, model: Map<number, ModelPage>): { map: boolean; first: number; count: number; phys: number; attrs: Attributes } | null {
    const none: Attributes = { kernel: true, writable: false, cachable: true };
    switch (op.kind) {
      case "map":
        return { map: true, first: op.page, count: Math.min(op.count, WINDOW_PAGES - op.page), phys: op.phys * PAGE, attrs: op.attrs };
      case "mapLarge": {
        const slots = Math.min(op.slots, SLOTS - op.slot);
        return { map: true, first: op.slot * 1024, count: slots * 1024, phys: op.frame * LARGE, attrs: op.attrs };
      }
      case "unmap":
        return { map: false, first: op.page, count: Math.min(op.count, WINDOW_PAGES - op.page), phys: 0, attrs: none };
      case "unmapPresent": {
        const keys = [...model.keys()].sort((a, b) => a - b);
        if (keys.length === 0) {
          return null;
        }
        const first = keys[op.pick % keys.length] ?? 0;
        let run = 1;
        while (model.has(first + run)) {
          run++;
        }
        return { map: false, first, count: 1 + (op.len % run), phys: 0, attrs: none };
      }
    }
  }

  function checkAgreement(ram: PhysicalMemory, dir: number, mmu: Mmu, model: Map<number, ModelPage>, probe: number): void {
    const walked = naiveWalk(ram.bytes, dir);
    assert.equal(walked.size, model.size, "naive walk sees exactly the model's pages");
    for (const [page, m] of model) {
      assert.deepEqual(walked.get((WINDOW_BASE / PAGE) + page), { phys: m.phys, user: !m.attrs.kernel, writable: m.attrs.writable, cacheDisable: !m.attrs.cachable });
    }
    for (let i = 0; i < 24; i++) {
      const page = (probe * 7919 + i * 613) % WINDOW_PAGES;
      const offset = (i * 0x155) & 0xfff;
      const vaddr = WINDOW_BASE + page * PAGE + offset;
      const m = model.get(page);
      assert.equal(mmu.tryTranslate(vaddr), m === undefined ? -1 : m.phys + offset, `supervisor read of page ${String(page)}`);
      const user = mmu.tryTranslate(vaddr, { user: true });
      assert.equal(user, m === undefined ? -1 - 0x4 : m.attrs.kernel ? -1 - 0x5 : m.phys + offset, `user read of page ${String(page)}`);
    }
  }

  test("random map/unmap sequences keep RAM, the MMU and the model in agreement and leak no table", () => {
    assertProperty(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 24 }), fc.nat(), (ops, probe) => {
        const ram = new PhysicalMemory(2 * MIB);
        const frames = new TestFrames(FRAMES_BASE, 128);
        const paging = new X86Paging({ ram, frames, largePages: true });
        const dir = paging.createDirectory();
        const mmu = new Mmu({ ram, cr3: dir, pse: true, tlbEntries: 32 });
        const baseline = frames.inUse;
        const model = new Map<number, ModelPage>();
        ops.forEach((op, step) => {
          const r = resolve(op, model);
          if (r === null) {
            return;
          }
          const pages = Array.from({ length: r.count }, (_, i) => r.first + i);
          const vStart = WINDOW_BASE + r.first * PAGE;
          const vEnd = vStart + r.count * PAGE;
          if (r.map) {
            const ok = pages.every((p) => !model.has(p));
            const run = (): void => paging.map(vStart, vEnd, r.phys, r.phys + r.count * PAGE, r.attrs, dir);
            if (ok) {
              run();
              pages.forEach((p, i) => model.set(p, { phys: r.phys + i * PAGE, attrs: r.attrs }));
            } else {
              assert.throws(run, (e: unknown) => e instanceof MapperError && e.code === "AlreadyMapped");
            }
          } else {
            const ok = pages.every((p) => model.has(p));
            const run = (): void => paging.unmap(vStart, vEnd, dir);
            if (ok) {
              run();
              pages.forEach((p) => model.delete(p));
              for (let v = vStart; v < vEnd; v += PAGE) {
                mmu.invlpg(v);
              }
            } else {
              assert.throws(run, (e: unknown) => e instanceof MapperError && e.code === "NotMapped");
            }
          }
          assert.equal(frames.inUse, baseline + paging.tablesInUse(dir), "every allocated frame is a live table");
          checkAgreement(ram, dir, mmu, model, probe + step);
        });
        const listed = paging.mappings(dir).flatMap((m) => Array.from({ length: m.size / PAGE }, (_, i) => [m.virt + i * PAGE, m.phys + i * PAGE]));
        assert.deepEqual(listed, [...model.entries()].sort((a, b) => a[0] - b[0]).map(([p, m]) => [WINDOW_BASE + p * PAGE, m.phys]));
        const keys = [...model.keys()].sort((a, b) => a - b);
        for (let i = 0; i < keys.length; ) {
          let j = i + 1;
          while (keys[j] === (keys[j - 1] ?? 0) + 1) {
            j++;
          }
          const first = keys[i] ?? 0;
          paging.unmap(WINDOW_BASE + first * PAGE, WINDOW_BASE + (first + (j - i)) * PAGE, dir);
          i = j;
        }
        assert.equal(paging.tablesInUse(dir), 0);
        assert.equal(frames.inUse, baseline, "no page table leaked");
        assert.equal(naiveWalk(ram.bytes, dir).size, 0);
      }),
      { seed: 0x5eed40, numRuns: 60 },
    );
  });
});

describe("X86Paging enumeration against the MMU (property)", () => {
  const FC_SEED = 0x6b6d6d75;
  const pdeArb = fc.record({
    table: fc.integer({ min: 1, max: 4 }),
    flags: fc.integer({ min: 0, max: 0xff }),
    high: fc.integer({ min: 0, max: 0xff }),
    reserved: fc.boolean(),
  });
  const pteArb = fc.record({ frame: fc.integer({ min: 0, max: 0xfffff }), flags: fc.integer({ min: 0, max: 0xff }) });
  const PROBED_PTIS = [0, 1, 2, 3, 4, 5, 6, 7, 1023];

  test("on random tables (PS, PSE-36 and reserved bits), mappings() lists exactly what the MMU translates and tablesInUse() what it walks, with and without PSE", () => {
    assertProperty(
      fc.property(fc.array(pdeArb, { minLength: 4, maxLength: 4 }), fc.array(pteArb, { minLength: 64, maxLength: 64 }), fc.boolean(), (pdes, ptes, pse) => {
        const ram = new PhysicalMemory(5 * MIB);
        pdes.forEach((e, pdi) => ram.write32(pdi * 4, (e.table * 0x1000 + e.high * 0x2000 + (e.reserved ? 0x20_0000 : 0) + e.flags) >>> 0));
        ptes.forEach((e, i) => ram.write32(0x1000 * (1 + Math.floor(i / 8)) + (i % 8) * 4, (e.frame * 0x1000 + e.flags) >>> 0));
        const paging = new X86Paging({ ram, frames: new TestFrames(FRAMES_BASE, 1), pse, largePages: pse });
        const listed = paging.mappings(0);
        const mmu = new Mmu({ ram, cr3: 0, pse, tlbEntries: 0, wp: true });
        const walkedTables = [0, 1, 2, 3].filter((pdi) => mmu.walk(pdi * 0x40_0000).pteAddress !== null).length;
        assert.equal(paging.tablesInUse(0), walkedTables, "tablesInUse counts the tables the MMU walks");
        for (let pdi = 0; pdi < 4; pdi++) {
          for (const pti of PROBED_PTIS) {
            const vaddr = pdi * 0x40_0000 + pti * 0x1000 + 0x123;
            const page = listed.find((m) => m.virt <= vaddr && vaddr < m.virt + m.size);
            const read = mmu.tryTranslate(vaddr);
            if (page === undefined) {
              assert.equal(read < 0, true, `${vaddr.toString(16)} is not listed, so the MMU must fault (it gave ${read.toString(16)})`);
              continue;
            }
            assert.equal(read, page.phys + (vaddr - page.virt), `${vaddr.toString(16)} translates to the listed frame`);
            assert.equal(mmu.tryTranslate(vaddr, { user: true }) >= 0, page.user, `${vaddr.toString(16)} user read follows the listed U`);
            assert.equal(mmu.tryTranslate(vaddr, { write: true }) >= 0, page.writable, `${vaddr.toString(16)} write follows the listed R/W`);
            assert.equal(page.large, pse && page.size === 0x40_0000, "only PSE makes 4 MiB pages");
          }
        }
      }),
      { numRuns: 200, seed: FC_SEED },
    );
  });
});
