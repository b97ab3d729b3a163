import { CredkitError } from "../errors.js";
import type { AnyCredkitEvent, EventType } from "../events/event-types.js";
import { MAX_WEBHOOKS_PER_CLIENT } from "../schemas/webhooks.js";

/** A webhook subscription as it lies at rest: its signing secret is an encrypted envelope. */
export interface StoredWebhook {
  clientId: string;
  /** `wh_` + 22 base64url characters. */
  webhookId: string;
  url: string;
  eventTypes: EventType[];
  /** The Standard Webhooks signing secret (`whsec_...`), sealed like a credential's secret. */
  secret: string;
  /** The user who created it. */
  userId: string;
  /** ISO-8601 UTC. */
  createdAt: string;
}

/** One event to deliver to one webhook: an entry of the outbox. */
export interface OutboxEntry {
  /** `dlv_` + 22 base64url characters. */
  deliveryId: string;
  clientId: string;
  webhookId: string;
  /**
   * The ordering queue: entries of one queue are delivered one after another, in the order they were
   * enqueued (`<webhookId>/<credentialId>`: in order per credential and receiver).
   */
  queue: string;
  event: AnyCredkitEvent;
  /** Delivery attempts made so far. */
  attempts: number;
  /** Epoch milliseconds before which the entry is not attempted (again). */
  nextAttemptAt: number;
  /** Why the last attempt failed (`http_500`, `timeout`, ...): never the receiver's body. */
  lastError?: string;
  /** ISO-8601 UTC, set when the entry was given up on. */
  failedAt?: string;
}

/** What became of a claimed entry. */
export type Settlement =
  | { outcome: "delivered" }
  | { outcome: "retry"; nextAttemptAt: number; error: string }
  | { outcome: "failed"; error: string; failedAt: string };

/**
 * The durable outbox and webhook registry of one deployment (memory, Redis; see docs/events.md for
 * what each keeps across a crash). Every method is required and async; backend failures throw
 * `STORAGE_UNAVAILABLE` with the cause. Times are epoch milliseconds.
 *
 * Delivery contract: an entry is claimed by one owner at a time (a lease of `leaseMs` on its queue);
 * only the head of a queue is ever claimed, so a queue's entries go out strictly one after another;
 * an entry leaves the queue only when its owner settles it `delivered` or `failed`. An owner that dies
 * leaves its lease to lapse, and the entry is claimed again: at least once.
 */
export interface EventOutbox {
  /** Short backend name, e.g. `memory`, `redis`. */
  readonly name: string;
  /**
   * Stores a new webhook: CONFLICT when its id exists, or when its client already has
   * `MAX_WEBHOOKS_PER_CLIENT` ({@link webhookLimitReached}). The count and the write are one atomic
   * step: of concurrent saves for one client, never more than the bound succeed.
   */
  saveWebhook(webhook: StoredWebhook): Promise<void>;
  /** A client's webhooks, oldest first. */
  listWebhooks(clientId: string): Promise<StoredWebhook[]>;
  /** One webhook, or null. */
  getWebhook(clientId: string, webhookId: string): Promise<StoredWebhook | null>;
  /** Every webhook of every client, in no particular order (for the key-rotation job). */
  listAllWebhooks(): Promise<StoredWebhook[]>;
  /**
   * Replaces a webhook's sealed signing secret with `secret` (the same secret sealed anew), only while
   * the stored one is still `expectedSecret`: false, nothing written, when it changed or the webhook is
   * gone.
   */
  replaceWebhookSecret(
    clientId: string,
    webhookId: string,
    expectedSecret: string,
    secret: string,
  ): Promise<boolean>;
  /** Deletes a webhook (its queued entries are dropped when they come up). True if it existed. */
  deleteWebhook(clientId: string, webhookId: string): Promise<boolean>;
  /**
   * Appends every entry at the tail of its queue, all in one atomic step. A queue holds at most
   * {@link MAX_ENTRIES_PER_QUEUE} entries: an entry whose queue is full goes to its webhook's failed
   * list instead ({@link queueFull}: `lastError` `queue_full`, no attempt made), in the same step.
   */
  enqueue(entries: readonly OutboxEntry[]): Promise<void>;
  /**
   * Claims the heads of up to `limit` queues whose head is due (`nextAttemptAt <= now`) and that no
   * other owner holds, leasing each queue to `owner` until `now + leaseMs`.
   */
  claim(owner: string, now: number, leaseMs: number, limit: number): Promise<OutboxEntry[]>;
  /**
   * Settles a claimed head, only while `owner` still holds its queue's lease (false otherwise, nothing
   * written): `delivered` removes it, `failed` moves it to its webhook's failed list, `retry` keeps it
   * at the head until `nextAttemptAt`. The lease is released.
   */
  settle(entry: OutboxEntry, owner: string, settlement: Settlement): Promise<boolean>;
  /** A webhook's failed entries, most recent first (at most `limit`; the list keeps the last 1000). */
  listFailed(clientId: string, webhookId: string, limit: number): Promise<OutboxEntry[]>;
}

/** How many failed entries an outbox keeps per webhook. */
export const FAILED_KEPT_PER_WEBHOOK = 1000;

/**
 * The most entries one queue (one credential's events for one webhook) holds. A receiver that never
 * answers keeps its queue's head for the whole retry schedule, so its queue only grows: the bound keeps
 * that growth to one receiver's own failed list, and keeps every queue within what one backend item
 * holds (a DynamoDB item's 400 KB: 100 of the largest entries, about 2 KB each, are half of it).
 */
export const MAX_ENTRIES_PER_QUEUE = 100;

/** The `lastError` of an entry failed at enqueue because its queue already held {@link MAX_ENTRIES_PER_QUEUE}. */
export const QUEUE_FULL = "queue_full";

/** The failed form of an entry its full queue did not take: listed with the webhook's failed deliveries. */
export function queueFull(entry: OutboxEntry, failedAt: string): OutboxEntry {
  return { ...entry, lastError: QUEUE_FULL, failedAt };
}

/** The CONFLICT of a save past `MAX_WEBHOOKS_PER_CLIENT`, the same from every outbox. */
export function webhookLimitReached(clientId: string): CredkitError {
  return new CredkitError(
    "CONFLICT",
    `Client "${clientId}" already has ${MAX_WEBHOOKS_PER_CLIENT} webhooks, the most it may have`,
  );
}
