export type { WebhookDispatcher, WebhookDispatcherOptions } from "./dispatcher.js";
export { createWebhookDispatcher } from "./dispatcher.js";
export {
  createEventRelay,
  EVENT_RELAY_LEASE,
  type EventRelay,
  type EventRelayOptions,
} from "./event-relay.js";
export type { EventOutbox, OutboxEntry, Settlement, StoredWebhook } from "./outbox.js";
export { FAILED_KEPT_PER_WEBHOOK, MAX_ENTRIES_PER_QUEUE, QUEUE_FULL, queueFull } from "./outbox.js";
export { outboxEventSink } from "./outbox-sink.js";
export { resealWebhooks } from "./reseal-webhooks.js";
export type { RetrySchedule } from "./retry-schedule.js";
export { DEFAULT_RETRY_SCHEDULE, retryDelayMs } from "./retry-schedule.js";
export { newSigningSecret, standardWebhookHeaders } from "./signing.js";
export type { WebhookService, WebhookServiceOptions } from "./webhook-service.js";
export { createWebhookService, WEBHOOK_SECRET_PURPOSE, webhookSecretIdentity } from "./webhook-service.js";
