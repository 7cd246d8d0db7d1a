import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { listMappings } from "../../src/arch/x86/mappings.js";
import { Mmu } from "../../src/arch/x86/mmu.js";
import { boot } from "../../src/boot/boot.js";
import type { ExportedMachine } from "../../src/boot/export.js";
import { DEFAULT_PROFILE } from "../../src/boot/default-profile.js";
import type { MemoryProfile } from "../../src/boot/profile.js";
import { comparePages, formatDifferences, kmemPages, type PageMapping, qemuPages } from "../../src/node/qemu/compare.js";
import { parseCpuState, parseInfoMem, parseInfoTlb } from "../../src/node/qemu/monitor-text.js";
import { type GuestMonitor, judgeGuestCpu, waitForGuest } from "../../src/node/qemu/cpu-check.js";
import { type ExpectEntries, formatEntryDifferences } from "../../src/node/qemu/accessed-dirty.js";
import { CR2_MISMATCH, GUEST_AREA_BYTES, NO_FAULT, PROBE_RECORD_BYTES } from "../../src/node/qemu/guest.js";
import { checkProfileWithQemu } from "../../src/node/qemu/machine-check.js";
import { GUEST_LABEL, placeGuest, withGuest } from "../../src/node/qemu/placement.js";
import { QemuError } from "../../src/node/qemu/qemu-error.js";
import { chooseProbes, compareProbes, decodeProbes, encodeProbes, type ExpectAccesses, formatProbeDifferences, probeAccesses } from "../../src/node/qemu/probes.js";
import { applyRandomOperations } from "../../src/node/qemu/random-ops.js";
import { PhysicalMemory } from "../../src/ram.js";
import { chunkFrames, stageTables, tableFrames } from "../../src/node/qemu/staging.js";
import { findQemuTools, type QemuTools } from "../../src/node/qemu/tools.js";
import { checkWithQemu } from "../../src/node/qemu/verify.js";

const PAGE = 0x1000;
const LARGE = 0x40_0000;
const RAM_BYTES = 0x100_0000;
const GUEST_BASE = 0x00f0_0000;
const P = 1 << 0;
const W = 1 << 1;
const U = 1 << 2;
const PWT = 1 << 3;
const PCD = 1 << 4;
const PS = 1 << 7;
const G = 1 << 8;

/** Fails (never skips) when the tools are missing, with the install hint in the message. */
function tools(): QemuTools {
  return findQemuTools();
}

/** A hand-written 32-bit page-table image: a directory at 0x1000 and tables after it. */
class HandImage {
  readonly memory = new PhysicalMemory(RAM_BYTES);
  readonly ram = this.memory.bytes;
  readonly cr3 = PAGE;
  readonly expected: PageMapping[] = [];
  readonly #view = new DataView(this.ram.buffer);
  #nextTable: number;

  /** Tables are taken from `firstTable` upwards. */
  constructor(firstTable = 2 * PAGE) {
    this.#nextTable = firstTable;
  }

  /** Maps one 4 KiB page with PTE flag bits `flags` (PDEs are P|W|U, as kmem writes them). */
  page(virt: number, phys: number, flags: number): this {
    const pdeAddress = this.cr3 + Math.floor(virt / LARGE) * 4;
    let pde = this.#view.getUint32(pdeAddress, true);
    if ((pde & P) === 0) {
      pde = this.#nextTable | P | W | U;
      this.#nextTable += PAGE;
      this.#view.setUint32(pdeAddress, pde, true);
    }
    const table = (pde & ~0xfff) >>> 0;
    this.#view.setUint32(table + ((virt >>> 12) & 0x3ff) * 4, (phys | flags | P) >>> 0, true);
    this.expected.push(mapping(virt, phys, PAGE, flags));
    return this;
  }

  /** Maps one 4 MiB page with PDE flag bits `flags`. */
  large(virt: number, phys: number, flags: number): this {
    this.#view.setUint32(this.cr3 + Math.floor(virt / LARGE) * 4, (phys | flags | PS | P) >>> 0, true);
    this.expected.push(mapping(virt, phys, LARGE, flags));
    return this;
  }

  /** Writes the raw PDE `value` for `virt`'s 4 MiB slot; `expected` is kmem's page for it (none when it maps nothing). */
  rawPde(virt: number, value: number, expected: PageMapping | null): this {
    this.#view.setUint32(this.cr3 + Math.floor(virt / LARGE) * 4, value >>> 0, true);
    if (expected !== null) this.expected.push(expected);
    return this;
  }

  /** Identity-maps the guest's area (kernel, writable). */
  guest(): this {
    for (let page = GUEST_BASE; page < GUEST_BASE + GUEST_AREA_BYTES; page += PAGE) this.page(page, page, W);
    return this;
  }
}

/** kmem's MMU (CR0.WP set) over a hand image: the reference for the guest's real accesses. */
function kmemMmu(image: HandImage, pse: boolean): ExpectAccesses {
  return (accesses) => {
    const mmu = new Mmu({ ram: image.memory, cr3: image.cr3, pse, wp: true });
    return accesses.map((a) => mmu.tryTranslate(a.vaddr, { write: a.write, user: a.user }));
  };
}

/** kmem's entries after its MMU (CR0.WP set, empty TLB) made the accesses, on a copy of a hand image's RAM. */
function kmemEntries(image: HandImage, pse: boolean): ExpectEntries {
  return (accesses) => {
    const copy = new PhysicalMemory(image.memory.size);
    copy.writeBytes(0, image.ram);
    const mmu = new Mmu({ ram: copy, cr3: image.cr3, pse, wp: true });
    for (const a of accesses) mmu.tryTranslate(a.vaddr, { write: a.write, user: a.user });
    return (address) => copy.read32(address);
  };
}

