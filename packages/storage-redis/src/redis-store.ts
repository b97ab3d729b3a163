import {
  type CredentialStore,
  CredkitError,
  type DriverPage,
  defineCredentialStore,
  invalidCursor,
  type StoreDriver,
  type StoredCredential,
  type StorePosition,
  type WriteEvents,
} from "@credkit/core";
import type { Cluster } from "ioredis";
import { clientRegistry } from "./client-registry.js";
import {
  defaultRegistryMemoryMs,
  defaultTimeoutMs,
  defaultWaitTimeoutMs,
  type RedisStoreConfig,
} from "./config.js";
import { guardRedis } from "./guard.js";
import { defaultKeyPrefix, redisKeys } from "./keys.js";
import { redisPendingEvents } from "./pending-events.js";
import { parseRecord, recordArgs } from "./record-codec.js";
import { type ReplicaWait, runScript, runScriptAndWait } from "./run-script.js";
import {
  acquireLeaseScript,
  createScript,
  findByLookupScript,
  findByLookupsScript,
  listScript,
  releaseLeaseScript,
  takeScript,
  updateScript,
} from "./scripts.js";

const storeName = "redis" as const;

// A scan page stops after this many script calls even if it is not full (the contract allows short
// pages), so one call stays bounded when many clients hold nothing live.
const maxScanSteps = 16;

/** The Redis store: `redisStore({ client })`. See the package README for key layout and costs. */
export type RedisStore = CredentialStore & { readonly name: "redis" };

/**
 * Creates a {@link CredentialStore} on an injected ioredis client (standalone or Cluster). Every key of
 * one client shares the hash tag `{c:<base64url clientId>}` and every multi-key write is one Lua script, so
 * each operation is atomic on a cluster too. The store never reads env vars and never closes the client.
 * Built by core's `defineCredentialStore`, which applies the rules every store shares; the scripts
 * restate only the expiry rule, where an atomic write must agree with it.
 */
