import { randomUUID } from "node:crypto";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import type { Invalidation, InvalidationListener } from "@credkit/core";
import { type Cluster, Redis, type RedisOptions } from "ioredis";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import {
  publishInvalidation,
  redisClientOptions,
  redisInvalidationChannel,
  redisSentinelOptions,
} from "../src/index.js";
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

/** A new channel name and two standalone connections (a client, a subscriber), disconnected after the test. */
function freshConnections() {
  const channel = randomKeyPrefix();
  const client = standaloneClient();
  const subscriber = standaloneClient();
  cleanups.push(() => client.disconnect());
  cleanups.push(() => subscriber.disconnect());
  return { channel, client, subscriber };
}

/** A channel on the standalone server with one recording listener subscribed (undone after the test). */
async function subscribedOnStandalone() {
  const { channel, client, subscriber } = freshConnections();
  const heard = recorder();
  const invalidation = redisInvalidationChannel({ client, subscriber, channel });
  cleanups.push(await invalidation.subscribe(heard.listener));
  return { channel, client, subscriber, heard, invalidation };
}

/** `count` processes on one new channel, each with its own connections and a recording listener, subscribed. */
async function subscribedProcesses(count: number, connect: () => Redis | Cluster) {
  const channel = randomKeyPrefix();
  const processes = Array.from({ length: count }, () => {
    const client = connect();
    const subscriber = connect();
    cleanups.push(() => client.disconnect());
    cleanups.push(() => subscriber.disconnect());
    const heard = recorder();
    return { client, subscriber, heard, channel: redisInvalidationChannel({ client, subscriber, channel }) };
  });
  for (const p of processes) cleanups.push(await p.channel.subscribe(p.heard.listener));
  return { channel, processes };
}

/** The messages a plain connection subscribed to `channel` hears, in order (undone after the test). */
async function overheard(channel: string): Promise<string[]> {
  const connection = standaloneClient();
  cleanups.push(() => connection.disconnect());
  const messages: string[] = [];
  connection.on("message", (_channel: string, message: string) => messages.push(message));
  await connection.subscribe(channel);
  return messages;
}

