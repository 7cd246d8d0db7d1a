import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { boot, DEFAULT_PROFILE, describeMachine, exportMachine, selfCheck } from "../../src/boot/index.js";
import { BLOCK_SIZE } from "../../src/types.js";
import { bootViewMachine } from "../../view/kmem-machine.js";
import { PhysCategory } from "../../view/model.js";
import { countKeys, physicalPaint } from "../../view/phys-paint.js";

const KERNEL_RW: { kernel: boolean; writable: boolean; cachable: boolean } = { kernel: true, writable: true, cachable: true };
const SUPERVISOR_READ = { write: false, user: false, fetch: false };

describe("bootViewMachine (the page's adapter over real kmem)", () => {
  test("lists the rows of kmem boot --json, in address order, for a fresh machine", () => {
    const view = bootViewMachine(null, { largePages: false });
    const machine = boot(DEFAULT_PROFILE);
    const expected = describeMachine(machine, selfCheck(machine)).regions;
    const rows = view.regions().map(({ virtStart, virtEnd, physStart, kernel, writable, cachable, label }) => ({
      virtStart, virtEnd, physStart, kernel, writable, cachable, label,
    }));
    assert.deepEqual(rows, expected);
    assert.match(view.bootReport, /^self-check ok/);
  });

  test("exports what kmem export writes for a fresh machine", () => {
    const view = bootViewMachine(null, { largePages: false });
    const machine = boot(DEFAULT_PROFILE);
    selfCheck(machine);
    const exported = exportMachine(machine);
    const files = view.exportFiles();
    assert.equal(files.machineJson, `${JSON.stringify(exported.machine, null, 2)}\n`);
    assert.deepEqual(files.ram, exported.ram);
  });

  test("an alloc adds a labelled row that free removes again", () => {
    const view = bootViewMachine(null, { largePages: false });
    const before = view.regions().length;
    const start = view.alloc(4, KERNEL_RW, { label: "buffer" });
    assert.ok(start !== null, "the allocation succeeded");
    const row = view.regions().find((r) => r.virtStart === start);
    assert.equal(row?.label, "buffer");
    assert.equal(row?.physBlocks.length, 4);
    view.free(start);
    assert.equal(view.regions().length, before);
  });

  test("set reserves a labelled range, mapped to the given physical range or not at all", () => {
    const view = bootViewMachine(null, { largePages: false });
    view.set({ virtStart: 0xd0000000, virtEnd: 0xd0002000, physStart: 0x01000000 }, KERNEL_RW, "frame buffer");
    view.set({ virtStart: 0xe0000000, virtEnd: 0xe0004000, physStart: null }, KERNEL_RW, "guard");
    const mapped = view.regions().find((r) => r.virtStart === 0xd0000000);
    assert.equal(mapped?.label, "frame buffer");
    assert.equal(mapped?.physStart, 0x01000000);
    const guard = view.regions().find((r) => r.virtStart === 0xe0000000);
    assert.deepEqual([guard?.label, guard?.physStart, guard?.physBlocks.length], ["guard", null, 0]);
    assert.equal(view.walk(0xd0001004, SUPERVISOR_READ).physical, 0x01001004);
    assert.equal(view.walk(0xe0000000, SUPERVISOR_READ).fault?.errorCode, 0);
  });

  test("freeing the middle of an allocation throws kmem's NotAllocated and changes nothing", () => {
    const view = bootViewMachine(null, { largePages: false });
    const before = view.regions();
    assert.throws(() => view.free(0xc0101000), { code: "NotAllocated" });
    assert.deepEqual(view.regions(), before);
  });

  test("categorises physical blocks: the page directory, the kernel image, free memory", () => {
    const view = bootViewMachine(null, { largePages: false });
    const { categories, blockSize } = view.physical();
    assert.equal(blockSize, BLOCK_SIZE);
    assert.equal(categories[view.cr3 / blockSize], PhysCategory.PageTable);
    assert.equal(categories[DEFAULT_PROFILE.kernel.physStart / blockSize], PhysCategory.Kernel);
    assert.equal(categories[categories.length / 2], PhysCategory.Free);
    assert.equal(categories[(DEFAULT_PROFILE.memoryBytes - blockSize) / blockSize], PhysCategory.Firmware);
  });

  test("walks 0xC0100010 to 0x00100010 with PDE and PTE decoded, and faults a user read with error code 5", () => {
    const view = bootViewMachine(null, { largePages: false });
    const ok = view.walk(0xc0100010, SUPERVISOR_READ);
    assert.equal(ok.physical, 0x00100010);
    assert.deepEqual(ok.levels.map((l) => l.name), ["PDE", "PTE"]);
    assert.equal(ok.levels[1]?.fields.find((f) => f.name === "R/W")?.meaning, "read-only");
    const fault = view.walk(0xc0100010, { ...SUPERVISOR_READ, user: true });
    assert.equal(fault.fault?.errorCode, 5);
    assert.deepEqual(fault.fault?.bits.slice(0, 3).map((b) => b.value), [1, 0, 1]);
  });

  test("a freed page still translates through a stale TLB entry until invlpg", () => {
    const view = bootViewMachine(null, { largePages: false });
    const start = view.alloc(1, KERNEL_RW, { label: "temp" });
    assert.ok(start !== null, "the allocation succeeded");
    const first = view.walk(start, SUPERVISOR_READ);
    view.free(start);
    const stale = view.walk(start, SUPERVISOR_READ);
    assert.equal(stale.tlbHit, true);
    assert.equal(stale.staleTlb, true);
    assert.equal(stale.physical, first.physical);
    assert.equal(first.staleTlb, false);
    view.invlpg(start);
    assert.equal(view.walk(start, SUPERVISOR_READ).fault?.errorCode, 0);
  });

  test("explains a 4 MiB page with one PDE and a 22-bit offset when large pages are on", () => {
    const profile = {
      memoryBytes: 0x04000000,
      memoryMap: [{ start: 0, end: 0x04000000, type: "available" }],
      kernel: { physStart: 0x00400000, physEnd: 0x00c00000, virtStart: 0xc0400000, virtEnd: 0xc0c00000 },
    };
    const view = bootViewMachine(profile, { largePages: true });
    const walk = view.walk(0xc0512345, SUPERVISOR_READ);
    assert.equal(walk.large, true);
    assert.equal(walk.offset, 0x112345);
    assert.deepEqual(walk.levels.map((l) => l.name), ["PDE"]);
    assert.equal(walk.physical, 0x00512345);
    assert.equal(view.mappings().find((m) => m.virt === 0xc0400000)?.size, 0x00400000);
  });
});

