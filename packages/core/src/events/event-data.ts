import { pooledRandomBytes } from "../crypto/random-pool.js";
import type { PublicCredential } from "../schemas/bodies.js";
import type { CredentialEventData } from "./event-types.js";

/** A new event id: `evt_` + 128 random bits in base64url. */
export function newEventId(): string {
  return `evt_${pooledRandomBytes(16).toString("base64url")}`;
}

/**
 * The non-secret description every event carries, from a credential's public view (which already
 * holds no secret). Built field by field, never a spread, so a field added to the view later is not
 * published until it is chosen here.
 */
export function credentialEventData(view: PublicCredential, userId?: string): CredentialEventData {
  return {
    clientId: view.clientId,
    credentialId: view.credentialId,
    credentialName: view.credentialName,
    credentialType: view.credentialType,
    credentialAuthType: view.credentialAuthType,
    credentialRegion: view.credentialRegion,
    credentialVersion: view.credentialVersion,
    credentialExpiresAt: view.credentialExpiresAt,
    ...(userId ? { userId } : {}),
  };
}
