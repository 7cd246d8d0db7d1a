/**
 * The free extents of an {@link ExtentAllocator} as a B+ tree ordered by start block, each
 * child entry augmented with the longest extent below it (Linux's `free_vmap_area_root` keeps
 * the same augmentation in a red-black tree). Leaves hold up to 16 extents, inner nodes up to
 * 16 children, so a search reads about log16(k) nodes of a few adjacent cache lines each
 * instead of log2(k) scattered ones: with 10^6 live allocations (2.6·10^5 free extents), where
 * an AVL tree missed the cache at almost every level, operations measured 1.6× faster, and
 * as fast with a few thousand extents.
 *
 * Every node is one slot of a `Float64Array` (a count, the next leaf, then 16 keys, 16
 * lengths or subtree maxima, and for inner nodes 16 child indices), 416 bytes: 26 to 52 bytes
 * per extent at the 8–16 extents a leaf holds. An extent is named by a handle,
 * `leaf · 16 + index`, valid until the next insert or remove. The nodes and the operations on
 * one node are in `btree-nodes.ts`; this module holds the searches and the walks along a path.
 */

import { BTreeNodes, CHILDREN, COUNT, FANOUT, FANOUT_SHIFT, INDEX_MASK, IS_LEAF, KEYS, MIN_FILL, NEXT, STRIDE, VALUES } from "./btree-nodes.js";

/** The handle of no extent. */
export const NIL = -1;

/** Room for a root-to-leaf path: log8(2^52) < 18 levels. */
const MAX_DEPTH = 40;

/** The B+ tree of free extents: `(start, length)` pairs, disjoint, ordered by start. */
export class ExtentBTree extends BTreeNodes {
  /** Extents in the tree. */
  size = 0;
  /** The extent after the last {@link floor}'s result in address order, or {@link NIL}. */
  next = NIL;
  /** The extent the recorded path leads to (the last floor's or unaligned firstFit's result), or {@link NIL}. */
  pathEnd = NIL;
  private root: number;
  /** The recorded path: inner nodes and the child index taken in each, then the leaf. */
  private readonly pathNode = new Int32Array(MAX_DEPTH);
  private readonly pathIndex = new Int32Array(MAX_DEPTH);
  private depth = 0;
  /** Whether the recorded path still describes the tree (no insert or remove since). */
  private pathValid = false;

  constructor() {
    super();
    this.root = this.newNode(true);
  }

  /** The longest extent in the tree (0 when empty). O(1). */
  get maxLength(): number {
    return this.nodeMax(this.root);
  }

  /** The first block of extent `handle`. */
  startOf(handle: number): number {
    return this.d[STRIDE * (handle >> FANOUT_SHIFT) + KEYS + (handle & INDEX_MASK)]!;
  }

  /** The blocks in extent `handle`. */
  lengthOf(handle: number): number {
    return this.d[STRIDE * (handle >> FANOUT_SHIFT) + VALUES + (handle & INDEX_MASK)]!;
  }

  /** The extent with the greatest start `<= block`, or {@link NIL}; also sets {@link next}. O(log k). */
  floor(block: number): number {
    const leaf = this.descend(block);
    const i = this.lastAtOrBelow(leaf, block);
    const count = this.d[STRIDE * leaf + COUNT]!;
    if (i + 1 < count) {
      this.next = (leaf << FANOUT_SHIFT) + i + 1;
    } else {
      const after = this.d[STRIDE * leaf + NEXT]! | 0;
      this.next = after < 0 ? NIL : after << FANOUT_SHIFT;
    }
    this.pathEnd = i < 0 ? NIL : (leaf << FANOUT_SHIFT) + i;
    return this.pathEnd;
  }

  /**
   * Changes extent `handle` to `[start, start + length)`, which must stay between its
   * neighbours, and refreshes the keys and maxima above it. O(log k).
   */
  change(handle: number, start: number, length: number): void {
    const leaf = handle >> FANOUT_SHIFT;
    if (!this.pathValid || this.pathNode[this.depth] !== leaf) this.descend(this.startOf(handle));
    const at = STRIDE * leaf;
    const i = handle & INDEX_MASK;
    this.d[at + KEYS + i] = start;
    this.d[at + VALUES + i] = length;
    this.refreshPath(this.depth);
  }

  /** Adds the extent `[start, start + length)`, which must not overlap any other. O(log k). */
  insert(start: number, length: number): void {
    this.descend(start);
    this.insertOnPath(start, length);
  }

  /**
   * {@link insert} for a `start` that compares with every extent as the last {@link floor}'s
   * argument did (no extent starts between the two): reuses that floor's path when nothing
   * was inserted or removed since.
   */
  insertBesideFloor(start: number, length: number): void {
    if (!this.pathValid) this.descend(start);
    this.insertOnPath(start, length);
  }

