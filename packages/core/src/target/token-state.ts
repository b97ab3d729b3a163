import { parseOpenedJson, type RecordIdentity, recordIdentity } from "../crypto/envelope.js";
import type { Keyring } from "../crypto/keyring.js";
import type { StoredCredential } from "../record.js";

/** The identity purpose `tokenState` envelopes are sealed with (see `RecordIdentity.purpose`). */
export const TOKEN_STATE_PURPOSE = "token-state";

/** An access token and when it stops working. */
export interface AccessToken {
  token: string;
  /** Epoch milliseconds when it was obtained. */
  obtainedAt: number;
  /** Epoch milliseconds when the issuer says it expires (or the assumed lifetime ends). */
  expiresAt: number;
}

/** A started authorization-code flow: what the callback must match and send. */
export interface PendingAuthorization {
  /** Keyed hash of the random part of `state` (under any key id of the keyring). */
  stateHash: string;
  /** The PKCE code verifier, when PKCE is on. */
  verifier?: string;
}

/** What lies (encrypted) in `StoredCredential.tokenState`. */
export interface TokenState {
  access?: AccessToken;
  refreshToken?: string;
  pending?: PendingAuthorization;
  /**
   * Set when the token endpoint started failing (`oauth.refresh_failed` was emitted), cleared by the
   * next token it grants (`oauth.refresh_recovered`): kept with the record, so each transition is
   * reported once across processes.
   */
  refreshFailing?: { since: number; errorClass: string };
}

/** The identity a record's token state is bound to: the record's, plus {@link TOKEN_STATE_PURPOSE}. */
export function tokenStateIdentity(record: StoredCredential): RecordIdentity {
  return { ...recordIdentity(record), purpose: TOKEN_STATE_PURPOSE };
}

/** Seals `state` for `record`; an empty state is stored as null. */
export function sealTokenState(keyring: Keyring, record: StoredCredential, state: TokenState): string | null {
  if (
    state.access === undefined &&
    state.refreshToken === undefined &&
    state.pending === undefined &&
    state.refreshFailing === undefined
  )
    return null;
  return keyring.encrypt(JSON.stringify(state), tokenStateIdentity(record));
}

/**
 * Opens a record's token state (`{}` when it has none). Throws UNKNOWN_KEY, or DECRYPTION_FAILED when
 * it is damaged or does not hold JSON.
 */
export function openTokenState(keyring: Keyring, record: StoredCredential): TokenState {
  if (!record.tokenState) return {};
  return parseOpenedJson(keyring.decrypt(record.tokenState, tokenStateIdentity(record))) as TokenState;
}
