import { randomUUID } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import { CredkitError, isCredkitError } from "../errors.js";
import type { StoredCredential } from "../record.js";
import { reload } from "../records/compare-and-set.js";
import type { CredentialStore } from "../storage.js";
import { isAuthorizationCodeSecret } from "./authorization-code.js";
import { fetchClientCredentialsToken } from "./client-credentials.js";
import type { TargetContext } from "./context.js";
import { fetchCustomToken } from "./custom-token.js";
import { refreshAccessToken } from "./refresh.js";
import { emitFailed, emitRecovered, reportRefreshFailure } from "./refresh-events.js";
import { accessTokenFrom, isFresh } from "./token-cache.js";
import { INVALID_GRANT } from "./token-endpoint.js";
import { type AccessToken, sealTokenState, type TokenState } from "./token-state.js";
import { writeOver } from "./token-write.js";

// Fetches per lease: a second one happens only when the secret changed under the first.
const FETCH_ATTEMPTS = 3;
const POLL_START_MS = 10;
const POLL_MAX_MS = 200;

/** REAUTHORIZATION_REQUIRED for a credential that cannot resolve until a person authorizes it again. */
export function reauthorizationRequired(record: StoredCredential): CredkitError {
  const message =
    record.status === "needs_reauthorization"
      ? `Credential "${record.credentialId}" needs re-authorization: its refresh token was refused. Update its secret to get a new authorizationUrl`
      : `Credential "${record.credentialId}" is waiting for authorization: send the end user to its authorizationUrl`;
  return new CredkitError("REAUTHORIZATION_REQUIRED", message);
}

/** Throws unless the record can be resolved now (a permanent, authorized target credential). */
export function assertResolvable(record: StoredCredential): void {
  if (record.credentialType !== "target") {
    throw new CredkitError(
      "VALIDATION_ERROR",
      `Credential "${record.credentialId}" is a proxy credential; only target credentials resolve`,
      { errors: [{ path: "credentialId", message: "must name a target credential" }] },
    );
  }
  if (record.temporary || (record.status ?? "active") !== "active") throw reauthorizationRequired(record);
}

/**
 * The token state of a record, for token kinds that can simply fetch again: state sealed under a key
 * that is gone (or damaged) counts as no token. An authorization-code credential's state holds its
 * refresh token, which cannot be fetched again, so its errors are raised.
 */
export function tokenStateOf(ctx: TargetContext, record: StoredCredential): TokenState {
  try {
    return ctx.openState(record);
  } catch (error) {
    const lost = isCredkitError(error, "DECRYPTION_FAILED") || isCredkitError(error, "UNKNOWN_KEY");
    if (lost && !isAuthorizationCodeSecret(ctx.open(record).secret)) return {};
    throw error;
  }
}

/** What one token request yielded: the access token and the refresh token to keep. */
type Fetched = { access: AccessToken; refreshToken?: string } | typeof INVALID_GRANT;

/** Asks the credential's token endpoint for a new access token (a refresh, for authorization code). */
async function fetchToken(ctx: TargetContext, record: StoredCredential, state: TokenState): Promise<Fetched> {
  const opened = ctx.open(record);
  const stamp = (grant: { accessToken: string; expiresInSeconds?: number }) =>
    accessTokenFrom(grant.accessToken, grant.expiresInSeconds, ctx.now(), ctx.defaultTtlMs);
  if (opened.authType === "customToken")
    return { access: stamp(await fetchCustomToken(ctx.fetch, opened.secret)) };
  if (opened.authType !== "oauth2")
    throw new CredkitError("INTERNAL", `${opened.authType} has no token to fetch`);
  const { secret } = opened;
  if (secret.grantType === "client_credentials") {
    return { access: stamp(await fetchClientCredentialsToken(ctx.fetch, secret)) };
  }
  if (state.refreshToken === undefined) return INVALID_GRANT; // nothing to refresh with
  const grant = await refreshAccessToken(ctx.fetch, secret, state.refreshToken);
  if (grant === INVALID_GRANT) return INVALID_GRANT;
  // A rotated refresh token replaces the old one; a server that does not rotate keeps the old valid.
  return { access: stamp(grant), refreshToken: grant.refreshToken ?? state.refreshToken };
}

