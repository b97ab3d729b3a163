import { isCredkitError } from "../errors.js";
import type { StoredCredential } from "../record.js";
import type { CredentialStore } from "../storage.js";
import { notFound, type TargetContext } from "./context.js";

// Rounds of "re-read, write again" after a compare-and-set lost to an unrelated write.
const WRITE_ATTEMPTS = 8;

/** Re-reads the record; NOT_FOUND once it is gone. */
export async function reload(store: CredentialStore, record: StoredCredential): Promise<StoredCredential> {
  const latest = await store.get(record.clientId, record.credentialId);
  if (!latest) throw notFound(record.credentialId);
  return latest;
}

/**
 * True when `a` and `b` hold the same secret, token state and status. The envelopes are compared by what
 * they hold, not as strings: a key rotation re-seals them without changing anything a token write
 * depends on, and must not make a freshly rotated refresh token be thrown away.
 */
function sameContent(ctx: TargetContext, a: StoredCredential, b: StoredCredential): boolean {
  if (a.status !== b.status) return false;
  if (a.secret === b.secret && a.tokenState === b.tokenState) return true;
  try {
    return (
      JSON.stringify(ctx.openSecret(a)) === JSON.stringify(ctx.openSecret(b)) &&
      JSON.stringify(ctx.openState(a)) === JSON.stringify(ctx.openState(b))
    );
  } catch {
    return false; // what cannot be opened cannot be shown unchanged: treat it as changed
  }
}

/**
 * Writes `change(record)` over `base` by compare-and-set (version + 1). When the record moved on
 * meanwhile, the write is repeated on the newer version only if its secret, token state and status
 * still hold what `base` held (someone renamed it, a key rotation re-sealed it); if another writer
 * changed them (a newer token from another lease holder, a new secret, a re-authorization) nothing is
 * written and null returned: a holder whose lease expired can never overwrite a newer token.
 */
export async function writeOver(
  ctx: TargetContext,
  store: CredentialStore,
  base: StoredCredential,
  change: (record: StoredCredential) => StoredCredential,
): Promise<StoredCredential | null> {
  let current = base;
  for (let attempt = 1; ; attempt++) {
    try {
      const saved = await store.update({ ...change(current), version: current.version + 1 }, current.version);
      if (!saved) throw notFound(base.credentialId);
      return saved;
    } catch (error) {
      if (!isCredkitError(error, "VERSION_CONFLICT") || attempt >= WRITE_ATTEMPTS) throw error;
    }
    const latest = await reload(store, current);
    if (!sameContent(ctx, base, latest)) return null;
    current = latest;
  }
}
