// @ts-check
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "test-output/**", "view/dist/**", "qemu/build/**", "build/**"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-console": "off",
    },
  },
  {
    // A failing assert.ok(x) without a message makes Node re-read the call site to describe it,
    // which under tsx took minutes (issue 10): give every truthiness assertion a message.
    files: ["test/**/*.ts"],
    rules: {
      "no-restricted-syntax": ["error",
        {
          selector: "CallExpression[arguments.length<2][callee.type='MemberExpression'][callee.object.name='assert'][callee.property.name='ok']",
          message: "Give assert.ok a message (or use assert.equal(x, true)): a bare failing assert.ok is very slow to report.",
        },
        {
          selector: "CallExpression[arguments.length<2][callee.type='Identifier'][callee.name='assert']",
          message: "Give assert(x) a message (or use assert.equal(x, true)): a bare failing assert is very slow to report.",
        },
        {
          selector: "CallExpression[callee.object.name='fc'][callee.property.name='assert']",
          message: "Run properties through assertProperty (test/helpers/property.ts): a fixed seed, printed on failure, KMEM_SEED to override.",
        },
      ],
    },
  },
  {
    // The core runs in Node and in the browser: no Node built-ins, no upward imports.
    files: ["src/**/*.ts"],
    ignores: ["src/cli/**", "src/node/**"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [
          { group: ["node:*", "fs", "path", "os", "child_process", "url"], message: "The core imports no Node modules (STYLE.md)." },
          { group: ["**/cli/**", "**/node/**"], message: "The core never imports the CLI or Node-only helpers." },
        ],
      }],
    },
  },
  {
    files: ["src/bitmap.ts", "src/pmm.ts", "src/vmm.ts", "src/ram.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [
          { group: ["node:*"], message: "The core imports no Node modules." },
          { group: ["**/arch/**", "**/boot/**", "**/cli/**", "**/node/**"], message: "A lower layer never imports a higher one." },
        ],
      }],
    },
  },
);
