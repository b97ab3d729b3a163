/** Tallest tower: 2^24 keys per client before the expected O(log n) starts to degrade. */
const MAX_LEVEL = 24;

interface Node {
  readonly key: string;
  /** `next[i]` is the following node on level i; the tower's height is `next.length`. */
  readonly next: (Node | null)[];
  /** Set when the node leaves the list, so an iterator standing on it finds its place again by value. */
  removed: boolean;
}

/** A tower height with P(h > k) = 2^-k: the coin flips that keep the list balanced in expectation. */
function randomHeight(): number {
  let height = 1;
  // Not a secret: any decent spread of heights keeps the expected cost logarithmic.
  while (height < MAX_LEVEL && Math.random() < 0.5) height++;
  return height;
}

/**
 * A set of unique strings kept in order by UTF-16 code unit (plain `<`, never `localeCompare`: the
 * order must not depend on the host's locale, and matches byte order for the ASCII ids credkit makes).
 *
 * A skip list, so adding and removing cost O(log n) expected whatever the size: a sorted array spliced
 * on every insert grew O(n) per create (16.8 µs at 20k credentials of one client) and made the create
 * benchmark drift as the store filled.
 */
export class SortedKeys {
  readonly #head: Node = { key: "", next: new Array<Node | null>(MAX_LEVEL).fill(null), removed: false };
  #height = 1;
  #size = 0;

  /** Number of keys. */
  get size(): number {
    return this.#size;
  }

  /** Adds `key` if absent. */
  add(key: string): void {
    const before = this.#predecessors(key);
    const found = before[0]?.next[0];
    if (found && found.key === key) return;
    const height = randomHeight();
    const node: Node = { key, next: new Array<Node | null>(height).fill(null), removed: false };
    for (let level = 0; level < height; level++) {
      const prev = level < this.#height ? (before[level] as Node) : this.#head;
      node.next[level] = prev.next[level] ?? null;
      prev.next[level] = node;
    }
    if (height > this.#height) this.#height = height;
    this.#size++;
  }

  /** Removes `key` if present. */
  delete(key: string): void {
    const before = this.#predecessors(key);
    const node = before[0]?.next[0];
    if (!node || node.key !== key) return;
    for (let level = 0; level < node.next.length; level++) {
      const prev = before[level] as Node;
      if (prev.next[level] === node) prev.next[level] = node.next[level] ?? null;
    }
    node.removed = true;
    while (this.#height > 1 && this.#head.next[this.#height - 1] === null) this.#height--;
    this.#size--;
  }

  /** The keys after `after` (all keys when undefined), in order; safe to add and remove keys around. */
  *from(after: string | undefined): Generator<string> {
    let node = after === undefined ? this.#head.next[0] : this.#firstAfter(after);
    while (node) {
      yield node.key;
      // The caller may have removed this node meanwhile: find our place again by value.
      node = node.removed ? this.#firstAfter(node.key) : (node.next[0] ?? null);
    }
  }

  /** The first node whose key is > `key`, or null. */
  #firstAfter(key: string): Node | null {
    let node = this.#head;
    for (let level = this.#height - 1; level >= 0; level--) {
      for (let next = node.next[level]; next && next.key <= key; next = node.next[level]) node = next;
    }
    return node.next[0] ?? null;
  }

  /** On each level, the last node whose key is < `key` (the head when none). */
  #predecessors(key: string): Node[] {
    const before = new Array<Node>(this.#height);
    let node = this.#head;
    for (let level = this.#height - 1; level >= 0; level--) {
      for (let next = node.next[level]; next && next.key < key; next = node.next[level]) node = next;
      before[level] = node;
    }
    return before;
  }
}
