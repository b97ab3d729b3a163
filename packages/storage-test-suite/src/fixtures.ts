import { randomBytes, randomUUID } from "node:crypto";
import type { AnyCredkitEvent, StoredCredential, StoredWebhook } from "@credkit/core";

/** Region every fixture id carries unless a test asks for another. */
export const fixtureRegion = "us-east-1";

/** A fresh client id, unique per call so tests never see each other's records. */
export function randomClientId(): string {
  return `client-${randomUUID()}`;
}

/**
 * A credential id of credkit's form, `<region>.<22 base64url chars>`. base64url (not base62) on
 * purpose: `-` and `_` sort around digits and letters, so ordering tests cover the whole alphabet.
 */
export function randomCredentialId(region: string = fixtureRegion): string {
  return `${region}.${randomBytes(16).toString("base64url")}`;
}

/** A value shaped like a keyed HMAC-SHA256 lookup hash (43 base64url chars). */
export function randomLookupHash(): string {
  return randomBytes(32).toString("base64url");
}

/** A value shaped like an encrypted envelope, `ck1.<keyId>.<iv>.<ciphertext>.<tag>`; unique per call. */
export function randomSecretEnvelope(): string {
  const part = (bytes: number) => randomBytes(bytes).toString("base64url");
  return `ck1.k1.${part(12)}.${part(48)}.${part(16)}`;
}

/** A valid, live, permanent proxy apiKey record with random ids, secret and lookup hash; `overrides` win. */
export function makeRecord(overrides: Partial<StoredCredential> = {}): StoredCredential {
  const clientId = overrides.clientId ?? randomClientId();
  const region = overrides.region ?? fixtureRegion;
  const now = new Date().toISOString();
  return {
    clientId,
    credentialId: randomCredentialId(region),
    region,
    credentialType: "proxy",
    authType: "apiKey",
    name: `credential ${randomUUID().slice(0, 8)}`,
    defaultRuleEffect: "allow",
    singleUse: false,
    temporary: false,
    expiresAt: null,
    userId: "user-conformance",
    parentId: clientId,
    createdAt: now,
    updatedAt: now,
    version: 1,
    secret: randomSecretEnvelope(),
    lookupHash: randomLookupHash(),
    tokenState: null,
    status: "active",
    ...overrides,
  };
}

/** The record `update` expects after `record`: same identity, version + 1, fresh `updatedAt`; `changes` win. */
export function nextVersion(
  record: StoredCredential,
  changes: Partial<StoredCredential> = {},
): StoredCredential {
  return {
    ...record,
    updatedAt: new Date(Date.parse(record.updatedAt) + 1000).toISOString(),
    version: record.version + 1,
    ...changes,
  };
}

/** A lifecycle event about `record` of `type`, as the service drafts one before the write that carries it. */
export function makeEvent(
  type: "credential.created" | "credential.updated" | "credential.deleted" | "credential.consumed",
  record: StoredCredential,
): AnyCredkitEvent {
  return {
    id: `evt_${randomBytes(16).toString("base64url")}`,
    type,
    timestamp: new Date().toISOString(),
    data: {
      clientId: record.clientId,
      credentialId: record.credentialId,
      credentialName: record.name,
      credentialType: record.credentialType,
      credentialAuthType: record.authType,
      credentialRegion: record.region,
      credentialVersion: record.version,
      credentialExpiresAt: null,
    },
  };
}

/** A webhook of `clientId` as an outbox stores it (a fresh id; its secret an opaque sealed string). */
export function makeWebhook(clientId: string, extra: Partial<StoredWebhook> = {}): StoredWebhook {
  return {
    clientId,
    webhookId: `wh_${randomUUID()}`,
    url: "https://receiver.example/hook",
    eventTypes: ["credential.created"],
    secret: "ck1.sealed",
    userId: "alice",
    createdAt: new Date().toISOString(),
    ...extra,
  };
}
