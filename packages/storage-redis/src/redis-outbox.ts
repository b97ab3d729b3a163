import {
  CredkitError,
  type EventOutbox,
  FAILED_KEPT_PER_WEBHOOK,
  MAX_ENTRIES_PER_QUEUE,
  MAX_WEBHOOKS_PER_CLIENT,
  type OutboxEntry,
  queueFull,
  type StoredWebhook,
  webhookLimitReached,
} from "@credkit/core";
import { guardRedis } from "./guard.js";
import { defaultKeyPrefix } from "./keys.js";
import {
  claimScript,
  enqueueScript,
  replaceSecretScript,
  saveWebhookScript,
  settleScript,
} from "./outbox-scripts.js";
import { type RedisClient, runScript } from "./run-script.js";

/** Configuration of {@link redisEventOutbox}. */
export interface RedisEventOutboxConfig {
  /** The ioredis client (`Redis` or `Cluster`), owned by the caller. */
  client: RedisClient;
  /** Prepended to every key (no `{` or `}`). Default `"credkit:"`, the store's. */
  keyPrefix?: string | undefined;
  /** Upper bound in milliseconds on every call (STORAGE_UNAVAILABLE past it). 0 disables it. Default 5000. */
  timeoutMs?: number | undefined;
}

/**
 * The event outbox and webhook registry in Redis: entries survive a crash of every credkit process
 * (as durable as the Redis server's own persistence), and many processes share it, each entry going
 * to one of them at a time (Lua scripts claim and settle atomically). Every key carries the hash tag
 * `{events}` (`P{events}:due`, `P{events}:q:<queue>`, `P{events}:lease:<queue>`,
 * `P{events}:wh:<clientId>`, `P{events}:wh-clients`, `P{events}:failed:<clientId>/<webhookId>`), so the scripts are atomic on
 * a Redis Cluster too (the outbox lives on one slot).
 */
export function redisEventOutbox(config: RedisEventOutboxConfig): EventOutbox {
  const prefix = config.keyPrefix ?? defaultKeyPrefix;
  if (prefix.includes("{") || prefix.includes("}")) {
    throw new CredkitError("CONFIGURATION_ERROR", "The Redis keyPrefix must not contain '{' or '}'");
  }
  const { client } = config;
  // guardRedis applies the default (5000) to an absent timeoutMs.
  const { timeoutMs } = config;
  const base = `${prefix}{events}:`;
  const due = `${base}due`;
  const webhooksKey = (clientId: string) => `${base}wh:${clientId}`;
  // The clients that have (or had) a webhook: what the key-rotation job walks.
  const clientsKey = `${base}wh-clients`;
  const failedSuffix = (clientId: string, webhookId: string) => `${clientId}/${webhookId}`;
  const guard = <T>(op: () => Promise<T>) => guardRedis("redis outbox", op, timeoutMs);
  const parse = <T>(json: string) => JSON.parse(json) as T;

  return {
    name: "redis",
    saveWebhook: (webhook) =>
      guard(async () => {
        const saved = await runScript(
          client,
          saveWebhookScript,
          [due, webhooksKey(webhook.clientId), clientsKey],
          [webhook.webhookId, JSON.stringify(webhook), MAX_WEBHOOKS_PER_CLIENT, webhook.clientId],
        );
        if (saved === 0) throw new CredkitError("CONFLICT", `Webhook "${webhook.webhookId}" exists`);
        if (saved === -1) throw webhookLimitReached(webhook.clientId);
      }),
    listAllWebhooks: () =>
      guard(async () => {
        const all: StoredWebhook[] = [];
        for (const clientId of await client.smembers(clientsKey)) {
          all.push(...(await client.hvals(webhooksKey(clientId))).map((json) => parse<StoredWebhook>(json)));
        }
        return all;
      }),
    replaceWebhookSecret: (clientId, webhookId, expectedSecret, secret) =>
      guard(
        async () =>
          (await runScript(
            client,
            replaceSecretScript,
            [due, webhooksKey(clientId)],
            [webhookId, expectedSecret, secret],
          )) === 1,
      ),
    listWebhooks: (clientId) =>
      guard(async () =>
        (await client.hvals(webhooksKey(clientId)))
          .map((json) => parse<StoredWebhook>(json))
          .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.webhookId.localeCompare(b.webhookId)),
      ),
    getWebhook: (clientId, webhookId) =>
      guard(async () => {
        const json = await client.hget(webhooksKey(clientId), webhookId);
        // Stryker disable next-line ConditionalExpression: JSON.parse(null) is null too
        return json === null ? null : parse<StoredWebhook>(json);
      }),
    deleteWebhook: (clientId, webhookId) =>
      guard(async () => {
        const deleted = (await client.hdel(webhooksKey(clientId), webhookId)) === 1;
        if (deleted) await client.del(`${base}failed:${failedSuffix(clientId, webhookId)}`);
        return deleted;
      }),
    enqueue: (entries) =>
      guard(async () => {
        if (entries.length === 0) return;
        const failedAt = new Date().toISOString();
        const args = entries.flatMap((e) => [
          e.queue,
          JSON.stringify(e),
          e.nextAttemptAt,
          JSON.stringify(queueFull(e, failedAt)),
          failedSuffix(e.clientId, e.webhookId),
        ]);
        await runScript(
          client,
          enqueueScript,
          [due],
          [MAX_ENTRIES_PER_QUEUE, FAILED_KEPT_PER_WEBHOOK, ...args],
        );
      }),
    claim: (owner, now, leaseMs, limit) =>
      guard(async () => {
        const heads = (await runScript(client, claimScript, [due], [owner, now, leaseMs, limit])) as string[];
        return heads.map((json) => parse<OutboxEntry>(json));
      }),
    settle: (entry, owner, settlement) =>
      guard(async () => {
        const attempted = { ...entry, attempts: entry.attempts + 1 };
        const next =
          settlement.outcome === "retry"
            ? { ...attempted, nextAttemptAt: settlement.nextAttemptAt, lastError: settlement.error }
            : // Stryker disable next-line ConditionalExpression: the script never reads a done entry's JSON
              settlement.outcome === "failed"
              ? { ...attempted, lastError: settlement.error, failedAt: settlement.failedAt }
              : entry;
        const settled = await runScript(
          client,
          settleScript,
          [due],
          [
            owner,
            entry.queue,
            entry.deliveryId,
            settlement.outcome,
            JSON.stringify(next),
            // Stryker disable next-line ConditionalExpression: the script reads the due time of a retry only
            settlement.outcome === "retry" ? settlement.nextAttemptAt : 0,
            failedSuffix(entry.clientId, entry.webhookId),
            FAILED_KEPT_PER_WEBHOOK,
          ],
        );
        return settled === 1;
      }),
    listFailed: (clientId, webhookId, limit) =>
      guard(async () =>
        (await client.lrange(`${base}failed:${failedSuffix(clientId, webhookId)}`, 0, limit - 1)).map(
          (json) => parse<OutboxEntry>(json),
        ),
      ),
  } satisfies EventOutbox;
}
