import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Keyring } from "../crypto/keyring.js";
import { CredkitError } from "../errors.js";
import { isValidClientId, regionOfCredentialId } from "../ids.js";
import type { OutboundFetch } from "../outbound/outbound-fetch.js";
import type { SecretOf } from "../schemas/secrets.js";
import { INVALID_GRANT, requestToken, type TokenGrant } from "./token-endpoint.js";
import type { PendingAuthorization } from "./token-state.js";

/** An authorization-code oauth2 secret. */
export type AuthorizationCodeSecret = SecretOf<"oauth2"> & { grantType: "authorization_code" };

/** True for an oauth2 secret of the authorization-code grant. */
export function isAuthorizationCodeSecret(secret: unknown): secret is AuthorizationCodeSecret {
  return (secret as { grantType?: unknown } | null)?.grantType === "authorization_code";
}

const NONCE = /^[A-Za-z0-9_-]{43}$/;

/** What is hashed (keyed) for a state's random part: prefixed so it never equals another lookup value. */
const stateValue = (nonce: string) => `oauth2-state\n${nonce}`;

// The state is sealed (AES-256-GCM, the keyring's envelope) to this fixed identity: the ids inside it
// let the callback find the record without a global index, yet the authorization server (a third
// party, which sees and logs the state) reads nothing but random bytes. The purpose keeps a state
// from ever opening as another envelope, and any other envelope from opening as a state.
const STATE_IDENTITY = {
  clientId: "-",
  credentialId: "-",
  credentialType: "target",
  authType: "oauth2",
  region: "-",
  purpose: "oauth2-state",
} as const;

/**
 * Starts an authorization-code flow for one credential: a fresh `state`, opaque to the authorization
 * server (the client id, credential id and 32 random bytes sealed under the keyring's active key;
 * only a keyed hash of the random part is kept on the record, so a state is single use), a PKCE S256
 * verifier/challenge when `pkce` is on, and the URL to send the end user to.
 */
export function beginAuthorization(
  keyring: Keyring,
  secret: AuthorizationCodeSecret,
  clientId: string,
  credentialId: string,
): { authorizationUrl: string; pending: PendingAuthorization } {
  const nonce = randomBytes(32).toString("base64url");
  const state = keyring.encrypt(JSON.stringify([clientId, credentialId, nonce]), STATE_IDENTITY);
  const pending: PendingAuthorization = { stateHash: keyring.lookupHash(stateValue(nonce)) };
  const url = new URL(secret.authorizationUrl);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", secret.clientId);
  url.searchParams.set("redirect_uri", secret.redirectUri);
  if (secret.scopes && secret.scopes.length > 0) url.searchParams.set("scope", secret.scopes.join(" "));
  url.searchParams.set("state", state);
  if (secret.pkce) {
    pending.verifier = randomBytes(32).toString("base64url");
    url.searchParams.set("code_challenge", createHash("sha256").update(pending.verifier).digest("base64url"));
    url.searchParams.set("code_challenge_method", "S256");
  }
  return { authorizationUrl: url.href, pending };
}

/** A state the callback could not accept: always the same answer, whatever was wrong with it. */
export function invalidState(): CredkitError {
  return new CredkitError(
    "AUTHORIZATION_FAILED",
    "Unknown, expired or already used authorization state; start the authorization again",
    { errors: [{ path: "state", message: "is unknown, expired or already used" }] },
  );
}

/**
 * The ids and random part a state seals, or throws {@link invalidState} when it is not a state this
 * keyring sealed (forged, tampered, of another purpose, or under a key no longer held).
 */
export function parseState(
  keyring: Keyring,
  state: string,
): { clientId: string; credentialId: string; nonce: string } {
  let opened: unknown;
  try {
    opened = JSON.parse(keyring.decrypt(state, STATE_IDENTITY));
    // An emptied catch (an equivalent mutant: no comment here can mark it) leaves no array: refused below.
  } catch {
    throw invalidState();
  }
  if (!Array.isArray(opened)) throw invalidState();
  const [clientId, credentialId, nonce] = opened;
  if (
    typeof clientId !== "string" ||
    typeof credentialId !== "string" ||
    typeof nonce !== "string" ||
    !NONCE.test(nonce) ||
    !isValidClientId(clientId) ||
    regionOfCredentialId(credentialId) === null
  )
    throw invalidState();
  return { clientId, credentialId, nonce };
}

/** True when `nonce` is the random part of the pending state (constant-time over the hashes). */
export function stateMatches(
  keyring: Keyring,
  pending: PendingAuthorization | undefined,
  nonce: string,
): boolean {
  if (!pending) return false;
  const stored = Buffer.from(pending.stateHash);
  let match = false;
  // Hashes under every key of the keyring: a rotation between start and callback must not break it.
  for (const hash of keyring.lookupHashes(stateValue(nonce))) {
    const candidate = Buffer.from(hash);
    if (candidate.length === stored.length && timingSafeEqual(candidate, stored)) match = true;
  }
  return match;
}

/** The client authentication of an authorization-code secret: Basic with a secret, `client_id` without. */
export function authorizationCodeClientAuth(secret: AuthorizationCodeSecret) {
  return secret.clientSecret === undefined
    ? ({ method: "none", clientId: secret.clientId } as const)
    : ({
        method: "client_secret_basic",
        clientId: secret.clientId,
        clientSecret: secret.clientSecret,
      } as const);
}

/**
 * Exchanges an authorization code (with the stored PKCE verifier) for tokens. A code the server refuses
 * (`invalid_grant`: expired, reused, or not for this client) is AUTHORIZATION_FAILED, the end user's to
 * retry; other failures are UPSTREAM_ERROR.
 */
export async function exchangeCode(
  fetch: OutboundFetch,
  secret: AuthorizationCodeSecret,
  code: string,
  pending: PendingAuthorization,
): Promise<TokenGrant> {
  const params: Record<string, string> = {
    grant_type: "authorization_code",
    code,
    redirect_uri: secret.redirectUri,
  };
  if (pending.verifier !== undefined) params.code_verifier = pending.verifier;
  const grant = await requestToken(fetch, secret.tokenUrl, params, authorizationCodeClientAuth(secret));
  if (grant === INVALID_GRANT) {
    throw new CredkitError(
      "AUTHORIZATION_FAILED",
      "The authorization server refused the code (invalid_grant); start the authorization again",
    );
  }
  return grant;
}