export function redisStore(config: RedisStoreConfig): RedisStore {
  const { client } = config;
  const keys = redisKeys(config.keyPrefix ?? defaultKeyPrefix);
  const timeoutMs = config.timeoutMs ?? defaultTimeoutMs;
  const now = config.now ?? Date.now;
  const wait = replicaWait(config);
  const pending = redisPendingEvents(client, keys);
  const registry = clientRegistry(client, keys.clients(), config.registryMemoryMs ?? defaultRegistryMemoryMs);

  // Every call goes through here (see guardRedis): ioredis failures and the backstop timeout become
  // STORAGE_UNAVAILABLE with the original as `cause`.
  const guarded = <T>(op: () => Promise<T>): Promise<T> => guardRedis(storeName, op, timeoutMs);

  function clientKeys(clientId: string, credentialId: string): string[] {
    return [keys.ids(clientId), keys.record(clientId, credentialId)];
  }

  async function take(
    clientId: string,
    credentialId: string,
    events: WriteEvents | undefined,
  ): Promise<StoredCredential | null> {
    const json = await pending.indexed(clientId, events, () =>
      runScriptAndWait(
        client,
        takeScript,
        clientKeys(clientId, credentialId),
        [credentialId, now(), ...pending.args(clientId, events)],
        wait,
      ),
    );
    return isNil(json) ? null : parseRecord(json);
  }

  async function listPage(
    clientId: string,
    after: string | null,
    limit: number,
    includeTemporary: boolean,
  ): Promise<{ items: StoredCredential[]; last: string | null; more: boolean }> {
    const at = now();
    const reply = await runScript(
      client,
      listScript,
      [keys.ids(clientId)],
      [
        after === null ? "-" : `(${after}`,
        limit,
        // Stryker disable next-line StringLiteral: the script compares ARGV[3] with '1' only: "0" and "" both leave temporary records out
        includeTemporary ? "1" : "0",
        at,
      ],
    );
    const [jsons, last, more] = listReply(reply);
    return { items: jsons.map(parseRecord), last, more };
  }

  // Client ids after `after` in byte order, a batch at a time: one round trip serves many scan steps.
  function clientsAfter(after: string | null): Promise<string[]> {
    const start = after === null ? "-" : `(${after}`;
    return client.zrangebylex(keys.clients(), start, "+", "LIMIT", 0, maxScanSteps);
  }

  const driver = {
    name: storeName,

    create: (record, events) =>
      guarded(async () => {
        const args = recordArgs(record);
        // Registered before the record exists, and never removed: the set can only over-report, which
        // costs scan an empty step, while the reverse order could hide a record from re-encryption.
        await registry.register(record.clientId);
        const code = await pending.indexed(record.clientId, events, () =>
          runScriptAndWait(
            client,
            createScript,
            clientKeys(record.clientId, record.credentialId),
            [
              record.credentialId,
              args.json,
              record.version,
              args.expiresAt,
              args.lookupHash,
              args.temporary,
              now(),
              ...pending.args(record.clientId, events),
            ],
            wait,
          ),
        );
        if (code === 1) throw new CredkitError("CONFLICT", "A credential with this id already exists");
        if (code === 2) {
          throw new CredkitError("CONFLICT", "Another credential of this client has the same lookup hash");
        }
        if (code !== 0) throw new Error(`Unexpected reply from the create script: ${String(code)}`);
      }),

    get: (clientId, credentialId) =>
      guarded(async () => {
        const json = await client.hget(keys.record(clientId, credentialId), "r");
        return json === null ? null : parseRecord(json);
      }),

    list: (clientId, options) =>
      guarded(async (): Promise<DriverPage> => {
        const [after = null] = positionOf(options.after, 1, 1);
        const page = await listPage(clientId, after, options.limit, options.includeTemporary);
        // Stryker disable next-line ConditionalExpression,LogicalOperator: performance only: a cursor after a short page costs one empty page, which the contract allows
        return { items: page.items, next: page.more && page.last !== null ? [page.last] : null };
      }),

    update: (next, expectedVersion, _previousLookupHash, events) =>
      guarded(async () => {
        const args = recordArgs(next);
        const reply = await pending.indexed(next.clientId, events, () =>
          runScriptAndWait(
            client,
            updateScript,
            clientKeys(next.clientId, next.credentialId),
            [
              next.credentialId,
              args.json,
              expectedVersion,
              next.version,
              args.expiresAt,
              args.lookupHash,
              args.temporary,
              now(),
              ...pending.args(next.clientId, events),
            ],
            wait,
          ),
        );
        // The script always answers a table: any other reply fails here (not iterable) or as an unknown code.
        const [code, storedVersion] = reply as unknown[];
        if (code === 0) return null;
        if (code === 1) return next;
        if (code === 2) {
          throw new CredkitError("VERSION_CONFLICT", "The credential was changed by someone else", {
            errors: [{ path: "version", message: `The stored version is ${String(storedVersion)}` }],
          });
        }
        if (code === 3) {
          throw new CredkitError("CONFLICT", "Another credential of this client has the same lookup hash");
        }
        throw new Error(`Unexpected reply from the update script: ${String(code)}`);
      }),

    delete: (clientId, credentialId, events) =>
      guarded(async () => (await take(clientId, credentialId, events)) !== null),

    consume: (clientId, credentialId, events) => guarded(() => take(clientId, credentialId, events)),

    pendingEvents: (limit) => guarded(() => pending.read(limit)),

    removePendingEvents: (events) => guarded(() => pending.remove(events)),

    findByLookup: (clientId, lookupHash) =>
      guarded(async () => {
        const json = await runScript(
          client,
          findByLookupScript,
          [keys.ids(clientId), keys.lookup(clientId, lookupHash)],
          [lookupHash, now()],
        );
        return isNil(json) ? null : parseRecord(json);
      }),

    findByLookups: (clientId, lookupHashes) =>
      guarded(async () => {
        const jsons = (await runScript(
          client,
          findByLookupsScript,
          [keys.ids(clientId)],
          [now(), ...lookupHashes],
        )) as unknown[];
        return lookupHashes.map((_, i) => (isNil(jsons[i]) ? null : parseRecord(jsons[i])));
      }),

    scan: (options) =>
      guarded(async (): Promise<DriverPage> => {
        const { limit } = options;
        // A scan position is [client] (from its first id) or [client, last id returned].
        const start = options.after === undefined ? null : positionOf(options.after, 1, 2);
        const queue = start === null ? await clientsAfter(null) : [];
        let clientId = start === null ? (queue.shift() ?? null) : (start[0] as string);
        let after = start?.[1] ?? null;
        const items: StoredCredential[] = [];
        // Stryker disable next-line UpdateOperator: bounds the work of one call only: an unbounded loop returns the same records
        for (let step = 1; clientId !== null; step++) {
          const page = await listPage(clientId, after, limit - items.length, true);
          items.push(...page.items);
          // Stryker disable next-line ConditionalExpression,LogicalOperator: performance only: resuming a finished client costs one empty step
          if (page.more && page.last !== null) {
            after = page.last;
          } else {
            if (queue.length === 0) queue.push(...(await clientsAfter(clientId)));
            clientId = queue.shift() ?? null;
            after = null;
          }
          // Stryker disable next-line ConditionalExpression,EqualityOperator: bounds the work of one call only; short pages are allowed
          if (items.length >= limit || step >= maxScanSteps) break;
        }
        return { items, next: clientId === null ? null : after === null ? [clientId] : [clientId, after] };
      }),

    acquireLease: (name, owner, ttlMs) =>
      guarded(
        async () =>
          (await runScript(client, acquireLeaseScript, [keys.lease(name)], [owner, wholeMs(ttlMs)])) === 1,
      ),

    releaseLease: (name, owner) =>
      guarded(async () => (await runScript(client, releaseLeaseScript, [keys.lease(name)], [owner])) === 1),

    ping: () =>
      guarded(async () => {
        // On a cluster every master must answer: a store with an unreachable slot range is not ready.
        const masters = client.isCluster ? (client as Cluster).nodes("master") : [];
        if (masters.length === 0) await client.ping();
        else await Promise.all(masters.map((node) => node.ping()));
      }),

    // The store owns no timers or connections: the injected client is its caller's to close.
    close: async () => {},
  } satisfies StoreDriver;
  return defineCredentialStore(driver, { now });
}

