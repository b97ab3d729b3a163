import { makeRecord } from "@credkit/storage-test-suite";
import { describe, expect, it, vi } from "vitest";
import { mockStore } from "./mock-client.js";

describe("redis store client registry (ioredis-mock)", () => {
  it("adds a client to the scan registry before its first record, then remembers it", async () => {
    const { client, store } = mockStore();
    const zadd = vi.spyOn(client, "zadd");
    const evalsha = vi.spyOn(client, "evalsha");
    const first = makeRecord();
    await store.create(first);
    await store.create(makeRecord({ clientId: first.clientId }));
    expect(zadd).toHaveBeenCalledTimes(1);
    // The registration went out before the create script.
    expect(zadd.mock.invocationCallOrder[0]).toBeLessThan(evalsha.mock.invocationCallOrder[0] ?? 0);
    expect((await store.scan({ limit: 1000 })).items.map((r) => r.clientId)).toContain(first.clientId);
  });

  it("registers on every create with registryMemoryMs 0", async () => {
    const { client, store } = mockStore({ registryMemoryMs: 0 });
    const zadd = vi.spyOn(client, "zadd");
    const record = makeRecord();
    await store.create(record);
    await store.create(makeRecord({ clientId: record.clientId }));
    expect(zadd).toHaveBeenCalledTimes(2);
  });

  it("creates nothing when the registration fails", async () => {
    const { client, store } = mockStore();
    vi.spyOn(client, "zadd").mockRejectedValue(
      new Error("READONLY You can't write against a read only replica."),
    );
    const record = makeRecord();
    await expect(store.create(record)).rejects.toMatchObject({ code: "STORAGE_UNAVAILABLE" });
    expect(await store.get(record.clientId, record.credentialId)).toBeNull();
  });
});
