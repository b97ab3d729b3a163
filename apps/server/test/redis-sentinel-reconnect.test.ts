import { randomUUID } from "node:crypto";
import type { Invalidation } from "@credkit/core";
import { publishInvalidation, redisInvalidationChannel, redisSentinelOptions } from "@credkit/storage-redis";
import { Redis } from "ioredis";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { openStore } from "../src/stores.js";
import { startRedisSentinel } from "./support/real-servers.js";

// ioredis ends a Sentinel client for good when its connector is disconnected while the client is asking
// a Sentinel for the primary: its failover detector does exactly that when `+switch-master` arrives
// while the client is reconnecting after the primary died (a CI run answered 503 for 60 s after a
// completed failover). `disconnect(true)` at the "connecting" event makes the same call, at the same
// moment, without waiting for a real failover.
let set: Awaited<ReturnType<typeof startRedisSentinel>> | undefined;
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
  await set?.stop();
  set = undefined;
});

/** Disconnects `client`'s connector while it asks the Sentinels, and resolves with its next status. */
async function interruptReconnect(client: Redis): Promise<"ready" | "end"> {
  client.once("connecting", () => client.disconnect(true));
  const next = new Promise<"ready" | "end">((resolve) => {
    const ready = () => {
      client.off("end", end);
      resolve("ready");
    };
    const end = () => {
      client.off("ready", ready);
      resolve("end");
    };
    client.once("ready", ready);
    client.once("end", end);
  });
  // Close the live connection: the client reconnects, emits "connecting" and is interrupted there.
  client.disconnect(true);
  return next;
}

/** Resolves once `client` is ready (at once if it is); rejects naming its status if it is not within 15 s. */
function readyAgain(client: Redis): Promise<void> {
  if (client.status === "ready") return Promise.resolve();
  return new Promise((resolve, reject) => {
    // Only a failure bound: a reconnect takes some 100 ms; an ended client never gets there.
    const timer = setTimeout(() => reject(new Error(`client still "${client.status}" after 15 s`)), 15_000);
    client.once("ready", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** A bare client of `set` with the recommended Sentinel options (errors are expected: silenced). */
function sentinelClient(current: NonNullable<typeof set>): Redis {
  const client = new Redis({
    ...redisSentinelOptions(),
    sentinels: current.sentinels
      .split(",")
      .map((s) => ({ host: "127.0.0.1", port: Number(s.split(":")[1]) })),
    name: current.name,
  });
  client.on("error", () => {});
  cleanups.push(() => client.disconnect());
  return client;
}

/** Resolves with the first value `register` hands over; rejects naming `what` if none within 15 s. */
function heard<T>(what: string, register: (hand: (value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    // Only a failure bound: a resubscription takes some 100 ms; an ended subscriber never gets there.
    const timer = setTimeout(() => reject(new Error(`${what}: nothing within 15 s`)), 15_000);
    register((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

describe("Redis Sentinel: a client interrupted while reconnecting", () => {
  it("ends for good with ioredis alone, and the server's store connects it again and writes", async () => {
    set = await startRedisSentinel();
    const sentinels = set.sentinels.split(",");
    const sentinelConfig = { storage: "redis" as const, sentinels, sentinelName: set.name };

    // The fault itself, on a bare client with the recommended options: it ends and stays ended.
    const bare = sentinelClient(set);
    await bare.ping();
    expect(await interruptReconnect(bare)).toBe("end");
    await expect(bare.ping()).rejects.toThrow("Connection is closed.");

    // The server's store: the same fault, and the client is back and writes.
    const opened = await openStore(sentinelConfig, pino({ level: "silent" }));
    cleanups.push(() => opened.close());
    const client = opened.redis as Redis;
    await client.ping();
    expect(await interruptReconnect(client)).toBe("end");
    await readyAgain(client);
    expect(await client.set("reconnect-probe", "1")).toBe("OK");
    expect(await opened.store.get("after-reconnect", "none")).toBeNull();
  }, 60_000);

  it("the invalidation channel's subscriber ends the same way, comes back, resubscribes and hears what follows", async () => {
    set = await startRedisSentinel();
    const client = sentinelClient(set);
    // What the server (and an embedding service) does: the subscriber is a duplicate of the client.
    const subscriber = client.duplicate();
    subscriber.on("error", () => {});
    const channel = `credkit:test:${randomUUID()}`;
    const resets: boolean[] = [];
    const invalidations: Invalidation[] = [];
    let onReset: (connected: boolean) => void = () => {};
    let onInvalidate: (event: Invalidation) => void = () => {};
    const close = await redisInvalidationChannel({ client, subscriber, channel }).subscribe({
      reset(connected) {
        resets.push(connected);
        onReset(connected);
      },
      invalidate(event) {
        invalidations.push(event);
        onInvalidate(event);
      },
    });
    cleanups.push(close);

    const before = heard<Invalidation>("before", (hand) => (onInvalidate = hand));
    await publishInvalidation(client, { clientId: "acme", credentialId: "before" }, channel);
    expect(await before).toStrictEqual({ clientId: "acme", credentialId: "before" });

    // The fault: ioredis ends the subscriber. The channel connects it again and subscribes; the gap is
    // a reset (verdicts cached before are dropped), then a reset that says invalidations flow again.
    const back = heard<boolean>("resubscribed", (hand) => (onReset = (connected) => connected && hand(true)));
    resets.length = 0;
    expect(await interruptReconnect(subscriber)).toBe("end");
    await back;
    expect(resets).toStrictEqual([false, true]);

    const after = heard<Invalidation>("after", (hand) => (onInvalidate = hand));
    await publishInvalidation(client, { clientId: "acme", credentialId: "after" }, channel);
    expect(await after).toStrictEqual({ clientId: "acme", credentialId: "after" });
    expect(invalidations.map((event) => event.credentialId)).toStrictEqual(["before", "after"]);
  }, 60_000);
});
