import type { RedisClient } from "./run-script.js";

/** Configuration of {@link redisStore}. */
export interface RedisStoreConfig {
  /**
   * The ioredis client (`Redis` or `Cluster`), created and owned by the caller: the store never closes
   * it. Create it with `redisClientOptions()` / `redisClusterOptions()` so calls fail fast when Redis is
   * down.
   */
  client: RedisClient;
  /**
   * Prepended to every key; isolates deployments (and test runs) sharing one Redis. Must not contain
   * `{` or `}`. Default `"credkit:"`.
   */
  keyPrefix?: string | undefined;
  /**
   * Upper bound in milliseconds on every store call, a backstop behind the client's own timeouts (an
   * ioredis `Cluster` queues commands without a timeout while it reconnects). The call then rejects with
   * `STORAGE_UNAVAILABLE`; a write may still land later, as with any timeout. 0 disables it. Default 5000.
   */
  timeoutMs?: number | undefined;
  /**
   * How long, in milliseconds, the store remembers that it added a client id to the `Pclients` set that
   * `scan` walks, and so skips re-adding it on create (one round trip instead of two). Entries are never
   * removed from that set, so remembering can only delay the repair of a set lost on the server. 0 adds
   * it before every create. Default 60000.
   */
  registryMemoryMs?: number | undefined;
  /**
   * Replicas that must confirm each write of a credential record (create, update, delete, consume)
   * before the store reports it done: the write is followed by `WAIT waitReplicas waitTimeoutMs` on the
   * same connection (on a cluster, the node owning the client's slot). When fewer confirm in time the
   * call rejects with `STORAGE_UNAVAILABLE`: a consume then spends nothing for its caller, a delete or
   * update is not acknowledged (it is on the primary and may or may not survive a failover; retrying is
   * safe). 0 sends no `WAIT` (a primary without replicas). Default 0.
   */
  waitReplicas?: number | undefined;
  /**
   * Milliseconds a `WAIT` may block (1-60000). `WAIT` blocks the connection, so the store's other
   * calls on it queue behind it: keep it well below the client's `commandTimeout` and `timeoutMs`.
   * Default 500.
   */
  waitTimeoutMs?: number | undefined;
  /** The clock used for `expiresAt` checks, in epoch milliseconds. Default `Date.now`. */
  now?: (() => number) | undefined;
}

/** Default of {@link RedisStoreConfig.registryMemoryMs}. */
export const defaultRegistryMemoryMs = 60_000;

/** Default of {@link RedisStoreConfig.timeoutMs}. */
export const defaultTimeoutMs = 5000;

/** Default of {@link RedisStoreConfig.waitTimeoutMs}. */
export const defaultWaitTimeoutMs = 500;
