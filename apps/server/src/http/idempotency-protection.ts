import type { Keyring } from "@credkit/core";
import type { IdempotencyProtection } from "@credkit/express";

/**
 * Idempotency state protected by the keyring, so every process sharing the Redis store hashes and
 * seals alike: fingerprints are the keyring's keyed lookup hash (a guessed secret cannot be checked
 * against them offline), a replayed `authorizationUrl` is sealed like a secret, bound to its key.
 */
export function keyringIdempotencyProtection(keyring: Keyring): IdempotencyProtection {
  const identity = (key: string) => ({
    clientId: "credkit-idempotency",
    credentialId: key,
    credentialType: "target" as const,
    authType: "oauth2" as const,
    region: "any",
    purpose: "idempotency-replay",
  });
  return {
    hash: (text) => keyring.lookupHash(`idempotency\n${text}`),
    seal: (text, key) => keyring.encrypt(text, identity(key)),
    open: (sealed, key) => keyring.decrypt(sealed, identity(key)),
  };
}