/** The user read-only page of {@link mixedImage} where the guest's ring-3 stub runs. */
const USER_PAGE = { vaddr: 0x0050_0000, phys: 0x0030_0000 };

function mapping(virt: number, phys: number, size: number, flags: number): PageMapping {
  return {
    virt,
    phys,
    size,
    user: (flags & U) !== 0,
    writable: (flags & W) !== 0,
    writeThrough: (flags & PWT) !== 0,
    cacheDisable: (flags & PCD) !== 0,
    global: (flags & G) !== 0,
    large: size === LARGE,
  };
}

function mixedImage(): HandImage {
  return new HandImage()
    .guest()
    .page(0xc000_0000, 0x0010_0000, 0)
    .page(0xc000_1000, 0x0010_1000, W)
    .page(0xc000_2000, 0x0010_2000, W | U | PCD)
    .page(0xc000_3000, 0x0010_3000, U | PWT | G)
    .page(0xc03f_f000, 0x00ab_c000, W | PCD | PWT)
    .page(0x0040_0000, 0x0020_0000, U)
    .page(USER_PAGE.vaddr, USER_PAGE.phys, U)
    .page(0xffff_f000, 0x0000_1000, W);
}

describe("QEMU monitor text", () => {
  test("info tlb lines parse into address, frame and every flag column", () => {
    const [small, large] = parseInfoTlb("00000000c0002000: 0000000000102000 -G-DACTUW\r\n00000000c0400000: 0000000000800000 --P-----W\r\n");
    assert.deepEqual(small, { virt: 0xc000_2000, phys: 0x10_2000, large: false, global: true, dirty: true, accessed: true, cacheDisable: true, writeThrough: true, user: true, writable: true });
    assert.equal(large?.large, true);
    assert.equal(large?.phys, 0x80_0000);
    assert.equal(large?.user, false);
  });

  test("info mem ranges carry the combined user and write rights", () => {
    assert.deepEqual(parseInfoMem("0000000000400000-0000000000402000 0000000000002000 -rw\n00000000c0002000-00000000c0003000 0000000000001000 ur-\n"), [
      { start: 0x40_0000, end: 0x40_2000, user: false, writable: true },
      { start: 0xc000_2000, end: 0xc000_3000, user: true, writable: false },
    ]);
  });

  test("a monitor answer of another shape (paging off) throws MonitorError naming the line", () => {
    assert.throws(() => parseInfoTlb("PG disabled\n"), (error: unknown) => error instanceof QemuError && error.code === "MonitorError" && error.message.includes("PG disabled"));
  });

  test("info registers yields CR0, CR3, CR4, EIP and the halt flag", () => {
    const cpu = parseCpuState("EIP=004000ab EFL=00000086 [--S--P-] CPL=0 II=0 A20=1 SMM=0 HLT=1\nCR0=80010011 CR2=00000000 CR3=00001000 CR4=00000010\n");
    assert.deepEqual(cpu, { cr0: 0x8001_0011, cr3: 0x1000, cr4: 0x10, eip: 0x40_00ab, halted: true });
  });
});

describe("the halted guest's CPU (real info registers text captured from qemu-system-i386 7.2)", () => {
  const captured = (name: string): string => readFileSync(new URL(`./fixtures/info-registers-${name}.txt`, import.meta.url), "utf8");
  const asked = { cr3: 0x1000, wp: true };

  test("a guest halted with paging on is done exactly when CR4.PSE is what it was told", () => {
    assert.deepEqual(judgeGuestCpu(captured("halted-pse-off"), { ...asked, pse: false }), { state: "done", cpu: { cr0: 0x8001_0011, cr3: 0x1000, cr4: 0, eip: 0xf0_019f, halted: true } });
    assert.equal(judgeGuestCpu(captured("halted-pse-on"), { ...asked, pse: true }).state, "done");
    assert.deepEqual(judgeGuestCpu(captured("halted-pse-off"), { ...asked, pse: true }), {
      state: "wrong",
      cpu: { cr0: 0x8001_0011, cr3: 0x1000, cr4: 0, eip: 0xf0_019f, halted: true },
      problem: "CR4 0x00000000 with PSE off, not on",
    });
    const wrong = judgeGuestCpu(captured("halted-pse-on"), { ...asked, pse: false });
    assert.equal(wrong.state === "wrong" && wrong.problem, "CR4 0x00000010 with PSE on, not off");
  });

  test("CR3 (frame bits only) and CR0.WP are checked too, every problem named", () => {
    const wrong = judgeGuestCpu(captured("halted-pse-on"), { cr3: 0x2000, pse: false, wp: false });
    assert.equal(wrong.state === "wrong" && wrong.problem, "CR3 0x00001000, not 0x00002000; CR4 0x00000010 with PSE on, not off; CR0 0x80010011 with WP on, not off");
    assert.equal(judgeGuestCpu(captured("halted-pse-on"), { cr3: 0x1018, pse: true, wp: true }).state, "done", "CR3's PWT/PCD bits are not compared");
  });

  test("a CPU that is not halted (stopped at reset, paging off) is still running, whatever was asked", () => {
    const progress = judgeGuestCpu(captured("at-reset"), { ...asked, pse: true });
    assert.deepEqual(progress, { state: "running", cpu: { cr0: 0x6000_0010, cr3: 0, cr4: 0, eip: 0xfff0, halted: false } });
    const halted = captured("halted-pse-on");
    assert.equal(judgeGuestCpu(halted.replace("HLT=1", "HLT=0"), { ...asked, pse: false }).state, "running", "halted but HLT=0 means still running");
    assert.equal(judgeGuestCpu(halted.replace("CR0=80010011", "CR0=00010011"), { ...asked, pse: false }).state, "running", "paging off means still running");
  });
});

