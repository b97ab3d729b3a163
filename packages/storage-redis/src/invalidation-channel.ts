import { randomUUID } from "node:crypto";
import type { Invalidation, InvalidationChannel, InvalidationListener } from "@credkit/core";
import type { Cluster, Redis } from "ioredis";
import type { RedisClient } from "./run-script.js";
import { reconnectAfterFailover } from "./sentinel-reconnect.js";

/** Configuration of {@link redisInvalidationChannel}. */
export interface RedisInvalidationChannelConfig {
  /** The client that publishes (usually the store's own client). Never closed by the channel. */
  client: RedisClient;
  /**
   * A dedicated connection for SUBSCRIBE (a connection in subscriber mode can run nothing else), e.g.
   * `client.duplicate()`. The channel owns it: `close` of the subscription disconnects it, and a
   * Sentinel subscriber that ioredis ends by itself mid-failover is connected again
   * (see {@link reconnectAfterFailover}).
   */
  subscriber: RedisClient;
  /** The pub/sub channel name; processes sharing a store must use the same one. Default `credkit:invalidate`. */
  channel?: string | undefined;
  /**
   * Milliseconds between PINGs on a standalone subscriber connection: a PING not answered when the next
   * one is due (still waiting, timed out by the subscriber's `commandTimeout`, or answered with an error)
   * resets the listeners and reconnects it, so a connection that stopped delivering without closing is
   * noticed within two intervals, with or without a `commandTimeout`. 0 disables it; not used on a
   * Cluster (its PING goes to any node). Default 5000.
   */
  healthCheckMs?: number | undefined;
}

/** Default of {@link RedisInvalidationChannelConfig.channel}. */
export const defaultInvalidationChannel = "credkit:invalidate";

/** Where a confirmation is asked for: the publishing channel instance and its request number. */
interface AckRequest {
  node: string;
  seq: string;
}

// Client and credential ids never contain a newline (see `isValidClientId`, `newCredentialId`). A
// message asking for confirmation adds two lines (an older reader takes them for part of the
// credential id, which it does not use: it drops the whole client).
const encode = (event: Invalidation, ack?: AckRequest) =>
  `${event.clientId}\n${event.credentialId}${ack ? `\n${ack.node}\n${ack.seq}` : ""}`;

function decode(message: string): { event: Invalidation; ack: AckRequest | null } | null {
  const [clientId, credentialId, node, seq] = message.split("\n");
  if (!clientId || credentialId === undefined) return null;
  return { event: { clientId, credentialId }, ack: node && seq ? { node, seq } : null };
}

/** True for a client that finds its primary through Sentinels. */
function isSentinelClient(client: RedisClient): client is Redis {
  return !client.isCluster && ((client as Redis).options.sentinels?.length ?? 0) > 0;
}

/** The channel on which the channel instance `node` receives confirmations. */
const ackChannelOf = (name: string, node: string) => `${name}:ack:${node}`;

/**
 * How many connections will receive a message published on `name` now. On a standalone Redis that is
 * PUBLISH's own answer; on a Cluster PUBLISH counts only the node it ran on, so the subscribers of
 * every node are counted first (after the write: a process that subscribes later began its reads after
 * the write, and holds nothing older).
 */
async function publishCounted(client: RedisClient, name: string, message: string): Promise<number> {
  if (!client.isCluster) return await client.publish(name, message);
  const counts = await Promise.all(
    (client as Cluster).nodes("all").map(async (node) => {
      const [, count] = (await node.call("PUBSUB", "NUMSUB", name)) as [string, number | string];
      return Number(count);
    }),
  );
  await client.publish(name, message);
  return counts.reduce((sum, count) => sum + count, 0);
}

/**
 * Publishes one invalidation without subscribing (for writers that keep no cache, such as a key
 * rotation job): the processes subscribed with {@link redisInvalidationChannel} drop the client's verdicts.
 */
export async function publishInvalidation(
  client: RedisClient,
  event: Invalidation,
  channel: string = defaultInvalidationChannel,
): Promise<void> {
  await client.publish(channel, encode(event));
}

/**
 * Near-cache invalidation over Redis pub/sub (PUBLISH reaches every node of a Redis Cluster). Messages
 * carry a client id and a credential id, never secret material. When the subscriber connection drops,
 * listeners are reset (their caches hold nothing until it is back) and the channel subscribes again when
 * it is back, after which the listeners are reset again (whatever was published meanwhile was missed).
 * A Sentinel subscriber that ioredis ends for good during a failover is connected again, the same way.
 *
 * Confirmation (`publish(event, confirmWithinMs)`): every channel instance also subscribes to its own
 * `<channel>:ack:<random id>`; a message asking for confirmation names it, and each subscribed process
 * answers there once its listeners dropped the client's verdicts. The publisher counts the connections
 * the message reached and resolves `true` when as many confirmations arrived. Any other subscriber of
 * the channel (a `redis-cli SUBSCRIBE`) never confirms: writes then wait out the near cache's bound.
 */
