import { randomUUID } from "node:crypto";
import type { StoredCredential } from "@credkit/core";
import { makeRecord } from "@credkit/storage-test-suite";
import { afterAll, describe, expect, it } from "vitest";
import { redisStore } from "../src/index.js";
import { clusterClient, randomKeyPrefix, standaloneClient } from "./clients.js";

// The shared test servers have no replicas: a store that waits for one must refuse every write it cannot
// have confirmed, on a standalone server and on the cluster node owning the client's slot alike (a
// pipeline routed anywhere else would fail with MOVED instead), and a store that waits for none must not.
const standalone = standaloneClient();
const cluster = clusterClient();
afterAll(async () => {
  await Promise.all([standalone.quit(), cluster.quit()]);
});

function record(clientId: string): StoredCredential {
  return makeRecord({ clientId, temporary: false });
}

describe.each([
  ["standalone", standalone],
  ["cluster", cluster],
] as const)("waitReplicas on a %s server without replicas", (_, client) => {
  it("refuses create, update, delete and consume with STORAGE_UNAVAILABLE; the write is on the primary", async () => {
    const keyPrefix = randomKeyPrefix();
    const plain = redisStore({ client, keyPrefix });
    const waiting = redisStore({ client, keyPrefix, waitReplicas: 1, waitTimeoutMs: 20 });
    const clientId = `c-${randomUUID()}`;
    const first = record(clientId);
    const refused = { code: "STORAGE_UNAVAILABLE", retryAfterSeconds: 1 };
    await expect(waiting.create(first)).rejects.toMatchObject(refused);
    // Not confirmed is not "not done": the primary has it.
    expect(await plain.get(clientId, first.credentialId)).toMatchObject({ version: 1 });
    const next = { ...first, version: 2 } as StoredCredential;
    await expect(waiting.update(next, 1)).rejects.toMatchObject(refused);
    expect(await plain.get(clientId, first.credentialId)).toMatchObject({ version: 2 });
    await expect(waiting.consume(clientId, first.credentialId)).rejects.toMatchObject(refused);
    expect(await plain.get(clientId, first.credentialId)).toBeNull();
    await plain.create(first);
    await expect(waiting.delete(clientId, first.credentialId)).rejects.toMatchObject(refused);
    expect(await plain.get(clientId, first.credentialId)).toBeNull();
    // Reads never wait.
    expect(await waiting.get(clientId, first.credentialId)).toBeNull();
  });

  it("loads a flushed script with EVAL in the same pipeline as WAIT: the write lands, unconfirmed", async () => {
    const keyPrefix = randomKeyPrefix();
    const plain = redisStore({ client, keyPrefix });
    const waiting = redisStore({ client, keyPrefix, waitReplicas: 1, waitTimeoutMs: 20 });
    const one = record(`c-${randomUUID()}`);
    // Every node forgets its scripts (as after a restart): EVALSHA answers NOSCRIPT.
    const nodes = "nodes" in client ? client.nodes("master") : [client];
    await Promise.all(nodes.map((node) => node.script("FLUSH")));
    const error = await waiting.create(one).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "STORAGE_UNAVAILABLE" });
    // Refused for want of a replica, not for the missing script: the record is on the primary.
    expect(String((error as Error).message)).toContain("replicas");
    expect(await plain.get(one.clientId, one.credentialId)).toMatchObject({ version: 1 });
  });

  it("sends no WAIT with waitReplicas 0", async () => {
    const store = redisStore({ client, keyPrefix: randomKeyPrefix(), waitReplicas: 0 });
    const one = record(`c-${randomUUID()}`);
    await store.create(one);
    expect(await store.consume(one.clientId, one.credentialId)).toMatchObject({
      credentialId: one.credentialId,
    });
  });
});

describe("waitReplicas / waitTimeoutMs", () => {
  it("are checked when the store is built, naming the option", () => {
    for (const bad of [-1, 17, 1.5, Number.NaN]) {
      expect(() => redisStore({ client: standalone, waitReplicas: bad })).toThrow(/waitReplicas/);
      expect(() => redisStore({ client: standalone, waitReplicas: bad })).toThrow(
        expect.objectContaining({ code: "CONFIGURATION_ERROR" }),
      );
    }
    for (const bad of [0, -5, 60_001, 2.5, Number.POSITIVE_INFINITY]) {
      expect(() => redisStore({ client: standalone, waitReplicas: 1, waitTimeoutMs: bad })).toThrow(
        /waitTimeoutMs/,
      );
      expect(() => redisStore({ client: standalone, waitReplicas: 1, waitTimeoutMs: bad })).toThrow(
        expect.objectContaining({ code: "CONFIGURATION_ERROR" }),
      );
    }
    // The bounds themselves are allowed.
    for (const waitReplicas of [0, 16]) {
      for (const waitTimeoutMs of [1, 60_000]) {
        expect(redisStore({ client: standalone, waitReplicas, waitTimeoutMs }).name).toBe("redis");
      }
    }
  });
});
