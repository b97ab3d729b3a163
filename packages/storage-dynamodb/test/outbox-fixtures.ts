import type { AnyCredkitEvent, OutboxEntry, StoredWebhook } from "@credkit/core";
import { makeWebhook } from "@credkit/storage-test-suite";

/** A webhook of `clientId` as the server stores it (its signing secret a sealed placeholder). */
export function storedWebhook(
  clientId: string,
  webhookId: string,
  createdAt: string = new Date().toISOString(),
): StoredWebhook {
  return makeWebhook(clientId, { webhookId, createdAt });
}

/** Delivery `n` of an event of `clientId` to its webhook `wh_1`, in `queue`, due at once. */
export function outboxEntry(clientId: string, n: number, queue = "wh_1/cred-a"): OutboxEntry {
  const event = {
    id: "evt_1",
    type: "credential.created",
    timestamp: "2026-01-02T03:04:05.000Z",
    data: { clientId, credentialId: "cred-a" },
  } as unknown as AnyCredkitEvent;
  return { deliveryId: `dlv_${n}`, clientId, webhookId: "wh_1", queue, event, attempts: 0, nextAttemptAt: 0 };
}