describe("waiting for the guest (a scripted monitor replaying captured text)", () => {
  const captured = (name: string): string => readFileSync(new URL(`./fixtures/info-registers-${name}.txt`, import.meta.url), "utf8");
  /** A monitor answering `info registers` with `texts` in turn (the last one repeats) and query-status with `status`. */
  function monitor(texts: readonly string[], status: string): GuestMonitor & { readonly calls: string[] } {
    const calls: string[] = [];
    let next = 0;
    return {
      calls,
      hmp: (command) => {
        calls.push(command);
        return Promise.resolve(texts[Math.min(next++, texts.length - 1)] ?? "");
      },
      execute: (command) => {
        calls.push(command);
        return Promise.resolve({ status });
      },
    };
  }

  test("a triple fault is reported with the registers read after the VM stopped, not those of the poll before it", async () => {
    const qemu = monitor([captured("at-reset"), captured("triple-fault")], "shutdown");
    await assert.rejects(waitForGuest(qemu, { cr3: 0x1000, pse: false, wp: true }, 1000), (error: unknown) => {
      assert.equal(error instanceof QemuError && error.code, "GuestFailed");
      assert.equal((error as Error).message, "The QEMU guest stopped (triple fault) at EIP 0x00F00132 with CR0 0x80010011, CR3 0x00001000: the tables do not map what the guest needs as expected");
      return true;
    });
    assert.deepEqual(qemu.calls, ["info registers", "query-status", "info registers"]);
  });

  test("a running guest is polled until it halts as asked; one halted with other registers fails naming them", async () => {
    const done = await waitForGuest(monitor([captured("at-reset"), captured("halted-pse-on")], "running"), { cr3: 0x1000, pse: true, wp: true }, 1000);
    assert.equal(done.eip, 0xf0_019f);
    await assert.rejects(waitForGuest(monitor([captured("halted-pse-on")], "running"), { cr3: 0x1000, pse: false, wp: true }, 1000), (error: unknown) => {
      assert.equal((error as Error).message, "The QEMU guest halted with CR4 0x00000010 with PSE on, not off");
      return true;
    });
  });
});

describe("comparison", () => {
  test("kmem runs of 4 KiB pages are split page by page; 4 MiB pages stay whole", () => {
    const pages = kmemPages([mapping(0x1000, 0x5000, 3 * PAGE, W), mapping(LARGE, LARGE, LARGE, 0)]);
    assert.deepEqual(pages.map((p) => [p.virt, p.phys]), [[0x1000, 0x5000], [0x2000, 0x6000], [0x3000, 0x7000], [LARGE, LARGE]]);
  });

  test("a page missing on one side and a differing right are both listed with both sides", () => {
    const kmem = kmemPages([mapping(0x1000, 0x5000, PAGE, W), mapping(0x2000, 0x6000, PAGE, 0)]);
    const qemu = qemuPages(parseInfoTlb("0000000000001000: 0000000000005000 ---------\n0000000000003000: 0000000000007000 ---------\n"), parseInfoMem("0000000000001000-0000000000002000 0000000000001000 -r-\n0000000000003000-0000000000004000 0000000000001000 -r-\n"));
    const result = comparePages(kmem, qemu);
    assert.equal(result.pagesCompared, 3);
    assert.deepEqual(result.differences.map((d) => d.virt), [0x1000, 0x2000, 0x3000]);
    const text = formatDifferences(result.differences);
    assert.match(text, /^0x00001000: kmem 0x00005000 4K kernel rw .*\| qemu 0x00005000 4K kernel ro/m);
    assert.match(text, /^0x00002000: kmem 0x00006000 .*\| qemu \(not mapped\)$/m);
    assert.match(text, /^0x00003000: kmem \(not mapped\) \| qemu 0x00007000/m);
  });

  test("the diff lists at most the limit and counts the rest", () => {
    const kmem = kmemPages([mapping(0x1000, 0x1000, 30 * PAGE, W)]);
    const text = formatDifferences(comparePages(kmem, []).differences, 5);
    assert.equal(text.split("\n").length, 6);
    assert.match(text, /… and 25 more differing pages$/);
  });
});

describe("staging the tables", () => {
  test("the directory comes first, then each distinct table; a 4 MiB PDE points at a table only without PSE", () => {
    const image = mixedImage().large(0x8000_0000, 0x0080_0000, W);
    assert.deepEqual(tableFrames(image.ram, image.cr3, true), [0x1000, 0x2000, 0x3000, 0x4000, 0x5000]);
    assert.deepEqual(tableFrames(image.ram, image.cr3, false), [0x1000, 0x2000, 0x3000, 0x4000, 0x5000, 0x0080_0000]);
  });

  test("a PDE pointing outside the RAM image throws UnsupportedMachine naming the table", () => {
    const image = mixedImage().large(0x8000_0000, 0x0140_0000, W);
    assert.throws(() => tableFrames(image.ram, image.cr3, false), (error: unknown) => error instanceof QemuError && error.code === "UnsupportedMachine" && error.message.includes("0x01400000"));
  });

  test("consecutive frames are copied as one chunk and descriptors point into the blob", () => {
    const image = mixedImage();
    assert.deepEqual(chunkFrames(image.ram, [0x1000, 0x2000, 0x3000, 0x9000]).map((c) => [c.address, c.bytes.length]), [[0x1000, 3 * PAGE], [0x9000, PAGE]]);
    const staging = stageTables(image.ram, { cr3: image.cr3, pse: false, base: 0x0100_0000 });
    const view = new DataView(staging.blob.buffer);
    assert.equal(staging.copyCount, 1);
    assert.deepEqual([view.getUint32(0, true), view.getUint32(4, true), view.getUint32(8, true)], [0x1000, 0x0100_1000, 5 * PAGE]);
    assert.deepEqual(staging.blob.subarray(PAGE), image.ram.subarray(0x1000, 0x6000));
  });
});

