import type { AnyCredkitEvent } from "../events/event-types.js";
import type { StoredCredential } from "../record.js";
import { isLifetimeOver } from "../records/lifetime.js";
import type { Found } from "./find-records.js";

/** Why a request did not verify. Never carries secret material. */
export type VerifyFailureReason = "NO_CREDENTIAL" | "INVALID" | "EXPIRED" | "DENIED" | "JWKS_UNAVAILABLE";

/**
 * A verification's outcome inside core: the record that passed (never handed out: the public API
 * builds a view or reads the id it needs), whether a fail-open jwtVerify let it through unverified,
 * and whether this pass spent a single-use credential.
 */
export type Verified =
  | {
      ok: true;
      record: StoredCredential;
      degraded: boolean;
      consumed: boolean;
      /** The `credential.consumed` event the spending consume stored with it (see {@link SpendEvent}). */
      event?: AnyCredkitEvent | null;
    }
  | { ok: false; reason: VerifyFailureReason };

/**
 * The `credential.consumed` event of spending `record`, drafted before the consume so the store writes
 * it in the same atomic step (`carried`), or null when nobody listens; `tell` tells this process's
 * listeners, and is called once the consume won (in the same step as the verdict: no extra tick for
 * every other verification).
 */
export type SpendEvent = (record: StoredCredential) => {
  event: AnyCredkitEvent | null;
  carried: readonly AnyCredkitEvent[] | undefined;
  tell(): void;
};

const INVALID: Verified = { ok: false, reason: "INVALID" };
const DENIED: Verified = { ok: false, reason: "DENIED" };
const EXPIRED: Verified = { ok: false, reason: "EXPIRED" };

/**
 * What every matched credential must still pass: a permanent proxy credential within its lifetime
 * whose rule is allow. Runs on near-cache hits too, so a cached verdict is refused at `expiresAt`
 * (`clock` gives epoch milliseconds). A single-use one is spent by its first successful use, atomically in
 * the store: of concurrent users, across processes, exactly one wins (the others are INVALID).
 */
export function accept(
  { record, store }: Found,
  degraded: boolean,
  clock: () => number,
  spendEvent?: SpendEvent,
): Verified | Promise<Verified> {
  if (record.credentialType !== "proxy" || record.temporary) return INVALID;
  // The clock is read only when the lifetime can end (most credentials have none): a clock read on
  // every verification was measurable (bench/verify.ts).
  if (record.lifetimeEndsAt != null && isLifetimeOver(record, clock())) return EXPIRED;
  if (record.defaultRuleEffect === "deny") return DENIED;
  if (!record.singleUse) return { ok: true, record, degraded, consumed: false };
  const spent = spendEvent?.(record);
  return store.consume(record.clientId, record.credentialId, spent?.carried).then((won): Verified => {
    if (!won) return INVALID;
    spent?.tell();
    return { ok: true, record, degraded, consumed: true, event: spent?.event ?? null };
  });
}
