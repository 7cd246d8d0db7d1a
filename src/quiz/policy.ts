import { QuizError } from "../errors/quiz-error.js";
import { describeValue } from "../format.js";
import { REPLACEMENT_POLICIES, type ReplacementPolicyName } from "../process/replacement.js";
import { Chooser } from "./choice.js";
import { checkCount, checkSeed } from "./options.js";
import { type ReplacementRun, type ReplacementStep, runReplacement } from "./replacement-run.js";

/** The most frames a replacement exercise uses. */
export const MAX_POLICY_FRAMES = 16;
/** The longest reference string. */
export const MAX_POLICY_REFERENCES = 100;
/** References in a random string when no count is given. */
export const DEFAULT_POLICY_REFERENCES = 12;
/** The largest page number a given trace may hold. */
export const MAX_POLICY_PAGE = 999;

/** A page-replacement exercise: a policy, frames, a reference string, and the run that answers it. */
export interface PolicyExercise {
  /** The replacement policy. */
  readonly policy: ReplacementPolicyName;
  /** Frames available, all empty at the start. */
  readonly frames: number;
  /** The seed that drew the reference string, or `null` when it was given. */
  readonly seed: number | null;
  /** The reference string. */
  readonly trace: readonly number[];
  /** The answers: every step of the run. */
  readonly run: ReplacementRun;
}

/** Options of {@link generatePolicyExercise}: `trace`, or `seed` (and `count`) to draw one. */
export interface PolicyQuizOptions {
  /** `fifo`, `lru`, `clock` or `opt`. */
  readonly policy: string;
  /** Frames, 1 to 16. */
  readonly frames: number;
  /** Draws the reference string (when `trace` is absent; default 0). */
  readonly seed?: number;
  /** The reference string: pages 0 to 999, 1 to 100 of them. */
  readonly trace?: readonly number[];
  /** References to draw (default 12, at most 100). */
  readonly count?: number;
}

function checkPolicy(name: string): ReplacementPolicyName {
  const policy = REPLACEMENT_POLICIES.find((p) => p === name);
  if (policy === undefined) {
    throw new QuizError("UnknownPolicy", `Cannot run policy ${describeValue(name)}: use one of ${REPLACEMENT_POLICIES.join(", ")}`, { policy: name });
  }
  return policy;
}

function checkTrace(trace: readonly number[]): readonly number[] {
  if (trace.length === 0 || trace.length > MAX_POLICY_REFERENCES) {
    throw new QuizError("InvalidTrace", `Cannot use a reference string of ${trace.length} pages: give 1 to ${MAX_POLICY_REFERENCES}`, { length: trace.length });
  }
  const bad = trace.find((page) => !Number.isSafeInteger(page) || page < 0 || page > MAX_POLICY_PAGE);
  if (bad !== undefined) {
    throw new QuizError("InvalidTrace", `Cannot use page ${describeValue(bad)} in a reference string: pages are integers from 0 to ${MAX_POLICY_PAGE}`, { page: bad });
  }
  return trace;
}

/**
 * A reference string of `count` pages drawn from `frames + 2` pages (1, 2, …), so that
 * about half the references hit once the frames are full.
 */
function drawTrace(choose: Chooser, frames: number, count: number): number[] {
  return Array.from({ length: count }, () => 1 + choose.int(frames + 2));
}

/**
 * Builds a replacement exercise: the given reference string, or one drawn from `seed`, run
 * through `policy` with `frames` frames (OSTEP's paging-policy.py, with kmem's policies).
 *
 * @throws {QuizError} `UnknownPolicy`, `InvalidFrames` (not 1–16), `InvalidTrace` (empty,
 * too long, or a page not an integer 0–999), `InvalidSeed`, `InvalidCount`.
 * @example
 * generatePolicyExercise({ policy: "fifo", frames: 3, trace: [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5] }).run.misses; // 9
 */
export function generatePolicyExercise(options: PolicyQuizOptions): PolicyExercise {
  const policy = checkPolicy(options.policy);
  const { frames } = options;
  if (!Number.isSafeInteger(frames) || frames < 1 || frames > MAX_POLICY_FRAMES) {
    throw new QuizError("InvalidFrames", `Cannot use ${describeValue(frames)} frames: use 1 to ${MAX_POLICY_FRAMES}`, { frames });
  }
  let trace: readonly number[];
  let seed: number | null = null;
  if (options.trace !== undefined) {
    trace = checkTrace(options.trace);
  } else {
    seed = checkSeed(options.seed ?? 0);
    trace = drawTrace(new Chooser(seed), frames, checkCount(options.count ?? DEFAULT_POLICY_REFERENCES, MAX_POLICY_REFERENCES, "references"));
  }
  return { policy, frames, seed, trace, run: runReplacement(trace, { policy, frames }) };
}