describe("the view machine's walk preview and physical paint", () => {
  test("previewWalk explains a walk as walk does, but leaves RAM and the TLB unchanged", () => {
    const view = bootViewMachine(null, { largePages: false });
    const before = view.exportFiles().ram.slice();
    const preview = view.previewWalk(0xc0100010, SUPERVISOR_READ);
    assert.equal(preview.physical, 0x00100010);
    assert.equal(preview.levels[1]?.fields.find((f) => f.name === "A")?.value, 1, "the preview shows the accessed bit the walk sets");
    assert.deepEqual(view.exportFiles().ram, before, "RAM is as booted");
    const real = view.walk(0xc0100010, SUPERVISOR_READ);
    assert.equal(real.tlbHit, false, "the preview filled no TLB entry");
    assert.deepEqual({ ...real, tlbHit: false }, preview);
  });

  test("kernelStart is the profile's kernel virtual start", () => {
    assert.equal(bootViewMachine(null, { largePages: false }).kernelStart, DEFAULT_PROFILE.kernel.virtStart);
  });

  test("physicalPaint keys each block by the region that maps it, page tables and firmware apart", () => {
    const view = bootViewMachine(null, { largePages: false });
    const paint = physicalPaint(view.physical(), view.regions(), (label) => `colour of ${label}`);
    const labelAt = (address: number): string | null => paint.labels[paint.keys[address / paint.blockSize] ?? -1] ?? null;
    const nameAt = (address: number): string => paint.names[paint.keys[address / paint.blockSize] ?? -1] ?? "";
    assert.equal(labelAt(0x00100000), "kernel image");
    assert.equal(labelAt(0x0022f000), "kernel early allocations");
    assert.equal(labelAt(0x000b8000), "VGA text buffer");
    assert.equal(labelAt(0x00340000), "module initrd");
    assert.equal(nameAt(view.cr3), "page tables");
    assert.equal(nameAt(0x07fe0000), "firmware-reserved");
    assert.equal(nameAt(0x04000000), "free");
    assert.equal(paint.colors[paint.labels.indexOf("kernel image")], "colour of kernel image");
    assert.equal(countKeys(paint).reduce((a, b) => a + b, 0), paint.keys.length);
  });
});
