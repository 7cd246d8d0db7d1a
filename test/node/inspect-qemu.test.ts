import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { DEFAULT_PROFILE } from "../../src/boot/default-profile.js";
import type { MemoryProfile } from "../../src/boot/profile.js";
import { inspectTables } from "../../src/inspect/inspect.js";
import { toJson } from "../../src/inspect/render.js";
import { openDump } from "../../src/node/dump-file.js";
import { type ComparedPage, comparePages, formatDifferences, qemuPages } from "../../src/node/qemu/compare.js";
import { checkProfileWithQemu } from "../../src/node/qemu/machine-check.js";
import { parseInfoMem, parseInfoTlb } from "../../src/node/qemu/monitor-text.js";
import { findQemuTools } from "../../src/node/qemu/tools.js";

const PAGE = 0x1000;

/** `inspect --json`'s mappings as the pages compare.ts compares (one per leaf entry). */
function inspectPages(corePath: string): { pages: ComparedPage[]; arch: string; root: string } {
  const dump = openDump(corePath);
  try {
    const json = toJson(inspectTables(dump.memory, dump.target).leaves, dump.target.mode, dump.target.root);
    const pages = json.mappings.map((m) => ({
      virt: Number(m["virt"]),
      phys: Number(m["phys"]),
      large: Number(m["size"]) > PAGE,
      user: m["user"] === true,
      writable: m["writable"] === true,
      writeThrough: m["pwt"] === true,
      cacheDisable: m["pcd"] === true,
      global: m["global"] === true,
    }));
    return { pages, arch: json.arch, root: json.root };
  } finally {
    dump.close();
  }
}

/** Boots `profile` in QEMU's 32-bit guest, dumps it with dump-guest-memory, and compares inspect with info tlb/info mem. */
async function compareWithQemu(profile: MemoryProfile, largePages: boolean): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "kmem-inspect-"));
  try {
    const core = join(dir, "vm.core");
    let tlb = "";
    let mem = "";
    const result = await checkProfileWithQemu(profile, {
      tools: findQemuTools(),
      largePages,
      random: { count: 300, seed: 21 },
      onHalted: async (qemu) => {
        tlb = await qemu.hmp("info tlb");
        mem = await qemu.hmp("info mem");
        await qemu.execute("dump-guest-memory", { paging: false, protocol: `file:${core}` });
      },
    });
    const qemu = qemuPages(parseInfoTlb(tlb), parseInfoMem(mem));
    const inspected = inspectPages(core);
    assert.equal(inspected.arch, "x86");
    assert.equal(Number(inspected.root), result.cpu.cr3);
    assert.equal(formatDifferences(comparePages(inspected.pages, qemu).differences), "", "inspect and QEMU's info tlb differ");
    assert.equal(inspected.pages.length, qemu.length);
    assert.ok(qemu.length > 600, `only ${String(qemu.length)} pages compared`);
    assert.ok(inspected.pages.some((p) => p.user) && inspected.pages.some((p) => !p.writable) && inspected.pages.some((p) => p.cacheDisable), "user, read-only and cache-disabled pages were compared");
    if (largePages) assert.equal(inspected.pages.filter((p) => p.large).length, 2, "both 4 MiB pages were compared");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("kmem inspect against QEMU's own MMU", () => {
  test("a dump-guest-memory core of the 32-bit guest lists exactly the pages of info tlb, with the same frames and U/W/PWT/PCD/G", async () => {
    await compareWithQemu(DEFAULT_PROFILE, false);
  });

  test("with 4 MiB pages (CR4.PSE from the core's QEMU note) the PS entries match too", async () => {
    const profile: MemoryProfile = { ...DEFAULT_PROFILE, virtualReserved: [...DEFAULT_PROFILE.virtualReserved, { virtStart: 0xd000_0000, virtEnd: 0xd080_0000, physStart: 0x0040_0000, label: "two 4 MiB pages" }] };
    await compareWithQemu(profile, true);
  });
});
