import { ReplacementError } from "../errors/replacement-error.js";
import { describeValue } from "../format.js";

/** The page-replacement policies kmem implements, by the names the CLI and JSON use. */
export type ReplacementPolicyName = "fifo" | "lru" | "clock" | "opt";

/** Every {@link ReplacementPolicyName}, in the order the docs list them. */
export const REPLACEMENT_POLICIES: readonly ReplacementPolicyName[] = ["fifo", "lru", "clock", "opt"];

/**
 * Where Clock reads and clears reference bits when they live outside the policy: an OS
 * passes the MMU's accessed bits (x86 PTE.A, RISC-V A), which the hardware sets on every
 * access without telling the policy.
 */
export interface ReferenceBits<K> {
  /** Whether `page` was referenced since its bit was last cleared. */
  isReferenced(page: K): boolean;
  /** Clears `page`'s bit (Clock gives the page a second chance). */
  clearReferenced(page: K): void;
}

/**
 * A page-replacement policy: it tracks the resident pages of at most `frames` frames and,
 * when asked, chooses the one to evict. It never moves data; its caller (a swap system or
 * a simulator) owns the frames. Protocol: `admit` a page once it is resident, call
 * `reference` once per access to a resident page (the access that faulted it in included),
 * `evict` when a frame is needed, `remove` when a page leaves by other means (freed).
 * Pages are compared with `===` (use numbers or strings).
 */
export interface ReplacementPolicy<K> {
  /** Which policy this is. */
  readonly name: ReplacementPolicyName;
  /** The number of frames: `admit` beyond it throws. */
  readonly frames: number;
  /** Resident pages. */
  readonly size: number;
  /** Whether `page` is resident. O(1). */
  has(page: K): boolean;
  /** Records that `page` became resident. @throws {ReplacementError} `AlreadyResident`, `CapacityExceeded`. */
  admit(page: K): void;
  /** Records an access to resident `page`. @throws {ReplacementError} `NotResident` (OPT: `TraceMismatch`). */
  reference(page: K): void;
  /** Chooses a resident page, forgets it and returns it. @throws {ReplacementError} `NothingResident`. */
  evict(): K;
  /** Forgets resident `page` without choosing it. @throws {ReplacementError} `NotResident`. */
  remove(page: K): void;
  /**
   * The resident pages in the policy's own order: FIFO oldest first, LRU least recent first,
   * Clock from the hand round the ring, OPT in admission order.
   */
  order(): K[];
}

/** Options of {@link createReplacementPolicy}. */
export interface ReplacementOptions<K> {
  /** Frames available (a positive integer). */
  readonly frames: number;
  /** OPT only: the whole reference string, in order; each `reference` consumes one entry. */
  readonly future?: readonly K[];
  /** Clock only: external reference bits (e.g. the MMU's accessed bits); default: bits the policy keeps, set by `reference`. */
  readonly referenceBits?: ReferenceBits<K>;
}

function checkFrames(frames: number): number {
  if (!Number.isSafeInteger(frames) || frames < 1) {
    throw new ReplacementError("InvalidFrames", `Cannot create a replacement policy with ${describeValue(frames)} frames: use a positive integer`, { frames });
  }
  return frames;
}

/** What FIFO, LRU and OPT share: resident pages in a `Map`, whose iteration order is the policy's order. */
abstract class OrderedPolicy<K> implements ReplacementPolicy<K> {
  abstract readonly name: ReplacementPolicyName;
  readonly frames: number;
  /** The resident pages; the Map's iteration order is the policy's order. */
  protected readonly pages = new Map<K, true>();

  constructor(frames: number) {
    this.frames = checkFrames(frames);
  }

  get size(): number {
    return this.pages.size;
  }

  has(page: K): boolean {
    return this.pages.has(page);
  }

  admit(page: K): void {
    checkAdmit(this, page);
    this.pages.set(page, true);
  }

  reference(page: K): void {
    checkResident(this, page, "reference");
  }

  evict(): K {
    const victim = this.victim();
    this.pages.delete(victim);
    return victim;
  }

  remove(page: K): void {
    checkResident(this, page, "remove");
    this.pages.delete(page);
  }

  order(): K[] {
    return [...this.pages.keys()];
  }

  /** The page to evict (there is at least one). */
  protected abstract choose(): K;

  private victim(): K {
    if (this.pages.size === 0) {
      throw new ReplacementError("NothingResident", `Cannot evict with ${this.name.toUpperCase()}: no page is resident`, { policy: this.name });
    }
    return this.choose();
  }
}