// Checked once at construction: a bad value is the embedder's configuration error, not an outage.
function replicaWait(config: RedisStoreConfig): ReplicaWait {
  const replicas = config.waitReplicas ?? 0;
  const timeoutMs = config.waitTimeoutMs ?? defaultWaitTimeoutMs;
  if (!Number.isInteger(replicas) || replicas < 0 || replicas > 16) {
    throw new CredkitError("CONFIGURATION_ERROR", "waitReplicas must be an integer from 0 to 16");
  }
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 60_000) {
    throw new CredkitError("CONFIGURATION_ERROR", "waitTimeoutMs must be an integer from 1 to 60000");
  }
  return { replicas, timeoutMs };
}

// PX takes whole milliseconds; rounding up never shortens a lease.
function wholeMs(ttlMs: number): number {
  return Math.ceil(ttlMs);
}

/** A position this store returned, of `min` to `max` strings; core's cursor error otherwise. */
function positionOf(after: StorePosition | undefined, min: number, max: number): string[] {
  if (after === undefined) return [];
  if (after.length < min || after.length > max) throw invalidCursor();
  return [...after];
}

// Lua `false` is a nil reply from Redis; ioredis-mock passes it through as `false`.
function isNil(reply: unknown): boolean {
  // Stryker disable next-line ConditionalExpression: ioredis answers null (real Redis) or false (ioredis-mock), never undefined
  return reply === null || reply === undefined || reply === false;
}

// The list script answers {more, lastScannedId|nil, json...}; anything else is a broken server or script.
function listReply(reply: unknown): [unknown[], string | null, boolean] {
  if (!Array.isArray(reply) || reply.length < 2) throw new Error("Unexpected reply from the list script");
  const [more, last, ...jsons] = reply as unknown[];
  // Stryker disable next-line ConditionalExpression: the script answers a nil last id (null, or false from ioredis-mock) only with more 0, when no caller reads it
  const lastRead = typeof last === "string" ? last : null;
  return [jsons, lastRead, more === 1];
}
