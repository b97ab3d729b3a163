import { randomUUID } from "node:crypto";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import type { Invalidation, InvalidationListener } from "@credkit/core";
import { Redis, type RedisOptions } from "ioredis";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import { redisClientOptions, redisInvalidationChannel, redisSentinelOptions } from "../src/index.js";
import { clusterClient, randomKeyPrefix, standaloneClient } from "./clients.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A listener that records what it hears, and resolves waiters on each event. */
function recorder() {
  const events: (Invalidation | { reset: boolean })[] = [];
  let wake: () => void = () => undefined;
  const listener: InvalidationListener = {
    invalidate(event) {
      events.push(event);
      wake();
    },
    reset(connected) {
      events.push({ reset: connected });
      wake();
    },
  };
  /** Resolves once `check` holds on the events heard (fails the test after 5 s). */
  const until = (check: (e: typeof events) => boolean) =>
    new Promise<void>((resolve, reject) => {
      const timeout = setTimeout(() => reject(new Error(`not heard: ${JSON.stringify(events)}`)), 5000);
      wake = () => {
        if (check(events)) {
          clearTimeout(timeout);
          resolve();
        }
      };
      wake();
    });
  return { listener, events, until };
}

/** A channel on the standalone server with one recording listener subscribed (undone after the test). */
async function subscribedOnStandalone() {
  const channel = randomKeyPrefix();
  const client = standaloneClient();
  const subscriber = standaloneClient();
  cleanups.push(() => client.disconnect());
  const heard = recorder();
  cleanups.push(await redisInvalidationChannel({ client, subscriber, channel }).subscribe(heard.listener));
  return { channel, client, subscriber, heard };
}

describe.each([
  ["standalone", standaloneClient],
  ["cluster", clusterClient],
] as const)("redisInvalidationChannel on a real Redis (%s)", (_name, connect) => {
  it("delivers every published event to every subscribed process, ids only", async () => {
    const channel = randomKeyPrefix();
    const processes = [0, 1].map(() => {
      const client = connect();
      const subscriber = connect();
      cleanups.push(() => client.disconnect());
      cleanups.push(() => subscriber.disconnect());
      return {
        client,
        heard: recorder(),
        channel: redisInvalidationChannel({ client, subscriber, channel }),
      };
    });
    for (const p of processes) cleanups.push(await p.channel.subscribe(p.heard.listener));
    await processes[0]?.channel.publish({ clientId: "acme", credentialId: "eu-west-1.abc" });
    for (const p of processes) {
      await p.heard.until((events) =>
        events.some((e) => "clientId" in e && e.clientId === "acme" && e.credentialId === "eu-west-1.abc"),
      );
    }
  });

  it("confirms a publish only once every subscribed process has heard it, and not when one never answers", async () => {
    const channel = randomKeyPrefix();
    const processes = [0, 1, 2].map(() => {
      const client = connect();
      const subscriber = connect();
      cleanups.push(() => client.disconnect());
      cleanups.push(() => subscriber.disconnect());
      return {
        client,
        heard: recorder(),
        channel: redisInvalidationChannel({ client, subscriber, channel }),
      };
    });
    for (const p of processes) cleanups.push(await p.channel.subscribe(p.heard.listener));
    const heardIt = (id: string) =>
      processes.every((p) => p.heard.events.some((e) => "credentialId" in e && e.credentialId === id));
    // When the confirmation resolves, every process's listener has already dropped the client.
    expect(await processes[0]?.channel.publish({ clientId: "acme", credentialId: "one" }, 5000)).toBe(true);
    expect(heardIt("one")).toBe(true);
    // A subscriber that never confirms (a frozen process, or a redis-cli SUBSCRIBE): not confirmed.
    const silent = connect();
    cleanups.push(() => silent.disconnect());
    await silent.subscribe(channel);
    expect(await processes[1]?.channel.publish({ clientId: "acme", credentialId: "two" }, 300)).toBe(false);
    // Without asking for confirmation, a publish never claims it.
    expect(await processes[2]?.channel.publish({ clientId: "acme", credentialId: "three" })).toBe(false);
  });
});

