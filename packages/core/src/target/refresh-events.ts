import { isCredkitError } from "../errors.js";
import { credentialEventData } from "../events/event-data.js";
import type { StoredCredential } from "../record.js";
import type { CredentialStore } from "../storage.js";
import { toPublicCredential } from "../view.js";
import type { TargetContext } from "./context.js";
import { sealTokenState, type TokenState } from "./token-state.js";
import { writeOver } from "./token-write.js";

/**
 * The class of a token endpoint failure: `refused` when the outbound policy refused it, else the
 * `upstreamClass` the failure was raised with (the OAuth `error` code, `http_4xx`/`http_5xx`,
 * `invalid_response`, `timeout`, `network`); `network` for an error raised without one.
 */
export function upstreamErrorClass(error: unknown): string {
  if (isCredkitError(error, "OUTBOUND_REFUSED")) return "refused";
  return (isCredkitError(error) && error.upstreamClass) || "network";
}

/** Only oauth2 credentials report refresh transitions (`oauth.*` events). */
const reports = (record: StoredCredential) => record.authType === "oauth2";

/**
 * After a failed token request by the lease holder: the first failure of a run marks the token state
 * (`refreshFailing`) and emits `oauth.refresh_failed`; later failures find the mark and emit nothing.
 * The mark is a compare-and-set write, so of processes failing at once one reports. A mark that cannot
 * be written now is written at the next failure: the caller's error is what it throws either way.
 */
export async function reportRefreshFailure(
  ctx: TargetContext,
  store: CredentialStore,
  record: StoredCredential,
  state: TokenState,
  error: unknown,
): Promise<void> {
  if (!reports(record) || state.refreshFailing) return;
  if (!isCredkitError(error, "UPSTREAM_ERROR") && !isCredkitError(error, "OUTBOUND_REFUSED")) return;
  const errorClass = upstreamErrorClass(error);
  const marked = await writeOver(ctx, store, record, (r) => ({
    ...r,
    tokenState: sealTokenState(ctx.keyring, r, {
      ...state,
      refreshFailing: { since: ctx.now(), errorClass },
    }),
    // Stryker disable next-line ArrowFunction: null or undefined, both mean "not marked"
  })).catch(() => null);
  if (marked) await emitFailed(ctx, marked, errorClass);
}

/** `oauth.refresh_failed` for `record`, an oauth2 credential (only those report refresh transitions). */
export function emitFailed(ctx: TargetContext, record: StoredCredential, errorClass: string): Promise<void> {
  return ctx.publisher.emit("oauth.refresh_failed", {
    ...credentialEventData(toPublicCredential(record)),
    errorClass,
  });
}

/** After the token write that ended a failing run: `oauth.refresh_recovered`. */
export function emitRecovered(
  ctx: TargetContext,
  before: TokenState,
  saved: StoredCredential,
): Promise<void> {
  if (!reports(saved) || !before.refreshFailing) return Promise.resolve();
  return ctx.publisher.emit("oauth.refresh_recovered", credentialEventData(toPublicCredential(saved)));
}
