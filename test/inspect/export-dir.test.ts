import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { bootMode, modeMappings } from "../../src/boot/mode-boot.js";
import { exportModeMachine } from "../../src/boot/mode-describe.js";
import { readModeProfile } from "../../src/boot/mode-profile.js";
import { inspectTables } from "../../src/inspect/inspect.js";
import { openDump } from "../../src/node/dump-file.js";
import { GEOMETRIES, MODE_NAMES, PAGE_SHIFT } from "../../src/paging/geometry.js";

const PROFILES = fileURLToPath(new URL("../../profiles/", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "kmem-inspect-export-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe("kmem inspect of a kmem export directory", () => {
  for (const mode of MODE_NAMES.filter((name) => name !== "x86")) {
    test(`${mode}: inspect reads machine.json (root, ramBase, registers) and lists exactly the booted machine's leaves`, () => {
      const machine = bootMode(readModeProfile(JSON.parse(readFileSync(join(PROFILES, `${mode}.json`), "utf8"))));
      const exported = exportModeMachine(machine);
      // Written as `kmem export` writes it: machine.json, and ram.bin from ramBase.
      const dir = join(scratch, mode);
      mkdirSync(dir);
      writeFileSync(join(dir, "machine.json"), JSON.stringify(exported.machine));
      writeFileSync(join(dir, "ram.bin"), exported.ram);
      const dump = openDump(dir);
      try {
        assert.equal(dump.kind, "kmem export");
        assert.equal(dump.target.root, machine.root, "the root comes from machine.json");
        const { vaBits } = GEOMETRIES[mode];
        const expected = modeMappings(machine).map((m) => [Number(BigInt.asUintN(vaBits, m.virt) >> BigInt(PAGE_SHIFT)), m.phys, m.size, m.user, m.writable]);
        const leaves = inspectTables(dump.memory, dump.target).leaves.map((l) => [l.page, l.phys, l.pages << PAGE_SHIFT, l.user, l.writable]);
        assert.equal(leaves.length, expected.length, "one leaf per mapping");
        assert.deepEqual(leaves, expected);
      } finally {
        dump.close();
      }
    });
  }
});
