import { readFileSync, writeFileSync } from "node:fs";
import type { FramePolicyName, VirtualAllocatorName } from "../../alloc/policies.js";
import { KmemError } from "../../errors/kmem-error.js";
import { ProfileError } from "../../boot/profile-error.js";
import { type Trace, parseTrace } from "../../trace/format.js";
import { type ReplayResult, replay } from "../../trace/replay.js";
import { policyName, renderReplayHtml } from "../../trace/report-html.js";
import { readProfileFile } from "../../node/profile-file.js";
import { renderTable } from "../print/table.js";
import { SCENARIOS, generateTrace } from "../../trace/workloads.js";
import { UsageError } from "../usage-error.js";
import { generateOptions } from "./trace-gen.js";
import type { RegisterCommand } from "./index.js";

interface ReplayFlags {
  readonly profile?: string;
  readonly largePages?: boolean;
  readonly allocator?: string;
  readonly compare?: string;
  readonly pmm?: string;
  readonly json?: boolean;
  readonly html?: string;
  readonly samples?: string;
  readonly scenario?: string;
  readonly scale?: string;
  readonly seed?: string;
}

const ALLOCATORS: readonly VirtualAllocatorName[] = ["bitmap", "extent"];
const POLICIES: readonly FramePolicyName[] = ["lowest", "buddy"];

/** Splits a comma-separated flag into names from `allowed`. */
function names<T extends string>(flag: string, text: string, allowed: readonly T[]): T[] {
  const list = text.split(",").map((name) => name.trim());
  for (const name of list) {
    if (!(allowed as readonly string[]).includes(name)) throw new UsageError(`${flag} ${JSON.stringify(name)} is not one of ${allowed.join(", ")}`);
  }
  return list as T[];
}

function readTrace(file: string): Trace {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read trace ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    return parseTrace(text);
  } catch (error) {
    if (error instanceof KmemError) throw new UsageError(`${file}: ${error.message}`);
    throw error;
  }
}

/** The trace of `--scenario NAME [--scale F] [--seed N]`. */
function scenarioTrace(name: string, flags: ReplayFlags): Trace {
  if (!SCENARIOS.includes(name)) throw new UsageError(`--scenario ${JSON.stringify(name)} is not a scenario (${SCENARIOS.join(", ")})`);
  return generateTrace(name, generateOptions(flags));
}

/** A configuration that could not run the trace (e.g. the bitmap over a 2^35-block space). */
interface Unrunnable {
  readonly config: { readonly allocator: string; readonly pmm: string };
  readonly error: string;
}

function percent(value: number | null): string {
  return value === null ? "–" : `${(value * 100).toFixed(1)}%`;
}

/** The text table of `kmem replay`. */
function renderResults(trace: Trace, file: string, results: readonly ReplayResult[], unrunnable: readonly Unrunnable[]): string {
  const lines = [`Replayed ${file}: ${trace.events.length} events, ${trace.header.arch} space ${trace.header.space.start}–${trace.header.space.end}`];
  if (results.length > 0) {
    const rows = results.map((r) => [
      policyName(r),
      Math.round(r.opsPerSecond).toLocaleString("en-US"),
      String(r.failedAllocs),
      String(r.failedOps),
      r.fragmentation.peak.toFixed(3),
      r.fragmentation.final.toFixed(3),
      r.physicalFragmentation.final.toFixed(3),
      `${r.pageTablePages.peak}/${r.pageTablePages.final}`,
      `${r.mapperCalls.map}/${r.mapperCalls.unmap}`,
      percent(r.tlbHitRate),
      r.addressDigest,
    ]);
    const right = { align: "right" as const };
    lines.push(
      renderTable(
        [{ header: "policy" }, { header: "ops/s", ...right }, { header: "failed allocs", ...right }, { header: "failed ops", ...right }, { header: "frag peak", ...right }, { header: "frag final", ...right }, { header: "PMM frag", ...right }, { header: "PT pages peak/final", ...right }, { header: "map/unmap", ...right }, { header: "TLB hits", ...right }, { header: "addresses" }],
        rows,
        "  ",
      ),
    );
  }
  for (const u of unrunnable) lines.push(`  ${u.config.allocator}/${u.config.pmm}: cannot replay: ${u.error}`);
  return lines.join("\n") + "\n";
}