describe.each([
  ["standalone", standaloneClient],
  ["cluster", clusterClient],
] as const)("redisInvalidationChannel on a real Redis (%s)", (_name, connect) => {
  it("delivers every published event to every subscribed process, ids only", async () => {
    const { processes } = await subscribedProcesses(2, connect);
    await processes[0]?.channel.publish({ clientId: "acme", credentialId: "eu-west-1.abc" });
    for (const p of processes) {
      await p.heard.until((events) =>
        events.some((e) => "clientId" in e && e.clientId === "acme" && e.credentialId === "eu-west-1.abc"),
      );
    }
  });

  it("confirms a publish only once every subscribed process has heard it, and not when one never answers", async () => {
    const { channel, processes } = await subscribedProcesses(3, connect);
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
    const { channel, client, subscriber } = freshConnections();
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

describe("redisInvalidationChannel confirmations and subscriptions (standalone)", () => {
  it("answers a confirmation request only when the message names both the asker and the request", async () => {
    const { channel, client } = await subscribedOnStandalone();
    const acks = standaloneClient();
    cleanups.push(() => acks.disconnect());
    const answers: string[] = [];
    acks.on("pmessage", (_pattern: string, ackChannel: string, message: string) =>
      answers.push(`${ackChannel.slice(channel.length)} ${message}`),
    );
    await acks.psubscribe(`${channel}:ack:*`);
    await client.publish(channel, "acme\nno-request\nasker");
    await client.publish(channel, "acme\nno-asker\n\n6");
    await client.publish(channel, "acme\nasked\nasker\n7");
    // Answers go out in the order of the messages: when the last one's arrived, any earlier one had.
    await vi.waitFor(() => expect(answers).toContain(":ack:asker 7"));
    expect(answers).toEqual([":ack:asker 7"]);
  });

  it("ignores a confirmation of no request it is waiting on", async () => {
    const { channel, client, heard } = await subscribedOnStandalone();
    const [ackChannel] = (await client.call("PUBSUB", "CHANNELS", `${channel}:ack:*`)) as string[];
    expect(ackChannel).toBeDefined();
    await client.publish(ackChannel as string, "999");
    await client.publish(channel, "acme\nafter");
    await heard.until((events) => events.some((e) => "credentialId" in e && e.credentialId === "after"));
  });

  it("confirms when every confirmation arrives before PUBLISH itself answers", async () => {
    const { channel, processes } = await subscribedProcesses(2, standaloneClient);
    const [asker] = processes as [(typeof processes)[0]];
    // The asker's own subscriber counts the confirmations as they come (after the channel's handler).
    let confirmations = 0;
    const allConfirmed = new Promise<void>((resolve) =>
      asker.subscriber.on("message", (from: string) => {
        if (from.startsWith(`${channel}:ack:`) && ++confirmations === 2) resolve();
      }),
    );
    // PUBLISH's own answer is held back until both confirmations have arrived.
    const publish = asker.client.publish.bind(asker.client);
    vi.spyOn(asker.client, "publish").mockImplementation((async (to: string, message: string) => {
      const count = await publish(to, message);
      if (to === channel) await allConfirmed;
      return count;
    }) as never);
    expect(await asker.channel.publish({ clientId: "acme", credentialId: "early" }, 5000)).toBe(true);
  });

  it("answers false at once when PUBLISH fails, and leaves no timer behind", async () => {
    const { client, invalidation } = await subscribedOnStandalone();
    vi.spyOn(client, "publish").mockRejectedValue(new Error("Connection is closed."));
    // The deadline is a fake timer never run: only the failure can settle the publish.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    cleanups.push(() => vi.useRealTimers());
    expect(await invalidation.publish({ clientId: "acme", credentialId: "lost" }, 60_000)).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("confirms on a subscriber that was connected before the channel got it (no ready event to come)", async () => {
    const { channel, client, subscriber } = freshConnections();
    await subscriber.ping();
    const invalidation = redisInvalidationChannel({ client, subscriber, channel });
    cleanups.push(await invalidation.subscribe(recorder().listener));
    expect(await invalidation.publish({ clientId: "acme", credentialId: "one" }, 5000)).toBe(true);
  });

  it("leaves its subscriber connection unsubscribed until a listener subscribes", async () => {
    const { channel, client, subscriber } = freshConnections();
    redisInvalidationChannel({ client, subscriber, channel });
    // Registered after the channel's own handler: a SUBSCRIBE it sent on "ready" is answered before this PING.
    await new Promise((resolve) => subscriber.once("ready", resolve));
    await subscriber.ping();
    expect(await client.publish(channel, "acme\nx")).toBe(0);
  });

  it("keeps the subscription while a listener is left, and ends it with the last", async () => {
    const { channel, client, subscriber } = freshConnections();
    const messages = await overheard(channel);
    const invalidation = redisInvalidationChannel({ client, subscriber, channel });
    const [first, second] = [recorder(), recorder()];
    const closeFirst = await invalidation.subscribe(first.listener);
    const closeSecond = await invalidation.subscribe(second.listener);
    await closeFirst();
    await invalidation.publish({ clientId: "acme", credentialId: "one" });
    await second.until((events) => events.some((e) => "credentialId" in e && e.credentialId === "one"));
    expect(first.events.some((e) => "credentialId" in e)).toBe(false);
    const ended = new Promise((resolve) => subscriber.once("end", resolve));
    await closeSecond();
    // No subscription left (before the connection has even closed): a publish asks for no confirmation
    // it could not receive.
    expect(await invalidation.publish({ clientId: "acme", credentialId: "two" }, 5000)).toBe(false);
    await ended;
    await vi.waitFor(() => expect(messages).toEqual(["acme\none", "acme\ntwo"]));
  });

  it("publishes on credkit:invalidate unless told otherwise", async () => {
    const messages = await overheard("credkit:invalidate");
    const client = standaloneClient();
    cleanups.push(() => client.disconnect());
    await publishInvalidation(client, { clientId: "acme", credentialId: "default-channel" });
    await vi.waitFor(() => expect(messages).toContain("acme\ndefault-channel"));
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
  async function healthChecked(subscriber: Redis | Cluster, healthCheckMs = everyMs) {
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
      healthCheckMs,
    });
    const unsubscribe = await channel.subscribe(heard.listener);
    cleanups.push(unsubscribe);
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
    return { heard, resets, tick, ping, channel, unsubscribe };
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
    // While it reconnects there is nothing to check.
    expect(tick()).toBeUndefined();
    expect(ping).toHaveBeenCalledTimes(1);
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

  it("runs one check however many listeners subscribe, and stops it with the last", async () => {
    const { tick, ping, channel, unsubscribe } = await healthChecked(
      new Redis(inject("redisUrl"), noCommandTimeout),
    );
    const close = await channel.subscribe(recorder().listener);
    await tick();
    expect(ping).toHaveBeenCalledTimes(1);
    await close();
    expect(vi.getTimerCount()).toBe(1);
    await unsubscribe();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("runs no check with healthCheckMs 0, nor on a Cluster (its PING goes to any node)", async () => {
    const off = await healthChecked(new Redis(inject("redisUrl"), noCommandTimeout), 0);
    expect(vi.getTimerCount()).toBe(0);
    expect(off.tick()).toBeUndefined();
    vi.useRealTimers();
    const cluster = clusterClient();
    const onCluster = await healthChecked(cluster);
    expect(onCluster.tick()).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
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
    // The new connection owes nothing for the PING refused on the old one: it is PINGed, not dropped.
    await expect(tick()).rejects.toThrow(/NOPERM/);
    expect(resets()).toHaveLength(3);
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
