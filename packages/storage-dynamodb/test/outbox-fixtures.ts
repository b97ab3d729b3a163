import type { StoredWebhook } from "@credkit/core";

/** A webhook of `clientId` as the server stores it (its signing secret a sealed placeholder). */
export function storedWebhook(
  clientId: string,
  webhookId: string,
  createdAt: string = new Date().toISOString(),
): StoredWebhook {
  return {
    clientId,
    webhookId,
    url: "https://receiver.example/hook",
    eventTypes: ["credential.created"],
    secret: "ck1.sealed",
    userId: "alice",
    createdAt,
  };
}
