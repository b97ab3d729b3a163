import { describe, expect, it } from "vitest";
import { randomHeight, SortedKeys } from "../src/sorted-keys.js";

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

describe("randomHeight", () => {
  /** A random source that answers `values` in turn. */
  const flips = (...values: number[]) => {
    let i = 0;
    return () => values[i++] ?? 0.99;
  };

  it("grows one level per coin flip under one half, and stops at the first flip at or over it", () => {
    expect(randomHeight(flips(0.5))).toBe(1);
    expect(randomHeight(flips(0.99))).toBe(1);
    expect(randomHeight(flips(0.49, 0.5))).toBe(2);
    expect(randomHeight(flips(0, 0.1, 0.2, 0.7))).toBe(4);
  });

  it("never passes 24 levels, however the coins fall", () => {
    expect(randomHeight(() => 0)).toBe(24);
  });
});