describe("probes", () => {
  const page = (virt: number, phys: number, large = false): ReturnType<typeof kmemPages>[number] => ({ virt, phys, large, user: false, writable: true, writeThrough: false, cacheDisable: false, global: false });

  test("mapped pages are probed with their frame as tag, and the unmapped page on each side of every run expecting faults", () => {
    const probes = chooseProbes([page(0x2000, 0x9000), page(0x3000, 0xa000), page(0x40_0000, 0x80_0000, true), page(0xffff_f000, 0xb000)], (frame) => frame !== 0xa000);
    assert.deepEqual(probes, [
      { vaddr: 0x1000, tagFrame: null },
      { vaddr: 0x2000, tagFrame: 0x9000 },
      { vaddr: 0x4000, tagFrame: null },
      { vaddr: 0x3f_f000, tagFrame: null },
      { vaddr: 0x40_0000, tagFrame: 0x80_0000 },
      { vaddr: 0x80_0000, tagFrame: null },
      { vaddr: 0xffff_e000, tagFrame: null },
      { vaddr: 0xffff_f000, tagFrame: 0xb000 },
    ]);
  });

  test("a frame that may not be tagged but may be accessed is probed without a tag", () => {
    const probes = chooseProbes([page(0x2000, 0x9000), page(0x40_0000, 0xff_0000_0000, true)], (frame) => frame < 2 ** 32, { untagged: (frame) => frame >= 2 ** 36 });
    assert.deepEqual(probes.filter((p) => p.vaddr === 0x2000 || p.vaddr === 0x40_0000), [{ vaddr: 0x2000, tagFrame: 0x9000 }, { vaddr: 0x40_0000, tagFrame: null }]);
  });

  test("over capacity the fault probes stay and mapped pages are sampled evenly", () => {
    const pages = Array.from({ length: 100 }, (_, i) => page(0x10_0000 + i * PAGE, 0x20_0000 + i * PAGE));
    const probes = chooseProbes(pages, () => true, { capacity: 12 });
    assert.equal(probes.length, 12);
    assert.deepEqual(probes.filter((p) => p.tagFrame === null).map((p) => p.vaddr), [0xf_f000, 0x16_4000]);
  });

  test("records round-trip: the tag flag rides in bit 0 of the address and faults decode to codes or null", () => {
    const bytes = encodeProbes([{ vaddr: 0xc000_0000, tagFrame: 0x10_0000 }, { vaddr: 0x1000, tagFrame: null }]);
    assert.equal(bytes.length, 2 * PROBE_RECORD_BYTES);
    const view = new DataView(bytes.buffer);
    assert.deepEqual([view.getUint32(0, true), view.getUint32(4, true), view.getUint32(PROBE_RECORD_BYTES, true)], [0xc000_0001, 0x10_0000, 0x1000]);
    const record = (i: number, words: readonly number[]): void => words.forEach((word, j) => view.setUint32(i * PROBE_RECORD_BYTES + 4 + 4 * j, word, true));
    record(0, [0x10_0001, NO_FAULT, 0x3, 0x10_0001, NO_FAULT, 0x7]);
    record(1, [0, 0x0, 0x2 | CR2_MISMATCH, 0, 0x4, 0x6]);
    assert.deepEqual(decodeProbes(bytes, 2), [
      { vaddr: 0xc000_0000, value: 0x10_0001, readFault: null, writeFault: 0x3, userValue: 0x10_0001, userReadFault: null, userWriteFault: 0x7 },
      { vaddr: 0x1000, value: 0, readFault: 0, writeFault: 0x2 | CR2_MISMATCH, userValue: 0, userReadFault: 0x4, userWriteFault: 0x6 },
    ]);
  });

  test("each access is compared with kmem's answer: same fault code, no fault, right tag, right CR2", () => {
    const probes = [{ vaddr: 0x1000, tagFrame: null }, { vaddr: 0x2000, tagFrame: 0x9000 }];
    assert.deepEqual(probeAccesses(probes.slice(0, 1)), [
      { vaddr: 0x1000, write: false, user: false },
      { vaddr: 0x1000, write: true, user: false },
      { vaddr: 0x1000, write: false, user: true },
      { vaddr: 0x1000, write: true, user: true },
    ]);
    const outcomes = [
      { vaddr: 0x1000, value: 0, readFault: 0, writeFault: 0x2 | CR2_MISMATCH, userValue: 0, userReadFault: 0x4, userWriteFault: 0x6 },
      { vaddr: 0x2000, value: 0x9001, readFault: null, writeFault: null, userValue: 0x9001, userReadFault: null, userWriteFault: 0x7 },
    ];
    const honest = [-1, -3, -5, -7, 0x9000, 0x9000, 0x9000, -8];
    assert.deepEqual(compareProbes(probes, outcomes, honest, true), [{ vaddr: 0x1000, access: "write", kmem: "fault 0x2", qemu: "fault 0x2 (CR2 wrong)" }]);
    assert.deepEqual(compareProbes(probes, outcomes, [-1, -3, -5, -7, 0xa000, -4, 0x9000, 0x9000], true), [
      { vaddr: 0x1000, access: "write", kmem: "fault 0x2", qemu: "fault 0x2 (CR2 wrong)" },
      { vaddr: 0x2000, access: "read", kmem: "0x0000A000", qemu: "read 0x00009001, not the tag 0x0000A001 of 0x0000A000" },
      { vaddr: 0x2000, access: "write", kmem: "fault 0x3", qemu: "no fault" },
      { vaddr: 0x2000, access: "user write", kmem: "0x00009000", qemu: "fault 0x7" },
    ]);
    assert.deepEqual(compareProbes(probes, outcomes, [-1, -3, 0, 0, 0x9000, 0x9000, 0, 0], false).length, 1);
  });
});

