import { randomBytes } from "node:crypto";
import { isIP } from "node:net";
import { assertClientAccess, assertMayWriteCredentials } from "../access.js";
import type { RecordIdentity } from "../crypto/envelope.js";
import type { Keyring } from "../crypto/keyring.js";
import { CredkitError } from "../errors.js";
import type { AddressPolicy } from "../outbound/address-policy.js";
import type { Actor } from "../record.js";
import { parseOrThrow } from "../schemas/parse.js";
import {
  type CreatedWebhook,
  createWebhookBody,
  type FailedDelivery,
  type PublicWebhook,
} from "../schemas/webhooks.js";
import type { EventOutbox, OutboxEntry, StoredWebhook } from "./outbox.js";
import { newSigningSecret } from "./signing.js";

/** The identity purpose webhook signing secrets are sealed with. */
export const WEBHOOK_SECRET_PURPOSE = "webhook-secret";

/** What a webhook's secret envelope is bound to: its client and id (moved elsewhere, it does not open). */
export function webhookSecretIdentity(
  webhook: Pick<StoredWebhook, "clientId" | "webhookId">,
): RecordIdentity {
  return {
    clientId: webhook.clientId,
    credentialId: webhook.webhookId,
    credentialType: "target",
    authType: "none",
    region: "webhook",
    purpose: WEBHOOK_SECRET_PURPOSE,
  };
}

/** Webhook subscriptions per client: create (secret shown once), list, delete, failed deliveries. */
export interface WebhookService {
  create(actor: Actor, clientId: string, body: unknown): Promise<CreatedWebhook>;
  list(actor: Actor, clientId: string): Promise<PublicWebhook[]>;
  delete(actor: Actor, clientId: string, webhookId: string): Promise<void>;
  /** The deliveries to this webhook that were given up on, most recent first (at most 100). */
  failedDeliveries(actor: Actor, clientId: string, webhookId: string): Promise<FailedDelivery[]>;
}

/** The public view of a stored webhook. */
function toPublicWebhook(webhook: StoredWebhook): PublicWebhook {
  return {
    webhookId: webhook.webhookId,
    clientId: webhook.clientId,
    url: webhook.url,
    eventTypes: webhook.eventTypes,
    userId: webhook.userId,
    webhookCreatedAt: webhook.createdAt,
  };
}

/** The public view of a failed outbox entry. */
function toFailedDelivery(entry: OutboxEntry): FailedDelivery {
  return {
    deliveryId: entry.deliveryId,
    webhookId: entry.webhookId,
    eventId: entry.event.id,
    eventType: entry.event.type,
    credentialId: entry.event.data.credentialId,
    attempts: entry.attempts,
    lastError: entry.lastError ?? "unknown",
    failedAt: entry.failedAt ?? "",
  };
}

/**
 * Refuses, at creation, a URL whose host is an IP literal the outbound policy refuses (a name is
 * checked at each delivery, when it resolves: the same connect-time check token endpoints get).
 */
function assertUrlAllowed(policy: AddressPolicy | undefined, url: string): void {
  if (!policy) return;
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  const port = Number(parsed.port || (parsed.protocol === "https:" ? 443 : 80));
  if (isIP(host) !== 0 && !policy.allows(parsed.hostname, host, port)) {
    throw new CredkitError("VALIDATION_ERROR", "Invalid request: url is not allowed by the outbound policy", {
      errors: [
        { path: "url", message: "must not be a loopback, private or link-local address (outbound policy)" },
      ],
    });
  }
}

const notFound = (webhookId: string) => new CredkitError("NOT_FOUND", `Webhook "${webhookId}" not found`);

/** Options of {@link createWebhookService}. */
export interface WebhookServiceOptions {
  outbox: EventOutbox;
  keyring: Keyring;
  /** The outbound address policy deliveries go through; literal addresses it refuses are refused at creation. */
  policy?: AddressPolicy;
  now?: () => number;
}

/** Creates the webhook subscription API over an outbox. */
export function createWebhookService(options: WebhookServiceOptions): WebhookService {
  const { outbox, keyring } = options;
  const now = options.now ?? Date.now;
  return {
    async create(actor, clientId, body) {
      assertClientAccess(actor, clientId);
      assertMayWriteCredentials(actor);
      const input = parseOrThrow(createWebhookBody, body);
      assertUrlAllowed(options.policy, input.url);
      const webhookId = `wh_${randomBytes(16).toString("base64url")}`;
      const secret = newSigningSecret();
      const webhook: StoredWebhook = {
        clientId,
        webhookId,
        url: input.url,
        eventTypes: [...new Set(input.eventTypes)],
        secret: keyring.encrypt(secret, webhookSecretIdentity({ clientId, webhookId })),
        userId: actor.userId,
        createdAt: new Date(now()).toISOString(),
      };
      // The outbox counts and saves in one step (CONFLICT past MAX_WEBHOOKS_PER_CLIENT): a count read
      // here first let concurrent creates all pass it.
      await outbox.saveWebhook(webhook);
      return { ...toPublicWebhook(webhook), signingSecret: secret };
    },
    async list(actor, clientId) {
      assertClientAccess(actor, clientId);
      return (await outbox.listWebhooks(clientId)).map(toPublicWebhook);
    },
    async delete(actor, clientId, webhookId) {
      assertClientAccess(actor, clientId);
      assertMayWriteCredentials(actor);
      if (!(await outbox.deleteWebhook(clientId, webhookId))) throw notFound(webhookId);
    },
    async failedDeliveries(actor, clientId, webhookId) {
      assertClientAccess(actor, clientId);
      if (!(await outbox.getWebhook(clientId, webhookId))) throw notFound(webhookId);
      return (await outbox.listFailed(clientId, webhookId, 100)).map(toFailedDelivery);
    },
  };
}
