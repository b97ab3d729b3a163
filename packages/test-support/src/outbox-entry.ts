import { randomUUID } from "node:crypto";
import type { OutboxEntry } from "@credkit/core";

/** A due `credential.created` entry for the webhook, in a queue of its own (a fresh credential id). */
export function outboxEntry(clientId: string, webhookId: string): OutboxEntry {
  const credentialId = `eu-west-1.${randomUUID()}`;
  return {
    deliveryId: `dlv_${randomUUID()}`,
    clientId,
    webhookId,
    queue: `${webhookId}/${credentialId}`,
    event: {
      id: `evt_${randomUUID()}`,
      type: "credential.created",
      timestamp: new Date().toISOString(),
      data: {
        clientId,
        credentialId,
        credentialName: "n",
        credentialType: "proxy",
        credentialAuthType: "apiKey",
        credentialRegion: "eu-west-1",
        credentialVersion: 1,
        credentialExpiresAt: null,
      },
    },
    attempts: 0,
    nextAttemptAt: 0,
  };
}