function checkAdmit<K>(policy: ReplacementPolicy<K>, page: K): void {
  if (policy.has(page)) {
    throw new ReplacementError("AlreadyResident", `Cannot admit page ${describeValue(page)}: it is already resident`, { policy: policy.name, page });
  }
  if (policy.size >= policy.frames) {
    throw new ReplacementError("CapacityExceeded", `Cannot admit page ${describeValue(page)}: all ${policy.frames} frames are in use (evict first)`, {
      policy: policy.name,
      page,
    });
  }
}

function checkResident<K>(policy: ReplacementPolicy<K>, page: K, action: string): void {
  if (!policy.has(page)) {
    throw new ReplacementError("NotResident", `Cannot ${action} page ${describeValue(page)}: it is not resident`, { policy: policy.name, page });
  }
}

/** First in, first out: evicts the page resident longest; references change nothing. O(1) per call. */
export class FifoPolicy<K> extends OrderedPolicy<K> {
  /** `"fifo"`. */
  readonly name = "fifo";

  protected choose(): K {
    return this.pages.keys().next().value as K;
  }
}

/** Least recently used, exact: evicts the page whose last reference is oldest. O(1) per call. */
export class LruPolicy<K> extends OrderedPolicy<K> {
  /** `"lru"`. */
  readonly name = "lru";

  /** Records an access: `page` becomes the most recently used. @throws {ReplacementError} `NotResident`. */
  override reference(page: K): void {
    super.reference(page);
    // Re-inserting moves the page to the end of the Map's order: most recent last.
    this.pages.delete(page);
    this.pages.set(page, true);
  }

  protected choose(): K {
    return this.pages.keys().next().value as K;
  }
}

/**
 * Belady's OPT (MIN): evicts the resident page whose next use in the known future is
 * furthest away; a page never used again goes first, and among several such pages the one
 * resident longest. Each `reference` must be the future's next entry. `evict` is
 * O(frames · log n) for a future of n references.
 */
export class OptimalPolicy<K> extends OrderedPolicy<K> {
  /** `"opt"`. */
  readonly name = "opt";
  readonly #future: readonly K[];
  /** Every position of each page in the future, ascending. */
  readonly #positions = new Map<K, number[]>();
  #cursor = 0;

  constructor(frames: number, future: readonly K[]) {
    super(frames);
    this.#future = future;
    future.forEach((page, i) => {
      const list = this.#positions.get(page);
      if (list === undefined) this.#positions.set(page, [i]);
      else list.push(i);
    });
  }

  /** How many references have been made: the index of the next one in the future. */
  get position(): number {
    return this.#cursor;
  }

  /** Moves to `position` in the future (for callers that do not see every access, e.g. with hardware-set accessed bits). */
  seek(position: number): void {
    if (!Number.isSafeInteger(position) || position < 0 || position > this.#future.length) {
      throw new ReplacementError("TraceMismatch", `Cannot seek OPT to ${describeValue(position)}: the future has ${this.#future.length} references`, { position });
    }
    this.#cursor = position;
  }

  /** Records the access at the current position of the future and moves past it. @throws {ReplacementError} `NotResident`, `TraceMismatch` (not the future's next page). */
  override reference(page: K): void {
    super.reference(page);
    if (this.#cursor >= this.#future.length || this.#future[this.#cursor] !== page) {
      const expected = this.#cursor < this.#future.length ? describeValue(this.#future[this.#cursor]) : "the end of the future";
      throw new ReplacementError("TraceMismatch", `Cannot reference page ${describeValue(page)} at position ${this.#cursor}: OPT's future has ${expected} there`, {
        page,
        position: this.#cursor,
      });
    }
    this.#cursor++;
  }

  /** The position of `page`'s next use at or after the current one, or `null` when it is never used again. O(log n). */
  nextUse(page: K): number | null {
    const list = this.#positions.get(page);
    if (list === undefined) return null;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((list[mid] ?? 0) < this.#cursor) lo = mid + 1;
      else hi = mid;
    }
    return lo < list.length ? (list[lo] ?? null) : null;
  }

  protected choose(): K {
    let victim: K | undefined;
    let furthest = -1;
    for (const page of this.pages.keys()) {
      const next = this.nextUse(page) ?? Number.POSITIVE_INFINITY;
      // Strictly greater: among equals (never used again) the page admitted first wins.
      if (next > furthest) {
        victim = page;
        furthest = next;
      }
    }
    return victim as K;
  }
}

/** Reference bits kept by the policy itself, set by `reference`. */
class OwnReferenceBits<K> implements ReferenceBits<K> {
  readonly bits = new Map<K, boolean>();

  isReferenced(page: K): boolean {
    return this.bits.get(page) === true;
  }