describe("guest placement", () => {
  test("the default profile gets the guest in its highest free RAM, identity-mapped and labelled", () => {
    assert.equal(placeGuest(DEFAULT_PROFILE), 0x07fc_0000);
    assert.deepEqual(withGuest(DEFAULT_PROFILE).virtualReserved.at(-1), { virtStart: 0x07fc_0000, virtEnd: 0x07fe_0000, physStart: 0x07fc_0000, label: GUEST_LABEL });
  });

  test("an identity range already in use pushes the guest below it", () => {
    const profile: MemoryProfile = { ...DEFAULT_PROFILE, virtualReserved: [...DEFAULT_PROFILE.virtualReserved, { virtStart: 0x0700_0000, virtEnd: 0x0800_0000 }] };
    assert.equal(placeGuest(profile), 0x06fe_0000);
  });

  test("a profile without free RAM above 1 MiB is refused with GuestCollision", () => {
    const profile: MemoryProfile = { ...DEFAULT_PROFILE, memoryBytes: 0x0040_0000, memoryMap: [{ start: 0, end: 0x0040_0000, type: "available" }], modules: [] };
    const tight: MemoryProfile = { ...profile, virtualReserved: [{ virtStart: 0xd000_0000, virtEnd: 0xd00d_1000, physStart: 0x0032_f000 }] };
    assert.throws(() => placeGuest(tight), (error: unknown) => error instanceof QemuError && error.code === "GuestCollision" && error.message.includes(`0x${GUEST_AREA_BYTES.toString(16).toUpperCase().padStart(8, "0")}`));
  });

  test("a guest base on top of the kernel image is refused naming the range in use", () => {
    assert.throws(() => withGuest(DEFAULT_PROFILE, 0x0010_0000), (error: unknown) => error instanceof QemuError && error.code === "GuestCollision" && error.message.includes("0x00100000"));
  });
});

describe("random operations", () => {
  /** A recording VMM: allocations at increasing addresses, frees must name a live start. */
  function recorder(): { log: string[]; vmm: Parameters<typeof applyRandomOperations>[0] } {
    const log: string[] = [];
    const live = new Set<number>();
    let next = PAGE;
    return {
      log,
      vmm: {
        alloc(blocks, attrs) {
          const start = next;
          next += blocks * PAGE;
          live.add(start);
          log.push(`alloc ${blocks} ${attrs.kernel ? "k" : "u"}${attrs.writable ? "w" : "r"}${attrs.cachable ? "c" : "n"}`);
          return start;
        },
        free(vaddr) {
          assert.ok(live.delete(vaddr), `free of ${vaddr} which is not live`);
          log.push(`free ${vaddr}`);
        },
      },
    };
  }

  test("the same seed gives the same operations, frees only live allocations, and mixes every attribute", () => {
    const a = recorder();
    const b = recorder();
    const summary = applyRandomOperations(a.vmm, { count: 300, seed: 42 });
    applyRandomOperations(b.vmm, { count: 300, seed: 42 });
    assert.deepEqual(a.log, b.log);
    assert.equal(summary.allocs + summary.frees, 300);
    assert.equal(summary.live.length, summary.allocs - summary.frees);
    for (const kind of ["kwc", "urn", "kwn", "urc"]) assert.ok(a.log.some((line) => line.endsWith(kind)), kind);
  });
});

describe("tools", () => {
  test("a missing qemu-system-i386 or nasm throws QemuMissing saying how to install them", () => {
    assert.throws(() => findQemuTools({ PATH: "/nonexistent" }), (error: unknown) => {
      return error instanceof QemuError && error.code === "QemuMissing" && /qemu-system-i386 and nasm/.test(error.message) && /apt-get install qemu-system-x86 nasm/.test(error.message);
    });
  });

  test("qemu-system-i386 and nasm are installed (the QEMU check never skips)", () => {
    assert.doesNotThrow(tools);
  });
});

