import { ClockPolicy, OptimalPolicy, type ReplacementPolicy, type ReplacementPolicyName, createReplacementPolicy } from "../process/replacement.js";

/** One reference of a {@link runReplacement} run and the state after it. */
export interface ReplacementStep {
  /** The page referenced. */
  readonly page: number;
  /** The page was resident. */
  readonly hit: boolean;
  /** The page evicted to make room, or `null` (a hit, or a miss that found an empty frame). */
  readonly evicted: number | null;
  /** Frame `i` holds `frames[i]` after the step (`null`: empty). */
  readonly frames: readonly (number | null)[];
  /** The resident pages in the policy's order (see `ReplacementPolicy.order`). */
  readonly order: readonly number[];
  /** Clock only: each frame's reference bit after the step (`null` for an empty frame); else `null`. */
  readonly referenced: readonly (boolean | null)[] | null;
  /** Clock only: the frame the hand points at after the step (the next one it examines); else `null`. */
  readonly hand: number | null;
  /** OPT only: the 0-based position of each resident page's next use (`null`: never), aligned with `order`; else `null`. */
  readonly nextUse: readonly (number | null)[] | null;
}

/** A whole run: every step, and the totals. */
export interface ReplacementRun {
  /** The policy run. */
  readonly policy: ReplacementPolicyName;
  /** The frames it had. */
  readonly frames: number;
  /** One step per reference, in order. */
  readonly steps: readonly ReplacementStep[];
  /** References that found their page resident. */
  readonly hits: number;
  /** References that faulted (page misses). */
  readonly misses: number;
}

/**
 * Runs the reference string `trace` through `policy` with `frames` frames, all empty at the
 * start. A miss fills the lowest empty frame, or else the frame of the page the policy
 * evicts. O(n · frames).
 *
 * @throws {ReplacementError} `InvalidFrames` when `frames` is not a positive integer.
 * @example
 * runReplacement([1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5], { policy: "fifo", frames: 3 }).misses; // 9
 */
export function runReplacement(trace: readonly number[], options: { readonly policy: ReplacementPolicyName; readonly frames: number }): ReplacementRun {
  const policy: ReplacementPolicy<number> = createReplacementPolicy(options.policy, { frames: options.frames, future: trace });
  const frames: (number | null)[] = new Array<number | null>(options.frames).fill(null);
  const steps: ReplacementStep[] = [];
  let hits = 0;
  for (const page of trace) {
    const hit = policy.has(page);
    let evicted: number | null = null;
    if (hit) {
      hits++;
    } else {
      let frame = frames.indexOf(null);
      if (frame < 0) {
        evicted = policy.evict();
        frame = frames.indexOf(evicted);
      }
      frames[frame] = page;
      policy.admit(page);
    }
    policy.reference(page);
    steps.push({ page, hit, evicted, frames: [...frames], ...policyState(policy, frames) });
  }
  return { policy: options.policy, frames: options.frames, steps, hits, misses: trace.length - hits };
}

function policyState(policy: ReplacementPolicy<number>, frames: readonly (number | null)[]): Pick<ReplacementStep, "order" | "referenced" | "hand" | "nextUse"> {
  const order = policy.order();
  if (policy instanceof ClockPolicy) {
    // Clock fills the slot at its hand, or the first empty one after it, as this run fills frames: its slots are the frames.
    return { order, referenced: frames.map((page) => (page === null ? null : policy.isReferenced(page))), hand: policy.hand, nextUse: null };
  }
  if (policy instanceof OptimalPolicy) {
    return { order, referenced: null, hand: null, nextUse: order.map((page) => policy.nextUse(page)) };
  }
  return { order, referenced: null, hand: null, nextUse: null };
}
