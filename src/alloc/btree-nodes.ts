/**
 * The node store of `ExtentBTree` (src/alloc/extent-btree.ts): B+ tree nodes of up to 16
 * entries in one `Float64Array`, and the operations on single nodes — find a key, put an
 * entry (splitting a full node in two), delete one, refill or merge an underfull child with
 * its sibling, recycle nodes. The tree's searches and its walks up and down a path live in
 * `ExtentBTree`.
 *
 * A node is `STRIDE` float64 slots: a count, the next leaf (leaves are chained in order), a
 * leaf flag, padding, then `FANOUT` keys, `FANOUT` values (a leaf's extent lengths, an inner
 * node's subtree maxima) and `FANOUT` child indices.
 */

/** log2 of the entries per node: an extent's handle is `leaf << FANOUT_SHIFT | index`. */
export const FANOUT_SHIFT = 4;
/** Entries per node at most; a node other than the root holds at least half as many. */
export const FANOUT = 1 << FANOUT_SHIFT;
export const INDEX_MASK = FANOUT - 1;
export const MIN_FILL = FANOUT / 2;
/** Float64 slots per node, and the slot of each field. */
export const STRIDE = 4 + 3 * FANOUT;
export const COUNT = 0;
export const NEXT = 1;
export const IS_LEAF = 2;
export const KEYS = 4;
export const VALUES = KEYS + FANOUT;
export const CHILDREN = VALUES + FANOUT;
/** Nodes allocated by a new store (grown by half as needed). */
const INITIAL_NODES = 8;
const GROWTH = 1.5;

/** B+ tree nodes in one `Float64Array`, with the single-node operations. */
export class BTreeNodes {
  /** The node slots (replaced when they grow: read `this.d` again after allocating a node). */
  protected d = new Float64Array(INITIAL_NODES * STRIDE);
  /** Head of the chain of recycled nodes (linked through NEXT), or -1. */
  protected freeHead = -1;
  /** Nodes ever handed out. */
  protected used = 0;

  /** Bytes held by the node array. */
  get byteLength(): number {
    return this.d.byteLength;
  }

  /** The index of the last key `<= block` in `node`, or -1. */
  protected lastAtOrBelow(node: number, block: number): number {
    const d = this.d;
    const at = STRIDE * node + KEYS;
    const n = d[STRIDE * node + COUNT]!;
    let i = 0;
    while (i < n && d[at + i]! <= block) i++;
    return i - 1;
  }

  /** The largest value (extent length or subtree maximum) among `node`'s entries. */
  protected nodeMax(node: number): number {
    const d = this.d;
    const at = STRIDE * node + VALUES;
    const n = d[STRIDE * node + COUNT]!;
    let max = 0;
    // Math.max compiles to a branch-free instruction; a compare-and-assign mispredicts.
    for (let i = 0; i < n; i++) max = Math.max(max, d[at + i]!);
    return max;
  }

  /** Puts an entry at `index` of `node`, splitting the node in two first when it is full; the new right half, or -1. */
  protected insertEntry(node: number, index: number, key: number, value: number, child: number): number {
    const d = this.d;
    const n = d[STRIDE * node + COUNT]!;
    if (n < FANOUT) {
      this.openGap(node, index, n);
      this.setEntry(node, index, key, value, child);
      d[STRIDE * node + COUNT] = n + 1;
      return -1;
    }
    const right = this.newNode(d[STRIDE * node + IS_LEAF] === 1);
    const r = this.d;
    const moved = FANOUT - MIN_FILL;
    r.copyWithin(STRIDE * right + KEYS, STRIDE * node + KEYS + MIN_FILL, STRIDE * node + KEYS + FANOUT);
    r.copyWithin(STRIDE * right + VALUES, STRIDE * node + VALUES + MIN_FILL, STRIDE * node + VALUES + FANOUT);
    r.copyWithin(STRIDE * right + CHILDREN, STRIDE * node + CHILDREN + MIN_FILL, STRIDE * node + CHILDREN + FANOUT);
    r[STRIDE * node + COUNT] = MIN_FILL;
    r[STRIDE * right + COUNT] = moved;
    if (r[STRIDE * node + IS_LEAF] === 1) {
      r[STRIDE * right + NEXT] = r[STRIDE * node + NEXT]!;
      r[STRIDE * node + NEXT] = right;
    }
    if (index <= MIN_FILL) this.insertEntry(node, index, key, value, child);
    else this.insertEntry(right, index - MIN_FILL, key, value, child);
    return right;
  }