export function redisInvalidationChannel(config: RedisInvalidationChannelConfig): InvalidationChannel {
  const name = config.channel ?? defaultInvalidationChannel;
  const { client, subscriber } = config;
  const node = randomUUID();
  const ackChannel = ackChannelOf(name, node);
  const listeners = new Set<InvalidationListener>();
  // Confirmations awaited, by request number: each call counts one arrival.
  const awaiting = new Map<string, () => void>();
  let seq = 0;
  let subscribed: Promise<void> | null = null;
  let connected = false;
  let timer: NodeJS.Timeout | null = null;

  // Whether the last health-check PING was answered. The check is "answered by the time the next one is
  // due", not a timer of its own: a stalled connection is noticed whatever the subscriber's
  // commandTimeout (or without one), and the test drives it tick by tick.
  let answered = true;

  const dropped = () => {
    // The next connection owes no answer to a PING sent on this one.
    answered = true;
    if (!connected) return;
    connected = false;
    for (const listener of listeners) listener.reset(false);
  };
  const healthCheckMs = config.healthCheckMs ?? 5000;
  const startHealthChecks = () => {
    if (timer || healthCheckMs <= 0 || subscriber.isCluster) return;
    timer = setInterval(() => {
      if (!connected) return;
      if (!answered) {
        dropped();
        // Reconnect: "ready" below subscribes again and resets the listeners once more.
        subscriber.disconnect(true);
        return;
      }
      answered = false;
      // An error answer (a timeout included) leaves `answered` false: the next tick drops the connection.
      (subscriber as Redis).ping().then(
        () => {
          answered = true;
        },
        () => undefined,
      );
    }, healthCheckMs);
    timer.unref();
  };

  subscriber.on("message", (channel: string, message: string) => {
    if (channel === ackChannel) {
      awaiting.get(message)?.();
      return;
    }
    if (channel !== name) return;
    const decoded = decode(message);
    if (!decoded) return;
    for (const listener of listeners) listener.invalidate(decoded.event);
    // Confirmed only after every listener dropped the verdicts (they do so synchronously). A message is
    // only received while a listener is subscribed (the last one to leave disconnects the subscriber).
    if (decoded.ack)
      client.publish(ackChannelOf(name, decoded.ack.node), decoded.ack.seq).catch(() => undefined);
  });
  subscriber.on("close", dropped);
  // Without this a Sentinel subscriber ended by a failover announced mid-reconnect stays ended: the near
  // cache would hear nothing more (its verdicts expire at their bound) until the process restarts.
  const stopReconnecting = isSentinelClient(subscriber) ? reconnectAfterFailover(subscriber) : () => {};
  subscriber.on("ready", () => {
    if (connected || subscribed === null) return;
    // ioredis resubscribes by itself on reconnect; asking again is harmless and makes sure of it.
    subscriber.subscribe(name, ackChannel).then(
      () => {
        connected = true;
        for (const listener of listeners) listener.reset(true);
      },
      () => undefined,
    );
  });

  /** Publishes asking for confirmation; true once every connection it reached confirmed. */
  async function publishConfirmed(event: Invalidation, confirmWithinMs: number): Promise<boolean> {
    // Stryker disable next-line UpdateOperator: the numbers only need to differ from each other's
    const request = String(++seq);
    let arrived = 0;
    let expected = Number.POSITIVE_INFINITY;
    let settle: (confirmed: boolean) => void = () => undefined;
    const outcome = new Promise<boolean>((resolve) => (settle = resolve));
    // Registered before publishing: confirmations may arrive before PUBLISH answers.
    awaiting.set(request, () => {
      if (++arrived >= expected) settle(true);
    });
    const deadline = setTimeout(() => settle(false), confirmWithinMs);
    try {
      // Not awaited alone: a Redis that does not answer must not hold the write past the deadline.
      publishCounted(client, name, encode(event, { node, seq: request })).then(
        (count) => {
          expected = count;
          if (arrived >= expected) settle(true);
        },
        () => settle(false),
      );
      return await outcome;
    } finally {
      clearTimeout(deadline);
      awaiting.delete(request);
    }
  }

  return {
    async publish(event, confirmWithinMs) {
      // Without our own subscription no confirmation can reach us: publish, and report "unconfirmed".
      const within = confirmWithinMs ?? 0;
      if (within > 0 && connected) return publishConfirmed(event, within);
      await publishInvalidation(client, event, name);
      return false;
    },
    async subscribe(listener) {
      listeners.add(listener);
      subscribed ??= subscriber.subscribe(name, ackChannel).then(() => {
        connected = true;
      });
      startHealthChecks();
      await subscribed;
      return async () => {
        listeners.delete(listener);
        if (listeners.size > 0) return;
        connected = false;
        clearInterval(timer ?? undefined);
        timer = null;
        stopReconnecting();
        subscriber.disconnect();
      };
    },
  };
}
