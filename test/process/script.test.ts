import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ScriptError } from "../../src/errors/script-error.js";
import { type ScriptCommand, parseScript } from "../../src/process/script.js";

/** A command without its text (`Omit` over each member of the union). */
type WithoutText<T> = T extends unknown ? Omit<T, "text"> : never;

/** The one command of a script `spawn A` + `line` (so `A` exists), without its text. */
function parsed(line: string): WithoutText<ScriptCommand> {
  const commands = parseScript(`spawn A\n${line}\n`);
  assert.equal(commands.length, 2, "spawn and the line");
  const { text: _text, ...rest } = commands[1] as ScriptCommand;
  return rest;
}

/** Asserts that parsing `script` throws `code` naming `line`, and returns the message. */
function refuses(script: string, code: string, line: number): string {
  let caught: unknown;
  try {
    parseScript(script);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ScriptError, `a ScriptError for ${JSON.stringify(script)}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.equal(caught.data.line, line, caught.message);
  assert.ok(caught.message.startsWith(`line ${String(line)}: `), caught.message);
  return caught.message;
}

describe("parseScript: every command", () => {
  const table: [string, WithoutText<ScriptCommand>][] = [
    ["load B prog.elf", { kind: "load", line: 2, task: "B", file: "prog.elf", lazy: false }],
    ["load B prog.elf lazy", { kind: "load", line: 2, task: "B", file: "prog.elf", lazy: true }],
    ["map A 0x40_0000 4 rw", { kind: "map", line: 2, task: "A", at: 0x400000n, pages: 4, rights: "rw", lazy: false, label: null }],
    ["map A 4194304 1 rx lazy", { kind: "map", line: 2, task: "A", at: 0x400000n, pages: 1, rights: "rx", lazy: true, label: null }],
    ["map A 0x400000 2 rwx lazy my heap", { kind: "map", line: 2, task: "A", at: 0x400000n, pages: 2, rights: "rwx", lazy: true, label: "my heap" }],
    ["map A 0xFFFF_8000_0000_0000 1 r text", { kind: "map", line: 2, task: "A", at: 0xffff_8000_0000_0000n, pages: 1, rights: "r", lazy: false, label: "text" }],
    ["guard A 0x3ff000 1", { kind: "guard", line: 2, task: "A", at: 0x3ff000n, pages: 1, label: null }],
    ["guard A 0x3ff000 2 stack guard", { kind: "guard", line: 2, task: "A", at: 0x3ff000n, pages: 2, label: "stack guard" }],
    ["protect A 0x401000 0x402000 r", { kind: "protect", line: 2, task: "A", start: 0x401000n, end: 0x402000n, rights: "r" }],
    ["unmap A 0x401000 0x402000", { kind: "unmap", line: 2, task: "A", start: 0x401000n, end: 0x402000n }],
    ["fork A B", { kind: "fork", line: 2, task: "A", child: "B" }],
    ["copy A B", { kind: "copy", line: 2, task: "A", child: "B" }],
    ["exit A", { kind: "exit", line: 2, task: "A" }],
    ["read A 0x400010", { kind: "access", line: 2, task: "A", op: "read", vaddr: 0x400010n, value: 0 }],
    ["fetch A 0x400000", { kind: "access", line: 2, task: "A", op: "fetch", vaddr: 0x400000n, value: 0 }],
    ["write A 0x400010 0x5a", { kind: "access", line: 2, task: "A", op: "write", vaddr: 0x400010n, value: 0x5a }],
    ["write A 0x400010 255", { kind: "access", line: 2, task: "A", op: "write", vaddr: 0x400010n, value: 255 }],
    ["swap 3 clock", { kind: "swap", line: 2, frames: 3, policy: "clock", scope: "system" }],
    ["swap 4 opt per-task", { kind: "swap", line: 2, frames: 4, policy: "opt", scope: "task" }],
  ];
  for (const [line, want] of table) {
    test(`${line}`, () => {
      assert.deepEqual(parsed(line), want);
    });
  }

  test("spawn; comments, blank lines and CRLF are skipped; the text keeps the line without its comment", () => {
    const commands = parseScript("# a scenario\r\n\r\n  spawn T_1   # the first task\r\n\tread T_1 0x1000#x\n");
    assert.deepEqual(commands, [
      { kind: "spawn", line: 3, text: "spawn T_1", task: "T_1" },
      { kind: "access", line: 4, text: "read T_1 0x1000", task: "T_1", op: "read", vaddr: 0x1000n, value: 0 },
    ]);
  });

  test("an empty script, or only comments, parses to no command", () => {
    assert.deepEqual(parseScript(""), []);
    assert.deepEqual(parseScript("# nothing\n\n   # at all\n"), []);
  });

  test("a name can be spawned again after it exited", () => {
    assert.deepEqual(parseScript("spawn A\nexit A\nspawn A\nexit A\n").map((c) => c.kind), ["spawn", "exit", "spawn", "exit"]);
  });
});

describe("parseScript: every error names its line", () => {
  test("an unknown command lists the commands", () => {
    assert.match(refuses("spawn A\n\nfrobnicate A\n", "UnknownCommand", 3), /unknown command "frobnicate" \(use spawn, load, map/);
    refuses("toString A\n", "UnknownCommand", 1);
  });

  const bad: [string, RegExp][] = [
    ["map A 0x4g0000 1 rw", /ADDR "0x4g0000" is not an address/],
    ["map A 0x400000 0 rw", /PAGES "0" is not a positive integer/],
    ["map A 0x400000 -1 rw", /PAGES "-1" is not a positive integer/],
    ["map A 0x400000 1 wx", /RIGHTS "wx" are not rights \(use r, rw, rx, rwx\)/],
    ["map A 0x400000 1", /missing RIGHTS \(map TASK ADDR PAGES/],
    ["map A 0x1_0000_0000_0000_0000 1 rw", /ADDR 0x1_0000_0000_0000_0000 is beyond 64 bits/],
    ["write A 0x400000 256", /BYTE "256" is not a byte/],
    ["write A 0x400000", /missing BYTE/],
    ["read A 0x400000 extra", /unexpected "extra" after the arguments \(read TASK ADDR\)/],
    ["swap 3 random", /POLICY "random" is not a replacement policy \(use fifo, lru, clock, opt\)/],
    ["swap 3 fifo per-process", /unexpected "per-process"/],
    ["swap 0 fifo", /FRAMES "0" is not a positive integer/],
    ["protect A 0x1000 r", /END "r" is not an address/],
    ["fork A 9lives", /"9lives" is not a task name/],
    ["load B", /missing FILE/],
  ];
  for (const [line, message] of bad) {
    test(`${line}: BadArgument`, () => {
      assert.match(refuses(`spawn A\n${line}\n`, "BadArgument", 2), message);
    });
  }

  test("a task used before it is spawned, or after it exited, is UnknownTask", () => {
    assert.match(refuses("read A 0x1000\n", "UnknownTask", 1), /no task A: no line before spawns it/);
    assert.match(refuses("spawn A\nfork A B\nexit B\n# gone\nwrite B 0x1000 1\n", "UnknownTask", 5), /no task B: it exited at line 3/);
  });

  test("a name in use is TaskExists, for spawn, load, fork and copy", () => {
    assert.match(refuses("spawn A\nspawn A\n", "TaskExists", 2), /cannot create task A: the name is in use since line 1/);
    refuses("spawn A\nload A x.elf\n", "TaskExists", 2);
    refuses("spawn A\nspawn B\nfork A B\n", "TaskExists", 3);
    refuses("spawn A\ncopy A A\n", "TaskExists", 2);
  });
});
