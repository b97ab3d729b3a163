import { redisSentinelOptions } from "@credkit/storage-redis";
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

describe("Redis Sentinel: a client interrupted while reconnecting", () => {
  it("ends for good with ioredis alone, and the server's store connects it again and writes", async () => {
    set = await startRedisSentinel();
    const sentinels = set.sentinels.split(",");
    const sentinelConfig = { storage: "redis" as const, sentinels, sentinelName: set.name };

    // The fault itself, on a bare client with the recommended options: it ends and stays ended.
    const bare = new Redis({
      ...redisSentinelOptions(),
      sentinels: sentinels.map((s) => ({ host: "127.0.0.1", port: Number(s.split(":")[1]) })),
      name: set.name,
    });
    bare.on("error", () => {});
    cleanups.push(() => bare.disconnect());
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
});
