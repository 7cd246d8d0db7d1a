import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { auditLeaves, auditSummary } from "../../src/inspect/audit.js";
import { DumpError } from "../../src/inspect/dump-error.js";
import type { Finding, FindingKind } from "../../src/inspect/finding.js";
import { inspectTables } from "../../src/inspect/inspect.js";
import { inspectModeFor } from "../../src/inspect/machine.js";
import { scanTables } from "../../src/inspect/scan.js";
import { x86InspectMode } from "../../src/inspect/x86-inspect.js";
import { KERNEL_RO_X, KERNEL_RW_NX, KERNEL_RW_X, MIB, USER_RO_X, USER_RW_NX, longModeMachine, memoryOf } from "./support.js";

const DIRECT_MAP = 0xffff_8880_0000_0000n;
const TEXT = 0xffff_ffff_8100_0000n;
const PAGE = 0x1000n;

function findingsOf(found: readonly Finding[], kind: FindingKind): string[] {
  return found.filter((f) => f.kind === kind).map((f) => f.message);
}

/** A sound kernel: text RO+X, data RW+NX in the direct map, a user page RO+X. */
function soundMachine() {
  const m = longModeMachine();
  m.mapper.map(TEXT, TEXT + 2n * PAGE, 0x20_0000n, 0x20_2000n, KERNEL_RO_X, m.root);
  m.mapper.map(DIRECT_MAP + 0x30_0000n, DIRECT_MAP + 0x30_4000n, 0x30_0000n, 0x30_4000n, KERNEL_RW_NX, m.root);
  m.mapper.map(0x40_0000n, 0x40_1000n, 0x50_0000n, 0x50_1000n, USER_RO_X, m.root);
  return m;
}

function audit(m: ReturnType<typeof longModeMachine>, mode = x86InspectMode("x86-64")): readonly Finding[] {
  return inspectTables(memoryOf(m.ram), { mode, root: m.root, source: "test" }, { audit: true }).findings;
}

