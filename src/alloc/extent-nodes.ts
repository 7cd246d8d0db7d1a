/**
 * The free extents of an {@link ExtentAllocator} as an AVL tree ordered by start block, each
 * node augmented with the longest extent in its subtree (the design of Linux's
 * `free_vmap_area_root`, with AVL balancing instead of red-black: a tighter height bound,
 * 1.44·log2(k) against 2·log2(k), for a search-heavy load, and simpler deletion).
 *
 * Nodes live in one `ArrayBuffer`, 32 bytes each — start, length and subtree longest as
 * float64 (exact to 2^53), then the left and right links as int32 — so a step of a descent
 * reads one cache line; a byte array beside it holds the heights, read only when
 * rebalancing. Indices are links, node 0 is the null sentinel, freed nodes are recycled:
 * 33 bytes per node and no objects.
 *
 * Extents are keyed by their start; callers keep them disjoint, so moving an extent's start
 * within the gap around it (a shrink or a merge) keeps the order and needs no rebalancing.
 * Every operation is O(log k) for k extents.
 */

/** The null link; node 0 is a sentinel with length, longest and height 0. */
export const NIL = 0;

/** Nodes allocated by a new tree (grown by half as needed). */
const INITIAL_CAPACITY = 64;
/** Capacity grows by this factor, bounding the unused share of the arrays to a third. */
const GROWTH = 1.5;
/** Room for a root-to-leaf path: an AVL tree of 2^52 nodes is at most 1.44·52 + 2 < 78 high. */
const MAX_PATH = 128;
/** Bytes per node in the buffer. */
const NODE_BYTES = 32;
/** Float64 slots per node, and the slot of each field. */
const F64_STRIDE = 4;
const START = 0;
const LENGTH = 1;
const LONGEST = 2;
/** Int32 slots per node, and the slots of the links (in the fourth float64 slot). */
const I32_STRIDE = 8;
const LEFT = 6;
const RIGHT = 7;

/** The AVL tree of free extents: `(start, length)` pairs, disjoint, ordered by start. */
export class ExtentNodes {
  /** Extents in the tree. */
  size = 0;
  /** The root node, or {@link NIL}. */
  root = NIL;
  /**
   * The node after the last {@link floor}'s result in address order (the smallest start
   * above its argument), or {@link NIL}.
   */
  next = NIL;
  /**
   * The node the recorded path leads to: the result of the last {@link floor}, or of the
   * last unaligned {@link firstFit}; {@link NIL} once an insert or remove has reshaped the tree.
   */
  pathEnd = NIL;
  /** The nodes' float64 fields (start, length, longest) at `F64_STRIDE · node`. */
  private f64: Float64Array;
  /** The nodes' links at `I32_STRIDE · node + LEFT/RIGHT` (the same buffer). */
  private i32: Int32Array;
  /** Subtree heights (a leaf is 1, {@link NIL} 0). */
  private height: Uint8Array;
  /** Head of the chain of recycled nodes (linked through the left link). */
  private freeHead = NIL;
  /** The nodes the last {@link floor} passed, root first, and where its result and {@link next} sit on it. */
  private readonly path = new Int32Array(MAX_PATH);
  private floorDepth = -1;
  private nextDepth = -1;
  /** Nodes on the last {@link floor}'s path (it runs down to a null link), or -1 when the recorded path is not a floor's. */
  private floorLength = -1;
  /** Nodes ever handed out, including the sentinel. */
  private used = 1;

  constructor() {
    const buffer = new ArrayBuffer(INITIAL_CAPACITY * NODE_BYTES);
    this.f64 = new Float64Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.height = new Uint8Array(INITIAL_CAPACITY);
  }

  /** Nodes the arrays have room for (the sentinel included). */
  get capacity(): number {
    return this.height.length;
  }

  /** Bytes held by the node arrays. */
  get byteLength(): number {
    return this.f64.byteLength + this.height.byteLength;
  }

  /** The longest extent in the tree (0 when empty). O(1). */
  get maxLength(): number {
    return this.longestOf(this.root);
  }

  /** The first block of `node`'s extent. */
  startOf(node: number): number {
    return this.f64[F64_STRIDE * node + START]!;
  }

