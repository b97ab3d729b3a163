import type { AuthType, CredentialType } from "../record.js";

/**
 * Every event type credkit emits. `credential.*` report what happened to a credential; `oauth.*` what
 * happened to an oauth2 credential's tokens. The list is the single source for validation (webhook
 * subscriptions), the OpenAPI document and docs/events.md.
 */
export const eventTypes = [
  "credential.created",
  "credential.updated",
  "credential.deleted",
  "credential.consumed",
  "credential.expiring",
  "credential.expired",
  "oauth.authorized",
  "oauth.refresh_failed",
  "oauth.refresh_recovered",
] as const;

/** One of {@link eventTypes}. */
export type EventType = (typeof eventTypes)[number];

/** True for a name in {@link eventTypes}. */
export function isEventType(value: string): value is EventType {
  return (eventTypes as readonly string[]).includes(value);
}

/**
 * What every event says about its credential: ids, name, types, region, version and times. Never
 * secret material: no secret, no token, no lookup hash, no upstream response body.
 */
export interface CredentialEventData {
  clientId: string;
  credentialId: string;
  credentialName: string;
  credentialType: CredentialType;
  credentialAuthType: AuthType;
  credentialRegion: string;
  /** The version the change produced (for `deleted`/`consumed`: the last version there was). */
  credentialVersion: number;
  /** ISO-8601 UTC, or null when the credential never expires. */
  credentialExpiresAt: string | null;
  /** The user whose call caused the event, when a user acted (absent for proxies, callbacks, timers). */
  userId?: string;
}

/**
 * The class of an upstream token endpoint's failure, never its body: `timeout`, `network` (refused,
 * reset, DNS), `refused` (the address policy refused the URL), `http_4xx`, `http_5xx`, `invalid_response`
 * (not the JSON a token endpoint answers), or the OAuth `error` code the endpoint sent when it is one of
 * RFC 6749's (`invalid_client`, `invalid_grant`, `unauthorized_client`, ...).
 */
export type UpstreamErrorClass = string;

/** The `data` of each event type. */
export interface EventDataMap {
  "credential.created": CredentialEventData;
  "credential.updated": CredentialEventData;
  "credential.deleted": CredentialEventData;
  "credential.consumed": CredentialEventData;
  /** `leadSeconds`: the warning threshold this event is for (e.g. 604800 for 7 days). */
  "credential.expiring": CredentialEventData & { leadSeconds: number };
  "credential.expired": CredentialEventData;
  "oauth.authorized": CredentialEventData;
  "oauth.refresh_failed": CredentialEventData & { errorClass: UpstreamErrorClass };
  "oauth.refresh_recovered": CredentialEventData;
}

/**
 * One event, in the payload shape the Standard Webhooks specification recommends (`type`,
 * `timestamp`, `data`) plus its `id`, which is also the `webhook-id` of every delivery of it (receivers
 * deduplicate on it: delivery is at least once).
 */
export interface CredkitEvent<T extends EventType = EventType> {
  /** `evt_` + 22 base64url characters (128 random bits). */
  id: string;
  type: T;
  /** ISO-8601 UTC: when the change happened. */
  timestamp: string;
  data: EventDataMap[T];
}

/** Any event, discriminated by `type`. */
export type AnyCredkitEvent = { [T in EventType]: CredkitEvent<T> }[EventType];
