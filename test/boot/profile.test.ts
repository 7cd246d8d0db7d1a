import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_PROFILE } from "../../src/boot/default-profile.js";
import { type MemoryProfile, parseProfile, parseProfileJson } from "../../src/boot/profile.js";
import { ProfileError } from "../../src/boot/profile-error.js";
import { KmemError } from "../../src/errors/kmem-error.js";

/** A mutable deep copy of the default profile, as plain JSON-like data. */
type Draft = Record<string, unknown> & {
  kernel: Record<string, unknown>;
  memoryMap: Record<string, unknown>[];
  modules: Record<string, unknown>[];
  virtualReserved: Record<string, unknown>[];
};

function draft(change: (p: Draft) => void): Draft {
  const copy = structuredClone(DEFAULT_PROFILE) as unknown as Draft;
  change(copy);
  return copy;
}

function profileError(input: unknown): ProfileError {
  try {
    parseProfile(input);
  } catch (error) {
    assert.ok(error instanceof ProfileError, `expected a ProfileError, got ${String(error)}`);
    return error;
  }
  assert.fail("the profile was accepted");
}

describe("parseProfile", () => {
  test("accepts the default profile unchanged", () => {
    assert.deepEqual(parseProfile(structuredClone(DEFAULT_PROFILE)), DEFAULT_PROFILE);
  });

  test("profiles/default.json parses to exactly DEFAULT_PROFILE", () => {
    const text = readFileSync(new URL("../../profiles/default.json", import.meta.url), "utf8");
    assert.deepEqual(parseProfileJson(text), DEFAULT_PROFILE);
  });

  test('reads "0x…" strings and numbers alike', () => {
    const profile = parseProfile(draft((p) => {
      p.memoryBytes = "0x08000000";
      p.kernel.physStart = "0x100000";
    }));
    assert.equal(profile.memoryBytes, 0x0800_0000);
    assert.equal(profile.kernel.physStart, 0x10_0000);
  });

  test("treats modules and virtualReserved as optional, defaulting to empty lists", () => {
    const profile = parseProfile(draft((p) => {
      Reflect.deleteProperty(p, "modules");
      Reflect.deleteProperty(p, "virtualReserved");
    }));
    assert.deepEqual(profile.modules, []);
    assert.deepEqual(profile.virtualReserved, []);
  });

  test("tolerates overlapping virtual ranges that map the same physical pages", () => {
    const profile = parseProfile(draft((p) => {
      p.virtualReserved.push({ virtStart: 0xc00b_9000, virtEnd: 0xc00c_4000, physStart: 0xb_9000, label: "wider VGA" });
      p.virtualReserved.push({ virtStart: 0xc010_0000, virtEnd: 0xc010_1000, physStart: 0x10_0000 });
    }));
    assert.equal(profile.virtualReserved.length, 3);
  });

  test("accepts a reservation mapped beyond RAM (MMIO) and a reservation without physical pages", () => {
    const profile = parseProfile(draft((p) => {
      p.virtualReserved.push({ virtStart: 0xfee0_0000, virtEnd: 0xfee0_1000, physStart: 0xfee0_0000, label: "local APIC" });
      p.virtualReserved.push({ virtStart: 0xd000_0000, virtEnd: 0xd010_0000, label: "heap" });
    }));
    assert.equal(profile.virtualReserved.length, 3);
  });

  test("errors are KmemErrors with code InvalidProfile and data { path, value }", () => {
    const error = profileError(draft((p) => {
      p.kernel.physEnd = 0;
    }));
    assert.ok(error instanceof KmemError, `a KmemError, got ${String(error)}`);
    assert.equal(error.code, "InvalidProfile");
    assert.deepEqual(error.data, { path: "kernel.physEnd", value: 0 });
  });

  const failures: readonly [string, (p: Draft) => void, string][] = [
    ["a missing field", (p) => Reflect.deleteProperty(p, "kernel"), "kernel is missing"],
    ["a missing nested field", (p) => Reflect.deleteProperty(p.kernel, "virtEnd"), "kernel.virtEnd is missing"],
    ["an unknown field", (p) => (p.kernel.physStrat = 1), "kernel.physStrat is not a profile field (expected physStart, physEnd, virtStart, virtEnd)"],
    ["a non-integer address", (p) => (p.kernel.physStart = 1.5), "kernel.physStart 1.5 is not an integer"],
    ["a negative address", (p) => (p.memoryMap[0]!.end = -4096), "memoryMap[0].end -4096 is negative"],
    ["a malformed address string", (p) => (p.memoryMap[0]!.end = "12k"), 'memoryMap[0].end "12k" is not an address (use a number or a "0x…" hex string)'],
    ["an address of the wrong type", (p) => (p.memoryBytes = true), 'memoryBytes true is not an address (use a number or a "0x…" hex string)'],
    ["end below start", (p) => (p.kernel.physEnd = 0), "kernel.physEnd 0x00000000 is below kernel.physStart 0x00100000"],
    ["an empty range", (p) => (p.modules[0]!.physEnd = p.modules[0]!.physStart), "modules[0].physEnd 0x00340000 equals modules[0].physStart (an empty range)"],
    ["a region beyond 4 GiB", (p) => (p.virtualReserved[0]!.virtEnd = "0x100001000"), "virtualReserved[0].virtEnd 0x100001000 is beyond 4 GiB (0x100000000)"],
    ["memory beyond 4 GiB", (p) => (p.memoryBytes = 0x1_0000_1000), "memoryBytes 0x100001000 is beyond 4 GiB (0x100000000)"],
    [
      "a physical target running past 4 GiB",
      (p) => (p.virtualReserved[0]!.physStart = 0xffff_c000),
      "virtualReserved[0].physStart 0xFFFFC000 puts the physical end 0x100004000 beyond 4 GiB",
    ],
    ["memory not a whole number of blocks", (p) => (p.memoryBytes = 1000), "memoryBytes 0x000003E8 is not a multiple of the block size 0x00001000"],
    ["an unknown memory type", (p) => (p.memoryMap[1]!.type = "acpi"), 'memoryMap[1].type "acpi" is not a memory type (expected "available" or "reserved")'],
    ["available memory beyond memoryBytes", (p) => (p.memoryBytes = 0x400_0000), "memoryMap[2].end 0x07FE0000 is beyond memoryBytes 0x04000000"],
    [
      "a kernel in reserved memory",
      (p) => (p.kernel = { physStart: 0x8_0000, physEnd: 0x10_0000, virtStart: 0xc008_0000, virtEnd: 0xc010_0000 }),
      "kernel.physStart 0x00080000 puts the kernel image 0x00080000–0x00100000 outside available memory (0x0009F000–0x00100000 is not available)",
    ],
    [
      "a kernel beyond RAM",
      (p) => (p.kernel = { physStart: 0x0900_0000, physEnd: 0x0910_0000, virtStart: 0xc900_0000, virtEnd: 0xc910_0000 }),
      "kernel.physStart 0x09000000 puts the kernel image 0x09000000–0x09100000 outside available memory (0x09000000–0x09100000 is not available)",
    ],
    [
      "no room for the early-allocation area",
      (p) => Object.assign(p.kernel, { physEnd: 0x07f0_0000, virtEnd: 0xc7f0_0000 }),
      "kernel.physEnd 0x07F00000 leaves no room for the 1 MiB early-allocation area: 0x07FE0000–0x08000000 is not available memory",
    ],
    [
      "virtual and physical kernel sizes differ",
      (p) => (p.kernel.virtEnd = 0xc022_e7c1),
      "kernel.virtEnd 0xC022E7C1 makes the virtual image 0x0012E7C1 bytes long, but the physical image is 0x0012E7C0 bytes",
    ],
    [
      "a kernel in the null page",
      (p) => Object.assign(p.kernel, { virtStart: 0x0, virtEnd: 0x12_e7c0 }),
      "kernel.virtStart 0x00000000 is below the kernel VMM start 0x00001000",
    ],
    [
      "a module in reserved memory",
      (p) => Object.assign(p.modules[0]!, { physStart: 0x7fd_0000, physEnd: 0x7ff_0000 }),
      'modules[0].physStart 0x07FD0000 puts module "initrd" 0x07FD0000–0x07FF0000 outside available memory (0x07FE0000–0x07FF0000 is not available)',
    ],
    [
      "a module over the kernel's early-allocation area",
      (p) => (p.modules[0]!.physStart = 0x30_0000),
      'modules[0].physStart 0x00300000 puts module "initrd" 0x00300000–0x0039C800 over the kernel image and early-allocation area 0x00100000–0x0032F000',
    ],
    [
      "overlapping modules",
      (p) => p.modules.push({ name: "font", physStart: 0x39_0000, physEnd: 0x3a_0000 }),
      'modules[1].physStart 0x00390000 puts module "font" 0x00390000–0x003A0000 over module "initrd" 0x00340000–0x0039C800',
    ],
    [
      "overlapping virtual reservations with different physical targets",
      (p) => p.virtualReserved.push({ virtStart: 0xc00b_8000, virtEnd: 0xc00b_9000, physStart: 0xb_9000 }),
      "virtualReserved[1].virtStart 0xC00B8000 overlaps virtualReserved[0] (VGA text buffer) 0xC00B8000–0xC00C0000 with a different physical target (at 0xC00B8000: 0x000B9000, not 0x000B8000)",
    ],
    [
      "a mapped reservation overlapped by an unmapped one",
      (p) => p.virtualReserved.push({ virtStart: 0xc00b_f000, virtEnd: 0xc00c_1000 }),
      "virtualReserved[1].virtStart 0xC00BF000 overlaps virtualReserved[0] (VGA text buffer) 0xC00B8000–0xC00C0000 with a different physical target (at 0xC00BF000: none, not 0x000BF000)",
    ],
    [
      "a reservation over the kernel with other pages",
      (p) => p.virtualReserved.push({ virtStart: 0xc010_0000, virtEnd: 0xc010_1000, physStart: 0x20_0000 }),
      "virtualReserved[1].virtStart 0xC0100000 overlaps the kernel 0xC0100000–0xC032F000 with a different physical target (at 0xC0100000: 0x00200000, not 0x00100000)",
    ],
    [
      "one physical page at two virtual addresses",
      (p) => p.virtualReserved.push({ virtStart: 0xd000_0000, virtEnd: 0xd000_1000, physStart: 0xb_8000 }),
      "virtualReserved[1].physStart 0x000B8000 maps physical 0x000B8000, which virtualReserved[0] (VGA text buffer) already maps at 0xC00B8000",
    ],
    ["a memory map that is not an array", (p) => (p.memoryMap = {} as never), "memoryMap {} is not an array"],
    [
      "a reservation attribute that is not a boolean",
      (p) => (p.virtualReserved[0]!.cachable = "no"),
      'virtualReserved[0].cachable "no" is not a boolean (use true or false)',
    ],
    [
      "an uncached reservation over the cached kernel image",
      (p) => p.virtualReserved.push({ virtStart: 0xc010_0000, virtEnd: 0xc010_1000, physStart: 0x10_0000, cachable: false }),
      "virtualReserved[1].virtStart 0xC0100000 is mapped kernel writable uncached, but it overlaps the kernel 0xC0100000–0xC032F000, mapped kernel read-only cached (overlapping ranges must agree on cachable, writable and user)",
    ],
    [
      "a reservation without attributes over an earlier user reservation",
      (p) => {
        p.virtualReserved[0]!.user = true;
        p.virtualReserved.push({ virtStart: 0xc00b_c000, virtEnd: 0xc00c_4000, physStart: 0xb_c000 });
      },
      "virtualReserved[0].virtStart 0xC00B8000 is mapped user writable cached, but it overlaps virtualReserved[1] 0xC00BC000–0xC00C4000, mapped kernel writable cached (overlapping ranges must agree on cachable, writable and user)",
    ],
    [
      "a deeply nested value",
      (p) => {
        let deep: unknown = [];
        for (let i = 0; i < 20_000; i++) deep = [deep];
        p.description = deep;
      },
      "description (an array of 1 item) is not a string",
    ],
    [
      "a 50 MB memoryBytes string",
      (p) => (p.memoryBytes = "9".repeat(50_000_000)),
      `memoryBytes "${"9".repeat(58)}… is not an address (use a number or a "0x…" hex string)`,
    ],
    [
      "a long hex string",
      (p) => (p.memoryBytes = `0x${"f".repeat(100)}`),
      `memoryBytes "0x${"f".repeat(56)}… is beyond 4 GiB (0x100000000)`,
    ],
    [
      "an unknown field whose name holds a newline",
      (p) => (p.kernel["phys\nStart"] = 1),
      'kernel["phys\\nStart"] is not a profile field (expected physStart, physEnd, virtStart, virtEnd)',
    ],
    [
      "a module whose name holds a newline, over another module",
      (p) => p.modules.push({ name: "font\nfile", physStart: 0x39_0000, physEnd: 0x3a_0000 }),
      'modules[1].physStart 0x00390000 puts module "font\\nfile" 0x00390000–0x003A0000 over module "initrd" 0x00340000–0x0039C800',
    ],
    [
      "a clash with a reservation whose label holds control characters",
      (p) => {
        p.virtualReserved[0]!.label = "VGA\n\u001b[31mred";
        p.virtualReserved.push({ virtStart: 0xc00b_8000, virtEnd: 0xc00b_9000 });
      },
      "virtualReserved[1].virtStart 0xC00B8000 overlaps virtualReserved[0] (VGA\\n\\u001b[31mred) 0xC00B8000–0xC00C0000 with a different physical target (at 0xC00B8000: none, not 0x000B8000)",
    ],
    ["an empty module name", (p) => (p.modules[0]!.name = ""), 'modules[0].name "" is empty'],
  ];

  for (const [what, change, message] of failures) {
    test(`rejects ${what} with a one-line message naming the field`, () => {
      const error = profileError(draft(change));
      assert.equal(error.message, message);
      assert.ok(!error.message.includes("\n"), `one line: ${JSON.stringify(error.message)}`);
      assert.ok(message.startsWith(error.data.path), `the message starts with the field path ${error.data.path}: ${message}`);
    });
  }

  test("reads cachable, writable and user of a reservation, and leaves out the ones not given", () => {
    const profile = parseProfile(draft((p) => {
      p.virtualReserved.push({ virtStart: 0xfee0_0000, virtEnd: 0xfee0_1000, physStart: 0xfee0_0000, label: "local APIC", cachable: false });
      p.virtualReserved.push({ virtStart: 0xd000_0000, virtEnd: 0xd000_2000, physStart: 0x50_0000, writable: false, user: true });
    }));
    assert.deepEqual(profile.virtualReserved.slice(1), [
      { virtStart: 0xfee0_0000, virtEnd: 0xfee0_1000, physStart: 0xfee0_0000, label: "local APIC", cachable: false },
      { virtStart: 0xd000_0000, virtEnd: 0xd000_2000, physStart: 0x50_0000, writable: false, user: true },
    ]);
  });

  test("returns a deeply frozen profile, so that what was validated stays valid", () => {
    const profile = parseProfile(structuredClone(DEFAULT_PROFILE));
    for (const part of [profile, profile.kernel, profile.memoryMap, profile.memoryMap[0], profile.modules, profile.modules[0], profile.virtualReserved, profile.virtualReserved[0]]) {
      assert.equal(Object.isFrozen(part), true, `${JSON.stringify(part)} is not frozen`);
    }
  });

  test("rejects a document that is not an object", () => {
    assert.equal(profileError(null).message, "profile null is not an object");
  });
});