  /** The blocks in `node`'s extent. */
  lengthOf(node: number): number {
    return this.f64[F64_STRIDE * node + LENGTH]!;
  }

  /**
   * The node whose extent has the greatest start `<= block`, or {@link NIL}; also sets
   * {@link next} to the node after it, and remembers the path for {@link change}. O(log k).
   */
  floor(block: number): number {
    const path = this.path;
    let node = this.root;
    let best = NIL;
    let after = NIL;
    let depth = 0;
    this.floorDepth = -1;
    this.nextDepth = -1;
    while (node !== NIL) {
      path[depth] = node;
      if (this.startOf(node) <= block) {
        best = node;
        this.floorDepth = depth;
        node = this.rightOf(node);
      } else {
        after = node;
        this.nextDepth = depth;
        node = this.leftOf(node);
      }
      depth++;
    }
    this.next = after;
    this.pathEnd = best;
    this.floorLength = depth;
    return best;
  }

  /**
   * Changes the extent of `node` — {@link pathEnd} or, after a {@link floor}, its
   * {@link next} — to `[start, start + length)`, which must stay between its
   * neighbours (so the order holds), and refreshes `longest` up its path. O(log k).
   */
  change(node: number, start: number, length: number): void {
    const f64 = this.f64;
    f64[F64_STRIDE * node + START] = start;
    f64[F64_STRIDE * node + LENGTH] = length;
    const path = this.path;
    // The node is the deeper of the two the floor's path recorded.
    for (let depth = node === this.next ? this.nextDepth : this.floorDepth; depth >= 0; depth--) {
      const at = path[depth]!;
      const longest = this.subtreeLongest(at);
      // Above a node whose longest did not change, nothing changes.
      if (longest === this.longestOf(at)) return;
      f64[F64_STRIDE * at + LONGEST] = longest;
    }
  }

  /**
   * Adds the extent `[start, start + length)`, which must not overlap any other. O(log k):
   * one descent, then rebalancing back up only as far as heights or `longest` change.
   */
  insert(start: number, length: number): void {
    const path = this.path;
    let depth = 0;
    for (let node = this.root; node !== NIL; depth++) {
      path[depth] = node;
      node = start < this.startOf(node) ? this.leftOf(node) : this.rightOf(node);
    }
    this.attach(depth, start, length);
  }

  /**
   * {@link insert} for a `start` that compares with every node as the last {@link floor}'s
   * argument did (no extent starts between the two): reuses that floor's path when it is the
   * one recorded and nothing was inserted or removed since, else searches.
   */
  insertBesideFloor(start: number, length: number): void {
    if (this.floorLength < 0) this.insert(start, length);
    else this.attach(this.floorLength, start, length);
  }

  /** Hangs a new node below the first `depth` nodes of the path and rebalances back up. */
  private attach(depth: number, start: number, length: number): void {
    const path = this.path;
    let child = this.newNode(start, length);
    this.size++;
    this.pathEnd = NIL;
    this.floorLength = -1;
    while (depth > 0) {
      const node = path[--depth]!;
      if (start < this.startOf(node)) this.setLeft(node, child);
      else this.setRight(node, child);
      const height = this.height[node]!;
      const longest = this.longestOf(node);
      child = this.balance(node);
      if (child === node && this.height[node] === height && this.longestOf(node) === longest) return;
    }
    this.root = child;
  }

  /** Removes the extent starting at `start`, which must be in the tree. O(log k). */
  remove(start: number): void {
    this.root = this.removeFrom(this.root, start);
    this.size--;
    this.pathEnd = NIL;
    this.floorLength = -1;
  }

  /**
   * The first extent, by start, that holds `count` blocks from a start `b` with
   * `(b + phase) % alignment === 0`: that `b`, or -1. `phase` must be in `[0, alignment)`.
   *
   * With `alignment` 1 this is one descent guided by `longest`: O(log k). With alignment,
   * `longest >= count` is necessary but not sufficient (the aligned start may lose up to
   * `alignment − 1` blocks), so a subtree can be entered and come back empty; each extent of
   * length at least `count` that fails the alignment before the answer costs at most one extra
   * root-to-leaf path: O((1 + m) · log k) for m such near misses.
   */
  firstFit(count: number, alignment: number, phase: number): number {
    if (this.longestOf(this.root) < count) return -1;
    if (alignment === 1) return this.firstFitUnaligned(count);
    return this.firstFitAligned(this.root, count, alignment, phase);
  }