const POLICY_TITLES: Record<ReplacementPolicyName, string> = {
  fifo: "FIFO (first in, first out)",
  lru: "LRU (least recently used)",
  clock: "Clock (second chance: a hand sweeps the frames, clearing reference bits, and evicts the first page whose bit is clear)",
  opt: "OPT (Belady: evict the page used furthest in the future; among pages never used again, the one resident longest)",
};

const STATE_HEADERS: Record<ReplacementPolicyName, string> = {
  fifo: "queue, first in first",
  lru: "least to most recently used",
  clock: "reference bits, hand",
  opt: "next use (step)",
};

function pageText(page: number | null): string {
  return page === null ? "-" : String(page);
}

/** The policy's state after `step`: Clock's bits and hand, OPT's next uses, or FIFO's queue and LRU's recency order. */
function stateText(step: ReplacementStep): string {
  if (step.referenced !== null) {
    const bits = step.referenced.map((bit) => (bit === null ? "-" : bit ? "1" : "0")).join(" ");
    return `${bits}, hand at frame ${step.hand ?? 0}`;
  }
  if (step.nextUse !== null) {
    return step.order.map((page, i) => `${page}@${step.nextUse?.[i] === null ? "never" : String((step.nextUse?.[i] ?? 0) + 1)}`).join(" ");
  }
  return step.order.join(" ");
}

/**
 * The exercise as text: the policy, the frames and the reference string; with `answers`, a
 * table of every step (page, hit or miss, evicted page, frames after, the policy's state)
 * and the totals.
 */
export function renderPolicyExercise(exercise: PolicyExercise, options: { readonly answers: boolean }): string {
  const lines = [
    `${POLICY_TITLES[exercise.policy]}, ${exercise.frames} frame${exercise.frames === 1 ? "" : "s"}, all empty at the start.`,
    `Reference string (${exercise.trace.length} references): ${exercise.trace.join(" ")}`,
    "",
    "For each reference: hit or miss, the page evicted (if any), and what the frames hold after it.",
    "A miss fills the lowest empty frame, or else the frame of the page evicted.",
  ];
  if (options.answers) {
    const width = Math.max(1, ...exercise.trace.map((page) => String(page).length));
    const header = ["step", "page", "result", "evicted", "frames".padEnd(exercise.frames * (width + 1) - 1), STATE_HEADERS[exercise.policy]];
    const rows = exercise.run.steps.map((step, i) => [
      String(i + 1).padStart(header[0]?.length ?? 0),
      String(step.page).padStart(header[1]?.length ?? 0),
      (step.hit ? "hit" : "miss").padEnd(header[2]?.length ?? 0),
      pageText(step.evicted).padStart(header[3]?.length ?? 0),
      step.frames.map((page) => pageText(page).padStart(width)).join(" ").padEnd(header[4]?.length ?? 0),
      stateText(step),
    ]);
    const { hits, misses } = exercise.run;
    const rate = ((100 * hits) / exercise.trace.length).toFixed(1);
    lines.push("", "Answers:", `  ${header.join("  ")}`, ...rows.map((row) => `  ${row.join("  ")}`.trimEnd()));
    lines.push("", `${misses} misses (page faults) and ${hits} hits in ${exercise.trace.length} references: hit rate ${rate}%.`);
  }
  return lines.join("\n") + "\n";
}

/** `kmem quiz policy --json`: the stable object documented in docs/cli.md. */
export function policyJson(exercise: PolicyExercise, options: { readonly answers: boolean }): object {
  const base = { quiz: "policy", policy: exercise.policy, frames: exercise.frames, seed: exercise.seed, trace: exercise.trace };
  if (!options.answers) return base;
  const steps = exercise.run.steps.map((step) => ({
    page: step.page,
    hit: step.hit,
    evicted: step.evicted,
    frames: step.frames,
    order: step.order,
    ...(step.referenced === null ? {} : { referenced: step.referenced, hand: step.hand }),
    ...(step.nextUse === null ? {} : { nextUse: step.nextUse.map((at) => (at === null ? null : at + 1)) }),
  }));
  return { ...base, answers: { steps, hits: exercise.run.hits, misses: exercise.run.misses } };
}
