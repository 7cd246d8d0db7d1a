import { ReplacementError } from "../errors/replacement-error.js";
import type { ReferenceBits, ReplacementPolicy, ReplacementPolicyName } from "./replacement.js";
import { createReplacementPolicy } from "./replacement.js";
import type { SwapDevice } from "./swap.js";

/** An address space as a {@link SwapPool} sees it: it can page one of its pages out, and has accessed bits. */
export interface SwapMember {
  /** Writes `page` to the pool's device, unmaps it and frees its frame. */
  evict(page: number): void;
  /** The hardware accessed bits of its pages (Clock's reference bits). */
  readonly accessed: ReferenceBits<number>;
}

/** Options of {@link SwapPool}. */
export interface SwapPoolOptions {
  /** How many pages may be resident in all member spaces together (a positive integer). */
  readonly frames: number;
  /** Which page to evict: FIFO, LRU (exact: every access reported), Clock (the MMU's accessed bits), OPT (needs `future`). */
  readonly policy: ReplacementPolicyName;
  /** Where evicted pages go. */
  readonly device: SwapDevice;
  /** OPT only: the page numbers (address / 4096) the pool's one member will access, in order. */
  readonly future?: readonly number[];
}

/**
 * A bound on resident user pages shared by the address spaces that join it — one space (a
 * per-process limit, what `AddressSpace.enableSwap` makes) or many (a system-wide limit):
 * when a page must become resident and the pool is full, the policy picks a victim among
 * every member's pages, and its space writes it to the shared {@link SwapDevice}. A frame
 * shared copy-on-write by k members counts k times, so the frames in use never exceed the
 * bound. OPT, whose future is one space's, takes one member. O(1) per call plus the policy's cost.
 *
 * @example
 * const pool = new SwapPool({ frames: 64, policy: "clock", device: new SwapDevice(1024) });
 * a.joinSwap(pool);
 * b.joinSwap(pool); // a and b together keep at most 64 pages resident
 */
export class SwapPool {
  /** The bound on resident pages. */
  readonly frames: number;
  /** The policy's name. */
  readonly policyName: ReplacementPolicyName;
  /** Where evicted pages go. */
  readonly device: SwapDevice;
  readonly #policy: ReplacementPolicy<string>;
  readonly #members = new Map<number, SwapMember>();
  #next = 0;

  /** @throws {ReplacementError} `InvalidFrames` (bad count); `TraceMismatch` for OPT without `future`. */
  constructor(options: SwapPoolOptions) {
    this.frames = options.frames;
    this.policyName = options.policy;
    this.device = options.device;
    this.#policy = createReplacementPolicy<string>(options.policy, {
      frames: options.frames,
      ...(options.future === undefined ? {} : { future: options.future.map((page) => keyOf(0, page)) }),
      ...(options.policy === "clock" ? { referenceBits: this.#referenceBits() } : {}),
    });
  }

  /** Resident pages of every member. */
  get resident(): number {
    return this.#policy.size;
  }

  /** Members. */
  get members(): number {
    return this.#members.size;
  }

  /**
   * Adds a member; returns its number (the first is 0).
   *
   * @throws {ReplacementError} `TraceMismatch` when an OPT pool already has its one member.
   */
  join(member: SwapMember): number {
    if (this.policyName === "opt" && this.#next > 0) {
      throw new ReplacementError("TraceMismatch", "Cannot add a second space to an OPT swap pool: its future is one space's page numbers", { policy: this.policyName });
    }
    const id = this.#next++;
    this.#members.set(id, member);
    return id;
  }

  /** Removes member `id` (its pages were released first). */
  leave(id: number): void {
    this.#members.delete(id);
  }

  /** Evicts the policy's victim when the pool is full, so that one more page can be admitted. */
  makeRoom(): void {
    if (this.#policy.size < this.frames) return;
    const victim = this.#policy.evict();
    const [id, page] = parseKey(victim);
    try {
      this.#members.get(id)?.evict(page);
    } catch (error) {
      this.#policy.admit(victim);
      throw error;
    }
  }

  /** Admits `page` of member `id`, making room first. */
  admit(id: number, page: number): void {
    this.makeRoom();
    this.#policy.admit(keyOf(id, page));
  }

  /** Reports an access to a resident page (exact LRU, OPT). */
  reference(id: number, page: number): void {
    const key = keyOf(id, page);
    if (this.#policy.has(key)) this.#policy.reference(key);
  }

  /** Forgets a page that left memory other than by eviction (unmapped). */
  remove(id: number, page: number): void {
    const key = keyOf(id, page);
    if (this.#policy.has(key)) this.#policy.remove(key);
  }

  /** Clock's reference bits: each member's accessed bits. */
  #referenceBits(): ReferenceBits<string> {
    const bitsOf = (key: string): [ReferenceBits<number> | undefined, number] => {
      const [id, page] = parseKey(key);
      return [this.#members.get(id)?.accessed, page];
    };
    return {
      isReferenced: (key) => {
        const [bits, page] = bitsOf(key);
        return bits?.isReferenced(page) ?? false;
      },
      clearReferenced: (key) => {
        const [bits, page] = bitsOf(key);
        bits?.clearReferenced(page);
      },
    };
  }
}

function keyOf(id: number, page: number): string {
  return `${String(id)}:${String(page)}`;
}

function parseKey(key: string): [number, number] {
  const colon = key.indexOf(":");
  return [Number(key.slice(0, colon)), Number(key.slice(colon + 1))];
}
