import type { StoredCredential } from "./record.js";
import { refusedFrom } from "./records/lifetime.js";
import type { PublicCredential } from "./schemas/bodies.js";

/** The public view of a stored record: metadata only, never the secret or its lookup hash. */
export function toPublicCredential(record: StoredCredential): PublicCredential {
  // The instant it is refused from (its lifetime's end, a pending one's deadline), never the later
  // instant its store deletes it.
  const expiresAt = refusedFrom(record);
  return {
    pKey: record.clientId,
    sKey: record.credentialId,
    credentialId: record.credentialId,
    clientId: record.clientId,
    parentId: record.parentId,
    userId: record.userId,
    credentialType: record.credentialType,
    credentialAuthType: record.authType,
    credentialName: record.name,
    credentialRegion: record.region,
    credentialDefaultRuleEffect: record.defaultRuleEffect,
    credentialSingleUse: record.singleUse,
    credentialTemporary: record.temporary,
    credentialVersion: record.version,
    credentialExpiresAt: expiresAt === null ? null : new Date(expiresAt).toISOString(),
    // Records written before the status field existed have none: they are active.
    credentialStatus: record.status ?? "active",
    credentialCreatedAt: record.createdAt,
    credentialUpdatedAt: record.updatedAt,
  };
}
