import type { Invalidation, InvalidationChannel, InvalidationListener } from "@credkit/core";
import type { Redis } from "ioredis";
import type { RedisClient } from "./run-script.js";

/** Configuration of {@link redisInvalidationChannel}. */
export interface RedisInvalidationChannelConfig {
  /** The client that publishes (usually the store's own client). Never closed by the channel. */
  client: RedisClient;
  /**
   * A dedicated connection for SUBSCRIBE (a connection in subscriber mode can run nothing else), e.g.
   * `client.duplicate()`. The channel owns it: `close` of the subscription disconnects it.
   */
  subscriber: RedisClient;
  /** The pub/sub channel name; processes sharing a store must use the same one. Default `credkit:invalidate`. */
  channel?: string | undefined;
  /**
   * Milliseconds between PINGs on a standalone subscriber connection: one that fails (the subscriber's
   * `commandTimeout`) resets the listeners and reconnects it, so a connection that stopped delivering
   * without closing is noticed. 0 disables it; not used on a Cluster (its PING goes to any node).
   * Default 5000.
   */
  healthCheckMs?: number | undefined;
}

/** Default of {@link RedisInvalidationChannelConfig.channel}. */
export const defaultInvalidationChannel = "credkit:invalidate";

// Client and credential ids never contain a newline (see `isValidClientId`, `newCredentialId`).
const encode = (event: Invalidation) => `${event.clientId}\n${event.credentialId}`;

function decode(message: string): Invalidation | null {
  const split = message.indexOf("\n");
  if (split <= 0) return null;
  return { clientId: message.slice(0, split), credentialId: message.slice(split + 1) };
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
 * listeners are reset (their caches fall back to the time bound) and ioredis resubscribes when it is
 * back, after which the listeners are reset again (whatever was published meanwhile was missed).
 */
export function redisInvalidationChannel(config: RedisInvalidationChannelConfig): InvalidationChannel {
  const name = config.channel ?? defaultInvalidationChannel;
  const { client, subscriber } = config;
  const listeners = new Set<InvalidationListener>();
  let subscribed: Promise<void> | null = null;
  let connected = false;
  let timer: NodeJS.Timeout | null = null;

  const dropped = () => {
    if (!connected) return;
    connected = false;
    for (const listener of listeners) listener.reset(false);
  };
  const healthCheckMs = config.healthCheckMs ?? 5000;
  const startHealthChecks = () => {
    if (timer || healthCheckMs <= 0 || subscriber.isCluster) return;
    timer = setInterval(() => {
      if (!connected) return;
      (subscriber as Redis).ping().catch(() => {
        if (!connected) return;
        dropped();
        // Reconnect: "ready" below subscribes again and resets the listeners once more.
        subscriber.disconnect(true);
      });
    }, healthCheckMs);
    timer.unref();
  };

  subscriber.on("message", (channel: string, message: string) => {
    if (channel !== name) return;
    const event = decode(message);
    if (event) for (const listener of listeners) listener.invalidate(event);
  });
  subscriber.on("close", dropped);
  subscriber.on("ready", () => {
    if (connected || subscribed === null) return;
    // ioredis resubscribes by itself on reconnect; asking again is harmless and makes sure of it.
    subscriber.subscribe(name).then(
      () => {
        connected = true;
        for (const listener of listeners) listener.reset(true);
      },
      () => undefined,
    );
  });

  return {
    publish: (event) => publishInvalidation(client, event, name),
    async subscribe(listener) {
      listeners.add(listener);
      subscribed ??= subscriber.subscribe(name).then(() => {
        connected = true;
      });
      startHealthChecks();
      await subscribed;
      return async () => {
        listeners.delete(listener);
        if (listeners.size > 0) return;
        connected = false;
        if (timer) clearInterval(timer);
        timer = null;
        subscriber.disconnect();
      };
    },
  };
}
