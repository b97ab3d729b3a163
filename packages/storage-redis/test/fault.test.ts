import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { makeRecord } from "@credkit/storage-test-suite";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisStore, redisClientOptions, redisStore } from "../src/index.js";
import { randomKeyPrefix } from "./clients.js";
import { redisScript } from "./redis-script.js";

// A bound on how long a call may take to fail while Redis is down, not a performance target.
const failFastBoundMs = 5000;

async function settleTime(promise: Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const started = performance.now();
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  return { ms: performance.now() - started, error };
}

// Polls until the store answers again: recovery is observed, never assumed after a sleep.
async function untilPingResolves(store: RedisStore, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await store.ping();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

describe("redis store when its redis-server crashes and comes back", () => {
  let stateDir: string;
  let client: Redis;
  let store: RedisStore;
  const connectionErrors: Error[] = [];

  beforeAll(async () => {
    // Its own server: killing the shared one would break the other test files running alongside.
    stateDir = await mkdtemp(join(tmpdir(), "credkit-redis-fault-"));
    const url = await redisScript("start-standalone", stateDir);
    client = new Redis(url, redisClientOptions());
    // Applications should listen too: without a listener ioredis logs every failed reconnect.
    client.on("error", (error: Error) => connectionErrors.push(error));
    store = redisStore({ client, keyPrefix: randomKeyPrefix() });
  });

  afterAll(async () => {
    client?.disconnect();
    if (stateDir) {
      await redisScript("stop", stateDir);
      await rm(stateDir, { recursive: true, force: true });
    }
  });

  it("fails fast with STORAGE_UNAVAILABLE, recovers with the same client, and loses no acknowledged write", async () => {
    const acknowledged = makeRecord({ temporary: false });
    await store.create(acknowledged);

    // SIGKILL, not a clean shutdown: only appendfsync always can keep the acknowledged write.
    await redisScript("kill", stateDir);

    const read = await settleTime(store.get(acknowledged.clientId, acknowledged.credentialId));
    expect(read.error).toMatchObject({
      name: "CredkitError",
      code: "STORAGE_UNAVAILABLE",
      retryAfterSeconds: 1,
    });
    expect((read.error as Error).cause).toBeInstanceOf(Error);
    expect(read.ms).toBeLessThan(failFastBoundMs);

    const lost = makeRecord();
    const write = await settleTime(store.create(lost));
    expect(write.error).toMatchObject({ code: "STORAGE_UNAVAILABLE" });
    expect(write.ms).toBeLessThan(failFastBoundMs);

    const ping = await settleTime(store.ping());
    expect(ping.error).toMatchObject({ code: "STORAGE_UNAVAILABLE" });
    expect(ping.ms).toBeLessThan(failFastBoundMs);

    expect(connectionErrors.length).toBeGreaterThan(0);

    // Same port, same data directory, same client object: ioredis reconnects by itself.
    await redisScript("restart", stateDir);
    await untilPingResolves(store, 15_000);

    expect(await store.get(acknowledged.clientId, acknowledged.credentialId)).toStrictEqual(acknowledged);
    expect(await store.get(lost.clientId, lost.credentialId)).toBeNull();
    const again = makeRecord({ clientId: acknowledged.clientId });
    await store.create(again);
    const page = await store.list(acknowledged.clientId, { limit: 10 });
    expect(page.items.map((item) => item.credentialId).sort()).toStrictEqual(
      [acknowledged.credentialId, again.credentialId].sort(),
    );
  });
});
