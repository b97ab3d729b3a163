import {
  type AddressPolicy,
  createWebhookDispatcher,
  createWebhookService,
  type EventOutbox,
  type EventSink,
  type Keyring,
  type OutboundFetch,
  outboxEventSink,
  type WebhookDispatcher,
  type WebhookService,
} from "@credkit/core";
import { dynamoDbEventOutbox } from "@credkit/storage-dynamodb";
import { memoryEventOutbox } from "@credkit/storage-memory";
import { redisEventOutbox } from "@credkit/storage-redis";
import type { Logger } from "pino";
import type { OpenedStores } from "./stores.js";

/** The server's events plumbing: the outbox, the sink the service writes to, the API and the dispatcher. */
export interface ServerWebhooks {
  outbox: EventOutbox;
  sink: EventSink;
  service: WebhookService;
  dispatcher: WebhookDispatcher;
  close(): Promise<void>;
}

/**
 * Opens the webhook outbox where the other shared state lives: the first Redis store's server, else
 * the first DynamoDB store's table (either way every process shares it, and entries survive a crash),
 * else process memory (a memory-only deployment: delivery survives receivers' outages, not a crash of
 * this process; said once in the log). Every process runs a dispatcher; the outbox hands each entry to one of them at a time.
 *
 * Credential writes store their events in their own store, in the write's atomic step; each pass of
 * the dispatcher first relays those events from every store into the outbox (one process per store at
 * a time), so an event whose process died right after its write is delivered by the next pass of any
 * process.
 */
export function openWebhooks(options: {
  stores: OpenedStores;
  keyring: Keyring;
  fetch: OutboundFetch;
  policy: AddressPolicy;
  logger: Logger;
  delivery: {
    maxAttempts: number;
    baseDelayMs: number;
    pollMs: number;
    batchSize: number;
    perClientInFlight?: number;
  };
}): ServerWebhooks {
  const { stores, keyring, logger } = options;
  const outbox = openOutbox(stores);
  if (outbox.name === "memory") {
    logger.info(
      { outbox: "memory" },
      "webhook outbox in process memory: deliveries pending at a crash are lost (use a Redis or DynamoDB store to keep them)",
    );
  }
  const dispatcher = createWebhookDispatcher({
    outbox,
    stores: Object.values(stores.regions),
    keyring,
    fetch: options.fetch,
    retry: { maxAttempts: options.delivery.maxAttempts, baseDelayMs: options.delivery.baseDelayMs },
    pollMs: options.delivery.pollMs,
    batchSize: options.delivery.batchSize,
    ...(options.delivery.perClientInFlight === undefined
      ? {}
      : { perClientInFlight: options.delivery.perClientInFlight }),
    onAttemptFailed: (entry, error) =>
      logger.warn(
        { webhookId: entry.webhookId, deliveryId: entry.deliveryId, attempts: entry.attempts + 1, error },
        "webhook delivery attempt failed",
      ),
    onLeaseLost: (entry) =>
      logger.warn(
        { webhookId: entry.webhookId, deliveryId: entry.deliveryId },
        "webhook delivery settled after its lease: another process may deliver it again",
      ),
  });
  dispatcher.start();
  return {
    outbox,
    sink: outboxEventSink(outbox, () => dispatcher.wake()),
    service: createWebhookService({ outbox, keyring, policy: options.policy }),
    dispatcher,
    close: () => dispatcher.stop(),
  };
}

/** The outbox of {@link openWebhooks} (and of `credkit rotate`): Redis, else DynamoDB, else memory. */
export function openOutbox(stores: OpenedStores): EventOutbox {
  if (stores.redis) {
    return redisEventOutbox({
      client: stores.redis,
      ...(stores.redisKeyPrefix ? { keyPrefix: stores.redisKeyPrefix } : {}),
    });
  }
  if (stores.dynamodb) return dynamoDbEventOutbox(stores.dynamodb);
  return memoryEventOutbox();
}