describe("redisInvalidationChannel message handling (standalone)", () => {
  it("ignores messages it cannot read and messages of other channels on the same connection", async () => {
    const { channel, client, subscriber, heard } = await subscribedOnStandalone();
    // The embedder's own subscription on the same connection: its messages are none of the channel's.
    await subscriber.subscribe(`${channel}other`);
    await client.publish(`${channel}other`, "acme\nfrom-another-channel");
    await client.publish(channel, "no-newline");
    await client.publish(channel, "\nno-client");
    await client.publish(channel, "acme\n");
    await heard.until((events) => events.some((e) => "clientId" in e));
    expect(heard.events.filter((e) => "clientId" in e)).toEqual([{ clientId: "acme", credentialId: "" }]);
  });

  it("asks for no confirmation when it is not subscribed or asked for none, and answers false at once", async () => {
    const channel = randomKeyPrefix();
    const client = standaloneClient();
    const subscriber = standaloneClient();
    cleanups.push(() => client.disconnect());
    cleanups.push(() => subscriber.disconnect());
    const listenerConnection = standaloneClient();
    cleanups.push(() => listenerConnection.disconnect());
    const messages: string[] = [];
    listenerConnection.on("message", (_channel: string, message: string) => messages.push(message));
    await listenerConnection.subscribe(channel);
    const unsubscribed = redisInvalidationChannel({ client, subscriber, channel });
    // Not subscribed: no confirmation can reach it, so it publishes a plain message.
    expect(await unsubscribed.publish({ clientId: "acme", credentialId: "one" }, 5000)).toBe(false);
    const heard = recorder();
    const subscribed = redisInvalidationChannel({ client, subscriber: standaloneClient(), channel });
    cleanups.push(await subscribed.subscribe(heard.listener));
    expect(await subscribed.publish({ clientId: "acme", credentialId: "two" }, 0)).toBe(false);
    await heard.until((events) => events.some((e) => "credentialId" in e && e.credentialId === "two"));
    // The other connection hears both in publish order, neither asking for confirmation.
    await vi.waitFor(() => expect(messages).toEqual(["acme\none", "acme\ntwo"]));
  });
});

describe("redisInvalidationChannel when the subscription fails", () => {
  it("resets its listeners when the connection is killed, and resubscribes", async () => {
    const { channel, client, heard } = await subscribedOnStandalone();
    await heard.until((events) => events.some((e) => "reset" in e && e.reset));
    const before = heard.events.length;
    const admin = standaloneClient();
    cleanups.push(() => admin.disconnect());
    await admin.call("CLIENT", "KILL", "TYPE", "pubsub");
    await heard.until((events) => events.slice(before).some((e) => "reset" in e && !e.reset));
    await heard.until((events) => events.slice(before).filter((e) => "reset" in e).length === 2);
    await redisInvalidationChannel({ client, subscriber: client.duplicate(), channel }).publish({
      clientId: "after",
      credentialId: "x",
    });
    await heard.until((events) => events.some((e) => "clientId" in e && e.clientId === "after"));
  });
});