  /** Shifts entries `index..n-1` of `node` up by one (a loop: a few entries move, less than copyWithin's call costs). */
  protected openGap(node: number, index: number, n: number): void {
    const d = this.d;
    const at = STRIDE * node;
    const inner = d[at + IS_LEAF] === 0;
    for (let i = n; i > index; i--) {
      d[at + KEYS + i] = d[at + KEYS + i - 1]!;
      d[at + VALUES + i] = d[at + VALUES + i - 1]!;
      if (inner) d[at + CHILDREN + i] = d[at + CHILDREN + i - 1]!;
    }
  }

  protected setEntry(node: number, index: number, key: number, value: number, child: number): void {
    const at = STRIDE * node;
    this.d[at + KEYS + index] = key;
    this.d[at + VALUES + index] = value;
    this.d[at + CHILDREN + index] = child;
  }

  /** Deletes entry `index` of `node`. */
  protected removeEntry(node: number, index: number): void {
    const d = this.d;
    const at = STRIDE * node;
    const n = d[at + COUNT]!;
    const inner = d[at + IS_LEAF] === 0;
    for (let i = index + 1; i < n; i++) {
      d[at + KEYS + i - 1] = d[at + KEYS + i]!;
      d[at + VALUES + i - 1] = d[at + VALUES + i]!;
      if (inner) d[at + CHILDREN + i - 1] = d[at + CHILDREN + i]!;
    }
    d[at + COUNT] = n - 1;
  }

  /** Copies child `index`'s first key and maximum into `parent`'s entry. */
  protected refreshEntry(parent: number, index: number): void {
    const child = this.d[STRIDE * parent + CHILDREN + index]! | 0;
    this.d[STRIDE * parent + KEYS + index] = this.d[STRIDE * child + KEYS]!;
    this.d[STRIDE * parent + VALUES + index] = this.nodeMax(child);
  }

  /** Child `index` of `parent` is underfull: borrows an entry from a sibling, or merges with it. */
  protected rebalance(parent: number, index: number): void {
    const d = this.d;
    const n = d[STRIDE * parent + COUNT]!;
    // Pair the child with its right sibling, or with its left one when it is the last.
    const leftIndex = index + 1 < n ? index : index - 1;
    const left = d[STRIDE * parent + CHILDREN + leftIndex]! | 0;
    const right = d[STRIDE * parent + CHILDREN + leftIndex + 1]! | 0;
    const nl = d[STRIDE * left + COUNT]!;
    const nr = d[STRIDE * right + COUNT]!;
    if (nl + nr <= FANOUT) {
      const l = STRIDE * left;
      const r = STRIDE * right;
      d.copyWithin(l + KEYS + nl, r + KEYS, r + KEYS + nr);
      d.copyWithin(l + VALUES + nl, r + VALUES, r + VALUES + nr);
      d.copyWithin(l + CHILDREN + nl, r + CHILDREN, r + CHILDREN + nr);
      d[l + COUNT] = nl + nr;
      if (d[l + IS_LEAF] === 1) d[l + NEXT] = d[r + NEXT]!;
      this.recycle(right);
      this.removeEntry(parent, leftIndex + 1);
      this.refreshEntry(parent, leftIndex);
      return;
    }
    if (nl < nr) {
      // Move the right sibling's first entry to the end of the left one.
      this.setEntry(left, nl, d[STRIDE * right + KEYS]!, d[STRIDE * right + VALUES]!, d[STRIDE * right + CHILDREN]!);
      d[STRIDE * left + COUNT] = nl + 1;
      this.removeEntry(right, 0);
    } else {
      // Move the left sibling's last entry to the front of the right one.
      this.openGap(right, 0, nr);
      const last = STRIDE * left + nl - 1;
      this.setEntry(right, 0, d[last + KEYS]!, d[last + VALUES]!, d[last + CHILDREN]!);
      d[STRIDE * right + COUNT] = nr + 1;
      d[STRIDE * left + COUNT] = nl - 1;
    }
    this.refreshEntry(parent, leftIndex);
    this.refreshEntry(parent, leftIndex + 1);
  }

  protected newNode(leaf: boolean): number {
    let node = this.freeHead;
    if (node >= 0) {
      this.freeHead = this.d[STRIDE * node + NEXT]! | 0;
    } else {
      if ((this.used + 1) * STRIDE > this.d.length) {
        const grown = new Float64Array(Math.ceil((this.d.length / STRIDE) * GROWTH) * STRIDE);
        grown.set(this.d);
        this.d = grown;
      }
      node = this.used++;
    }
    const at = STRIDE * node;
    this.d[at + COUNT] = 0;
    this.d[at + NEXT] = -1;
    this.d[at + IS_LEAF] = leaf ? 1 : 0;
    return node;
  }

  protected recycle(node: number): void {
    this.d[STRIDE * node + NEXT] = this.freeHead;
    this.freeHead = node;
  }
}
