import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ESLint } from "eslint";

/** The rule ids the project's ESLint config reports for `code` as if it were a test file. */
async function ruleIdsFor(code: string): Promise<(string | null)[]> {
  const eslint = new ESLint();
  const [result] = await eslint.lintText(code, { filePath: "test/lint-sample.test.ts" });
  return (result?.messages ?? []).map((message) => message.ruleId);
}

describe("ESLint rules for tests", () => {
  test("a one-argument assert.ok or assert is refused; with a message, or assert.equal, it passes", async () => {
    const header = 'import assert from "node:assert/strict";\nconst x: unknown = 1;\n';
    assert.deepEqual(await ruleIdsFor(`${header}assert.ok(x);\n`), ["no-restricted-syntax"], "bare assert.ok");
    assert.deepEqual(await ruleIdsFor(`${header}assert(x);\n`), ["no-restricted-syntax"], "bare assert");
    assert.deepEqual(await ruleIdsFor(`${header}assert.ok(x, "x is set");\nassert(x, "x is set");\nassert.equal(x, true);\n`), [], "with messages");
  });

  test("a property run straight through fc.assert is refused: properties go through assertProperty", async () => {
    const code = 'import fc from "fast-check";\nfc.assert(fc.property(fc.nat(), (n) => n >= 0), { seed: 1 });\n';
    assert.deepEqual(await ruleIdsFor(code), ["no-restricted-syntax"], "fc.assert");
  });
});