  clearReferenced(page: K): void {
    this.bits.set(page, false);
  }
}

/**
 * Clock (second chance): the frames form a ring swept by a hand. To evict, the hand skips
 * (and clears) every page whose reference bit is set, and takes the first whose bit is
 * clear; the next page admitted fills that slot and the hand moves past it. A newly
 * admitted page's bit is clear until it is referenced. With `referenceBits` the bits come
 * from outside (the MMU's accessed bits) and `reference` only checks residency.
 * `evict` is O(frames) (at most two sweeps).
 */
export class ClockPolicy<K> implements ReplacementPolicy<K> {
  /** `"clock"`. */
  readonly name = "clock";
  readonly frames: number;
  readonly #ring: (K | undefined)[];
  readonly #slots = new Map<K, number>();
  readonly #bits: ReferenceBits<K>;
  readonly #own: OwnReferenceBits<K> | null;
  #hand = 0;

  constructor(frames: number, referenceBits?: ReferenceBits<K>) {
    this.frames = checkFrames(frames);
    this.#ring = new Array<K | undefined>(frames).fill(undefined);
    this.#own = referenceBits === undefined ? new OwnReferenceBits<K>() : null;
    this.#bits = referenceBits ?? this.#own!;
  }

  get size(): number {
    return this.#slots.size;
  }

  /** The ring slot the hand points at. */
  get hand(): number {
    return this.#hand;
  }

  has(page: K): boolean {
    return this.#slots.has(page);
  }

  /** Whether resident `page`'s reference bit is set. */
  isReferenced(page: K): boolean {
    checkResident(this, page, "read the reference bit of");
    return this.#bits.isReferenced(page);
  }

  admit(page: K): void {
    checkAdmit(this, page);
    let slot = this.#hand;
    while (this.#ring[slot] !== undefined) slot = (slot + 1) % this.frames;
    this.#ring[slot] = page;
    this.#slots.set(page, slot);
    this.#own?.clearReferenced(page);
    if (slot === this.#hand) this.#hand = (this.#hand + 1) % this.frames;
  }

  reference(page: K): void {
    checkResident(this, page, "reference");
    this.#own?.bits.set(page, true);
  }

  evict(): K {
    if (this.#slots.size === 0) {
      throw new ReplacementError("NothingResident", "Cannot evict with CLOCK: no page is resident", { policy: this.name });
    }
    for (;;) {
      const page = this.#ring[this.#hand];
      if (page !== undefined) {
        if (!this.#bits.isReferenced(page)) {
          this.#forget(page);
          return page;
        }
        this.#bits.clearReferenced(page);
      }
      this.#hand = (this.#hand + 1) % this.frames;
    }
  }

  remove(page: K): void {
    checkResident(this, page, "remove");
    this.#forget(page);
  }

  order(): K[] {
    const pages: K[] = [];
    for (let i = 0; i < this.frames; i++) {
      const page = this.#ring[(this.#hand + i) % this.frames];
      if (page !== undefined) pages.push(page);
    }
    return pages;
  }

  #forget(page: K): void {
    const slot = this.#slots.get(page) ?? 0;
    this.#ring[slot] = undefined;
    this.#slots.delete(page);
    this.#own?.bits.delete(page);
  }
}

/**
 * Creates the policy `name` for `options.frames` frames.
 *
 * @throws {ReplacementError} `InvalidPolicy` for an unknown name; `InvalidFrames` when `frames` is not a positive integer;
 * `TraceMismatch` when `name` is `"opt"` and no `future` is given.
 * @example
 * const fifo = createReplacementPolicy("fifo", { frames: 3 });
 * for (const page of [1, 2, 3]) { fifo.admit(page); fifo.reference(page); }
 * fifo.evict(); // 1
 */
export function createReplacementPolicy<K>(name: ReplacementPolicyName, options: ReplacementOptions<K>): ReplacementPolicy<K> {
  if (!REPLACEMENT_POLICIES.includes(name)) {
    throw new ReplacementError("InvalidPolicy", `Cannot create the replacement policy ${describeValue(name)}: use ${REPLACEMENT_POLICIES.join(", ")}`, { policy: name });
  }
  switch (name) {
    case "fifo":
      return new FifoPolicy<K>(options.frames);
    case "lru":
      return new LruPolicy<K>(options.frames);
    case "clock":
      return new ClockPolicy<K>(options.frames, options.referenceBits);
    case "opt":
      if (options.future === undefined) {
        throw new ReplacementError("TraceMismatch", "Cannot create OPT without the future: pass options.future, the whole reference string", { policy: name });
      }
      return new OptimalPolicy<K>(options.frames, options.future);
  }
}