describe("kmem inspect's audit: one test per finding", () => {
  test("sound tables give no finding and the audit passes", () => {
    const found = audit(soundMachine());
    assert.deepEqual(found, []);
    assert.equal(auditSummary(found), "Audit passed: no findings");
  });

  test("a writable, executable kernel mapping is reported as Linux's CONFIG_DEBUG_WX words it", () => {
    const m = soundMachine();
    m.mapper.map(TEXT + 0x10_0000n, TEXT + 0x10_3000n, 0x60_0000n, 0x60_3000n, KERNEL_RW_X, m.root);
    assert.deepEqual(findingsOf(audit(m), "writableExecutable"), ["Found insecure W+X mapping at address 0xFFFFFFFF81100000 (3 pages)"]);
  });

  test("W+X is not checked in 32-bit paging, which has no NX bit (a note, as Linux skips it)", () => {
    const found = auditLeaves([], x86InspectMode("x86"));
    assert.deepEqual(found.map((f) => [f.kind, f.severity]), [["writableExecutable", "note"]]);
  });

  test("a user-accessible page in the kernel half is reported", () => {
    const m = soundMachine();
    m.mapper.map(DIRECT_MAP + 0x70_0000n, DIRECT_MAP + 0x70_1000n, 0x70_0000n, 0x70_1000n, USER_RO_X, m.root);
    assert.deepEqual(findingsOf(audit(m), "userInKernelHalf"), ["Found user-accessible mapping in the kernel half at address 0xFFFF888000700000 (1 page)"]);
  });

  test("a 2 MiB page with a reserved bit (13) set is reported and not listed as a mapping", () => {
    const m = longModeMachine("x86-64", true);
    m.mapper.map(DIRECT_MAP + 0x20_0000n, DIRECT_MAP + 0x40_0000n, 0x20_0000n, 0x40_0000n, KERNEL_RW_NX, m.root);
    const scan = scanTables(memoryOf(m.ram), x86InspectMode("x86-64"), m.root);
    const leaf = scan.leaves[0];
    assert.ok(leaf !== undefined && leaf.level === 1, "one 2 MiB leaf");
    m.ram.write32(leaf.entryAddress, (leaf.lo | (1 << 13)) >>> 0);
    const found = audit(m);
    // XD | frame 0x200000 | bit 13 | G | PS | RW | P
    assert.deepEqual(findingsOf(found, "reservedBits"), ["the pmd entry at 0x00102008 (mapping 0xFFFF888000200000) = 0x8000000000202183 has reserved bits set: the CPU faults on it"]);
    assert.equal(scanTables(memoryOf(m.ram), x86InspectMode("x86-64"), m.root).leaves.length, 0);
  });

  test("an entry pointing beyond MAXPHYADDR is a non-canonical entry", () => {
    const m = soundMachine();
    m.mapper.map(DIRECT_MAP, DIRECT_MAP + PAGE, 1n << 41n, (1n << 41n) + PAGE, KERNEL_RW_NX, m.root);
    const found = audit(m, x86InspectMode("x86-64", { physicalBits: 40 }));
    const entryAddress = /^the pte entry at (0x[0-9A-F]{8}) /.exec(findingsOf(found, "nonCanonical")[0] ?? "")?.[1] ?? "(none)";
    assert.deepEqual(findingsOf(found, "nonCanonical"), [`the pte entry at ${entryAddress} (mapping 0xFFFF888000000000) maps 0x20000000000, beyond the 40-bit physical address space`]);
    assert.deepEqual(findingsOf(audit(m), "nonCanonical"), [], "fine with 52 physical bits");
  });

  test("a table referenced by two entries is a note: listed under both, and the audit still passes", () => {
    const m = soundMachine();
    // PML4 slot 1 points at the same PDPT as slot 0 (the user page's).
    m.ram.write32(m.root + 8, m.ram.read32(m.root));
    const result = inspectTables(memoryOf(m.ram), { mode: x86InspectMode("x86-64"), root: m.root, source: "test" }, { audit: true });
    assert.deepEqual(result.findings.map((f) => [f.kind, f.severity]), [["sharedTable", "note"]]);
    assert.match(result.findings[0]?.message ?? "", /^The table at 0x[0-9A-F]+ is referenced by 2 entries \(shared\)$/);
    assert.deepEqual(result.leaves.filter((l) => l.user).map((l) => l.page * 4096), [0x40_0000, 0x80_0040_0000]);
    assert.equal(auditSummary(result.findings), "Audit passed: no findings (1 note)");
  });

  test("a table outside the dump's RAM is a finding, and its subtree is skipped", () => {
    const m = soundMachine();
    m.ram.write32(m.root + 8 * 2, (64 * MIB) | 0x7); // PML4 slot 2 → a PDPT at 64 MiB, past the 8 MiB of RAM
    assert.deepEqual(findingsOf(audit(m), "tableOutsideRam"), ["the pgd entry at 0x00100010 (mapping 0x0000010000000000) points at a table at 0x04000000, outside the dump's RAM"]);
  });

  test("a table that points back at an ancestor is a loop: reported, not followed, no hang", () => {
    const m = soundMachine();
    m.ram.write32(m.root + 8 * 3, (m.root | 0x7) >>> 0); // PML4 slot 3 → the PML4 itself
    const found = audit(m);
    assert.deepEqual(findingsOf(found, "tableLoop"), [`the pgd entry at 0x00100018 (mapping 0x0000018000000000) points back at the table at ${`0x${m.root.toString(16).toUpperCase().padStart(8, "0")}`} on its own path (a loop; not followed)`]);
  });

  test("a frame writable from user mode and through a kernel-only mapping is reported once per run", () => {
    const m = soundMachine();
    m.mapper.map(0x60_0000n, 0x60_2000n, 0x30_1000n, 0x30_3000n, USER_RW_NX, m.root);
    assert.deepEqual(findingsOf(audit(m), "writableAlias"), [
      "Physical 0x0000000301000–0x0000000303000 (2 pages) is writable from user mode at 0x0000000000600000 and by the kernel at 0xFFFF888000301000",
    ]);
  });

  test("tables that map more than the leaf limit stop the scan with a finding", () => {
    const m = soundMachine();
    const scan = scanTables(memoryOf(m.ram), x86InspectMode("x86-64"), m.root, { maxLeaves: 2 });
    assert.equal(scan.leaves.length, 2);
    assert.deepEqual(scan.findings.map((f) => f.kind), ["truncated"]);
  });

  test("a root outside the dump's RAM is unreadable input (DumpError), not a finding", () => {
    const m = soundMachine();
    assert.throws(
      () => scanTables(memoryOf(m.ram), inspectModeFor("x86-64"), 32 * MIB),
      (e: unknown) => e instanceof DumpError && e.code === "InvalidMachineState" && e.message.startsWith("Cannot inspect the tables at 0x02000000: the root table lies outside the dump's RAM"),
    );
  });
});