describe("QEMU against a hand-written image", () => {
  test("every 4 KiB page with mixed user, write and cache bits matches QEMU's MMU", async () => {
    const image = mixedImage();
    const result = await checkWithQemu({ ram: image.ram, memoryBytes: RAM_BYTES, cr3: image.cr3, pse: false, expected: image.expected, guestBase: GUEST_BASE }, { tools: tools() });
    assert.equal(formatDifferences(result.differences), "");
    assert.equal(result.pagesCompared, image.expected.length);
    assert.equal(result.cpu.cr3, image.cr3);
    assert.equal(result.probes.count, 0);
  });

  test("the guest's real ring-0 and ring-3 reads and writes land on the tagged frames and fault exactly where kmem's MMU faults", async () => {
    const image = mixedImage();
    const result = await checkWithQemu(
      { ram: image.ram, memoryBytes: RAM_BYTES, cr3: image.cr3, pse: false, expected: image.expected, guestBase: GUEST_BASE, expectAccesses: kmemMmu(image, false), expectEntries: kmemEntries(image, false), userPage: USER_PAGE },
      { tools: tools() },
    );
    assert.equal(formatProbeDifferences(result.probes.differences, 20), "");
    assert.equal(formatEntryDifferences(result.entries.differences, 20), "", "QEMU sets the same accessed and dirty bits, a PDE's A on a walk that faults at its PTE included");
    // The PDEs of 0xC0000000 and 0xFFC00000 (those of the guest's and the stub's 4 MiB slots are skipped) and the 7 PTEs outside the guest and the stub.
    assert.equal(result.entries.compared, 2 + 7);
    // 8 mapped pages besides the guest's; the stub's page and 0xFFFFF000 (the page directory) are never touched.
    assert.equal(result.probes.tagged, 6);
    // Ring 0: 3 read-only pages fault on write (0x3). Ring 3: 3 kernel pages fault on read (0x5)
    // and write (0x7), 2 user read-only pages on write (0x7). Each unmapped neighbour faults 4 times.
    assert.equal(result.probes.faulted, 3 + 3 * 2 + 2 + 4 * (result.probes.count - result.probes.tagged));
    assert.ok(result.ok, "QEMU agrees with kmem on every page and access");
  });

  test("a wrong frame and a missing fault in kmem's answers are reported access by access", async () => {
    const image = mixedImage();
    const honest = kmemMmu(image, false);
    const lying: ExpectAccesses = (accesses) =>
      honest(accesses).map((answer, i) => {
        const access = accesses[i];
        if (access?.vaddr === 0xc000_1000 && !access.write && !access.user) return answer + PAGE;
        if (access?.vaddr === 0xc000_0000 && access.write && !access.user) return 0x0010_0000;
        return answer;
      });
    const result = await checkWithQemu({ ram: image.ram, memoryBytes: RAM_BYTES, cr3: image.cr3, pse: false, expected: image.expected, guestBase: GUEST_BASE, expectAccesses: lying, userPage: USER_PAGE }, { tools: tools() });
    assert.equal(result.ok, false);
    assert.equal(result.differences.length, 0);
    assert.equal(
      formatProbeDifferences(result.probes.differences, 20),
      ["0xC0000000 write: kmem 0x00100000 | qemu fault 0x3", "0xC0001000 read: kmem 0x00102000 | qemu read 0x00101001, not the tag 0x00102001 of 0x00102000"].join("\n"),
    );
  });

  test("an accessed bit kmem leaves clear where QEMU's walk sets it is reported entry by entry", async () => {
    const image = mixedImage();
    const honest = kmemEntries(image, false);
    const pdeOfUnmappedNeighbour = image.cr3 + (0xc000_0000 >>> 22) * 4;
    const lying: ExpectEntries = (accesses) => {
      const read = honest(accesses);
      return (address) => (address === pdeOfUnmappedNeighbour ? read(address) & ~0x20 : read(address));
    };
    const result = await checkWithQemu(
      { ram: image.ram, memoryBytes: RAM_BYTES, cr3: image.cr3, pse: false, expected: image.expected, guestBase: GUEST_BASE, expectAccesses: kmemMmu(image, false), expectEntries: lying, userPage: USER_PAGE },
      { tools: tools() },
    );
    assert.equal(result.ok, false);
    assert.equal(formatEntryDifferences(result.entries.differences, 20), "PDE at 0x00001C00 (0xC0000000): kmem -- | qemu A-");
  });

  test("4 MiB pages are seen as large when the guest sets CR4.PSE", async () => {
    const image = mixedImage().large(0x8000_0000, 0x0080_0000, W | U).large(0xc040_0000, 0x00c0_0000, PCD | G);
    const result = await checkWithQemu({ ram: image.ram, memoryBytes: RAM_BYTES, cr3: image.cr3, pse: true, expected: image.expected, guestBase: GUEST_BASE, expectAccesses: kmemMmu(image, true), userPage: USER_PAGE }, { tools: tools() });
    assert.equal(formatDifferences(result.differences), "");
    assert.equal(formatProbeDifferences(result.probes.differences, 20), "");
    assert.equal(result.largePages, 2);
    assert.equal(result.cpu.cr4 & (1 << 4), 1 << 4);
  });

  test("PSE-36 and the reserved bit: QEMU's CPU reaches the frame above 4 GiB kmem names, and faults with RSVD where kmem does", async () => {
    const image = mixedImage()
      .large(0x8000_0000, 0x0080_0000, W | U)
      .rawPde(0x8040_0000, 0x0040_0000 | (1 << 13) | W | U | PS | P, mapping(0x8040_0000, 0x1_0040_0000, LARGE, W | U))
      .rawPde(0x8080_0000, 0x00c0_0000 | (1 << 21) | W | U | PS | P, null)
      .rawPde(0x80c0_0000, 0x0000_0000 | (0xff << 13) | W | PS | P, mapping(0x80c0_0000, 0xff_0000_0000, LARGE, W));
    const probed: number[] = [];
    const oracle: ExpectAccesses = (accesses) => {
      probed.push(...accesses.map((a) => a.vaddr));
      return kmemMmu(image, true)(accesses);
    };
    const result = await checkWithQemu(
      { ram: image.ram, memoryBytes: RAM_BYTES, cr3: image.cr3, pse: true, expected: image.expected, guestBase: GUEST_BASE, expectAccesses: oracle, expectEntries: kmemEntries(image, true), userPage: USER_PAGE },
      { tools: tools() },
    );
    assert.equal(formatDifferences(result.differences), "");
    assert.equal(formatProbeDifferences(result.probes.differences, 20), "");
    assert.equal(formatEntryDifferences(result.entries.differences, 20), "", "the same A and D bits, the reserved PDE's untouched");
    assert.equal(result.largePages, 3);
    assert.equal(result.probes.rsvdWithoutPresent, 8, "QEMU 7.2 reports the reserved-bit faults (two probes in that slot) as 0x8/0xA/0xC/0xE, kmem as 0x9/0xB/0xD/0xF");
    assert.deepEqual(probed.filter((vaddr) => vaddr === 0x80c0_0000), [0x80c0_0000, 0x80c0_0000, 0x80c0_0000, 0x80c0_0000], "the page at 0xFF_0000_0000 (no memory in QEMU) was probed untagged, and QEMU's CPU did not fault: bits 17–20 are address bits there, whatever MAXPHYADDR");
    assert.equal(result.commandLine.some((arg) => arg.endsWith(",addr=0x100400000,force-raw=on")), true, "the frame above 4 GiB is tagged by QEMU's loader");
    assert.equal(result.commandLine.join(" ").match(/-M pc,max-ram-below-4g=(\d+) .* -m (\d+)M/)?.slice(1).join(" "), "19922944 24", "QEMU gets 19 MiB below 4 GiB and 5 MiB above it, up to the probed frame");
    assert.equal(result.ok, true);
  });

  test("a wrong expectation fails with a diff naming the page and both sides", async () => {
    const image = mixedImage();
    const expected = image.expected.map((m) => (m.virt === 0xc000_0000 ? { ...m, writable: true } : m)).filter((m) => m.virt !== 0xffff_f000);
    const result = await checkWithQemu({ ram: image.ram, memoryBytes: RAM_BYTES, cr3: image.cr3, pse: false, expected, guestBase: GUEST_BASE }, { tools: tools() });
    assert.equal(result.ok, false);
    assert.deepEqual(result.differences.map((d) => d.virt), [0xc000_0000, 0xffff_f000]);
    assert.match(formatDifferences(result.differences), /^0xC0000000: kmem 0x00100000 4K kernel rw .*\| qemu 0x00100000 4K kernel ro/m);
  });

  test("tables that do not really map the guest's code page stop the guest, reported as a triple fault with its EIP", async () => {
    const image = mixedImage();
    const table = new DataView(image.ram.buffer).getUint32(image.cr3 + (GUEST_BASE >>> 22) * 4, true) & ~0xfff;
    new DataView(image.ram.buffer).setUint32(table + ((GUEST_BASE >>> 12) & 0x3ff) * 4, 0x0050_0000 | W | P, true);
    await assert.rejects(
      checkWithQemu({ ram: image.ram, memoryBytes: RAM_BYTES, cr3: image.cr3, pse: false, expected: image.expected, guestBase: GUEST_BASE }, { tools: tools() }),
      (error: unknown) => error instanceof QemuError && error.code === "GuestFailed" && /triple fault\) at EIP 0x00F0/.test(error.message),
    );
  });

  test("a guest that is not identity-mapped is refused with GuestCollision before QEMU starts", async () => {
    const image = new HandImage().page(0xc000_0000, 0x0010_0000, W);
    await assert.rejects(
      checkWithQemu({ ram: image.ram, memoryBytes: RAM_BYTES, cr3: image.cr3, pse: false, expected: image.expected, guestBase: GUEST_BASE }, { tools: tools() }),
      (error: unknown) => error instanceof QemuError && error.code === "GuestCollision" && error.message.includes("0x00F00000"),
    );
  });

  test("a page table inside the guest area is refused with GuestCollision", async () => {
    const image = new HandImage(GUEST_BASE + PAGE).guest();
    await assert.rejects(
      checkWithQemu({ ram: image.ram, memoryBytes: RAM_BYTES, cr3: image.cr3, pse: false, expected: image.expected, guestBase: GUEST_BASE }, { tools: tools() }),
      (error: unknown) => error instanceof QemuError && error.code === "GuestCollision" && error.message.includes("0x00F01000"),
    );
  });
});

