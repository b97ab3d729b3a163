import type { operations } from "./generated/openapi.js";

/** The event types credkit sends (see docs/events.md): the list a webhook subscribes to, from the API document. */
export type WebhookEventType = NonNullable<
  operations["createWebhook"]["requestBody"]
>["content"]["application/json"]["eventTypes"][number];

/** A verified webhook event: ids and metadata, never secret material. */
export interface WebhookEvent {
  /** Unique per event; also the `webhook-id` header: deduplicate on it (delivery is at least once). */
  id: string;
  type: WebhookEventType;
  /** ISO-8601 UTC: when the change happened. */
  timestamp: string;
  data: {
    clientId: string;
    credentialId: string;
    credentialName: string;
    credentialType: "proxy" | "target";
    credentialAuthType: string;
    credentialRegion: string;
    credentialVersion: number;
    credentialExpiresAt: string | null;
    userId?: string;
    /** `credential.expiring`: the warning threshold, in seconds. */
    leadSeconds?: number;
    /** `oauth.refresh_failed`: the class of the failure (never the upstream's body). */
    errorClass?: string;
  };
}

/** A webhook as the API lists it (never its signing secret). */
export type Webhook = NonNullable<
  operations["listWebhooks"]["responses"][200]["content"]["application/json"]["webhooks"][number]
>;
/** A created webhook: with its signing secret, shown this one time. */
export type CreatedWebhook =
  operations["createWebhook"]["responses"][201]["content"]["application/json"]["webhooks"][number];
/** The body of a webhook create: `url` and `eventTypes`. */
export type CreateWebhookInput = NonNullable<
  operations["createWebhook"]["requestBody"]
>["content"]["application/json"];
/** A delivery given up on after its last attempt. */
export type FailedDelivery =
  operations["listFailedDeliveries"]["responses"][200]["content"]["application/json"]["deliveries"][number];

/** A webhook that does not verify: bad or missing signature, stale timestamp, or a body that is not an event. */
export class WebhookVerificationError extends Error {
  override readonly name = "WebhookVerificationError";
}

/** Options of {@link verifyWebhook}. */
export interface VerifyWebhookOptions {
  /** Largest distance, in seconds, between `webhook-timestamp` and now (replays). Default 300. */
  toleranceSeconds?: number;
  /** Milliseconds since the epoch. Default `Date.now()`. */
  now?: number;
}

/** The header's value, whatever its case and whatever the headers' shape (`Headers`, a plain object). */
function header(
  headers: Headers | Record<string, string | string[] | undefined>,
  name: string,
): string | undefined {
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

function base64ToBytes(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Compares without an early exit, so the time taken says nothing about where they differ. */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * Verifies a credkit webhook delivery (Standard Webhooks: `webhook-id`, `webhook-timestamp`,
 * `webhook-signature: v1,<base64 HMAC-SHA256>`) with the `whsec_...` secret its create answered, and
 * returns the event. Pass the body exactly as received (the raw text, not re-serialized JSON). Throws
 * {@link WebhookVerificationError} otherwise. Uses Web Crypto: Node 20+, browsers, edge runtimes.
 */
export async function verifyWebhook(
  secret: string,
  headers: Headers | Record<string, string | string[] | undefined>,
  body: string,
  options: VerifyWebhookOptions = {},
): Promise<WebhookEvent> {
  const id = header(headers, "webhook-id");
  const timestamp = header(headers, "webhook-timestamp");
  const signatures = header(headers, "webhook-signature");
  if (!id || !timestamp || !signatures)
    throw new WebhookVerificationError("Missing webhook-id, webhook-timestamp or webhook-signature");
  const seconds = Number(timestamp);
  const tolerance = options.toleranceSeconds ?? 300;
  if (!/^\d+$/.test(timestamp) || Math.abs((options.now ?? Date.now()) / 1000 - seconds) > tolerance) {
    throw new WebhookVerificationError("The webhook-timestamp is missing, malformed or too far from now");
  }
  let key: Uint8Array;
  try {
    key = base64ToBytes(secret.replace(/^whsec_/, ""));
  } catch {
    throw new WebhookVerificationError("The secret is not a whsec_ base64 secret");
  }
  const hmacKey = await globalThis.crypto.subtle.importKey(
    "raw",
    key,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await globalThis.crypto.subtle.sign(
    "HMAC",
    hmacKey,
    new TextEncoder().encode(`${id}.${timestamp}.${body}`),
  );
  const expected = bytesToBase64(new Uint8Array(mac));
  // Several signatures may be sent (`v1,a v1,b`, during a secret rotation): one match is enough.
  const matched = signatures
    .split(" ")
    .some((entry) => entry.startsWith("v1,") && sameText(entry.slice(3), expected));
  if (!matched) throw new WebhookVerificationError("No signature matches");
  let event: unknown;
  try {
    event = JSON.parse(body);
  } catch {
    throw new WebhookVerificationError("The body is not JSON");
  }
  const shaped = event as Partial<WebhookEvent> | null;
  if (!shaped || typeof shaped.type !== "string" || shaped.id !== id || typeof shaped.data !== "object") {
    throw new WebhookVerificationError("The body is not a credkit event");
  }
  return shaped as WebhookEvent;
}
