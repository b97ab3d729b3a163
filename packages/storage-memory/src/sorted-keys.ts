/**
 * Most keys one chunk holds before it splits in two. A splice inside a chunk moves at most this many
 * references (one short memmove), while the chunk index stays short enough to search in a few steps.
 */
export const CHUNK_KEYS = 512;

/**
 * Index of the first of sorted `keys` past `key`: the first that is > `key` when `pastEqual`, else the
 * first that is >= `key` (`keys.length` when none).
 */
function boundary(keys: readonly string[], key: string, pastEqual: boolean): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const probe = keys[middle] as string;
    if (probe < key || (pastEqual && probe === key)) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * A set of unique strings kept in order by UTF-16 code unit (plain `<`, never `localeCompare`: the
 * order must not depend on the host's locale, and matches byte order for the ASCII ids credkit makes).
 *
 * Sorted chunks of at most {@link CHUNK_KEYS} keys, in order (a two-level B-tree), so adding and
 * removing cost two binary searches and a short splice whatever the size. A single sorted array spliced
 * on every insert grew O(n) per create (16.8 µs at 20k credentials of one client); a skip list was
 * O(log n) but chased a pointer per step through scattered nodes (two objects per key), which cost
 * ~5 µs per insert at 50k keys: here the searches walk two dense arrays.
 */
export class SortedKeys {
  /** Non-empty sorted chunks; every key of a chunk is below every key of the next one. */
  readonly #chunks: string[][] = [];
  #size = 0;
  /** Bumped by every change, so an iterator knows when its place must be found again by value. */
  #changes = 0;

  /** Number of keys. */
  get size(): number {
    return this.#size;
  }

  /** Adds `key` if absent. */
  add(key: string): void {
    const chunks = this.#chunks;
    if (chunks.length === 0) {
      chunks.push([key]);
    } else {
      // The first chunk whose last key is >= key holds its place; past every chunk: the last one.
      const at = Math.min(this.#chunkFor(key, false), chunks.length - 1);
      const chunk = chunks[at] as string[];
      const index = boundary(chunk, key, false);
      if (chunk[index] === key) return;
      chunk.splice(index, 0, key);
      // Stryker disable next-line ConditionalExpression,EqualityOperator: cost only: any split point keeps every chunk non-empty (a chunk splits at two keys or more) and in order
      if (chunk.length > CHUNK_KEYS) chunks.splice(at + 1, 0, chunk.splice(chunk.length >>> 1));
    }
    this.#size++;
    this.#changes++;
  }

  /** Removes `key` if present. */
  delete(key: string): void {
    const at = this.#chunkFor(key, false);
    const chunk = this.#chunks[at];
    if (!chunk) return;
    const index = boundary(chunk, key, false);
    if (chunk[index] !== key) return;
    chunk.splice(index, 1);
    // An empty chunk would break the binary search over last keys.
    if (chunk.length === 0) this.#chunks.splice(at, 1);
    this.#size--;
    this.#changes++;
  }

  /** The keys after `after` (all keys when undefined), in order; safe to add and remove keys around. */
  *from(after: string | undefined): Generator<string> {
    // Stryker disable next-line ConditionalExpression: #firstAfter(undefined) also starts at the first key (no key is <= undefined)
    let [at, index] = after === undefined ? [0, 0] : this.#firstAfter(after);
    let seen = this.#changes;
    for (;;) {
      const chunk = this.#chunks[at];
      if (!chunk) return;
      const key = chunk[index] as string;
      yield key;
      // The caller may have changed the set meanwhile: then find our place again by value.
      // Stryker disable next-line ConditionalExpression: cost only: finding the place by value is always right, the shortcut only skips the search
      if (seen === this.#changes) {
        index++;
        if (index === chunk.length) [at, index] = [at + 1, 0];
      } else {
        [at, index] = this.#firstAfter(key);
        seen = this.#changes;
      }
    }
  }

  /**
   * Index of the first chunk whose last key is past `key` (see {@link boundary}; the number of chunks
   * when none): the chunk that holds `key`'s place.
   */
  #chunkFor(key: string, pastEqual: boolean): number {
    const chunks = this.#chunks;
    let low = 0;
    let high = chunks.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const chunk = chunks[middle] as string[];
      const last = chunk[chunk.length - 1] as string;
      if (last < key || (pastEqual && last === key)) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** [chunk, index] of the first key > `key` (one past the last chunk when none). */
  #firstAfter(key: string): [number, number] {
    const at = this.#chunkFor(key, true);
    const chunk = this.#chunks[at];
    // Stryker disable next-line ArrayDeclaration: past the last chunk, any index reads as the end
    return chunk ? [at, boundary(chunk, key, true)] : [at, 0];
  }
}