describe("QEMU against kmem's booted machines", () => {
  test("the default profile plus the guest: every present page matches QEMU", async () => {
    const result = await checkProfileWithQemu(DEFAULT_PROFILE, { tools: tools() });
    assert.equal(formatDifferences(result.differences), "");
    assert.equal(formatProbeDifferences(result.probes.differences, 20), "");
    assert.equal(formatEntryDifferences(result.entries.differences, 20), "");
    assert.equal(result.entries.compared > 600, true, `only ${result.entries.compared} entries' accessed/dirty bits compared`);
    assert.ok(result.probes.tagged > 600, `only ${result.probes.tagged} tagged probes`);
    assert.equal(result.pagesCompared, kmemPages(result.machine.paging.mappings(result.machine.cr3)).length);
    assert.ok(result.pagesCompared > 600, `only ${result.pagesCompared} pages`);
    assert.equal(result.cpu.cr3, result.machine.cr3);
  });

  test("after 300 seeded random alloc/free operations with mixed attributes every page still matches", async () => {
    const result = await checkProfileWithQemu(DEFAULT_PROFILE, { tools: tools(), random: { count: 300, seed: 6 } });
    assert.equal(formatDifferences(result.differences), "");
    assert.equal(formatProbeDifferences(result.probes.differences, 20), "");
    assert.equal(formatEntryDifferences(result.entries.differences, 20), "");
    assert.ok(result.probes.faulted > 0, `some probes faulted (${result.probes.faulted})`);
    const pages = kmemPages(result.machine.paging.mappings(result.machine.cr3));
    assert.equal(result.pagesCompared, pages.length);
    for (const [name, has] of [["user", (p: (typeof pages)[number]) => p.user], ["read-only user", (p: (typeof pages)[number]) => p.user && !p.writable], ["cache-disabled", (p: (typeof pages)[number]) => p.cacheDisable]] as const) {
      assert.ok(pages.some(has), `no ${name} page was compared`);
    }
    assert.ok((result.random?.frees ?? 0) > 50, `more than 50 random frees (${result.random?.frees ?? 0})`);
  });

  test("with 4 MiB pages a 4 MiB-aligned reservation is one PS entry each and matches under CR4.PSE", async () => {
    const profile: MemoryProfile = { ...DEFAULT_PROFILE, virtualReserved: [...DEFAULT_PROFILE.virtualReserved, { virtStart: 0xd000_0000, virtEnd: 0xd080_0000, physStart: 0x0040_0000, label: "two 4 MiB pages" }] };
    const result = await checkProfileWithQemu(profile, { tools: tools(), largePages: true, random: { count: 300, seed: 11 } });
    assert.equal(formatDifferences(result.differences), "");
    assert.equal(formatProbeDifferences(result.probes.differences, 20), "");
    assert.equal(formatEntryDifferences(result.entries.differences, 20), "");
    assert.equal(result.largePages, 2);
    assert.equal(result.cpu.cr4 & (1 << 4), 1 << 4);
  });

  test("a PTE changed in RAM behind kmem's back is caught page by page", async () => {
    const profile = withGuest(DEFAULT_PROFILE);
    const guestBase = profile.virtualReserved.at(-1)?.virtStart ?? 0;
    const machine = boot(profile);
    const expected = machine.paging.mappings(machine.cr3);
    const directory = new DataView(machine.ram.bytes.buffer);
    const table = directory.getUint32(machine.cr3 + (0xc010_0000 >>> 22) * 4, true) & ~0xfff;
    const pteAddress = table + ((0xc010_0000 >>> 12) & 0x3ff) * 4;
    directory.setUint32(pteAddress, (directory.getUint32(pteAddress, true) | W | U) >>> 0, true);
    const result = await checkWithQemu({ ram: machine.ram.bytes, memoryBytes: profile.memoryBytes, cr3: machine.cr3, pse: false, expected, guestBase }, { tools: tools() });
    assert.deepEqual(result.differences.map((d) => d.virt), [0xc010_0000]);
    assert.match(formatDifferences(result.differences), /^0xC0100000: kmem 0x00100000 4K kernel ro .*\| qemu 0x00100000 4K user rw/);
  });
});

