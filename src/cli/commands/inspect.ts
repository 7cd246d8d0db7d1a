import { hex } from "../../format.js";
import { auditSummary } from "../../inspect/audit.js";
import { DumpError } from "../../inspect/dump-error.js";
import type { Finding } from "../../inspect/finding.js";
import { type Inspection, inspectTables } from "../../inspect/inspect.js";
import type { InspectMode } from "../../inspect/inspect-mode.js";
import { regionsOf } from "../../inspect/regions.js";
import { renderMap, toJson } from "../../inspect/render.js";
import type { Leaf } from "../../inspect/scan.js";
import { renderTrace, traceAddress } from "../../inspect/translate.js";
import { type OpenDumpOptions, openDump } from "../../node/dump-file.js";
import { isCanonical } from "../../paging/address.js";
import { PAGE_SHIFT } from "../../paging/geometry.js";
import type { PageRange } from "../../paging/pages.js";
import { UsageError } from "../usage-error.js";
import type { RegisterCommand } from "./index.js";

/** The flags of `kmem inspect`, as commander parses them. */
export interface InspectFlags {
  readonly mode?: string;
  readonly cr3?: string;
  readonly satp?: string;
  readonly base?: string;
  readonly physBits?: string;
  readonly kernelBase?: string;
  readonly json?: boolean;
  readonly audit?: boolean;
  readonly translate?: string;
  readonly user?: boolean;
  readonly kernel?: boolean;
  readonly writable?: boolean;
  readonly executable?: boolean;
  readonly range?: string;
}

const HEX = /^0x[0-9a-f_]+$/i;
const DECIMAL = /^[0-9_]+$/;
const TWO_64 = 1n << 64n;

/** Parses `0x…` hex or decimal (underscores allowed) into a bigint below 2^64. */
function parseValue(text: string, flag: string): bigint {
  const clean = text.replace(/_/g, "");
  if (!HEX.test(text) && !DECIMAL.test(text)) throw new UsageError(`${flag} ${JSON.stringify(text)} is not a number (use 0x… hex or decimal)`);
  const value = BigInt(clean);
  if (value >= TWO_64) throw new UsageError(`${flag} ${text} does not fit in 64 bits`);
  return value;
}

function parseNumber(text: string, flag: string): number {
  const value = parseValue(text, flag);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new UsageError(`${flag} ${text} is beyond 2^53`);
  return Number(value);
}

/** The page number of `address` in `mode`'s space; `top` allowed for an exclusive end. */
function pageOfAddress(address: bigint, mode: InspectMode, flag: string, allowTop: boolean): number {
  const g = mode.geometry;
  const top = g.signExtended ? TWO_64 : 1n << 32n;
  if (allowTop && (address === top || (address === 0n && g.signExtended))) return 2 ** (g.vaBits - PAGE_SHIFT);
  if (address >= top) throw new UsageError(`${flag}: ${hex(address)} is not a ${String(g.signExtended ? 64 : 32)}-bit address`);
  if (!isCanonical(Number(address >> 32n), Number(address & 0xffffffffn), g)) throw new UsageError(`${flag}: ${hex(address, 16)} is not canonical in ${mode.name}`);
  return Number((address & ((1n << BigInt(g.vaBits)) - 1n)) >> BigInt(PAGE_SHIFT));
}

/** Parses `--range START-END` (END exclusive; 0 or 2^64 for the top of a 64-bit space). */
function parseRange(text: string, mode: InspectMode): PageRange {
  const parts = text.split("-");
  if (parts.length !== 2) throw new UsageError(`--range ${JSON.stringify(text)} must be START-END (e.g. 0xffffffff80000000-0xffffffffc0000000)`);
  const from = pageOfAddress(parseValue(parts[0] ?? "", "--range START"), mode, "--range", false);
  const endValue = parseValue(parts[1] ?? "", "--range END");
  const to = endValue % 4096n === 0n ? pageOfAddress(endValue, mode, "--range", true) : pageOfAddress(endValue, mode, "--range", false) + 1;
  if (to <= from) throw new UsageError(`--range ${text}: END must lie above START (in ${mode.name}'s address order)`);
  return { from, to };
}

function openOptions(flags: InspectFlags): OpenDumpOptions {
  return {
    ...(flags.mode === undefined ? {} : { mode: flags.mode }),
    ...(flags.cr3 === undefined ? {} : { cr3: parseNumber(flags.cr3, "--cr3") }),
    ...(flags.satp === undefined ? {} : { satp: parseValue(flags.satp, "--satp") }),
    ...(flags.base === undefined ? {} : { base: parseNumber(flags.base, "--base") }),
    ...(flags.physBits === undefined ? {} : { physicalBits: parsePhysicalBits(flags.physBits) }),
    ...(flags.kernelBase === undefined ? {} : { kernelBase: parseValue(flags.kernelBase, "--kernel-base") }),
  };
}

function parsePhysicalBits(text: string): number {
  const bits = Number(text);
  if (!Number.isInteger(bits) || bits < 32 || bits > 56) throw new UsageError(`--phys-bits ${JSON.stringify(text)} must be an integer from 32 to 56`);
  return bits;
}