/**
 * `kmem replay TRACE [--allocator A | --compare A,B] [--pmm P[,Q]] [--json] [--html FILE]`:
 * replays a trace on a fresh machine per policy and reports what each measured.
 */
export const registerReplay: RegisterCommand = (program, setExitCode) => {
  program
    .command("replay")
    .description("replay a trace (docs/traces.md) on fresh machines and compare allocation policies")
    .argument("[TRACE]", "trace file (JSON Lines); or give --scenario")
    .option("--scenario <NAME>", "replay a standard workload instead of a file (as kmem trace-gen NAME makes it)")
    .option("--scale <F>", "with --scenario: multiply its loop counts (default 0.01)")
    .option("--seed <N>", "with --scenario: its seed (default 1)")
    .option("--allocator <NAME>", "the VMM's allocator: bitmap or extent (default: bitmap for x86 traces, extent for x86-64)")
    .option("--compare <LIST>", "replay with each allocator of a comma-separated list (bitmap,extent)")
    .option("--pmm <LIST>", "PMM policies, comma-separated: lowest, buddy (default lowest)")
    .option("--profile <FILE>", "memory profile JSON booted first (default: the built-in 128 MiB PC)")
    .option("--large-pages", "map aligned runs with large pages")
    .option("--samples <N>", "about how many timeline samples to take (default 100)")
    .option("--json", "print one JSON object instead of text (schema: docs/traces.md)")
    .option("--html <FILE>", "also write a self-contained HTML report with plots")
    .addHelpText("after", "\nExit status: 0 replayed, 1 a policy could not run the trace, 2 bad input.")
    .action((given: string | undefined, flags: ReplayFlags) => {
      if ((given === undefined) === (flags.scenario === undefined)) throw new UsageError("give a TRACE file or --scenario NAME (one of them)");
      const trace = given === undefined ? scenarioTrace(flags.scenario!, flags) : readTrace(given);
      const file = given ?? `--scenario ${flags.scenario!}`;
      const fallback: VirtualAllocatorName = trace.header.arch === "x86" ? "bitmap" : "extent";
      if (flags.compare !== undefined && flags.allocator !== undefined) throw new UsageError("--compare and --allocator cannot be given together");
      const allocators = flags.compare !== undefined ? names("--compare", flags.compare, ALLOCATORS) : names("--allocator", flags.allocator ?? fallback, ALLOCATORS);
      const pmms = names("--pmm", flags.pmm ?? "lowest", POLICIES);
      const samples = flags.samples === undefined ? 100 : Number(flags.samples);
      if (!Number.isInteger(samples) || samples < 1) throw new UsageError(`--samples ${JSON.stringify(flags.samples)} is not a positive integer`);
      let profile;
      try {
        profile = flags.profile === undefined ? undefined : readProfileFile(flags.profile);
      } catch (error) {
        if (error instanceof ProfileError) throw new UsageError(error.message);
        throw error;
      }
      const results: ReplayResult[] = [];
      const unrunnable: Unrunnable[] = [];
      for (const allocator of allocators) {
        for (const pmm of pmms) {
          try {
            results.push(replay(trace, { allocator, pmm, largePages: flags.largePages === true, ...(profile === undefined ? {} : { profile }) }, { samples, now: () => performance.now() }));
          } catch (error) {
            if (error instanceof ProfileError) throw new UsageError(error.message);
            if (!(error instanceof KmemError || error instanceof RangeError)) throw error;
            unrunnable.push({ config: { allocator, pmm }, error: error.message });
          }
        }
      }
      if (flags.html !== undefined) {
        try {
          writeFileSync(flags.html, renderReplayHtml(trace.header, results));
        } catch (error) {
          throw new UsageError(`--html ${flags.html}: cannot write: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      if (flags.json === true) {
        process.stdout.write(`${JSON.stringify({ trace: { ...trace.header, events: trace.events.length }, results, unrunnable }, null, 2)}\n`);
      } else {
        process.stdout.write(renderResults(trace, file, results, unrunnable));
        if (flags.html !== undefined) process.stdout.write(`Wrote ${flags.html}\n`);
      }
      if (unrunnable.length > 0) setExitCode(1);
    });
};
