/**
 * A Map that holds at most `maxEntries`: setting a new key when it is full drops the oldest insertion
 * first (a re-set key counts as new). The one bounded map of credkit: every in-process cache keyed by
 * something a caller controls (decrypted envelopes, verdicts, idempotency keys, throttled addresses)
 * uses it, so memory stays bounded by construction and the eviction rule is written once.
 */
export class BoundedMap<K, V> {
  readonly #entries = new Map<K, V>();
  readonly #maxEntries: number;
  readonly #onEvict: ((key: K, value: V) => void) | undefined;

  /** `onEvict` is told of each entry dropped to make room (not of `delete` or `clear`). */
  constructor(maxEntries: number, onEvict?: (key: K, value: V) => void) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1)
      throw new RangeError("maxEntries must be an integer of at least 1");
    this.#maxEntries = maxEntries;
    this.#onEvict = onEvict;
  }

  /** How many entries it holds. */
  get size(): number {
    return this.#entries.size;
  }

  get(key: K): V | undefined {
    return this.#entries.get(key);
  }

  has(key: K): boolean {
    return this.#entries.has(key);
  }

  /** Stores `value` under `key` as the newest entry, dropping the oldest one if it is full. */
  set(key: K, value: V): this {
    const entries = this.#entries;
    if (!entries.delete(key) && entries.size >= this.#maxEntries) {
      const [oldestKey, oldest] = entries.entries().next().value as [K, V];
      entries.delete(oldestKey);
      this.#onEvict?.(oldestKey, oldest);
    }
    entries.set(key, value);
    return this;
  }

  delete(key: K): boolean {
    return this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }

  /** The keys, oldest first. */
  keys(): IterableIterator<K> {
    return this.#entries.keys();
  }

  /** The entries, oldest first. */
  entries(): IterableIterator<[K, V]> {
    return this.#entries.entries();
  }
}