function selected(leaves: readonly Leaf[], flags: InspectFlags): Leaf[] {
  return leaves.filter(
    (l) =>
      (flags.user !== true || l.user) &&
      (flags.kernel !== true || !l.user) &&
      (flags.writable !== true || l.writable) &&
      (flags.executable !== true || l.executable),
  );
}

function findingLines(findings: readonly Finding[]): string {
  return findings.map((f) => `${f.severity === "note" ? "note" : "finding"}: ${f.message}\n`).join("");
}

function mapText(path: string, kind: string, result: Inspection): string {
  const { mode, root, source } = result.target;
  return `# ${path} (${kind}): ${mode.name} tables at ${hex(root)} (mode from ${source}); ${String(result.leaves.length)} leaf entries in ${String(result.tables)} tables\n`;
}

/** What one `kmem inspect` run prints and its exit status. */
export interface InspectRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly status: number;
}

/**
 * Runs `kmem inspect PATH` with `flags` and returns its output (the verb's whole logic, for tests).
 *
 * @throws UsageError (exit 2) for unreadable input or a bad flag, one line.
 */
export function runInspect(path: string, flags: InspectFlags): InspectRun {
  let dump;
  try {
    dump = openDump(path, openOptions(flags));
  } catch (error) {
    if (error instanceof DumpError) throw new UsageError(error.message);
    throw error;
  }
  try {
    const { mode, root } = dump.target;
    if (flags.translate !== undefined) {
      const trace = traceAddress(dump.memory, mode, root, parseValue(flags.translate, "--translate"));
      const stdout = flags.json === true ? `${JSON.stringify(trace, (_k, v: unknown) => (typeof v === "bigint" ? hex(v, 1) : v), 2)}\n` : renderTrace(trace, mode);
      return { stdout, stderr: "", status: trace.physical === null ? 1 : 0 };
    }
    const range = flags.range === undefined ? undefined : parseRange(flags.range, mode);
    const audit = flags.audit === true;
    const result = inspectTables(dump.memory, dump.target, { audit, ...(range === undefined ? {} : { range }) });
    const leaves = selected(result.leaves, flags).filter((l) => range === undefined || (l.page + l.pages > range.from && l.page < range.to));
    const status = audit && result.findings.some((f) => f.severity === "error") ? 1 : 0;
    if (flags.json === true) {
      return { stdout: `${JSON.stringify(toJson(leaves, mode, root, audit || result.findings.length > 0 ? result.findings : undefined))}\n`, stderr: "", status };
    }
    const head = mapText(path, dump.kind, result);
    if (audit) return { stdout: head + findingLines(result.findings) + auditSummary(result.findings) + "\n", stderr: "", status };
    return { stdout: head + renderMap(leaves, mode, regionsOf(mode.geometry, mode.kernelBase)), stderr: findingLines(result.findings), status };
  } catch (error) {
    if (error instanceof DumpError) throw new UsageError(error.message);
    throw error;
  } finally {
    dump.close();
  }
}

/** `kmem inspect DUMP`: read a dump's page tables — a ptdump-style map, `--json`, `--translate`, `--audit`. */
export const registerInspect: RegisterCommand = (program, setExitCode) => {
  program
    .command("inspect")
    .description("read the page tables of a memory dump (QEMU dump-guest-memory ELF core, raw image, or kmem export directory): a ptdump-style map, a walk, a JSON list, or a security audit")
    .argument("<DUMP>", "ELF core, raw physical-memory image, or `kmem export` directory")
    .option("--mode <MODE>", "paging mode: x86, x86-pae, x86-64, x86-64-la57, riscv-sv32, riscv-sv39, riscv-sv48, riscv-sv57 (default: from the core, or satp)")
    .option("--cr3 <ADDR>", "root table address (default: CR3 from the core's QEMU note)")
    .option("--satp <VALUE>", "RISC-V satp: mode and root (QEMU writes no satp into RISC-V cores)")
    .option("--base <ADDR>", "physical address of a raw image's first byte (default 0)")
    .option("--phys-bits <N>", "physical-address width: entries pointing above 2^N are non-canonical findings (default 52; RISC-V 56, Sv32 34)")
    .option("--kernel-base <ADDR>", "where the kernel half starts (default: the upper half; 0xC0000000 in 32-bit modes)")
    .option("--user", "list only user-accessible mappings")
    .option("--kernel", "list only supervisor-only mappings")
    .option("--writable", "list only writable mappings")
    .option("--executable", "list only executable mappings")
    .option("--range <START-END>", "only virtual addresses in [START, END)")
    .option("--translate <VADDR>", "walk one virtual address, every level's entry decoded")
    .option("--json", "print JSON (schema: docs/inspect.md)")
    .option("--audit", "report W+X, user pages in the kernel half, reserved bits, bad and shared tables, writable user/kernel aliases")
    .addHelpText("after", "\nExit status: 0 read, 1 audit findings (or --translate of an unmapped address), 2 unreadable input.")
    .action((path: string, flags: InspectFlags) => {
      const run = runInspect(path, flags);
      // A map is often piped into `head` or `less`: a reader that stops early is not an error.
      process.stdout.on("error", (error: NodeJS.ErrnoException) => {
        if (error.code !== "EPIPE") throw error;
      });
      process.stdout.write(run.stdout);
      process.stderr.write(run.stderr);
      setExitCode(run.status);
    });
};
