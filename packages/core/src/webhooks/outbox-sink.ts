import { pooledRandomBytes } from "../crypto/random-pool.js";
import type { EventSink } from "../events/event-bus.js";
import type { EventOutbox, OutboxEntry } from "./outbox.js";

/**
 * The event sink that fans each event out to the webhooks of its client subscribed to its type: one
 * outbox entry per (event, webhook), queued per webhook and credential so each receiver gets one
 * credential's events in order. `onEnqueued` lets an in-process dispatcher start at once.
 */
export function outboxEventSink(outbox: EventOutbox, onEnqueued?: () => void): EventSink {
  return {
    async publish(events) {
      const entries: OutboxEntry[] = [];
      const byClient = new Map<string, Awaited<ReturnType<EventOutbox["listWebhooks"]>>>();
      for (const event of events) {
        const { clientId, credentialId } = event.data;
        let webhooks = byClient.get(clientId);
        if (!webhooks) {
          webhooks = await outbox.listWebhooks(clientId);
          byClient.set(clientId, webhooks);
        }
        for (const webhook of webhooks) {
          if (!webhook.eventTypes.includes(event.type)) continue;
          entries.push({
            deliveryId: `dlv_${pooledRandomBytes(16).toString("base64url")}`,
            clientId,
            webhookId: webhook.webhookId,
            queue: `${webhook.webhookId}/${credentialId}`,
            event,
            attempts: 0,
            nextAttemptAt: 0, // due at once
          });
        }
      }
      if (entries.length === 0) return;
      await outbox.enqueue(entries);
      onEnqueued?.();
    },
  };
}
