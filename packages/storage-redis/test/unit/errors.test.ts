import { isCredkitError } from "@credkit/core";
import { makeRecord } from "@credkit/storage-test-suite";
import { describe, expect, it, vi } from "vitest";
import { redisKeys } from "../../src/index.js";
import { mockStore } from "./mock-client.js";

describe("redis store error handling", () => {
  it("wraps a failing command as STORAGE_UNAVAILABLE with the client error as cause", async () => {
    const { client, store } = mockStore();
    const failure = new Error("Connection is closed.");
    vi.spyOn(client, "hget").mockRejectedValue(failure);
    const error = await store.get("c", "id").catch((e: unknown) => e);
    expect(isCredkitError(error, "STORAGE_UNAVAILABLE")).toBe(true);
    expect(error).toMatchObject({ cause: failure, retryAfterSeconds: 1 });
  });

  it("wraps a failing script, without retrying it as EVAL unless the server said NOSCRIPT", async () => {
    const { client, store } = mockStore();
    const failure = new Error("OOM command not allowed when used memory > 'maxmemory'");
    vi.spyOn(client, "evalsha").mockRejectedValue(failure);
    const evalSpy = vi.spyOn(client, "eval");
    await expect(store.create(makeRecord())).rejects.toMatchObject({
      code: "STORAGE_UNAVAILABLE",
      cause: failure,
    });
    expect(evalSpy).not.toHaveBeenCalled();
  });

  it("reports a script reply it cannot read as STORAGE_UNAVAILABLE, never as an answer", async () => {
    // Only a broken server or script answers these; each must fail the call, not pass for a result.
    const record = makeRecord();
    const next = { ...record, version: 2 };
    type Store = ReturnType<typeof mockStore>["store"];
    const calls: [unknown, (store: Store) => Promise<unknown>][] = [
      [7, (store) => store.create(record)],
      [[7], (store) => store.update(next, 1)],
      [1, (store) => store.update(next, 1)],
      ["OK", (store) => store.list(record.clientId, { limit: 5 })],
      [[1], (store) => store.list(record.clientId, { limit: 5 })],
    ];
    for (const [reply, call] of calls) {
      const { client, store } = mockStore();
      vi.spyOn(client, "evalsha").mockResolvedValue(reply as never);
      await expect(call(store), JSON.stringify(reply)).rejects.toMatchObject({ code: "STORAGE_UNAVAILABLE" });
    }
  });

  it("loads a script with EVAL on NOSCRIPT, then runs it by SHA", async () => {
    const { client, store } = mockStore();
    // A fresh mock has an empty script cache (ioredis-mock has no SCRIPT FLUSH).
    const evalSpy = vi.spyOn(client, "eval");
    const evalshaSpy = vi.spyOn(client, "evalsha");
    const record = makeRecord();
    await store.delete(record.clientId, record.credentialId);
    await store.delete(record.clientId, record.credentialId);
    expect(evalSpy).toHaveBeenCalledTimes(1);
    expect(evalshaSpy).toHaveBeenCalledTimes(2);
  });

  it("wraps a failing ping and registry write", async () => {
    const { client, store } = mockStore();
    vi.spyOn(client, "ping").mockRejectedValue(new Error("down"));
    vi.spyOn(client, "zadd").mockRejectedValue(new Error("down"));
    await expect(store.ping()).rejects.toMatchObject({ code: "STORAGE_UNAVAILABLE" });
    await expect(store.create(makeRecord())).rejects.toMatchObject({ code: "STORAGE_UNAVAILABLE" });
  });

  it("bounds a call that never answers with timeoutMs", async () => {
    // The clock is the test's: the call is still waiting at 49 ms and refused at 50, on any machine.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const { client, store } = mockStore({ timeoutMs: 50 });
      vi.spyOn(client, "hget").mockReturnValue(new Promise(() => {}) as never);
      let settled = false;
      const outcome = store.get("c", "id").catch((e: unknown) => e);
      void outcome.then(() => {
        settled = true;
      });
      await vi.advanceTimersByTimeAsync(49);
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      const error = await outcome;
      expect(error).toMatchObject({ code: "STORAGE_UNAVAILABLE" });
      expect(String((error as Error).cause)).toContain("50 ms");
    } finally {
      vi.useRealTimers();
    }
  });

  it("passes CONFLICT and VERSION_CONFLICT through as answers, not outages", async () => {
    const { store } = mockStore();
    const record = makeRecord();
    await store.create(record);
    await expect(store.create(record)).rejects.toMatchObject({ code: "CONFLICT" });
    const next = { ...record, version: 3 };
    await expect(store.update(next, 2)).rejects.toMatchObject({
      code: "VERSION_CONFLICT",
      errors: [{ path: "version", message: "The stored version is 1" }],
    });
  });

  it("refuses an update whose next version is not expectedVersion + 1", async () => {
    const { store } = mockStore();
    const record = makeRecord();
    await store.create(record);
    await expect(store.update({ ...record, version: 5 }, 1)).rejects.toMatchObject({
      code: "VALIDATION_ERROR",
    });
    expect(await store.get(record.clientId, record.credentialId)).toStrictEqual(record);
  });

  it("refuses a lease ttl that is not a positive number", async () => {
    const { store } = mockStore();
    for (const ttl of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(store.acquireLease("l", "o", ttl)).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
    }
  });

  it("reports a corrupt stored record as INTERNAL instead of skipping it", async () => {
    const { client, store, keyPrefix } = mockStore();
    const record = makeRecord();
    await store.create(record);
    await client.hset(redisKeys(keyPrefix).record(record.clientId, record.credentialId), "r", "{not json");
    await expect(store.get(record.clientId, record.credentialId)).rejects.toMatchObject({ code: "INTERNAL" });
  });

  it("never closes the injected client", async () => {
    const { client, store } = mockStore();
    const quit = vi.spyOn(client, "quit");
    const disconnect = vi.spyOn(client, "disconnect");
    await store.close();
    expect(quit).not.toHaveBeenCalled();
    expect(disconnect).not.toHaveBeenCalled();
  });
});
