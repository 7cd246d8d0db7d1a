import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PAGING_MODES } from "../../src/boot/modes.js";
import { exportModeMachine } from "../../src/boot/mode-describe.js";
import { modeEntryFields, modeFault } from "../../view/mode-fields.js";
import { bootModeView } from "../../view/mode-machine.js";
import { nonCanonicalHole, spaceSegments, wideSize } from "../../view/mode-vspace.js";
import { PhysCategory } from "../../view/model.js";
import { parseWideWalkLink, wideWalkLinkOf } from "../../view/walk-link.js";

const PROFILES = fileURLToPath(new URL("../../profiles/", import.meta.url));
const TWO_64 = 1n << 64n;
const READ = { write: false, user: false, fetch: false };

function profile(mode: string): unknown {
  return JSON.parse(readFileSync(`${PROFILES}${mode}.json`, "utf8"));
}

describe("the compressed virtual axis", () => {
  test("x86-64: lower half, non-canonical hole, upper half, each region and the breaks between them, covering 0…2^64 without overlap", () => {
    const regions = [
      { virtStart: 0xffffffff81000000n, virtEnd: 0xffffffff81200000n },
      { virtStart: 0xffff888000000000n, virtEnd: 0xffff888008000000n },
    ];
    const segments = spaceSegments(regions, TWO_64, nonCanonicalHole(48));
    assert.deepEqual(segments.map((s) => [s.kind, s.start, s.end, s.region]), [
      ["gap", 0n, 0x0000800000000000n, -1],
      ["hole", 0x0000800000000000n, 0xffff800000000000n, -1],
      ["gap", 0xffff800000000000n, 0xffff888000000000n, -1],
      ["region", 0xffff888000000000n, 0xffff888008000000n, 1],
      ["gap", 0xffff888008000000n, 0xffffffff81000000n, -1],
      ["region", 0xffffffff81000000n, 0xffffffff81200000n, 0],
      ["gap", 0xffffffff81200000n, TWO_64, -1],
    ]);
  });

  test("a 32-bit space has no hole; touching regions get no break between them", () => {
    const segments = spaceSegments([{ virtStart: 0x1000n, virtEnd: 0x2000n }, { virtStart: 0x2000n, virtEnd: 0x3000n }], 1n << 32n, null);
    assert.deepEqual(segments.map((s) => s.kind), ["gap", "region", "region", "gap"]);
  });

  test("sizes up to 2^64 read exactly", () => {
    assert.equal(wideSize(TWO_64), "16 EiB");
    assert.equal(wideSize(1n << 47n), "128 TiB");
    assert.equal(wideSize(0x604000n), "6160 KiB");
    assert.equal(wideSize(0x1800n), "6 KiB");
    assert.equal(wideSize(0x1801n), "6145 B");
    assert.equal(wideSize(0x1_0000_0000n - 0xc039d000n), "1020.3 MiB");
    assert.equal(wideSize(0x1_0000_0800_0000n), "256.0 TiB");
  });
});