  /** Calls `visit(start, length)` for every extent in ascending order. O(k). */
  forEach(visit: (start: number, length: number) => void): void {
    const stack: number[] = [];
    let node = this.root;
    while (node !== NIL || stack.length > 0) {
      while (node !== NIL) {
        stack.push(node);
        node = this.leftOf(node);
      }
      node = stack.pop()!;
      visit(this.startOf(node), this.lengthOf(node));
      node = this.rightOf(node);
    }
  }

  /**
   * Checks the tree's invariants (order, disjointness, AVL balance, heights, `longest`,
   * `size`); a description of the first one broken, or `null`. O(k), for tests.
   */
  check(): string | null {
    let count = 0;
    let previousEnd = -1;
    const visit = (node: number, low: number, high: number): string | null => {
      if (node === NIL) return null;
      count++;
      const start = this.startOf(node);
      const length = this.lengthOf(node);
      if (!(start >= low && start < high)) return `node ${node} (start ${start}) is out of order`;
      if (length < 1) return `node ${node} has length ${length}`;
      const l = this.leftOf(node);
      const r = this.rightOf(node);
      const inLeft = visit(l, low, start);
      if (inLeft !== null) return inLeft;
      if (start < previousEnd) return `extent at ${start} overlaps the one before it`;
      previousEnd = start + length;
      const inRight = visit(r, start + 1, high);
      if (inRight !== null) return inRight;
      const hl = this.height[l]!;
      const hr = this.height[r]!;
      if (Math.abs(hl - hr) > 1) return `node ${node} is unbalanced (${hl} vs ${hr})`;
      if (this.height[node] !== 1 + Math.max(hl, hr)) return `node ${node} has height ${this.height[node]}`;
      if (this.longestOf(node) !== this.subtreeLongest(node)) return `node ${node} has longest ${this.longestOf(node)}, not ${this.subtreeLongest(node)}`;
      return null;
    };
    const problem = visit(this.root, -Infinity, Infinity);
    if (problem !== null) return problem;
    if (this.height[this.root]! > MAX_PATH) return `the tree is ${this.height[this.root]} high`;
    return count === this.size ? null : `size is ${this.size} but the tree holds ${count}`;
  }

  /** The height of the tree (0 when empty). */
  get depth(): number {
    return this.height[this.root]!;
  }

  /** One descent to the first extent of at least `count` blocks, recording the path (so a reserve of it need not search again). */
  private firstFitUnaligned(count: number): number {
    const path = this.path;
    let node = this.root;
    for (let depth = 0; ; depth++) {
      path[depth] = node;
      const left = this.leftOf(node);
      if (this.longestOf(left) >= count) {
        node = left;
      } else if (this.lengthOf(node) >= count) {
        this.pathEnd = node;
        this.floorDepth = depth;
        this.floorLength = -1;
        this.next = NIL;
        return this.startOf(node);
      } else {
        node = this.rightOf(node);
      }
    }
  }

  private firstFitAligned(node: number, count: number, alignment: number, phase: number): number {
    while (node !== NIL && this.longestOf(node) >= count) {
      const inLeft = this.firstFitAligned(this.leftOf(node), count, alignment, phase);
      if (inLeft >= 0) return inLeft;
      const start = this.startOf(node);
      const length = this.lengthOf(node);
      if (length >= count) {
        // Blocks from start to the next b with (b + phase) % alignment === 0.
        const skip = (alignment - ((start % alignment) + phase) % alignment) % alignment;
        if (skip + count <= length) return start + skip;
      }
      node = this.rightOf(node);
    }
    return -1;
  }

