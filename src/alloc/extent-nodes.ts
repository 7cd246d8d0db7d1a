/**
 * The free extents of an {@link ExtentAllocator} as an AVL tree ordered by start block, each
 * node augmented with the longest extent in its subtree (the design of Linux's
 * `free_vmap_area_root`, with AVL balancing instead of red-black). Nodes live in typed arrays
 * (struct of arrays, indices as links, a free list for reuse): 33 bytes per node, no objects.
 *
 * Extents are keyed by their start; callers keep them disjoint, so moving an extent's start
 * within the gap around it (a shrink or a merge) keeps the order and needs no rebalancing.
 * Every operation is O(log k) for k extents; the recursion depth is the tree height, at most
 * 1.44·log2(k) + 2 (under 80 even for 2^52 one-block extents).
 */

/** The null link; node 0 is a sentinel with length, longest and height 0. */
export const NIL = 0;

/** Nodes allocated by a new tree (grown by half as needed). */
const INITIAL_CAPACITY = 64;
/** Capacity grows by this factor, bounding the unused share of the arrays to a third. */
const GROWTH = 1.5;

/** The AVL tree of free extents: `(start, length)` pairs, disjoint, ordered by start. */
export class ExtentNodes {
  /** Extents in the tree. */
  size = 0;
  /** The root node, or {@link NIL}. */
  root = NIL;
  /** First block of each node's extent. */
  start: Float64Array;
  /** Blocks in each node's extent. */
  length: Float64Array;
  /** The longest extent in each node's subtree (0 for {@link NIL}). */
  longest: Float64Array;
  left: Int32Array;
  right: Int32Array;
  /** Subtree height (a leaf is 1, {@link NIL} 0). */
  height: Uint8Array;
  /** Head of the chain of recycled nodes (linked through `left`). */
  private freeHead = NIL;
  /** Nodes ever handed out, including the sentinel. */
  private used = 1;

  constructor() {
    this.start = new Float64Array(INITIAL_CAPACITY);
    this.length = new Float64Array(INITIAL_CAPACITY);
    this.longest = new Float64Array(INITIAL_CAPACITY);
    this.left = new Int32Array(INITIAL_CAPACITY);
    this.right = new Int32Array(INITIAL_CAPACITY);
    this.height = new Uint8Array(INITIAL_CAPACITY);
  }

  /** Nodes the arrays have room for (the sentinel included). */
  get capacity(): number {
    return this.start.length;
  }

  /** Bytes held by the node arrays. */
  get byteLength(): number {
    return this.start.byteLength + this.length.byteLength + this.longest.byteLength + this.left.byteLength + this.right.byteLength + this.height.byteLength;
  }

  /** The longest extent in the tree (0 when empty). O(1). */
  get maxLength(): number {
    return this.longest[this.root]!;
  }

  /** The node whose extent has the greatest start `<= block`, or {@link NIL}. O(log k). */
  floor(block: number): number {
    let node = this.root;
    let best = NIL;
    while (node !== NIL) {
      if (this.start[node]! <= block) {
        best = node;
        node = this.right[node]!;
      } else {
        node = this.left[node]!;
      }
    }
    return best;
  }

  /** The node whose extent starts exactly at `block`, or {@link NIL}. O(log k). */
  find(block: number): number {
    let node = this.root;
    while (node !== NIL) {
      const start = this.start[node]!;
      if (block === start) return node;
      node = block < start ? this.left[node]! : this.right[node]!;
    }
    return NIL;
  }

  /** Adds the extent `[start, start + length)`, which must not overlap any other. O(log k). */
  insert(start: number, length: number): void {
    this.root = this.insertInto(this.root, start, length);
    this.size++;
  }

  /** Removes the extent starting at `start`, which must be in the tree. O(log k). */
  remove(start: number): void {
    this.root = this.removeFrom(this.root, start);
    this.size--;
  }