describe("walk links of 64-bit modes", () => {
  test("an address beyond 2^53 survives the round trip exactly", () => {
    const link = parseWideWalkLink("#walk=0xFFFFFFFF81000010&user&write", TWO_64);
    assert.deepEqual(link, { vaddr: 0xffffffff81000010n, access: { user: true, write: true, fetch: false } });
    assert.equal(wideWalkLinkOf({ vaddr: 0xffffffff81000010n, access: { user: true, write: true, fetch: false } }, 16), "#walk=0xFFFFFFFF81000010&user&write");
  });

  test("an address beyond the mode, or a bad flag, is refused by name", () => {
    assert.throws(() => parseWideWalkLink("#walk=0x100000000", 1n << 32n), /0x100000000 is beyond this mode's virtual addresses \(they end at 0xFFFFFFFF\)/);
    assert.throws(() => parseWideWalkLink("#walk=0x1000&exec", TWO_64), /"exec" is not one of user, write, fetch/);
    assert.equal(parseWideWalkLink("#quiz=translate", TWO_64), null);
  });
});

describe("entry and fault decoding", () => {
  test("an x86-64 leaf: P, R/W, U/S, A, D, G and XD from their bit positions, the frame from bits 12–51", () => {
    const entry = (1n << 63n) | 0x0000000001000000n | 0x163n; // XD, frame 16 MiB, G D A RW P
    const fields = new Map(modeEntryFields("x86-64", entry, 0, "leaf").map((f) => [f.name, f]));
    assert.deepEqual(["P", "R/W", "U/S", "A", "D", "G", "XD"].map((n) => fields.get(n)?.value), ["1", "1", "0", "1", "1", "1", "1"]);
    assert.equal(fields.get("address")?.meaning, "page at 0x01000000");
  });

  test("a RISC-V pointer and a leaf: V R W X U G A D decoded, the PPN from bit 10", () => {
    const pointer = modeEntryFields("riscv-sv39", (0x80a05n << 10n) | 1n, 2, "table");
    assert.equal(pointer.find((f) => f.name === "PPN")?.meaning, "table at 0x80A05000 (R=W=X=0: a pointer to the next table)");
    const leaf = new Map(modeEntryFields("riscv-sv39", (0x80200n << 10n) | 0xcbn, 0, "leaf").map((f) => [f.name, f.value]));
    assert.deepEqual(["V", "R", "W", "X", "U", "G", "A", "D"].map((n) => leaf.get(n)), ["1", "1", "0", "1", "0", "0", "1", "1"]);
  });

  test("a PAE PDPTE shows P, PWT, PCD and its address only", () => {
    assert.deepEqual(modeEntryFields("x86-pae", 0x2001n, 2, "table").map((f) => f.name), ["P", "PWT", "PCD", "address"]);
  });
});

describe("bootModeView in every paging mode", () => {
  for (const mode of PAGING_MODES) {
    test(`${mode}: the kernel's first byte walks to its load address at every level, and the preview leaves RAM and the TLB as booted`, () => {
      const view = bootModeView(profile(mode), false);
      const { machine } = view;
      const before = exportModeMachine(machine).ram.slice();
      const walk = view.previewWalk(view.kernelStart, READ);
      assert.equal(walk.physical, machine.profile.kernel.physStart, "the kernel's first byte maps to its physical start");
      assert.equal(walk.steps.length, machine.mmu.geometry.levels, "a 4 KiB page reads every level");
      assert.equal(walk.steps.at(-1)?.role, "leaf");
      assert.ok(Buffer.from(before).equals(Buffer.from(exportModeMachine(machine).ram)), "RAM is unchanged by the preview");
      assert.equal(machine.mmu.tlbOccupancy(), 0, "the TLB is left empty");
      const user = view.previewWalk(view.kernelStart, { ...READ, user: true });
      const fault = modeFault(mode, user, 16);
      assert.ok(fault !== null, "a user read of the kernel faults");
      assert.match(fault.headline, mode.startsWith("riscv") ? /load page fault on a user read: scause = 13/ : /page fault on a user read: .*error code 0x5$/);
      const snapshot = view.physical();
      assert.equal(snapshot.categories[machine.root / snapshot.blockSize], PhysCategory.PageTable, "the root table is painted as a page table");
      assert.equal(snapshot.categories.filter((c) => c === PhysCategory.Firmware).length >= machine.layout.ramBase / snapshot.blockSize, true, "every block below RAM is firmware");
      const kernel = view.regions.find((r) => r.label === "kernel image");
      assert.equal(kernel?.physBlocks[0], machine.profile.kernel.physStart);
      assert.equal(view.regions.find((r) => r.direct)?.physBlocks.length ?? 0, 0, "the direct map aliases RAM and paints no block");
    });
  }
});
