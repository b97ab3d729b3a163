import { describe, expect, it } from "vitest";
import { BoundedMap, CredkitError, isCredkitError, storageUnavailable } from "../src/index.js";

describe("BoundedMap", () => {
  it("holds at most maxEntries, dropping the oldest insertion first and telling onEvict", () => {
    const evicted: [string, number][] = [];
    const map = new BoundedMap<string, number>(2, (key, value) => evicted.push([key, value]));
    map.set("a", 1).set("b", 2);
    map.set("a", 10); // a re-set key is the newest: b is now the oldest
    map.set("c", 3);
    expect([...map.entries()]).toEqual([
      ["a", 10],
      ["c", 3],
    ]);
    expect(evicted).toEqual([["b", 2]]);
    expect(map.size).toBe(2);
    map.delete("a");
    map.clear();
    expect(map.size).toBe(0);
    expect(evicted).toEqual([["b", 2]]);
  });

  it("refuses a bound that would hold nothing or grow without limit", () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => new BoundedMap(bad)).toThrow(RangeError);
  });
});

describe("isCredkitError", () => {
  // What another copy of @credkit/core throws: the same name and code, another class.
  class OtherCopyError extends Error {
    override readonly name = "CredkitError";
    constructor(readonly code: string) {
      super("from another copy");
    }
  }

  it("recognises an error by its name and a known code, not by instanceof", () => {
    const other = new OtherCopyError("VERSION_CONFLICT");
    expect(other instanceof CredkitError).toBe(false);
    expect(isCredkitError(other)).toBe(true);
    expect(isCredkitError(other, "VERSION_CONFLICT")).toBe(true);
    expect(isCredkitError(other, "NOT_FOUND")).toBe(false);
    // An outage from another copy is passed through as the answer it is, not wrapped again.
    const outage = new OtherCopyError("STORAGE_UNAVAILABLE");
    expect(storageUnavailable("redis", outage)).toBe(outage);
  });

  it("rejects look-alikes: another name, an unknown code, no object at all", () => {
    expect(isCredkitError(Object.assign(new Error("x"), { code: "NOT_FOUND" }))).toBe(false);
    expect(isCredkitError(new OtherCopyError("NOT_A_CODE"))).toBe(false);
    for (const value of [null, undefined, "CredkitError", 42]) expect(isCredkitError(value)).toBe(false);
    expect(isCredkitError(new CredkitError("NOT_FOUND", "gone"), "NOT_FOUND")).toBe(true);
  });
});