  /** Removes the extent starting at `start`, which must be in the tree. O(log k). */
  remove(start: number): void {
    const leaf = this.descend(start);
    const i = this.lastAtOrBelow(leaf, start);
    this.removeEntry(leaf, i);
    this.size--;
    this.pathValid = false;
    this.pathEnd = NIL;
    this.fixUnderflow();
  }

  /**
   * The first extent, by start, that holds `count` blocks from a start `b` with
   * `(b + phase) % alignment === 0`: that `b`, or -1. `phase` must be in `[0, alignment)`.
   *
   * With `alignment` 1 this is one descent guided by the subtree maxima: O(log k). With
   * alignment the maxima are a necessary condition only, so a subtree can be entered and come
   * back empty; each extent of at least `count` blocks that misses the alignment before the
   * answer costs at most one extra root-to-leaf path: O((1 + m) · log k) for m such extents.
   */
  firstFit(count: number, alignment: number, phase: number): number {
    if (alignment === 1) return this.firstFitUnaligned(count);
    return this.firstFitAligned(this.root, count, alignment, phase);
  }

  /** Calls `visit(start, length)` for every extent in ascending order. O(k). */
  forEach(visit: (start: number, length: number) => void): void {
    let node = this.root;
    while (this.d[STRIDE * node + IS_LEAF] === 0) node = this.d[STRIDE * node + CHILDREN]! | 0;
    for (; node >= 0; node = this.d[STRIDE * node + NEXT]! | 0) {
      const at = STRIDE * node;
      for (let i = 0; i < this.d[at + COUNT]!; i++) visit(this.d[at + KEYS + i]!, this.d[at + VALUES + i]!);
    }
  }

  /**
   * Checks the invariants (order and disjointness, fill, equal leaf depth, keys and maxima of
   * inner entries, the leaf chain, `size`); a description of the first one broken, or `null`.
   * O(k), for tests.
   */
  check(): string | null {
    let leafDepth = -1;
    let leaves = 0;
    let count = 0;
    const visit = (node: number, level: number, isRoot: boolean): string | null => {
      const at = STRIDE * node;
      const n = this.d[at + COUNT]!;
      if (n > FANOUT || (!isRoot && n < MIN_FILL)) return `node ${node} holds ${n} entries`;
      for (let i = 1; i < n; i++) if (!(this.d[at + KEYS + i - 1]! < this.d[at + KEYS + i]!)) return `node ${node} keys are out of order at ${i}`;
      if (this.d[at + IS_LEAF] === 1) {
        if (leafDepth < 0) leafDepth = level;
        if (leafDepth !== level) return `leaf ${node} is at depth ${level}, not ${leafDepth}`;
        leaves++;
        count += n;
        for (let i = 0; i < n; i++) if (!(this.d[at + VALUES + i]! >= 1)) return `extent ${this.d[at + KEYS + i]} has length ${this.d[at + VALUES + i]}`;
        return null;
      }
      if (n < (isRoot ? 2 : MIN_FILL)) return `inner node ${node} has ${n} children`;
      for (let i = 0; i < n; i++) {
        const child = this.d[at + CHILDREN + i]! | 0;
        if (this.d[at + KEYS + i] !== this.d[STRIDE * child + KEYS]) return `node ${node} entry ${i} has key ${this.d[at + KEYS + i]}, its child starts at ${this.d[STRIDE * child + KEYS]}`;
        if (this.d[at + VALUES + i] !== this.nodeMax(child)) return `node ${node} entry ${i} has maximum ${this.d[at + VALUES + i]}, its child ${this.nodeMax(child)}`;
        const problem = visit(child, level + 1, false);
        if (problem !== null) return problem;
      }
      return null;
    };
    const problem = visit(this.root, 0, true);
    if (problem !== null) return problem;
    let chained = 0;
    let previousEnd = -1;
    let disorder: string | null = null;
    this.forEach((start, length) => {
      if (disorder === null && start < previousEnd) disorder = `extent at ${start} overlaps the one before it`;
      previousEnd = start + length;
      chained++;
    });
    if (disorder !== null) return disorder;
    if (chained !== count) return `the leaf chain holds ${chained} extents, the tree ${count} in ${leaves} leaves`;
    return count === this.size ? null : `size is ${this.size} but the tree holds ${count}`;
  }

  /** Records the path to the leaf where `block` belongs (floor order); that leaf. */
  private descend(block: number): number {
    const d = this.d;
    let node = this.root;
    let depth = 0;
    while (d[STRIDE * node + IS_LEAF] === 0) {
      const i = Math.max(0, this.lastAtOrBelow(node, block));
      this.pathNode[depth] = node;
      this.pathIndex[depth] = i;
      depth++;
      node = d[STRIDE * node + CHILDREN + i]! | 0;
    }
    this.pathNode[depth] = node;
    this.depth = depth;
    this.pathValid = true;
    return node;
  }

