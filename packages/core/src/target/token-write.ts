import type { StoredCredential } from "../record.js";
import { compareAndSet } from "../records/compare-and-set.js";
import type { CredentialStore } from "../storage.js";
import type { TargetContext } from "./context.js";

/**
 * True when `a` and `b` hold the same secret, token state and status. The envelopes are compared by what
 * they hold, not as strings: a key rotation re-seals them without changing anything a token write
 * depends on, and must not make a freshly rotated refresh token be thrown away.
 */
function sameContent(ctx: TargetContext, a: StoredCredential, b: StoredCredential): boolean {
  if (a.status !== b.status) return false;
  // Stryker disable next-line ConditionalExpression: a fast path; equal envelopes open to equal content below
  if (a.secret === b.secret && a.tokenState === b.tokenState) return true;
  try {
    return (
      JSON.stringify(ctx.open(a)) === JSON.stringify(ctx.open(b)) &&
      JSON.stringify(ctx.openState(a)) === JSON.stringify(ctx.openState(b))
    );
    // An emptied catch (an equivalent mutant: no comment here can mark it) returns undefined, as falsy as false.
  } catch {
    return false; // what cannot be opened cannot be shown unchanged: treat it as changed
  }
}

/**
 * A token write: `change(record)` over `base` by {@link compareAndSet}, applied again on a newer
 * version only while its secret, token state and status still hold what `base` held (someone renamed
 * it, a key rotation re-sealed it). If another writer changed them (a newer token from another lease
 * holder, a new secret, a re-authorization) nothing is written and null returned: a holder whose lease
 * expired can never overwrite a newer token.
 */
export function writeOver(
  ctx: TargetContext,
  store: CredentialStore,
  base: StoredCredential,
  change: (record: StoredCredential) => StoredCredential,
): Promise<StoredCredential | null> {
  return compareAndSet(store, base, change, { retryOver: (latest) => sameContent(ctx, base, latest) });
}
