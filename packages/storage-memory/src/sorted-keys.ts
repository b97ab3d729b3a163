/**
 * A sorted array of unique strings, ordered by UTF-16 code unit (plain `<`, never `localeCompare`: the
 * order must not depend on the host's locale, and matches byte order for the ASCII ids credkit makes).
 */
export class SortedKeys {
  readonly #keys: string[] = [];

  /** Number of keys. */
  get size(): number {
    return this.#keys.length;
  }

  /** Adds `key` if absent. */
  add(key: string): void {
    const index = this.#lowerBound(key);
    if (this.#keys[index] !== key) this.#keys.splice(index, 0, key);
  }

  /** Removes `key` if present. */
  delete(key: string): void {
    const index = this.#lowerBound(key);
    if (this.#keys[index] === key) this.#keys.splice(index, 1);
  }

  /** The keys after `after` (all keys when undefined), in order; a snapshot, safe to mutate around. */
  *from(after: string | undefined): Generator<string> {
    let index = after === undefined ? 0 : this.#upperBound(after);
    let last: string | undefined;
    while (index < this.#keys.length) {
      const key = this.#keys[index] as string;
      yield key;
      last = key;
      // The caller may have removed keys meanwhile: find our place again by value, not by index.
      index = this.#upperBound(last);
    }
  }

  /** Index of the first key >= `key`. */
  #lowerBound(key: string): number {
    let low = 0;
    let high = this.#keys.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.#keys[mid] as string) < key) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Index of the first key > `key`. */
  #upperBound(key: string): number {
    let low = 0;
    let high = this.#keys.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.#keys[mid] as string) <= key) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