  /** Copies the first key and the maximum of each node on the path into its parent's entry, bottom up from `level`. */
  private refreshPath(level: number): void {
    const d = this.d;
    for (let depth = level - 1; depth >= 0; depth--) {
      const parent = STRIDE * this.pathNode[depth]! + this.pathIndex[depth]!;
      const child = this.pathNode[depth + 1]!;
      const key = d[STRIDE * child + KEYS]!;
      const max = this.nodeMax(child);
      if (d[parent + KEYS] === key && d[parent + VALUES] === max) return;
      d[parent + KEYS] = key;
      d[parent + VALUES] = max;
    }
  }

  private firstFitUnaligned(count: number): number {
    const d = this.d;
    let node = this.root;
    let depth = 0;
    for (;;) {
      const at = STRIDE * node;
      const n = d[at + COUNT]!;
      let i = 0;
      while (i < n && d[at + VALUES + i]! < count) i++;
      // Only at the root can nothing fit: below it, the parent's maximum promised a fit.
      if (i === n) return -1;
      if (d[at + IS_LEAF] === 1) {
        this.pathNode[depth] = node;
        this.depth = depth;
        this.pathValid = true;
        this.pathEnd = (node << FANOUT_SHIFT) + i;
        return d[at + KEYS + i]!;
      }
      this.pathNode[depth] = node;
      this.pathIndex[depth] = i;
      depth++;
      node = d[at + CHILDREN + i]! | 0;
    }
  }

  private firstFitAligned(node: number, count: number, alignment: number, phase: number): number {
    const d = this.d;
    const at = STRIDE * node;
    const n = d[at + COUNT]!;
    const leaf = d[at + IS_LEAF] === 1;
    for (let i = 0; i < n; i++) {
      if (d[at + VALUES + i]! < count) continue;
      if (!leaf) {
        const found = this.firstFitAligned(d[at + CHILDREN + i]! | 0, count, alignment, phase);
        if (found >= 0) return found;
        continue;
      }
      const start = d[at + KEYS + i]!;
      // Blocks from start to the next b with (b + phase) % alignment === 0.
      const skip = (alignment - ((start % alignment) + phase) % alignment) % alignment;
      if (skip + count <= d[at + VALUES + i]!) return start + skip;
    }
    return -1;
  }

  /** Inserts `(start, length)` into the recorded path's leaf, splitting full nodes up the path. */
  private insertOnPath(start: number, length: number): void {
    const leaf = this.pathNode[this.depth]!;
    let sibling = this.insertEntry(leaf, this.lastAtOrBelow(leaf, start) + 1, start, length, -1);
    for (let depth = this.depth - 1; depth >= 0; depth--) {
      const parent = this.pathNode[depth]!;
      const index = this.pathIndex[depth]!;
      if (sibling < 0) {
        // No split below: only keys and maxima change, and only as far up as they do.
        this.refreshPath(depth + 1);
        break;
      }
      this.refreshEntry(parent, index);
      sibling = this.insertEntry(parent, index + 1, this.d[STRIDE * sibling + KEYS]!, this.nodeMax(sibling), sibling);
    }
    if (sibling >= 0) {
      const root = this.newNode(false);
      const old = this.root;
      this.setEntry(root, 0, this.d[STRIDE * old + KEYS]!, this.nodeMax(old), old);
      this.setEntry(root, 1, this.d[STRIDE * sibling + KEYS]!, this.nodeMax(sibling), sibling);
      this.d[STRIDE * root + COUNT] = 2;
      this.root = root;
    }
    this.size++;
    this.pathValid = false;
    this.pathEnd = NIL;
  }

  /** After a removal from the path's leaf: refills or merges underfull nodes and refreshes the entries above, bottom up. */
  private fixUnderflow(): void {
    const d = this.d;
    for (let depth = this.depth - 1; depth >= 0; depth--) {
      const node = this.pathNode[depth + 1]!;
      if (d[STRIDE * node + COUNT]! >= MIN_FILL) {
        // Full enough from here up: only keys and maxima change, and only as far up as they do.
        this.refreshPath(depth + 1);
        break;
      }
      this.rebalance(this.pathNode[depth]!, this.pathIndex[depth]!);
    }
    const root = this.root;
    if (d[STRIDE * root + IS_LEAF] === 0 && d[STRIDE * root + COUNT] === 1) {
      this.root = d[STRIDE * root + CHILDREN]! | 0;
      this.recycle(root);
    }
  }

}
