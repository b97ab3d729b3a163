import { BoundedMap } from "../bounded-map.js";

/** Whose field an envelope was opened for. */
export interface EnvelopeOwner {
  clientId: string;
  credentialId: string;
}

/**
 * Decrypted envelopes by envelope string, so the resolve and verify hot paths decrypt a secret or token
 * state once per version instead of once per call: the one cache of opened secrets (the verifier's
 * jwtVerify configurations are read through it too). An envelope string changes with every write
 * (fresh IV), so a stale entry can never be served for a new value; the oldest entries go first when it
 * is full. Each entry remembers the record and field it was opened for and is only served to those: an
 * envelope copied into another record or field must decrypt under that one's own AAD (and fails).
 */
export function createOpenedCache(maxEntries = 10_000) {
  const opened = new BoundedMap<
    string,
    { clientId: string; credentialId: string; field: string; value: unknown }
  >(maxEntries);
  return {
    get<T>(envelope: string, owner: EnvelopeOwner, field: string, open: () => T): T {
      const hit = opened.get(envelope);
      if (hit?.field === field && hit.clientId === owner.clientId && hit.credentialId === owner.credentialId)
        return hit.value as T;
      const value = open();
      opened.set(envelope, { clientId: owner.clientId, credentialId: owner.credentialId, field, value });
      return value;
    },
  };
}
