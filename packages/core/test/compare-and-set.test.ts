import { memoryStore } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import type { CredentialStore } from "../src/index.js";
import { compareAndSet } from "../src/records/compare-and-set.js";
import { storedRecord } from "./stored-record.js";

/** The store, with every update's arguments recorded. */
function watched(store: CredentialStore) {
  const updates: unknown[][] = [];
  const wrapped: CredentialStore = {
    ...store,
    update: (...args) => {
      updates.push([...args]);
      return store.update(...args);
    },
  };
  return { store: wrapped, updates };
}

describe("compareAndSet, the one write loop", () => {
  it("writes version + 1 naming the version and lookup hash it read", async () => {
    const { store, updates } = watched(memoryStore());
    const base = storedRecord();
    await store.create(base);
    const saved = await compareAndSet(store, base, (current) => ({ ...current, name: "renamed" }));
    expect(saved).toMatchObject({ name: "renamed", version: 2 });
    expect(updates).toStrictEqual([
      [{ ...base, name: "renamed", version: 2 }, 1, base.lookupHash, undefined],
    ]);
  });

  it("after losing a race, applies the change again over what the other writer stored", async () => {
    const { store } = watched(memoryStore());
    const base = storedRecord();
    await store.create(base);
    await store.update({ ...base, defaultRuleEffect: "deny", version: 2 }, 1); // the other writer
    const seen: number[] = [];
    const saved = await compareAndSet(store, base, (current) => {
      seen.push(current.version);
      return { ...current, name: "mine" };
    });
    expect(seen).toStrictEqual([1, 2]);
    expect(saved).toMatchObject({ name: "mine", defaultRuleEffect: "deny", version: 3 });
  });

  it("writes nothing when the change or retryOver declines, and gives up after its attempts", async () => {
    const { store, updates } = watched(memoryStore());
    const base = storedRecord();
    await store.create(base);
    expect(await compareAndSet(store, base, () => null)).toBeNull();
    expect(updates).toHaveLength(0);
    await store.update({ ...base, name: "other", version: 2 }, 1);
    expect(await compareAndSet(store, base, (c) => c, { retryOver: () => false })).toBeNull();
    const stale = { ...base, version: 1 };
    const alwaysStale: CredentialStore = { ...store, get: () => Promise.resolve(stale) };
    await expect(compareAndSet(alwaysStale, stale, (c) => c, { attempts: 3 })).rejects.toMatchObject({
      code: "VERSION_CONFLICT",
    });
  });

  it("answers NOT_FOUND for a record that is gone, and CONFLICT naming a duplicate secret", async () => {
    const store = memoryStore();
    const gone = storedRecord();
    await expect(compareAndSet(store, gone, (c) => c)).rejects.toMatchObject({ code: "NOT_FOUND" });
    const a = storedRecord();
    const b = storedRecord({ clientId: a.clientId });
    await store.create(a);
    await store.create(b);
    await expect(compareAndSet(store, b, (c) => ({ ...c, lookupHash: a.lookupHash }))).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining("same secret"),
    });
  });
});
