import type { StoredWebhook } from "@credkit/core";
import { makeWebhook } from "@credkit/storage-test-suite";

/** A webhook of `clientId` as the server stores it (its signing secret a sealed placeholder). */
export function storedWebhook(
  clientId: string,
  webhookId: string,
  createdAt: string = new Date().toISOString(),
): StoredWebhook {
  return makeWebhook(clientId, { webhookId, createdAt });
}
