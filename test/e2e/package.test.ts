// The package as a user gets it: `npm pack`, installed into a fresh project, then imported,
// required, typechecked, bundled and run — including `kmem verify-qemu` from a read-only install.
import assert from "node:assert/strict";
import { type Run, runProcess } from "../helpers/run-process.js";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");
const NODE_TYPES = join(ROOT, "node_modules", "@types");
/** The user `kmem verify-qemu` runs as when the tests run as root (who can write anywhere). */
const NOBODY = 65534;
/** A string only the built-in profile's description contains: present iff it is bundled. */
const DEFAULT_PROFILE_MARK = "QEMU/SeaBIOS firmware map";

/** The environment without npm's `npm_*` variables, so a nested npm acts as in a fresh shell. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("npm_")));
  return { ...env, ...extra };
}

function run(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<Run> {
  return runProcess(command, args, { cwd: options.cwd, env: options.env ?? cleanEnv() });
}

/** Runs and asserts exit status 0, showing the output otherwise. */
async function ok(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<Run> {
  const result = await run(command, args, options);
  assert.equal(result.status, 0, `${command} ${args.join(" ")} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
  return result;
}

/** Every file under `dir`, as paths relative to it, sorted. */
function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

/** Every string leaf of a package.json `exports`/`typesVersions` value. */
function leaves(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(leaves);
  if (typeof value === "object" && value !== null) return Object.values(value).flatMap(leaves);
  return [];
}

/** Adds or removes the write bits of every file and directory under `dir`. */
function setWritable(dir: string, writable: boolean): void {
  for (const path of [dir, ...readdirSync(dir, { recursive: true }).map((name) => join(dir, String(name)))]) {
    const stat = statSync(path);
    chmodSync(path, writable ? stat.mode | 0o200 : stat.mode & ~0o222);
  }
}

const temp = mkdtempSync(join(tmpdir(), "kmem-package-"));
const project = join(temp, "project");
const installed = join(project, "node_modules", "kmem");
let packed: string[] = [];

before(async () => {
  assert.equal(existsSync(join(ROOT, "dist", "index.js")), true, "dist/ is built (npm test builds first; else run `npm run build`)");
  // The build ran already (npm test builds first); `prepare` would only build it again.
  const pack = await ok("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", temp], { cwd: ROOT });
  const [info] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
  assert.ok(info !== undefined, `npm pack printed no package: ${pack.stdout}`);
  packed = info.files.map((file) => file.path).sort();
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "kmem-user", private: true, type: "module" }));
  await ok("npm", ["install", join(temp, info.filename), "--prefer-offline", "--no-audit", "--no-fund"], { cwd: project });
});

after(() => {
  if (existsSync(installed)) setWritable(installed, true);
  rmSync(temp, { recursive: true, force: true });
});

describe("the packed tarball", () => {
  test("holds the licence, the docs the README links to, the sources the maps point at, and no tests", () => {
    for (const file of ["LICENSE", "README.md", "package.json", "bin/kmem.js", "docs/cli.md", "docs/view.png", "profiles/default.json", "qemu/guest.asm", "src/index.ts", "dist/node/index.d.ts"]) {
      assert.ok(packed.includes(file), `the tarball holds ${file}`);
    }
    const stray = packed.filter((file) => /^(test|bench|examples|view|scripts|node_modules|qemu\/build)\//.test(file) || file.endsWith(".tsbuildinfo"));
    assert.deepEqual(stray, [], "no tests, benchmarks, build inputs or build output of the QEMU guest");
    assert.match(readFileSync(join(installed, "LICENSE"), "utf8"), /^MIT License\n\nCopyright \(c\) \d{4} the kmem authors\n/);
  });

  test("every path package.json names (main, types, bin, exports, typesVersions) is in it", () => {
    const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as Record<string, unknown>;
    assert.equal(manifest["license"], "MIT");
    assert.equal(manifest["sideEffects"], false);
    const paths = leaves([manifest["main"], manifest["types"], manifest["bin"], manifest["exports"], manifest["typesVersions"]]);
    assert.ok(paths.length >= 12, `package.json names ${paths.length} paths`);
    for (const path of paths) {
      assert.ok(packed.includes(path.replace(/^\.\//, "")), `${path} (named in package.json) is in the tarball`);
    }
  });

  test("every source map's sources are in it, so debuggers and go-to-definition reach the TypeScript", () => {
    const maps = packed.filter((file) => file.endsWith(".map"));
    assert.ok(maps.length > 100, `${maps.length} maps`);
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(join(installed, map), "utf8")) as { sources: string[] };
      for (const source of sources) {
        const target = relative(installed, join(installed, dirname(map), source));
        assert.ok(packed.includes(target), `${map} points at ${source}, which is in the tarball`);
      }
    }
  });

  test("every relative link in its Markdown reaches a file in it", () => {
    const documents = packed.filter((file) => file.endsWith(".md"));
    assert.ok(documents.length >= 7, `${documents.length} documents`);
    for (const document of documents) {
      const text = readFileSync(join(installed, document), "utf8");
      for (const [, link] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (link === undefined || /^(https?:|mailto:|#)/.test(link)) continue;
        const target = relative(installed, join(installed, dirname(document), link.replace(/#.*$/, "")));
        assert.ok(packed.includes(target), `${document} links to ${link}, which is in the tarball`);
      }
    }
  });
});

describe("the installed package", { concurrency: true }, () => {
  test("import and require give the same modules of kmem, kmem/x86 and kmem/node (one instance, no dual package)", async () => {
    writeFileSync(
      join(project, "both.mjs"),
      `import * as kmem from "kmem";
import * as x86 from "kmem/x86";
import * as node from "kmem/node";
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
console.log(JSON.stringify({
  same: [require("kmem") === kmem, require("kmem/x86") === x86, require("kmem/node") === node],
  mmuShared: kmem.Mmu === x86.Mmu,
  selfCheck: kmem.selfCheck(kmem.boot(kmem.DEFAULT_PROFILE)).ok,
  check: typeof node.checkProfileWithQemu,
}));
`,
    );
    writeFileSync(
      join(project, "plain.cjs"),
      `const { boot, DEFAULT_PROFILE, hex } = require("kmem");
const { Mmu } = require("kmem/x86");
const { readProfileFile } = require("kmem/node");
const machine = boot(readProfileFile(require.resolve("kmem/package.json").replace(/package\\.json$/, "profiles/default.json")));
const mmu = new Mmu({ ram: machine.ram, cr3: machine.cr3 });
console.log(hex(mmu.translate(0xc0100010, { user: false, write: false })), DEFAULT_PROFILE.memoryBytes);
`,
    );
    const both = await ok(process.execPath, ["both.mjs"], { cwd: project });
    assert.deepEqual(JSON.parse(both.stdout), { same: [true, true, true], mmuShared: true, selfCheck: true, check: "function" });
    const plain = await ok(process.execPath, ["plain.cjs"], { cwd: project });
    assert.equal(plain.stdout, "0x00100010 134217728\n");
  });

  test("a strict TypeScript file typechecks against its types under NodeNext (ESM and CJS), bundler and node10 resolution", async () => {
    writeFileSync(
      join(project, "user.ts"),
      `import { DEFAULT_PROFILE, boot, selfCheck, type Machine, type SelfCheckReport } from "kmem";
import { Mmu, PTE_USER, type WalkResult } from "kmem/x86";
import { checkProfileWithQemu, type ProfileCheckOptions, type ProfileCheckResult } from "kmem/node";

const machine: Machine = boot(DEFAULT_PROFILE);
const report: SelfCheckReport = selfCheck(machine);
const walk: WalkResult = new Mmu({ ram: machine.ram, cr3: machine.cr3 }).walk(0xc0100010, { user: false, write: false });
const options: ProfileCheckOptions = { random: { count: 300, seed: 7 }, largePages: false };
const later: Promise<ProfileCheckResult> = checkProfileWithQemu(DEFAULT_PROFILE, options);
// @ts-expect-error: boot needs a profile (an unused expectation fails the check if the types were any)
boot();
// @ts-expect-error: a self-check report's ok is a boolean
const wrong: string = report.ok;
export const used = [walk, later, wrong, PTE_USER] as const;
`,
    );
    writeFileSync(
      join(project, "user.cts"),
      `import { DEFAULT_PROFILE, boot } from "kmem";
import x86 = require("kmem/x86");
import type { ProfileCheckOptions } from "kmem/node";
const machine = boot(DEFAULT_PROFILE);
// @ts-expect-error: Mmu needs its options
new x86.Mmu();
export const used: [InstanceType<typeof x86.Mmu>, ProfileCheckOptions] = [new x86.Mmu({ ram: machine.ram, cr3: machine.cr3 }), { largePages: true }];
`,
    );
    // The core alone, as a browser project sees it: no Node types, and kmem's own .d.ts checked too.
    writeFileSync(join(project, "core.ts"), `import { DEFAULT_PROFILE, boot } from "kmem";\nimport { Mmu } from "kmem/x86";\nconst machine = boot(DEFAULT_PROFILE);\nexport const mmu = new Mmu({ ram: machine.ram, cr3: machine.cr3 });\n`);
    const strict = { target: "ES2022", strict: true, noEmit: true, exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true };
    const withNode = { ...strict, skipLibCheck: true, types: ["node"], typeRoots: [NODE_TYPES] };
    const configs: Record<string, { compilerOptions: object; files: string[] }> = {
      nodenext: { compilerOptions: { ...withNode, module: "NodeNext", moduleResolution: "NodeNext" }, files: ["user.ts", "user.cts"] },
      bundler: { compilerOptions: { ...withNode, module: "ESNext", moduleResolution: "Bundler" }, files: ["user.ts"] },
      node10: { compilerOptions: { ...withNode, module: "CommonJS", moduleResolution: "Node10", ignoreDeprecations: "6.0" }, files: ["user.ts"] },
      core: { compilerOptions: { ...strict, module: "ESNext", moduleResolution: "Bundler", lib: ["ES2022"], types: [], skipLibCheck: false, skipDefaultLibCheck: true }, files: ["core.ts"] },
    };
    await Promise.all(
      Object.entries(configs).map(async ([name, config]) => {
        const file = `tsconfig.${name}.json`;
        writeFileSync(join(project, file), JSON.stringify(config));
        await ok(process.execPath, [TSC, "-p", file], { cwd: project });
      }),
    );
  });

  test("bundlers drop the modules a bundle does not use (sideEffects: false), such as the built-in profile", async () => {
    const bundle = async (contents: string): Promise<string> => {
      const result = await build({ stdin: { contents, resolveDir: project }, bundle: true, write: false, format: "esm", platform: "neutral", logLevel: "silent" });
      return result.outputFiles[0]?.text ?? "";
    };
    const bitmapOnly = await bundle(`import { Bitmap } from "kmem"; console.log(new Bitmap(64).count);`);
    const withProfile = await bundle(`import { DEFAULT_PROFILE } from "kmem"; console.log(DEFAULT_PROFILE);`);
    assert.equal(withProfile.includes(DEFAULT_PROFILE_MARK), true, "a bundle using DEFAULT_PROFILE holds it");
    assert.equal(bitmapOnly.includes(DEFAULT_PROFILE_MARK), false, "a bundle using only Bitmap does not hold boot/default-profile.js");
    assert.equal(bitmapOnly.includes("class Mmu"), false, "nor the MMU");
  });

  test("npx kmem boot boots the default profile, and kmem help points at the installed docs", async () => {
    const boot = await ok("npx", ["kmem", "boot"], { cwd: project });
    assert.match(boot.stdout, /^Booted the default profile: 128 MiB PC/);
    assert.match(boot.stdout, /\nSelf-check: {6}ok: /);
    const help = await ok(join(project, "node_modules", ".bin", "kmem"), ["help"], { cwd: project });
    assert.ok(help.stdout.includes(`kmem's files are in ${installed}: docs/cli.md`), help.stdout);
  });
});

