/** Tallest tower: 2^24 keys per client before the expected O(log n) starts to degrade. */
const MAX_LEVEL = 24;

interface Node {
  readonly key: string;
  /** `next[i]` is the following node on level i; the tower's height is `next.length`. */
  readonly next: (Node | null)[];
  /** Set when the node leaves the list, so an iterator standing on it finds its place again by value. */
  removed: boolean;
}

/**
 * A tower height with P(h > k) = 2^-k, at most {@link MAX_LEVEL}: the coin flips that keep the list
 * balanced in expectation. `random` (uniform in [0, 1)) is a parameter so a test can fix the flips.
 */
export function randomHeight(random: () => number = Math.random): number {
  let height = 1;
  // Not a secret: any decent spread of heights keeps the expected cost logarithmic.
  while (height < MAX_LEVEL && random() < 0.5) height++;
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
  // Stryker disable next-line StringLiteral,ArrayDeclaration,BooleanLiteral: the head's key and mark are never read; an empty level array only keeps the height from shrinking (cost, not contents)
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
    // #predecessors returns at least one level (the height never drops below 1).
    const found = (before[0] as Node).next[0];
    if (found && found.key === key) return;
    const height = randomHeight();
    // Stryker disable next-line ArrayDeclaration,BooleanLiteral: the loop below sets every level; a node wrongly marked removed is found again by value (cost only)
    const node: Node = { key, next: new Array<Node | null>(height).fill(null), removed: false };
    for (let level = 0; level < height; level++) {
      const prev = level < this.#height ? (before[level] as Node) : this.#head;
      node.next[level] = prev.next[level] ?? null;
      prev.next[level] = node;
    }
    // Stryker disable next-line EqualityOperator: assigning an equal height changes nothing
    if (height > this.#height) this.#height = height;
    this.#size++;
  }

  /** Removes `key` if present. */
  delete(key: string): void {
    const before = this.#predecessors(key);
    const node = (before[0] as Node).next[0];
    if (!node || node.key !== key) return;
    // On each of the node's levels its predecessor points at it: the node is in that level's list.
    for (let level = 0; level < node.next.length; level++) {
      (before[level] as Node).next[level] = node.next[level] ?? null;
    }
    node.removed = true;
    // Stryker disable next-line all: cost only: levels above the highest tower are empty, and a height of 0 happens only on an empty list
    while (this.#height > 1 && this.#head.next[this.#height - 1] === null) this.#height--;
    this.#size--;
  }

  /** The keys after `after` (all keys when undefined), in order; safe to add and remove keys around. */
  *from(after: string | undefined): Generator<string> {
    // Stryker disable next-line ConditionalExpression: #firstAfter(undefined) also returns the first node (no key is <= undefined)
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
    // Stryker disable next-line ArithmeticOperator: cost only: the levels above the height are empty
    for (let level = this.#height - 1; level >= 0; level--) {
      for (let next = node.next[level]; next && next.key <= key; next = node.next[level]) node = next;
    }
    return node.next[0] ?? null;
  }

  /** On each level, the last node whose key is < `key` (the head when none). */
  #predecessors(key: string): Node[] {
    // Stryker disable next-line ArrayDeclaration: the loop below sets every level
    const before = new Array<Node>(this.#height);
    let node = this.#head;
    // Stryker disable next-line ArithmeticOperator: cost only: the levels above the height are empty
    for (let level = this.#height - 1; level >= 0; level--) {
      for (let next = node.next[level]; next && next.key < key; next = node.next[level]) node = next;
      before[level] = node;
    }
    return before;
  }
}