  private removeFrom(node: number, start: number): number {
    const key = this.startOf(node);
    if (start < key) {
      this.setLeft(node, this.removeFrom(this.leftOf(node), start));
    } else if (start > key) {
      this.setRight(node, this.removeFrom(this.rightOf(node), start));
    } else {
      const l = this.leftOf(node);
      const r = this.rightOf(node);
      if (l === NIL || r === NIL) {
        this.recycle(node);
        return l === NIL ? r : l;
      }
      // Two children: take the successor's extent into this node and remove the successor.
      let next = r;
      while (this.leftOf(next) !== NIL) next = this.leftOf(next);
      this.f64[F64_STRIDE * node + START] = this.startOf(next);
      this.f64[F64_STRIDE * node + LENGTH] = this.lengthOf(next);
      this.setRight(node, this.removeMin(r));
    }
    return this.balance(node);
  }

  private removeMin(node: number): number {
    const l = this.leftOf(node);
    if (l === NIL) {
      const r = this.rightOf(node);
      this.recycle(node);
      return r;
    }
    this.setLeft(node, this.removeMin(l));
    return this.balance(node);
  }

  private longestOf(node: number): number {
    return this.f64[F64_STRIDE * node + LONGEST]!;
  }

  private leftOf(node: number): number {
    return this.i32[I32_STRIDE * node + LEFT]!;
  }

  private rightOf(node: number): number {
    return this.i32[I32_STRIDE * node + RIGHT]!;
  }

  private setLeft(node: number, child: number): void {
    this.i32[I32_STRIDE * node + LEFT] = child;
  }

  private setRight(node: number, child: number): void {
    this.i32[I32_STRIDE * node + RIGHT] = child;
  }

  /** The longest extent in `node`'s subtree, from its own length and its children's longest. */
  private subtreeLongest(node: number): number {
    return Math.max(this.lengthOf(node), this.longestOf(this.leftOf(node)), this.longestOf(this.rightOf(node)));
  }

  /** Recomputes a node's height and longest from its children. */
  private refresh(node: number): void {
    const hl = this.height[this.leftOf(node)]!;
    const hr = this.height[this.rightOf(node)]!;
    this.height[node] = (hl > hr ? hl : hr) + 1;
    this.f64[F64_STRIDE * node + LONGEST] = this.subtreeLongest(node);
  }

  /** Refreshes `node` and restores the AVL balance with one or two rotations; the subtree's new root. */
  private balance(node: number): number {
    this.refresh(node);
    const l = this.leftOf(node);
    const r = this.rightOf(node);
    const skew = this.height[l]! - this.height[r]!;
    if (skew > 1) {
      if (this.height[this.leftOf(l)]! < this.height[this.rightOf(l)]!) this.setLeft(node, this.rotateLeft(l));
      return this.rotateRight(node);
    }
    if (skew < -1) {
      if (this.height[this.rightOf(r)]! < this.height[this.leftOf(r)]!) this.setRight(node, this.rotateRight(r));
      return this.rotateLeft(node);
    }
    return node;
  }

  private rotateRight(node: number): number {
    const l = this.leftOf(node);
    this.setLeft(node, this.rightOf(l));
    this.setRight(l, node);
    this.refresh(node);
    this.refresh(l);
    return l;
  }

  private rotateLeft(node: number): number {
    const r = this.rightOf(node);
    this.setRight(node, this.leftOf(r));
    this.setLeft(r, node);
    this.refresh(node);
    this.refresh(r);
    return r;
  }

  /** A node holding `[start, start + length)` with no children. May grow (replace) the arrays. */
  private newNode(start: number, length: number): number {
    let node = this.freeHead;
    if (node !== NIL) {
      this.freeHead = this.leftOf(node);
    } else {
      if (this.used === this.capacity) this.grow();
      node = this.used++;
    }
    const f = F64_STRIDE * node;
    this.f64[f + START] = start;
    this.f64[f + LENGTH] = length;
    this.f64[f + LONGEST] = length;
    this.setLeft(node, NIL);
    this.setRight(node, NIL);
    this.height[node] = 1;
    return node;
  }

  private recycle(node: number): void {
    this.setLeft(node, this.freeHead);
    this.freeHead = node;
  }

  private grow(): void {
    const capacity = Math.ceil(this.capacity * GROWTH);
    const f64 = new Float64Array(capacity * F64_STRIDE);
    f64.set(this.f64);
    this.f64 = f64;
    this.i32 = new Int32Array(f64.buffer);
    const height = new Uint8Array(capacity);
    height.set(this.height);
    this.height = height;
  }
}