  /**
   * Changes the extent starting at `key` to `[start, start + length)`, which must stay between
   * its neighbours (so the order holds), and refreshes `longest` on its path. O(log k).
   */
  change(key: number, start: number, length: number): void {
    this.changeIn(this.root, key, start, length);
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
    if (this.longest[this.root]! < count) return -1;
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
        node = this.left[node]!;
      }
      node = stack.pop()!;
      visit(this.start[node]!, this.length[node]!);
      node = this.right[node]!;
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
      const start = this.start[node]!;
      const length = this.length[node]!;
      if (!(start >= low && start < high)) return `node ${node} (start ${start}) is out of order`;
      if (length < 1) return `node ${node} has length ${length}`;
      const l = this.left[node]!;
      const r = this.right[node]!;
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
      const longest = Math.max(length, this.longest[l]!, this.longest[r]!);
      if (this.longest[node] !== longest) return `node ${node} has longest ${this.longest[node]}, not ${longest}`;
      return null;
    };
    const problem = visit(this.root, -Infinity, Infinity);
    if (problem !== null) return problem;
    return count === this.size ? null : `size is ${this.size} but the tree holds ${count}`;
  }

  private firstFitUnaligned(count: number): number {
    let node = this.root;
    for (;;) {
      const left = this.left[node]!;
      if (this.longest[left]! >= count) {
        node = left;
      } else if (this.length[node]! >= count) {
        return this.start[node]!;
      } else {
        node = this.right[node]!;
      }
    }
  }

  private firstFitAligned(node: number, count: number, alignment: number, phase: number): number {
    while (node !== NIL && this.longest[node]! >= count) {
      const inLeft = this.firstFitAligned(this.left[node]!, count, alignment, phase);
      if (inLeft >= 0) return inLeft;
      const start = this.start[node]!;
      const length = this.length[node]!;
      if (length >= count) {
        // Blocks from start to the next b with (b + phase) % alignment === 0.
        const skip = (alignment - ((start % alignment) + phase) % alignment) % alignment;
        if (skip + count <= length) return start + skip;
      }
      node = this.right[node]!;
    }
    return -1;
  }

  private insertInto(node: number, start: number, length: number): number {
    if (node === NIL) return this.newNode(start, length);
    // The child is computed before it is stored: inserting may grow (replace) the arrays.
    if (start < this.start[node]!) {
      const child = this.insertInto(this.left[node]!, start, length);
      this.left[node] = child;
    } else {
      const child = this.insertInto(this.right[node]!, start, length);
      this.right[node] = child;
    }
    return this.balance(node);
  }

  private removeFrom(node: number, start: number): number {
    const key = this.start[node]!;
    if (start < key) {
      this.left[node] = this.removeFrom(this.left[node]!, start);
    } else if (start > key) {
      this.right[node] = this.removeFrom(this.right[node]!, start);
    } else {
      const l = this.left[node]!;
      const r = this.right[node]!;
      if (l === NIL || r === NIL) {
        this.recycle(node);
        return l === NIL ? r : l;
      }
      // Two children: take the successor's extent into this node and remove the successor.
      let next = r;
      while (this.left[next] !== NIL) next = this.left[next]!;
      this.start[node] = this.start[next]!;
      this.length[node] = this.length[next]!;
      this.right[node] = this.removeMin(r);
    }
    return this.balance(node);
  }

  private removeMin(node: number): number {
    const l = this.left[node]!;
    if (l === NIL) {
      const r = this.right[node]!;
      this.recycle(node);
      return r;
    }
    this.left[node] = this.removeMin(l);
    return this.balance(node);
  }

  private changeIn(node: number, key: number, start: number, length: number): void {
    const here = this.start[node]!;
    if (key === here) {
      this.start[node] = start;
      this.length[node] = length;
    } else {
      this.changeIn(key < here ? this.left[node]! : this.right[node]!, key, start, length);
    }
    this.longest[node] = Math.max(this.length[node]!, this.longest[this.left[node]!]!, this.longest[this.right[node]!]!);
  }

  /** Recomputes a node's height and longest from its children. */
  private refresh(node: number): void {
    const l = this.left[node]!;
    const r = this.right[node]!;
    const hl = this.height[l]!;
    const hr = this.height[r]!;
    this.height[node] = (hl > hr ? hl : hr) + 1;
    this.longest[node] = Math.max(this.length[node]!, this.longest[l]!, this.longest[r]!);
  }

  /** Refreshes `node` and restores the AVL balance with one or two rotations; the subtree's new root. */
  private balance(node: number): number {
    this.refresh(node);
    const l = this.left[node]!;
    const r = this.right[node]!;
    const skew = this.height[l]! - this.height[r]!;
    if (skew > 1) {
      if (this.height[this.left[l]!]! < this.height[this.right[l]!]!) this.left[node] = this.rotateLeft(l);
      return this.rotateRight(node);
    }
    if (skew < -1) {
      if (this.height[this.right[r]!]! < this.height[this.left[r]!]!) this.right[node] = this.rotateRight(r);
      return this.rotateLeft(node);
    }
    return node;
  }

  private rotateRight(node: number): number {
    const l = this.left[node]!;
    this.left[node] = this.right[l]!;
    this.right[l] = node;
    this.refresh(node);
    this.refresh(l);
    return l;
  }

  private rotateLeft(node: number): number {
    const r = this.right[node]!;
    this.right[node] = this.left[r]!;
    this.left[r] = node;
    this.refresh(node);
    this.refresh(r);
    return r;
  }

  private newNode(start: number, length: number): number {
    let node = this.freeHead;
    if (node !== NIL) {
      this.freeHead = this.left[node]!;
    } else {
      if (this.used === this.capacity) this.grow();
      node = this.used++;
    }
    this.start[node] = start;
    this.length[node] = length;
    this.longest[node] = length;
    this.left[node] = NIL;
    this.right[node] = NIL;
    this.height[node] = 1;
    return node;
  }

  private recycle(node: number): void {
    this.left[node] = this.freeHead;
    this.freeHead = node;
  }

  private grow(): void {
    const capacity = Math.ceil(this.capacity * GROWTH);
    const grown = <T extends Float64Array | Int32Array | Uint8Array>(old: T, make: (n: number) => T): T => {
      const next = make(capacity);
      next.set(old);
      return next;
    };
    this.start = grown(this.start, (n) => new Float64Array(n));
    this.length = grown(this.length, (n) => new Float64Array(n));
    this.longest = grown(this.longest, (n) => new Float64Array(n));
    this.left = grown(this.left, (n) => new Int32Array(n));
    this.right = grown(this.right, (n) => new Int32Array(n));
    this.height = grown(this.height, (n) => new Uint8Array(n));
  }
}