describe("parseProfileJson", () => {
  test("reports malformed JSON as InvalidProfile on one line", () => {
    assert.throws(
      () => parseProfileJson("{ nope"),
      (error: unknown) => error instanceof ProfileError && /^profile is not valid JSON: /.test(error.message) && !error.message.includes("\n"),
    );
  });

  test("quotes a parser message on one line, control characters escaped, at most 200 characters", () => {
    const error = (() => {
      try {
        parseProfileJson(`{"memoryBytes":\n\u0007${"x".repeat(5000)}`);
      } catch (caught) {
        return caught;
      }
      return null;
    })();
    assert.equal(error instanceof ProfileError, true, String(error));
    const { message } = error as ProfileError;
    assert.match(message, /^profile is not valid JSON: Unexpected token/);
    assert.equal(/[\u0000-\u001f]/.test(message), false, `control characters in ${JSON.stringify(message)}`);
    assert.equal(message.length <= "profile is not valid JSON: ".length + 200, true, `${message.length} characters`);
  });

  test("reports JSON too deep for the parser's stack (a RangeError) as InvalidProfile, not a crash", () => {
    const parse = JSON.parse;
    JSON.parse = () => {
      throw new RangeError("Maximum call stack size exceeded");
    };
    try {
      assert.throws(() => parseProfileJson("[[[]]]"), (error: unknown) => error instanceof ProfileError && error.message === "profile is not valid JSON: it is nested too deeply");
    } finally {
      JSON.parse = parse;
    }
  });

  test("rejects JSON nested 20,000 levels deep in a field with one bounded line", () => {
    const text = JSON.stringify({ ...DEFAULT_PROFILE, description: "{}" }).replace('"{}"', `${"[".repeat(20_000)}${"]".repeat(20_000)}`);
    assert.throws(() => parseProfileJson(text), (error: unknown) => error instanceof ProfileError && error.message === "description (an array of 1 item) is not a string");
  });

  test("round-trips the default profile through JSON.stringify", () => {
    const profile: MemoryProfile = parseProfileJson(JSON.stringify(DEFAULT_PROFILE));
    assert.deepEqual(profile, DEFAULT_PROFILE);
  });
});