describe("a read-only install", () => {
  test("kmem verify-qemu builds its guest in the user's cache, never in the package", async () => {
    const before = listFiles(installed);
    setWritable(installed, false);
    // Root writes through any mode bits, so as root the check runs as `nobody`, for whom the
    // package is read-only as for any user of a system-wide install.
    const root = process.getuid?.() === 0;
    const home = join(temp, "home");
    mkdirSync(home);
    if (root) {
      chmodSync(temp, 0o755);
      chownSync(home, NOBODY, NOBODY);
    }
    const asUser = (command: string, args: readonly string[]): Promise<Run> => {
      const env = cleanEnv({ HOME: home });
      delete env["XDG_CACHE_HOME"];
      return root ? run("setpriv", [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", "--", command, ...args], { cwd: project, env }) : run(command, args, { cwd: project, env });
    };
    const alive = await asUser(process.execPath, ["-e", "process.stdout.write(String(process.getuid?.()))"]);
    assert.equal(alive.status, 0, `${root ? `as root, this check runs as nobody (uid ${NOBODY}), who` : "the user"} must be able to run ${process.execPath}: ${alive.stderr}`);
    // The install really is read-only for this user: what crashed before (mkdir qemu/build) fails.
    const probe = await asUser(process.execPath, ["-e", "require('node:fs').mkdirSync(process.argv[1])", join(installed, "qemu", "build")]);
    assert.notEqual(probe.status, 0, "the user cannot create qemu/build in the installed package");
    assert.match(probe.stderr, /EACCES/);

    const verify = await asUser(join(project, "node_modules", ".bin", "kmem"), ["verify-qemu"]);
    assert.equal(verify.status, 0, `kmem verify-qemu exited ${verify.status}:\n${verify.stdout}\n${verify.stderr}`);
    assert.match(verify.stdout, /\nPages: QEMU agrees with kmem on all \d+ present pages\n/);
    assert.equal(verify.stderr, "");
    const cached = readdirSync(join(home, ".cache", "kmem"));
    assert.equal(cached.filter((name) => /^guest-[0-9a-f]{16}-[0-9A-F]{8}\.bin$/.test(name)).length, 1, `the guest image is in ~/.cache/kmem: ${cached.join(", ")}`);
    setWritable(installed, true);
    assert.deepEqual(listFiles(installed), before, "the installed package is unchanged");
  });
});
