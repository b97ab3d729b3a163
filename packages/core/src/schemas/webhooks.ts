import * as z from "zod";
import { eventTypes } from "../events/event-types.js";
import { outboundUrl } from "./fields.js";

/**
 * True when a URL names a user or password: as written (`https://@host`, an empty one the URL parser
 * drops) or as the URL parser reads it (`http:///user:pw@host` is `http://user:pw@host/` to it, and to
 * the request that delivers to it).
 */
function carriesUserInfo(url: string): boolean {
  if (/^[a-z]+:\/\/[^/?#]*@/i.test(url)) return true;
  // A URL that does not parse is refused by `outboundUrl` already.
  if (!URL.canParse(url)) return false;
  const parsed = new URL(url);
  return parsed.username !== "" || parsed.password !== "";
}

/** At most this many webhooks per client: every event is fanned out to each of them. */
export const MAX_WEBHOOKS_PER_CLIENT = 20;

/** Body of `POST /clients/{clientId}/webhooks`. */
export const createWebhookBody = z.strictObject({
  // The URL is shown in every list and log line: a password in it would be a secret echoed. Receivers
  // authenticate deliveries by the signature instead.
  url: outboundUrl
    .refine((url) => !carriesUserInfo(url), "must not carry a user name or password")
    .describe(
      "Where events are POSTed. Must pass the outbound address policy (no loopback, private or link-local address unless allowed) and carry no user name or password",
    ),
  eventTypes: z
    .array(z.enum(eventTypes))
    .min(1, "must name at least one event type")
    .max(eventTypes.length)
    .describe("The event types delivered to this URL"),
});

/** A webhook as the API shows it: never its signing secret (shown once, at creation). */
export const publicWebhook = z.object({
  webhookId: z.string(),
  clientId: z.string(),
  url: z.string(),
  eventTypes: z.array(z.enum(eventTypes)),
  userId: z.string(),
  webhookCreatedAt: z.string().describe("ISO-8601 UTC"),
});
/** See {@link publicWebhook}. */
export type PublicWebhook = z.output<typeof publicWebhook>;

/** The create answer: the webhook and, this one time, its Standard Webhooks signing secret. */
export const createdWebhook = publicWebhook.extend({
  signingSecret: z
    .string()
    .describe("The signing secret (`whsec_...`), shown only in this answer: verify deliveries with it"),
});
/** See {@link createdWebhook}. */
export type CreatedWebhook = z.output<typeof createdWebhook>;

/** A delivery that was given up on, as the API shows it. */
export const failedDelivery = z.object({
  deliveryId: z.string(),
  webhookId: z.string(),
  eventId: z.string(),
  eventType: z.enum(eventTypes),
  credentialId: z.string(),
  attempts: z.int(),
  lastError: z.string().describe("The class of the last failure (`http_500`, `timeout`, ...), never a body"),
  failedAt: z.string().describe("ISO-8601 UTC"),
});
/** See {@link failedDelivery}. */
export type FailedDelivery = z.output<typeof failedDelivery>;
