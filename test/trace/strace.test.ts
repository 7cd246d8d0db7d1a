import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatTrace } from "../../src/trace/format.js";
import { replay } from "../../src/trace/replay.js";
import { importStrace } from "../../src/trace/strace.js";
import { schemaProblems } from "../helpers/trace-schema.js";

/** Real strace 6 output: -o style pid prefixes, -f's [pid N] with calls split across threads, a timestamp, a failed call, signals, exits and program output. */
const LOG = `1234  brk(NULL)                         = 0x55d1c2a4e000
1234  mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f1c2a000000
1234  12:00:00.123456 mmap(0x7f1c2a100000, 16384, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE, 3, 0x1000) = 0x7f1c2a100000
[pid  1235] mmap(NULL, 1048576, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE, -1, 0 <unfinished ...>
[pid  1234] mprotect(0x7f1c2a000000, 4096, PROT_READ <unfinished ...>
[pid  1235] <... mmap resumed>)         = 0x7f1c22000000
[pid  1234] <... mprotect resumed>)     = 0
1234  munmap(0x7f1c2a001000, 0x1000)    = 0
1234  mmap(NULL, 1099511627776000, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = -1 ENOMEM (Cannot allocate memory)
1234  brk(0x55d1c2a6f000)               = 0x55d1c2a6f000
1234  mremap(0x7f1c2a000000, 4096, 12288, MREMAP_MAYMOVE) = 0x7f1c2a200000
1234  --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=1236, si_uid=0, si_status=0} ---
1235  +++ exited with 0 +++
hello from the program
`;

const RW = { kernel: false, writable: true, cachable: true, executable: false };
const RO = { ...RW, writable: false };

describe("importStrace", () => {
  test("reads pids, split calls, timestamps, MAP_FIXED, failed calls, hex and decimal sizes, brk and mremap", () => {
    const { trace, calls, failed, skipped, otherProcesses } = importStrace(LOG);
    assert.deepEqual([calls, failed, skipped, otherProcesses], [9, 1, 1, 0]);
    assert.deepEqual(trace.events, [
      { op: "alloc", size: 8192, attrs: RW, result: "0x7f1c2a000000", at: "0x7f1c2a000000", task: 1234 },
      { op: "map", address: "0x7f1c2a100000", size: 16384, attrs: { ...RO, executable: true }, task: 1234 },
      { op: "map", address: "0x7f1c22000000", size: 1048576, attrs: RO, none: true, task: 1235 },
      { op: "protect", address: "0x7f1c2a000000", size: 4096, attrs: RO, task: 1234 },
      { op: "unmap", address: "0x7f1c2a001000", size: 4096, task: 1234 },
      { op: "alloc", size: 1099511627776000, attrs: RO, result: null, error: "ENOMEM", task: 1234 },
      { op: "map", address: "0x55d1c2a4e000", size: 0x21000, attrs: RW, task: 1234 },
      { op: "unmap", address: "0x7f1c2a000000", size: 4096, task: 1234 },
      { op: "alloc", size: 12288, attrs: RW, result: "0x7f1c2a200000", at: "0x7f1c2a200000", task: 1234 },
    ]);
    assert.equal(schemaProblems(formatTrace(trace)), "");
  });

  test("leaves out the calls of another process (a new task that starts with brk(NULL)) unless asked for all", () => {
    const child = "1240  brk(NULL) = 0x560000000000\n1240  mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f1c2a000000\n";
    const alone = importStrace(LOG + child);
    assert.deepEqual([alone.calls, alone.otherProcesses, alone.trace.events.length], [9, 2, 9]);
    const all = importStrace(LOG + child, { allProcesses: true });
    assert.deepEqual([all.calls, all.otherProcesses, all.trace.events.length], [11, 0, 10]);
  });

  test("with allocator placement, allocations carry the program's address as result only, and replay moves what follows", () => {
    const { trace } = importStrace(LOG, { placement: "allocator" });
    assert.ok(trace.events.every((e) => !("at" in e)), "no event is pinned with at");
    const reserved = replay(trace, { allocator: "extent", pmm: "lowest" }).timeline.at(-1)!;
    assert.equal(reserved.virtual.freeBlocks, (2 ** 47 - 0x1000) / 4096 - 3 - 4 - 256 - 0x21, "the PROT_NONE MiB is reserved virtually");
    const placed: Array<bigint | null> = [];
    const result = replay(trace, { allocator: "extent", pmm: "lowest" }, { onPlaced: (_, address) => placed.push(address) });
    // The PROT_NONE reservation keeps its address; the moved mremap reuses the lowest fit.
    assert.deepEqual(placed, [0x1000n, 0x7f1c2a100000n, 0x7f1c22000000n, null, 0x55d1c2a4e000n, 0x1000n]);
    assert.deepEqual([result.failedAllocs, result.failedOps], [1, 0]);
  });
});

describe("a real program under strace", () => {
  test("python3 recorded with strace -f imports in both modes and replays with every allocation placed", () => {
    assert.equal(spawnSync("strace", ["-V"]).status, 0, "strace is missing: install it (apt-get install -y strace) to run this test");
    const dir = mkdtempSync(join(tmpdir(), "kmem-strace-test-"));
    let log: string;
    try {
      const file = join(dir, "strace.log");
      const program = "import threading; t = threading.Thread(target=lambda: bytearray(1 << 20)); t.start(); t.join()";
      const run = spawnSync("strace", ["-f", "-o", file, "-e", "trace=mmap,munmap,mremap,mprotect,brk", "python3", "-S", "-I", "-c", program]);
      assert.equal(run.status, 0, `strace python3 failed: ${run.stderr.toString()}`);
      log = readFileSync(file, "utf8");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    for (const placement of ["fixed", "allocator"] as const) {
      const imported = importStrace(log, { placement });
      assert.ok(imported.calls > 20, `${placement}: ${imported.calls} calls read`);
      assert.equal(imported.skipped, 0, `${placement}: every line read`);
      assert.ok(new Set(imported.trace.events.map((e) => e.task)).size >= 2, "the thread's calls carry its own task id");
      assert.equal(schemaProblems(formatTrace(imported.trace)), "");
      const fixedAt = new Map<number, bigint | null>();
      const result = replay(imported.trace, { allocator: "extent", pmm: "lowest" }, { onPlaced: (event, address) => fixedAt.set(event, address) });
      assert.equal(result.failedOps, 0, `${placement}: every free, unmap and protect found its allocation`);
      assert.equal(result.failedAllocs, imported.failed, `${placement}: only the calls that failed in the program fail`);
      if (placement === "fixed") {
        for (const [index, address] of fixedAt) {
          const event = imported.trace.events[index]!;
          const wanted = event.op === "alloc" ? event.at : event.op === "map" ? event.address : undefined;
          if (wanted !== undefined && address !== null) assert.equal(address, BigInt(wanted), `event ${index} replayed where the program had it`);
        }
      }
    }
  });
});
