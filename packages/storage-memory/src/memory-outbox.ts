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

/** A JSON copy: what the outbox hands out can never alias what it keeps (as a real backend's would not). */
const copy = <T>(value: T): T => structuredClone(value);

/**
 * The in-process event outbox and webhook registry (the embedded default): delivery survives a
 * receiver's outage but not the process; use the Redis outbox to survive a crash. Queues, leases and
 * settlement follow `EventOutbox`'s contract exactly, so the dispatcher behaves the same on every
 * backend.
 */
export function memoryEventOutbox(): EventOutbox {
  const webhooks = new Map<string, Map<string, StoredWebhook>>();
  const queues = new Map<string, OutboxEntry[]>();
  /** queue → when its head is due (or when its lease lapses). */
  const due = new Map<string, number>();
  // queue → the owner holding it; when the lease lapses is `due`'s business.
  const leases = new Map<string, string>();
  const failed = new Map<string, OutboxEntry[]>();
  const failedKey = (clientId: string, webhookId: string) => `${clientId}\n${webhookId}`;
  /** Puts a given-up entry first in its webhook's failed list, which keeps the newest FAILED_KEPT_PER_WEBHOOK. */
  const addFailed = (entry: OutboxEntry) => {
    const key = failedKey(entry.clientId, entry.webhookId);
    const list = failed.get(key) ?? [];
    list.unshift(entry);
    list.length = Math.min(list.length, FAILED_KEPT_PER_WEBHOOK);
    failed.set(key, list);
  };

  return {
    name: "memory",
    async saveWebhook(webhook) {
      const mine = webhooks.get(webhook.clientId) ?? new Map<string, StoredWebhook>();
      if (mine.has(webhook.webhookId))
        throw new CredkitError("CONFLICT", `Webhook "${webhook.webhookId}" exists`);
      if (mine.size >= MAX_WEBHOOKS_PER_CLIENT) throw webhookLimitReached(webhook.clientId);
      mine.set(webhook.webhookId, copy(webhook));
      webhooks.set(webhook.clientId, mine);
    },
    async listWebhooks(clientId) {
      return [...(webhooks.get(clientId)?.values() ?? [])].map(copy);
    },
    async getWebhook(clientId, webhookId) {
      const found = webhooks.get(clientId)?.get(webhookId);
      return found ? copy(found) : null;
    },
    async listAllWebhooks() {
      return [...webhooks.values()].flatMap((mine) => [...mine.values()].map(copy));
    },
    async replaceWebhookSecret(clientId, webhookId, expectedSecret, secret) {
      const found = webhooks.get(clientId)?.get(webhookId);
      if (found?.secret !== expectedSecret) return false;
      found.secret = secret;
      return true;
    },
    async deleteWebhook(clientId, webhookId) {
      const deleted = webhooks.get(clientId)?.delete(webhookId) ?? false;
      // Stryker disable next-line ConditionalExpression: an absent webhook has failed entries only if entries named an id never saved; those are orphans either way
      if (deleted) failed.delete(failedKey(clientId, webhookId));
      return deleted;
    },
    async enqueue(entries) {
      const failedAt = new Date().toISOString();
      for (const entry of entries) {
        const queue = queues.get(entry.queue) ?? [];
        if (queue.length >= MAX_ENTRIES_PER_QUEUE) {
          addFailed(queueFull(copy(entry), failedAt));
          continue;
        }
        queue.push(copy(entry));
        queues.set(entry.queue, queue);
        if (!due.has(entry.queue)) due.set(entry.queue, entry.nextAttemptAt);
      }
    },
    async claim(owner, now, leaseMs, limit) {
      const claimed: OutboxEntry[] = [];
      for (const [queue, at] of due) {
        if (claimed.length >= limit) break;
        if (at > now) continue;
        // Stryker disable next-line OptionalChaining: a due queue is always in `queues` (enqueue sets both, settle deletes both)
        const head = queues.get(queue)?.[0];
        // Stryker disable next-line all: unreachable through the API: settle drops a queue from `due` when it empties it
        if (!head) {
          due.delete(queue);
          continue;
        }
        leases.set(queue, owner);
        due.set(queue, now + leaseMs); // hidden from other owners until the lease lapses
        claimed.push(copy(head));
      }
      return claimed;
    },
    async settle(entry, owner, settlement) {
      const queue = queues.get(entry.queue);
      // Stryker disable next-line OptionalChaining: a leased queue has a head (only settle removes one, and it drops the lease first)
      if (leases.get(entry.queue) !== owner || queue?.[0]?.deliveryId !== entry.deliveryId) return false;
      leases.delete(entry.queue);
      const head = queue[0] as OutboxEntry;
      if (settlement.outcome === "retry") {
        queue[0] = {
          ...head,
          attempts: head.attempts + 1,
          nextAttemptAt: settlement.nextAttemptAt,
          lastError: settlement.error,
        };
        due.set(entry.queue, settlement.nextAttemptAt);
        return true;
      }
      queue.shift();
      if (settlement.outcome === "failed") {
        addFailed({
          ...head,
          attempts: head.attempts + 1,
          lastError: settlement.error,
          failedAt: settlement.failedAt,
        });
      }
      // Stryker disable next-line ConditionalExpression,EqualityOperator: memory only: claim drops a due queue that has no head
      if (queue.length > 0) {
        due.set(entry.queue, 0);
        return true;
      }
      queues.delete(entry.queue);
      due.delete(entry.queue);
      return true;
    },
    async listFailed(clientId, webhookId, limit) {
      return (failed.get(failedKey(clientId, webhookId)) ?? []).slice(0, limit).map(copy);
    },
  } satisfies EventOutbox;
}
