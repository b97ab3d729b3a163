import { recordIdentity } from "../crypto/envelope.js";
import type { Keyring } from "../crypto/keyring.js";
import { CredkitError } from "../errors.js";
import { regionOfCredentialId } from "../ids.js";
import type { OutboundFetch } from "../outbound/outbound-fetch.js";
import type { StoredCredential } from "../record.js";
import type { RegionRouter } from "../regions.js";
import type { CredentialStore } from "../storage.js";
import { createOpenedCache } from "./token-cache.js";
import { openTokenState, type TokenState } from "./token-state.js";

/** Tunables of target token handling, in milliseconds. */
export interface TargetTokenOptions {
  /** A token is replaced this long before it expires. Default 30000. */
  refreshSkewMs?: number;
  /** Lifetime assumed for a token whose response has no `expires_in` (or customToken lifetime). Default 300000. */
  defaultTokenTtlMs?: number;
  /**
   * How long one process may hold the cross-process refresh lease (longer than a token request may
   * take); others wait up to twice this for its token before giving up. Default 15000.
   */
  leaseTtlMs?: number;
}

/** What the target modules share: stores, keys, the outbound fetch, the clock and the decrypt cache. */
export interface TargetContext {
  router: RegionRouter;
  keyring: Keyring;
  fetch: OutboundFetch;
  now: () => number;
  skewMs: number;
  defaultTtlMs: number;
  leaseTtlMs: number;
  /** The record's decrypted secret (cached per envelope). */
  openSecret(record: StoredCredential): unknown;
  /** The record's decrypted token state, `{}` when none (cached per envelope). */
  openState(record: StoredCredential): TokenState;
  /** The record and its store; NOT_FOUND when absent or expired. */
  load(clientId: string, credentialId: string): Promise<{ store: CredentialStore; record: StoredCredential }>;
}

/** The NOT_FOUND every target operation answers for a missing credential. */
export function notFound(credentialId: string): CredkitError {
  // Only a well-formed id is echoed: a path segment of any length and content is not.
  const shown =
    credentialId.length <= 128 && regionOfCredentialId(credentialId) !== null ? `"${credentialId}" ` : "";
  return new CredkitError("NOT_FOUND", `Credential ${shown}was not found for this client`);
}

/** Builds the shared context with its defaults. */
export function createTargetContext(options: {
  router: RegionRouter;
  keyring: Keyring;
  fetch: OutboundFetch;
  now: () => number;
  tokens?: TargetTokenOptions;
}): TargetContext {
  const { router, keyring } = options;
  const opened = createOpenedCache();
  return {
    router,
    keyring,
    fetch: options.fetch,
    now: options.now,
    skewMs: options.tokens?.refreshSkewMs ?? 30_000,
    defaultTtlMs: options.tokens?.defaultTokenTtlMs ?? 300_000,
    leaseTtlMs: options.tokens?.leaseTtlMs ?? 15_000,
    openSecret: (record) =>
      opened.get(record.secret, record, "secret", () =>
        JSON.parse(keyring.decrypt(record.secret, recordIdentity(record))),
      ),
    openState: (record) =>
      record.tokenState
        ? opened.get(record.tokenState, record, "tokenState", () => openTokenState(keyring, record))
        : {},
    async load(clientId, credentialId) {
      const store = router.storeForId(credentialId);
      const record = store ? await store.get(clientId, credentialId) : null;
      if (!store || !record) throw notFound(credentialId);
      return { store, record };
    },
  };
}
