import { randomUUID } from "node:crypto";
import { CredkitError, isCredkitError } from "../errors.js";
import type { StoredCredential } from "../record.js";
import type { PublicCredential } from "../schemas/bodies.js";
import { toPublicCredential } from "../view.js";
import {
  type AuthorizationCodeSecret,
  beginAuthorization,
  exchangeCode,
  invalidState,
  isAuthorizationCodeSecret,
  parseState,
  stateMatches,
} from "./authorization-code.js";
import type { TargetContext } from "./context.js";
import { accessTokenFrom } from "./token-cache.js";
import { sealTokenState, type TokenState } from "./token-state.js";
import { writeOver } from "./token-write.js";

/** What the authorization server sent back to the callback. */
export interface AuthorizationCallback {
  state: string;
  code: string;
}

/** The pending token state and the URL to send the end user to, for a new or re-started authorization. */
export function pendingAuthorization(
  ctx: TargetContext,
  record: StoredCredential,
  secret: AuthorizationCodeSecret,
): { tokenState: string | null; authorizationUrl: string } {
  const { authorizationUrl, pending } = beginAuthorization(
    ctx.keyring,
    secret,
    record.clientId,
    record.credentialId,
  );
  return { tokenState: sealTokenState(ctx.keyring, record, { pending }), authorizationUrl };
}

/** The pending authorization `nonce` completes, or throws the one invalid-state error. */
function pendingFor(ctx: TargetContext, record: StoredCredential | null, nonce: string) {
  if (record?.authType !== "oauth2" || record.status !== "pending_authorization") throw invalidState();
  const state: TokenState = ctx.openState(record);
  const { secret } = ctx.open(record);
  if (!isAuthorizationCodeSecret(secret) || !stateMatches(ctx.keyring, state.pending, nonce))
    throw invalidState();
  return { pending: state.pending as NonNullable<TokenState["pending"]>, secret };
}

/**
 * Completes an authorization-code flow from its callback: finds the pending credential the `state`
 * names, checks the state's random part against the stored keyed hash (constant time), exchanges the
 * code with the stored PKCE verifier, and in one compare-and-set stores the tokens encrypted, drops the
 * pending state and makes the credential permanent and active. Only one completion per credential runs
 * at a time (a store lease); a replayed, forged, expired or concurrent state gets AUTHORIZATION_FAILED
 * and changes nothing.
 */
export async function completeAuthorization(
  ctx: TargetContext,
  callback: AuthorizationCallback,
): Promise<PublicCredential> {
  if (typeof callback.state !== "string" || callback.state.length > 1024) throw invalidState();
  if (typeof callback.code !== "string" || callback.code === "" || callback.code.length > 4096) {
    throw new CredkitError("AUTHORIZATION_FAILED", "The callback carries no authorization code", {
      errors: [{ path: "code", message: "is required" }],
    });
  }
  const { clientId, credentialId, nonce } = parseState(ctx.keyring, callback.state);
  const store = ctx.router.storeForId(credentialId);
  if (!store) throw invalidState();
  pendingFor(ctx, await store.get(clientId, credentialId), nonce);

  const lease = `oauth2-callback:${clientId}:${credentialId}`;
  const owner = randomUUID();
  if (!(await store.acquireLease(lease, owner, ctx.leaseTtlMs))) {
    throw new CredkitError("AUTHORIZATION_FAILED", "This authorization is already being completed", {
      errors: [{ path: "state", message: "is already being used" }],
    });
  }
  try {
    // Read again under the lease: a completion that just finished has removed the pending state.
    const record = await store.get(clientId, credentialId);
    const { pending, secret } = pendingFor(ctx, record, nonce);
    const base = record as StoredCredential;
    const grant = await exchangeCode(ctx.fetch, secret, callback.code, pending);
    // An absent refresh token stays absent: the sealed JSON drops an undefined field.
    const tokens: TokenState = {
      access: accessTokenFrom(grant.accessToken, grant.expiresInSeconds, ctx.now(), ctx.defaultTtlMs),
      refreshToken: grant.refreshToken,
    };
    // One compare-and-set: tokens in, pending state out, permanent and active. A conflict with a write
    // that changed nothing it depends on (a rename, a key rotation) is retried; any other means this
    // state is spent (the secret was updated, a new authorization started).
    const saved = await writeOver(ctx, store, base, (current) => ({
      ...current,
      temporary: false,
      expiresAt: ctx.retainedUntil(current),
      status: "active",
      tokenState: sealTokenState(ctx.keyring, current, tokens),
      updatedAt: new Date(ctx.now()).toISOString(),
    })).catch((error: unknown) => {
      if (isCredkitError(error, "NOT_FOUND")) return null; // expired (or deleted) during the exchange
      throw error;
    });
    if (!saved) throw invalidState();
    return toPublicCredential(saved);
  } finally {
    // Stryker disable next-line BooleanLiteral,ArrowFunction: the value is discarded; only the rejection is swallowed
    await store.releaseLease(lease, owner).catch(() => false);
  }
}
