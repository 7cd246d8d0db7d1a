import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { faultCauses } from "../../view/fault-cause.js";
import { bootViewMachine } from "../../view/kmem-machine.js";

const access = (flags: { write?: boolean; user?: boolean }): { write: boolean; user: boolean; fetch: boolean } => ({
  write: flags.write ?? false, user: flags.user ?? false, fetch: false,
});

describe("faultCauses names the entry bit behind a fault, as the CPU decides", () => {
  const machine = bootViewMachine(null, { largePages: false });
  const cases: { name: string; vaddr: number; access: { write?: boolean; user?: boolean }; causes: { level: number; field: string }[] }[] = [
    { name: "a user read of the kernel image: U/S of the PTE (the PDE allows user mode)", vaddr: 0xc0100010, access: { user: true }, causes: [{ level: 1, field: "U/S" }] },
    { name: "a user write of the read-only kernel image: U/S, checked before R/W", vaddr: 0xc0100010, access: { user: true, write: true }, causes: [{ level: 1, field: "U/S" }] },
    { name: "a supervisor write of the read-only kernel image (CR0.WP): R/W of the PTE", vaddr: 0xc0100000, access: { write: true }, causes: [{ level: 1, field: "R/W" }] },
    { name: "an address whose PDE is not present: P of the PDE", vaddr: 0x00400000, access: {}, causes: [{ level: 0, field: "P" }] },
    { name: "an address whose PTE is not present: P of the PTE", vaddr: 0xc0000000, access: {}, causes: [{ level: 1, field: "P" }] },
    { name: "a walk that translates: none", vaddr: 0xc0100010, access: {}, causes: [] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(faultCauses(machine.previewWalk(c.vaddr, access(c.access))), c.causes);
    });
  }

  test("both levels are named when both deny user mode", () => {
    const view = machine.previewWalk(0xc0100010, access({ user: true }));
    const pde = view.levels[0];
    assert.ok(pde !== undefined, "the walk read a PDE");
    const denying = { ...view, levels: [{ ...pde, fields: pde.fields.map((f) => (f.name === "U/S" ? { ...f, value: 0 } : f)) }, ...view.levels.slice(1)] };
    assert.deepEqual(faultCauses(denying), [{ level: 0, field: "U/S" }, { level: 1, field: "U/S" }]);
  });
});
