import { memoryStore } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import { type CredentialStore, CredkitError, type StoredCredential } from "../src/index.js";
import { compareAndSet, reload } from "../src/records/compare-and-set.js";
import { storedRecord } from "./stored-record.js";

// compareAndSet's retry bound and each way out of its loop, over a real memory store whose `update`
// is replaced where a test needs a store that always loses (or fails another way).

/** A stored record and a store whose every update answers with `failure` (counted). */
async function failingWith(failure: unknown) {
  const store = memoryStore();
  const base = storedRecord();
  await store.create(base);
  let updates = 0;
  const failing: CredentialStore = {
    ...store,
    update: () => {
      updates++;
      return Promise.reject(failure);
    },
  };
  return { store: failing, base, updates: () => updates };
}

const lost = () => new CredkitError("VERSION_CONFLICT", "lost");

describe("compareAndSet: how many times it tries", () => {
  it("tries exactly `attempts` writes, 8 by default, re-reading between them", async () => {
    for (const [attempts, expected] of [
      [undefined, 8],
      [1, 1],
      [3, 3],
    ] as const) {
      const { store, base, updates } = await failingWith(lost());
      const seen: number[] = [];
      await expect(
        compareAndSet(
          store,
          base,
          (current) => {
            seen.push(current.version);
            return current;
          },
          attempts === undefined ? {} : { attempts },
        ),
        String(attempts),
      ).rejects.toMatchObject({ code: "VERSION_CONFLICT" });
      expect(updates(), String(attempts)).toBe(expected);
      expect(seen).toHaveLength(expected);
    }
  });

  it("stops at the first failure that is not a lost race, and passes it on unchanged", async () => {
    const down = new CredkitError("STORAGE_UNAVAILABLE", "down");
    const { store, base, updates } = await failingWith(down);
    await expect(compareAndSet(store, base, (c) => c)).rejects.toBe(down);
    expect(updates()).toBe(1);
  });

  it("passes a CONFLICT on as it is when the change sets no lookup hash", async () => {
    const conflict = new CredkitError("CONFLICT", "the store's own");
    const { store, base, updates } = await failingWith(conflict);
    await expect(compareAndSet(store, base, (c) => ({ ...c, lookupHash: null }))).rejects.toBe(conflict);
    expect(updates()).toBe(1);
    // With a lookup hash, it is the duplicate-secret CONFLICT, caused by the store's.
    await expect(compareAndSet(store, base, (c) => c)).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining("same secret"),
      cause: conflict,
    });
  });
});

describe("compareAndSet: after a lost race", () => {
  it("asks retryOver about the record as it is now, and writes over it when told yes", async () => {
    const store = memoryStore();
    const base = storedRecord();
    await store.create(base);
    await store.update({ ...base, name: "other", version: 2 }, 1);
    const asked: StoredCredential[] = [];
    const saved = await compareAndSet(store, base, (c) => ({ ...c, defaultRuleEffect: "deny" }), {
      retryOver: (latest) => {
        asked.push(latest);
        return true;
      },
    });
    expect(asked.map((r) => [r.name, r.version])).toStrictEqual([["other", 2]]);
    expect(saved).toMatchObject({ name: "other", defaultRuleEffect: "deny", version: 3 });
  });

  it("answers NOT_FOUND when the record went away after the lost race", async () => {
    const store = memoryStore();
    const base = storedRecord();
    await store.create(base);
    // The other writer deletes it: this write loses, and the re-read finds nothing.
    const racing: CredentialStore = {
      ...store,
      update: async () => {
        await store.delete(base.clientId, base.credentialId);
        throw lost();
      },
    };
    await expect(compareAndSet(racing, base, (c) => c)).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(reload(store, base)).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("answers NOT_FOUND when the store's update finds nothing (null), rather than returning null", async () => {
    const store = memoryStore();
    const base = storedRecord();
    const nothing: CredentialStore = { ...store, update: () => Promise.resolve(null) };
    await expect(compareAndSet(nothing, base, (c) => c)).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