// The health check's timer is driven by hand (fake setInterval only: ioredis and the waits here use
// setTimeout), so each PING is sent, answered or not, at a tick the test chooses: no timeout, no
// threshold a slow machine could miss. Its subscribers have no commandTimeout: the check must not need one.
describe("redisInvalidationChannel PING health check (standalone, its ticks driven by the test)", () => {
  const everyMs = 1000;

  /** A channel with a recording listener over `subscriber`, subscribed and connected; `tick` fires one check. */
  async function healthChecked(subscriber: Redis) {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    cleanups.push(() => vi.useRealTimers());
    cleanups.push(() => subscriber.disconnect());
    const ping = vi.spyOn(subscriber, "ping");
    const client = standaloneClient();
    cleanups.push(() => client.disconnect());
    const heard = recorder();
    const channel = redisInvalidationChannel({
      client,
      subscriber,
      channel: randomKeyPrefix(),
      healthCheckMs: everyMs,
    });
    cleanups.push(await channel.subscribe(heard.listener));
    await heard.until((events) => events.some((e) => "reset" in e && e.reset));
    const resets = () => heard.events.filter((e) => "reset" in e);
    /** Fires one check; resolves with the PING it sent, if it sent one. */
    const tick = (): Promise<unknown> | undefined => {
      const sent = ping.mock.results.length;
      vi.advanceTimersByTime(everyMs);
      return ping.mock.results.length > sent
        ? (ping.mock.results[sent]?.value as Promise<unknown>)
        : undefined;
    };
    return { heard, resets, tick, ping };
  }

  const noCommandTimeout = { ...redisClientOptions(), commandTimeout: undefined };

  it("keeps a connection that answers every PING: one PING per tick, no reset", async () => {
    const { resets, tick, ping } = await healthChecked(new Redis(inject("redisUrl"), noCommandTimeout));
    for (let i = 1; i <= 3; i++) {
      const sent = tick();
      expect(ping).toHaveBeenCalledTimes(i);
      await sent;
    }
    expect(resets()).toEqual([{ reset: true }]);
  });

  it("notices a connection that stops delivering without closing, and checks the new one afresh", async () => {
    // A TCP relay to Redis that can freeze its open connections (nothing flows, nothing closes).
    const target = new URL(inject("redisUrl"));
    const open = new Set<{ a: Socket; b: Socket }>();
    let frozen = false;
    const relay: Server = createServer((a) => {
      const b = createConnection(Number(target.port), target.hostname);
      const pair = { a, b };
      open.add(pair);
      a.on("data", (d) => {
        if (!frozen) b.write(d);
      });
      b.on("data", (d) => {
        if (!frozen) a.write(d);
      });
      const end = () => {
        a.destroy();
        b.destroy();
        open.delete(pair);
      };
      a.on("close", end);
      b.on("close", end);
      a.on("error", end);
      b.on("error", end);
    });
    await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise((resolve) => relay.close(resolve)));
    cleanups.push(() => {
      for (const { a, b } of open) {
        a.destroy();
        b.destroy();
      }
    });
    const port = (relay.address() as { port: number }).port;
    const { heard, resets, tick, ping } = await healthChecked(new Redis(port, "127.0.0.1", noCommandTimeout));
    // Freeze what is open (bytes are read and dropped, nothing closes); a new connection (the reconnect) flows again.
    frozen = true;
    const stale = new Set(open);
    relay.removeAllListeners("connection");
    relay.on("connection", (a: Socket) => {
      frozen = false;
      const b = createConnection(Number(target.port), target.hostname);
      a.pipe(b).pipe(a);
      a.on("error", () => b.destroy());
      b.on("error", () => a.destroy());
      cleanups.push(() => {
        a.destroy();
        b.destroy();
      });
    });
    // This PING never gets through: the next tick finds it unanswered and drops the connection.
    expect(tick()).toBeDefined();
    expect(resets()).toEqual([{ reset: true }]);
    expect(tick()).toBeUndefined();
    expect(resets()).toEqual([{ reset: true }, { reset: false }]);
    await heard.until((events) => events.filter((e) => "reset" in e).length === 3);
    expect(resets()).toEqual([{ reset: true }, { reset: false }, { reset: true }]);
    for (const { a, b } of stale) {
      a.destroy();
      b.destroy();
    }
    // The new connection owes nothing for the PING lost with the old one: it is PINGed, and kept.
    const pingsBefore = ping.mock.calls.length;
    await tick();
    await tick();
    expect(ping).toHaveBeenCalledTimes(pingsBefore + 2);
    expect(resets()).toHaveLength(3);
  });

  it("takes a PING answered with an error for no answer", async () => {
    // A user that may do anything but PING: every health check gets an error back at once.
    const admin = standaloneClient();
    const username = `credkit-test-${randomUUID()}`;
    await admin.call("ACL", "SETUSER", username, "on", "nopass", "~*", "&*", "+@all", "-ping");
    cleanups.push(async () => {
      await admin.call("ACL", "DELUSER", username);
      admin.disconnect();
    });
    const subscriber = new Redis(inject("redisUrl"), { ...noCommandTimeout, username, password: "any" });
    const { heard, resets, tick } = await healthChecked(subscriber);
    await expect(tick()).rejects.toThrow(/NOPERM/);
    expect(resets()).toEqual([{ reset: true }]);
    tick();
    expect(resets()).toEqual([{ reset: true }, { reset: false }]);
    await heard.until((events) => events.filter((e) => "reset" in e).length === 3);
  });
});

describe("redisInvalidationChannel with a Sentinel subscriber", () => {
  // Never connected (lazyConnect): only the "end" that ioredis emits when it gives up is played, and
  // the reconnect's 100 ms delay is driven by hand.
  function channelOver(options: RedisOptions) {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    cleanups.push(() => vi.useRealTimers());
    const subscriber = new Redis({ ...options, lazyConnect: true });
    const connect = vi.spyOn(subscriber, "connect").mockResolvedValue(undefined);
    redisInvalidationChannel({ client: subscriber, subscriber });
    subscriber.emit("end");
    vi.advanceTimersByTime(100);
    return connect;
  }

  it("connects again a Sentinel subscriber that ioredis ended for good", () => {
    const connect = channelOver({
      ...redisSentinelOptions(),
      sentinels: [{ host: "127.0.0.1", port: 9 }],
      name: "m",
    });
    expect(connect).toHaveBeenCalledTimes(1);
  });

  it("leaves a subscriber without Sentinels to its own retry strategy", () => {
    expect(channelOver({ ...redisClientOptions(), port: 9 })).not.toHaveBeenCalled();
  });
});
