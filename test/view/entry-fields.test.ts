import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { entryFields, errorCodeFields } from "../../view/entry-fields.js";

/** `name=value` for every field, in bit order: a compact golden string. */
function spell(fields: readonly { name: string; value: number }[]): string {
  return fields.map((f) => `${f.name}=${f.value.toString(16)}`).join(" ");
}

describe("entryFields", () => {
  const cases: readonly { value: number; level: "pde" | "pte"; expected: string; addressBits: string }[] = [
    { value: 0x00002027, level: "pde", expected: "P=1 R/W=1 U/S=1 PWT=0 PCD=0 A=1 (D)=0 PS=0 (G)=0 AVL=0 address=2000", addressBits: "12–31" },
    { value: 0x00c000e3, level: "pde", expected: "P=1 R/W=1 U/S=0 PWT=0 PCD=0 A=1 D=1 PS=1 G=0 AVL=0 (21)=0 address=c00000", addressBits: "13–20, 22–31" },
    { value: 0x00e020e3, level: "pde", expected: "P=1 R/W=1 U/S=0 PWT=0 PCD=0 A=1 D=1 PS=1 G=0 AVL=0 (21)=1 address=100c00000", addressBits: "13–20, 22–31" },
    { value: 0x001001b9, level: "pte", expected: "P=1 R/W=0 U/S=0 PWT=1 PCD=1 A=1 D=0 PAT=1 G=1 AVL=0 address=100000", addressBits: "12–31" },
    { value: 0x00000e00, level: "pte", expected: "P=0 R/W=0 U/S=0 PWT=0 PCD=0 A=0 D=0 PAT=0 G=0 AVL=7 address=0", addressBits: "12–31" },
  ];
  for (const { value, level, expected, addressBits } of cases) {
    test(`decodes ${level.toUpperCase()} 0x${value.toString(16)} field by field`, () => {
      const fields = entryFields(value, level);
      assert.equal(spell(fields), expected);
      assert.equal(fields.at(-1)?.bits, addressBits);
      assert.equal(fields.find((f) => f.name === "AVL")?.bits, "9–11");
    });
  }
});

describe("errorCodeFields", () => {
  test("spells error code 5 as a protection violation on a user read", () => {
    const fields = errorCodeFields(5);
    assert.equal(spell(fields), "P=1 W/R=0 U/S=1 RSVD=0 I/D=0");
    assert.deepEqual(fields.map((f) => f.bits), ["0", "1", "2", "3", "4"]);
    assert.equal(fields[0]?.meaning, "protection violation on a present page");
  });

  test("spells error code 0x9 as a reserved-bit fault on a supervisor read", () => {
    const fields = errorCodeFields(0x9);
    assert.equal(spell(fields), "P=1 W/R=0 U/S=0 RSVD=1 I/D=0");
    assert.equal(fields[3]?.meaning, "a reserved bit is set in an entry (a 4 MiB PDE's bit 21)");
  });

  test("spells error code 2 as a supervisor write to a non-present page", () => {
    assert.deepEqual(errorCodeFields(2).slice(0, 3).map((f) => f.meaning), [
      "the page is not present",
      "the access was a write",
      "the access came from supervisor mode",
    ]);
  });
});
