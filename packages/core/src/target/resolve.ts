import { credentialEventData } from "../events/event-data.js";
import type { StoredCredential } from "../record.js";
import { compareAndSet } from "../records/compare-and-set.js";
import { credentialExpired, isLifetimeOver } from "../records/lifetime.js";
import { notFound } from "../records/not-found.js";
import type { TargetAuth } from "../schemas/bodies.js";
import type { CredentialStore } from "../storage.js";
import { toPublicCredential } from "../view.js";
import type { TargetContext } from "./context.js";
import { assertResolvable, obtainSharedToken, tokenStateOf } from "./shared-token.js";
import { bearerHeader, isStaticTargetAuthType, staticTargetAuth } from "./static-auth.js";
import { createSingleFlight, isFresh } from "./token-cache.js";
import { type AccessToken, sealTokenState } from "./token-state.js";

/**
 * Spends a single-use credential: of concurrent users exactly one gets the record (and reports
 * `credential.consumed`), the rest NOT_FOUND.
 */
async function consume(
  ctx: TargetContext,
  store: CredentialStore,
  record: StoredCredential,
): Promise<StoredCredential> {
  // The event is stored by the consume itself, in the same atomic step (see WriteEvents).
  const event = ctx.publisher.draft("credential.consumed", () =>
    credentialEventData(toPublicCredential(record)),
  );
  const won = await store.consume(record.clientId, record.credentialId, ctx.publisher.carried(event));
  if (!won) throw notFound(record.credentialId);
  ctx.publisher.tell(event);
  return won;
}

/** The auth a token-based credential adds: `Authorization: Bearer`, or customToken's own header. */
function inject(ctx: TargetContext, record: StoredCredential, token: string): TargetAuth {
  const opened = ctx.open(record);
  if (opened.authType !== "customToken") return bearerHeader(token);
  const { headerName, headerPrefix } = opened.secret;
  return { headers: { [headerName]: `${headerPrefix}${token}` }, query: {} };
}

/** `resolveTargetAuth` and `invalidateTargetToken`, built over the shared target context. */
export function createTargetResolver(ctx: TargetContext) {
  const flights = createSingleFlight<AccessToken>();

  /** The cached token when fresh (no promise: the hot path stays synchronous), else the shared fetch. */
  function accessTokenFor(
    store: CredentialStore,
    record: StoredCredential,
  ): AccessToken | Promise<AccessToken> {
    const state = tokenStateOf(ctx, record);
    if (isFresh(state.access, ctx.now(), { skewMs: ctx.skewMs })) return state.access as AccessToken;
    return flights.run(`${record.clientId}\n${record.credentialId}`, () =>
      obtainSharedToken(ctx, store, record),
    );
  }

  return {
    /** See `CredentialService.resolveTargetAuth`. */
    async resolveTargetAuth(clientId: string, credentialId: string): Promise<TargetAuth> {
      const { store, record } = await ctx.load(clientId, credentialId);
      // Checked after the read's own await: the instant of this use, on every store and process.
      if (isLifetimeOver(record, ctx.now())) throw credentialExpired(record);
      assertResolvable(record);
      if (isStaticTargetAuthType(record.authType)) {
        const source = record.singleUse ? await consume(ctx, store, record) : record;
        return staticTargetAuth(ctx.open(source));
      }
      const found = accessTokenFor(store, record);
      const access = found instanceof Promise ? await found : found;
      // A single-use token credential is spent once its token is in hand, so a failed fetch spends nothing.
      if (record.singleUse) await consume(ctx, store, record);
      return inject(ctx, record, access.token);
    },

    /** See `CredentialService.invalidateTargetToken`. */
    async invalidateTargetToken(clientId: string, credentialId: string): Promise<void> {
      const { store, record } = await ctx.load(clientId, credentialId);
      // A static or proxy credential holds no token state: the change below declines, writing nothing.
      await compareAndSet(store, record, (current) => {
        const { access, ...kept } = tokenStateOf(ctx, current); // the refresh token (if any) stays
        if (access === undefined) return null;
        return { ...current, tokenState: sealTokenState(ctx.keyring, current, kept) };
      });
    },
  };
}
