import { randomBytes, randomUUID } from "node:crypto";
import type { StoredCredential } from "../src/index.js";

/**
 * A record as a store holds it, for tests that never open it (the envelope is a placeholder): a live
 * proxy apiKey credential of a fresh client, with a random id and lookup hash; `overrides` win.
 */
export function storedRecord(overrides: Partial<StoredCredential> = {}): StoredCredential {
  const clientId = overrides.clientId ?? `c-${randomUUID()}`;
  return {
    clientId,
    credentialId: `eu-west-1.${randomBytes(16).toString("base64url")}`,
    region: "eu-west-1",
    credentialType: "proxy",
    authType: "apiKey",
    name: "n",
    defaultRuleEffect: "allow",
    singleUse: false,
    temporary: false,
    expiresAt: null,
    userId: "u",
    parentId: clientId,
    createdAt: new Date(0).toISOString(),
    updatedAt: new Date(0).toISOString(),
    version: 1,
    secret: "ck1.k1.x.y.z",
    lookupHash: `k1.${randomBytes(8).toString("base64url")}`,
    tokenState: null,
    status: "active",
    ...overrides,
  };
}
