// The real-kernel check of `kmem inspect` (run by .ci/run before npm test):
//   node --import tsx scripts/linux-inspect-check.ts path/to/vmlinuz [KEEP_CORE_AS]
// Boots the kernel in qemu-system-x86_64 (TCG, 512 MiB, no KASLR) with a one-file initramfs
// whose init (qemu/linux-init.asm) maps some pages and spins in user mode; stops the VM,
// takes `info tlb`, `info mem` and a dump-guest-memory core, then checks that
// `kmem inspect --json` of the core lists exactly QEMU's pages with the same frames and bits,
// and times the inspection. Exit status 0 when they agree, 1 when not, 2 on a setup failure.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { auditSummary } from "../src/inspect/audit.js";
import { inspectTables } from "../src/inspect/inspect.js";
import { toJson } from "../src/inspect/render.js";
import { openDump } from "../src/node/dump-file.js";
import { compareInspectWithQemu, parseInfoMemWide, parseInfoTlbWide } from "../src/node/qemu/inspect-compare.js";
import { QmpSession } from "../src/node/qemu/qmp.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const READY = "kmem-init-ready";
const BOOT_TIMEOUT_MS = 120_000;
const POLL_MS = 100;
const NEWC_MAGIC = "070701";

/** One newc cpio entry (the initramfs format, Documentation/driver-api/early-userspace/buffer-format.rst). */
function cpioEntry(name: string, mode: number, data: Uint8Array, rdev: [number, number] = [0, 0], ino = 1): Uint8Array {
  const fields = [ino, mode, 0, 0, 1, 0, data.length, 0, 0, rdev[0], rdev[1], name.length + 1, 0];
  const header = NEWC_MAGIC + fields.map((f) => f.toString(16).padStart(8, "0")).join("") + name + "\0";
  const pad = (n: number): number => (4 - (n % 4)) % 4;
  const head = new TextEncoder().encode(header + "\0".repeat(pad(header.length)));
  const out = new Uint8Array(head.length + data.length + pad(data.length));
  out.set(head, 0);
  out.set(data, head.length);
  return out;
}

function initramfs(init: Uint8Array): Uint8Array {
  const parts = [cpioEntry("dev", 0o40755, new Uint8Array(0), [0, 0], 1), cpioEntry("dev/console", 0o20600, new Uint8Array(0), [5, 1], 2), cpioEntry("init", 0o100755, init, [0, 0], 3), cpioEntry("TRAILER!!!", 0, new Uint8Array(0), [0, 0], 0)];
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

async function main(vmlinuz: string, keepCoreAs: string | undefined): Promise<number> {
  if (!existsSync(vmlinuz)) {
    process.stderr.write(`linux-inspect-check: ${vmlinuz} is missing\n`);
    return 2;
  }
  const dir = mkdtempSync(join(tmpdir(), "kmem-linux-"));
  try {
    const initPath = join(dir, "init");
    execFileSync("nasm", ["-f", "bin", "-o", initPath, join(ROOT, "qemu", "linux-init.asm")]);
    writeFileSync(join(dir, "initramfs.cpio"), initramfs(readFileSync(initPath)));
    const serial = join(dir, "serial.txt");
    const core = join(dir, "vm.core");
    const args = ["-M", "pc", "-accel", "tcg", "-cpu", "qemu64", "-m", "512M", "-smp", "1", "-display", "none", "-nodefaults", "-no-reboot", "-serial", `file:${serial}`,
      "-kernel", vmlinuz, "-initrd", join(dir, "initramfs.cpio"), "-append", "console=ttyS0 quiet panic=-1 nokaslr"];
    const started = Date.now();
    const qemu = await QmpSession.start("qemu-system-x86_64", args, { timeoutMs: 60_000 });
    let tlbText: string;
    let memText: string;
    try {
      while (!(existsSync(serial) && readFileSync(serial, "utf8").includes(READY))) {
        if (Date.now() - started > BOOT_TIMEOUT_MS) throw new Error(`the kernel did not start init within ${String(BOOT_TIMEOUT_MS)} ms; serial: ${existsSync(serial) ? readFileSync(serial, "utf8").slice(-2000) : "(none)"}`);
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      const bootMs = Date.now() - started;
      await qemu.execute("stop");
      tlbText = await qemu.hmp("info tlb");
      memText = await qemu.hmp("info mem");
      await qemu.execute("dump-guest-memory", { paging: false, protocol: `file:${core}` });
      if (keepCoreAs !== undefined) copyFileSync(core, keepCoreAs);
      process.stdout.write(`Booted to init in ${String(bootMs)} ms; dumped ${String(readFileSync(core).length >> 20)} MiB\n`);
    } finally {
      qemu.close();
    }
    const inspectStart = performance.now();
    const dump = openDump(core);
    let json;
    let summary;
    try {
      const result = inspectTables(dump.memory, dump.target, { audit: true });
      json = toJson(result.leaves, dump.target.mode, dump.target.root);
      summary = `${dump.target.mode.name}, root ${json.root}, ${String(result.leaves.length)} leaf entries (${String(result.leaves.reduce((n, l) => n + l.pages, 0))} pages) in ${String(result.tables)} tables; ${auditSummary(result.findings)}`;
      for (const f of result.findings.slice(0, 10)) process.stdout.write(`  ${f.severity}: ${f.message}\n`);
    } finally {
      dump.close();
    }
    const inspectMs = performance.now() - inspectStart;
    process.stdout.write(`kmem inspect: ${summary} — ${inspectMs.toFixed(0)} ms including the audit\n`);
    const comparison = compareInspectWithQemu(json, parseInfoTlbWide(tlbText), parseInfoMemWide(memText));
    if (comparison.differences.length > 0) {
      process.stdout.write(`kmem inspect and QEMU differ on ${String(comparison.differences.length)} of ${String(comparison.compared)} pages:\n${comparison.differences.slice(0, 20).join("\n")}\n`);
      return 1;
    }
    process.stdout.write(`kmem inspect and QEMU's info tlb/info mem agree on all ${String(comparison.compared)} leaf entries\n`);
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main(process.argv[2] ?? "", process.argv[3]);
