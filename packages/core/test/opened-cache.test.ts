import { describe, expect, it } from "vitest";
import { createOpenedCache } from "../src/records/opened-cache.js";

// The cache of decrypted envelopes: served only to the record and field it was opened for, bounded.
const owner = { clientId: "acme", credentialId: "eu-west-1.a" };

/** An opener that counts its calls and returns a fresh object each time. */
function opener() {
  let calls = 0;
  const open = () => ({ opened: ++calls });
  return { open, calls: () => calls };
}

describe("createOpenedCache", () => {
  it("opens an envelope once for the same record and field, then serves what it opened", () => {
    const cache = createOpenedCache();
    const { open, calls } = opener();
    const first = cache.get("env-1", owner, "secret", open);
    expect(cache.get("env-1", { ...owner }, "secret", open)).toBe(first);
    expect(calls()).toBe(1);
    // Another envelope string is another value.
    expect(cache.get("env-2", owner, "secret", open)).toStrictEqual({ opened: 2 });
  });

  it("never serves an entry to another field, client or credential (each alone), and opens for it", () => {
    const others = [
      [owner, "tokenState"],
      [{ ...owner, clientId: "other" }, "secret"],
      [{ ...owner, credentialId: "eu-west-1.b" }, "secret"],
    ] as const;
    for (const [who, field] of others) {
      // A fresh cache holding the envelope for `owner`'s secret: only one of the three differs.
      const cache = createOpenedCache();
      const { open, calls } = opener();
      cache.get("env", owner, "secret", open);
      const label = `${who.clientId}/${who.credentialId}/${field}`;
      expect(cache.get("env", who, field, open), label).toStrictEqual({ opened: 2 });
      // It was opened and kept for that owner and field: the next ask of the same is a hit.
      expect(cache.get("env", who, field, open), label).toStrictEqual({ opened: 2 });
      expect(calls()).toBe(2);
    }
  });

  it("holds at most maxEntries, dropping the oldest (10,000 by default)", () => {
    const small = createOpenedCache(2);
    const { open, calls } = opener();
    for (const envelope of ["a", "b", "c"]) small.get(envelope, owner, "secret", open);
    small.get("c", owner, "secret", open);
    small.get("b", owner, "secret", open);
    expect(calls()).toBe(3);
    small.get("a", owner, "secret", open); // dropped when "c" came in
    expect(calls()).toBe(4);

    const cache = createOpenedCache();
    const counted = opener();
    for (let i = 0; i < 10_000; i++) cache.get(`e${i}`, owner, "secret", counted.open);
    cache.get("e0", owner, "secret", counted.open);
    expect(counted.calls()).toBe(10_000);
    cache.get("e10000", owner, "secret", counted.open); // one past the bound: drops e0, the oldest
    cache.get("e1", owner, "secret", counted.open);
    expect(counted.calls()).toBe(10_001);
    cache.get("e0", owner, "secret", counted.open);
    expect(counted.calls()).toBe(10_002);
  });
});