/** Under the lease: re-check, fetch, and store the new token state (or mark needs re-authorization). */
async function refreshAsHolder(
  ctx: TargetContext,
  store: CredentialStore,
  start: StoredCredential,
): Promise<AccessToken> {
  let record = start;
  for (let attempt = 1; ; attempt++) {
    record = await reload(store, record); // another holder may have written just before we got the lease
    assertResolvable(record);
    const state = tokenStateOf(ctx, record);
    if (isFresh(state.access, ctx.now(), { skewMs: ctx.skewMs })) return state.access as AccessToken;
    let fetched: Fetched;
    try {
      fetched = await fetchToken(ctx, record, state);
    } catch (error) {
      await reportRefreshFailure(ctx, store, record, state, error);
      throw error;
    }
    if (fetched === INVALID_GRANT) {
      const marked = await writeOver(ctx, store, record, (r) => ({
        ...r,
        status: "needs_reauthorization",
        tokenState: null,
        updatedAt: new Date(ctx.now()).toISOString(),
      }));
      if (marked) {
        // The status changes once: the refused refresh token is reported once.
        await emitFailed(ctx, marked, INVALID_GRANT);
        throw reauthorizationRequired(marked);
      }
    } else {
      const next: TokenState = { access: fetched.access };
      // Stryker disable next-line ConditionalExpression: the state is sealed as JSON, which drops an undefined refreshToken
      if (fetched.refreshToken !== undefined) next.refreshToken = fetched.refreshToken;
      // Token writes bump the version (the CAS token) but not updatedAt, which tracks what users change.
      const saved = await writeOver(ctx, store, record, (r) => ({
        ...r,
        tokenState: sealTokenState(ctx.keyring, r, next),
      }));
      if (saved) {
        await emitRecovered(ctx, state, saved);
        return fetched.access;
      }
    }
    if (attempt >= FETCH_ATTEMPTS) {
      throw new CredkitError(
        "UPSTREAM_ERROR",
        `The token of credential "${record.credentialId}" kept changing under its refresh`,
      );
    }
  }
}

/**
 * A fresh access token for `record`, fetched by at most one process at a time: the holder of the
 * store lease `target-token:<clientId>:<credentialId>` (owner token, expiry) fetches and writes it; the
 * others poll the record with a bounded backoff and use the token the holder wrote, taking the lease
 * over if it lapses. Call it through the in-process single flight.
 */
export async function obtainSharedToken(
  ctx: TargetContext,
  store: CredentialStore,
  start: StoredCredential,
): Promise<AccessToken> {
  const lease = `target-token:${start.clientId}:${start.credentialId}`;
  const deadline = Date.now() + 2 * ctx.leaseTtlMs;
  let pause = POLL_START_MS;
  let record = start;
  for (;;) {
    const owner = randomUUID();
    if (await store.acquireLease(lease, owner, ctx.leaseTtlMs)) {
      try {
        return await refreshAsHolder(ctx, store, record);
      } finally {
        // A failed release only leaves the lease to lapse on its own; it must not mask the result.
        // Stryker disable next-line BooleanLiteral,ArrowFunction: the value is discarded; only the rejection is swallowed
        await store.releaseLease(lease, owner).catch(() => false);
      }
    }
    // Stryker disable next-line EqualityOperator: one millisecond of a wall-clock wait that no test can pin
    if (Date.now() > deadline) {
      throw new CredkitError(
        "UPSTREAM_ERROR",
        `Timed out waiting for another process to refresh the token of "${record.credentialId}"`,
      );
    }
    await delay(pause + Math.random() * pause);
    pause = Math.min(pause * 2, POLL_MAX_MS);
    record = await reload(store, record);
    assertResolvable(record);
    const state = tokenStateOf(ctx, record);
    if (isFresh(state.access, ctx.now(), { skewMs: ctx.skewMs })) return state.access as AccessToken;
  }
}
