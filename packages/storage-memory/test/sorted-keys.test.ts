import { describe, expect, it } from "vitest";
import { CHUNK_KEYS, SortedKeys } from "../src/sorted-keys.js";

/** A deterministic sequence of keys, so a failure replays. */
function* keys(seed: number, count: number): Generator<string> {
  let state = seed;
  for (let i = 0; i < count; i++) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    yield `k${(state % 5000).toString(36)}`;
  }
}

describe("SortedKeys", () => {
  it("agrees with a sorted array through thousands of adds and deletes", () => {
    const set = new SortedKeys();
    const model = new Set<string>();
    let i = 0;
    for (const key of keys(7, 20_000)) {
      // Two adds for one delete: the set grows while keys keep leaving from everywhere in the order.
      if (i++ % 3 === 2) {
        set.delete(key);
        model.delete(key);
      } else {
        set.add(key);
        model.add(key);
      }
    }
    const sorted = [...model].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    expect(set.size).toBe(model.size);
    expect([...set.from(undefined)]).toEqual(sorted);
    const middle = sorted[Math.floor(sorted.length / 2)] as string;
    expect([...set.from(middle)]).toEqual(sorted.filter((k) => k > middle));
    // A key that is not in the set still places the start.
    expect([...set.from(`${middle}!`)]).toEqual(sorted.filter((k) => k > `${middle}!`));
  });

  it("orders by code unit, not by locale", () => {
    const set = new SortedKeys();
    for (const key of ["b", "B", "a", "é", "Z", "_"]) set.add(key);
    expect([...set.from(undefined)]).toEqual(["B", "Z", "_", "a", "b", "é"]);
  });

  it("ignores a second add and a delete of an absent key", () => {
    const set = new SortedKeys();
    set.add("a");
    set.add("a");
    set.delete("b");
    expect(set.size).toBe(1);
    expect([...set.from(undefined)]).toEqual(["a"]);
  });

  it("keeps iterating in order while the caller removes and adds keys around it", () => {
    const set = new SortedKeys();
    for (const key of ["a", "b", "c", "d", "e", "f"]) set.add(key);
    const seen: string[] = [];
    for (const key of set.from(undefined)) {
      seen.push(key);
      if (key === "b") {
        set.delete("b"); // the key the iterator stands on
        set.delete("c"); // the next one
        set.add("bb"); // a new key just ahead
      }
      if (key === "d") set.add("a0"); // behind: not visited
    }
    expect(seen).toEqual(["a", "b", "bb", "d", "e", "f"]);
    expect([...set.from(undefined)]).toEqual(["a", "a0", "bb", "d", "e", "f"]);
  });

  it("finds its place again after one removal and one addition, which leave the size as it was", () => {
    const set = new SortedKeys();
    for (const key of ["a", "b", "c", "d"]) set.add(key);
    const seen: string[] = [];
    for (const key of set.from(undefined)) {
      seen.push(key);
      if (key === "b") {
        set.delete("b");
        set.add("bb"); // lands where "b" stood: the next key to visit
      }
    }
    expect(seen).toEqual(["a", "b", "bb", "c", "d"]);
  });

  it("empties completely and fills again", () => {
    const set = new SortedKeys();
    for (const key of keys(3, 2000)) set.add(key);
    for (const key of [...set.from(undefined)]) set.delete(key);
    expect(set.size).toBe(0);
    expect([...set.from(undefined)]).toEqual([]);
    set.add("x");
    expect([...set.from(undefined)]).toEqual(["x"]);
  });
});

describe("SortedKeys across its chunks", () => {
  const padded = (n: number) => `k${String(n).padStart(6, "0")}`;

  it("keeps order when keys only ever arrive at the end, or only at the start", () => {
    const count = CHUNK_KEYS * 5 + 3;
    const ascending = new SortedKeys();
    const descending = new SortedKeys();
    for (let n = 0; n < count; n++) {
      ascending.add(padded(n));
      descending.add(padded(count - 1 - n));
    }
    const expected = Array.from({ length: count }, (_, n) => padded(n));
    expect([...ascending.from(undefined)]).toEqual(expected);
    expect([...descending.from(undefined)]).toEqual(expected);
    expect(ascending.size).toBe(count);
    // A start on each side of a chunk's edge, and past the last key.
    for (const n of [CHUNK_KEYS - 1, CHUNK_KEYS, CHUNK_KEYS + 1, count - 1]) {
      expect([...ascending.from(padded(n))]).toEqual(expected.slice(n + 1));
    }
    expect([...ascending.from("l")]).toEqual([]);
    expect([...ascending.from("a")]).toEqual(expected);
  });

  it("finds and ignores keys present in any chunk", () => {
    const set = new SortedKeys();
    const count = CHUNK_KEYS * 3;
    for (let n = 0; n < count; n += 2) set.add(padded(n));
    for (let n = 0; n < count; n += 2) set.add(padded(n));
    for (let n = 1; n < count; n += 2) set.delete(padded(n));
    expect(set.size).toBe(count / 2);
    // Below the first key and above the last: a delete of an absent key at either end.
    set.delete("a");
    set.delete("z");
    expect(set.size).toBe(count / 2);
  });

  it("drops a chunk emptied in the middle, and still places keys around the gap", () => {
    const set = new SortedKeys();
    const count = CHUNK_KEYS * 4;
    for (let n = 0; n < count; n++) set.add(padded(n * 2));
    const all = [...set.from(undefined)];
    // Empty a stretch longer than any chunk: at least one whole chunk goes.
    const gone = all.slice(CHUNK_KEYS, CHUNK_KEYS * 3);
    for (const key of gone) set.delete(key);
    const left = all.filter((key) => !gone.includes(key));
    expect([...set.from(undefined)]).toEqual(left);
    expect([...set.from(gone[0])]).toEqual(left.slice(CHUNK_KEYS));
    // Odd keys land beside the gap's edges and inside it.
    const added = [padded(CHUNK_KEYS * 2 - 1), padded(CHUNK_KEYS * 4 + 1), padded(CHUNK_KEYS * 6 - 1)];
    for (const key of added) set.add(key);
    expect([...set.from(undefined)]).toEqual([...left, ...added].sort());
  });

  it("iterates on across chunk edges while the caller removes the keys it stood on", () => {
    const set = new SortedKeys();
    const count = CHUNK_KEYS * 3;
    for (let n = 0; n < count; n++) set.add(padded(n));
    const seen: string[] = [];
    for (const key of set.from(undefined)) {
      seen.push(key);
      set.delete(key);
    }
    expect(seen).toEqual(Array.from({ length: count }, (_, n) => padded(n)));
    expect(set.size).toBe(0);
  });
});