describe("kmem verify-qemu", () => {
  /** Runs the CLI from source (no build needed) and returns its exit status and output. */
  function kmem(args: readonly string[], env: NodeJS.ProcessEnv = process.env): { status: number | null; stdout: string; stderr: string } {
    const script = 'import { main } from "./src/cli/main.ts"; process.exitCode = await main(process.argv.slice(1));';
    const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script, ...args], { encoding: "utf8", env, timeout: 30_000 });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  }

  test("on the default profile with random operations it exits 0 and reports the pages compared as JSON", () => {
    const run = kmem(["verify-qemu", "--random", "100", "--seed", "3", "--json"]);
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout) as { ok: boolean; pagesCompared: number; differences: unknown[]; random: { allocs: number } };
    assert.equal(report.ok, true);
    assert.ok(report.pagesCompared > 600, `more than 600 pages compared (${report.pagesCompared})`);
    assert.deepEqual(report.differences, []);
    assert.ok(report.random.allocs > 0, `some random allocations (${report.random.allocs})`);
  });

  test("without QEMU on PATH it exits 2 with one line saying how to install it", () => {
    const run = kmem(["verify-qemu"], { ...process.env, PATH: "/nonexistent", KMEM_QEMU: "", KMEM_NASM: "" });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /^kmem: .*apt-get install qemu-system-x86 nasm.*\n$/);
  });

  test("the files kmem export writes (ram.bin, machine.json) drive the same check", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kmem-qemu-test-"));
    try {
      const small: MemoryProfile = {
        memoryBytes: 0x100_0000,
        memoryMap: [{ start: 0, end: 0x9_fc00, type: "available" }, { start: 0x10_0000, end: 0x100_0000, type: "available" }],
        kernel: DEFAULT_PROFILE.kernel,
        modules: [],
        virtualReserved: [{ virtStart: 0xe000_0000, virtEnd: 0xe080_0000, physStart: 0x80_0000, label: "two 4 MiB pages" }],
      };
      const profile = withGuest(small);
      const guestBase = profile.virtualReserved.at(-1)?.virtStart ?? 0;
      writeFileSync(join(dir, "profile.json"), JSON.stringify(profile));
      const run = kmem(["export", "--profile", join(dir, "profile.json"), "--large-pages", "--out", dir]);
      assert.equal(run.status, 0, run.stderr);
      const machine = JSON.parse(readFileSync(join(dir, "machine.json"), "utf8")) as ExportedMachine;
      const ram = new PhysicalMemory(machine.memoryBytes);
      ram.writeBytes(0, new Uint8Array(readFileSync(join(dir, "ram.bin"))));
      const expected = listMappings(ram, machine.cr3, { pse: machine.cr4Pse });
      const oracle: ExpectAccesses = (accesses) => {
        const mmu = new Mmu({ ram, cr3: machine.cr3, pse: machine.cr4Pse, wp: true });
        return accesses.map((a) => mmu.tryTranslate(a.vaddr, { write: a.write, user: a.user }));
      };
      const result = await checkWithQemu({ ram: ram.bytes, memoryBytes: machine.memoryBytes, cr3: machine.cr3, pse: machine.cr4Pse, expected, guestBase, expectAccesses: oracle }, { tools: tools() });
      assert.equal(formatDifferences(result.differences), "");
      assert.equal(formatProbeDifferences(result.probes.differences, 20), "");
      assert.equal(machine.cr4Pse, true);
      assert.equal(result.largePages, 2);
      assert.ok(result.probes.tagged > 500, `more than 500 tagged probes (${result.probes.tagged})`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a profile with no room for the guest exits 2 naming the guest's size", () => {
    const dir = mkdtempSync(join(tmpdir(), "kmem-qemu-test-"));
    try {
      const file = join(dir, "tight.json");
      writeFileSync(file, JSON.stringify({
        memoryBytes: 0x40_0000,
        memoryMap: [{ start: 0, end: 0x40_0000, type: "available" }],
        kernel: DEFAULT_PROFILE.kernel,
        virtualReserved: [{ virtStart: 0xd000_0000, virtEnd: 0xd00d_1000, physStart: 0x32_f000 }],
      }));
      const run = kmem(["verify-qemu", "--profile", file]);
      assert.equal(run.status, 2);
      assert.match(run.stderr, /^kmem: Cannot place the QEMU guest: .*0x00020000-byte area/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
