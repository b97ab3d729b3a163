import { parseOpenedJson, recordIdentity } from "../crypto/envelope.js";
import type { Keyring } from "../crypto/keyring.js";
import { isCredkitError } from "../errors.js";
import { lookupValueOf } from "../lookup.js";
import type { AuthType, StoredCredential } from "../record.js";
import type { RegionRouter } from "../regions.js";
import type { SecretOf } from "../schemas/secrets.js";
import type { CredentialStore, WriteEvents } from "../storage.js";
import { openTokenState, type TokenState } from "../target/token-state.js";
import { retainedUntil } from "./lifetime.js";
import { duplicateLookup, notFound } from "./not-found.js";
import { createOpenedCache } from "./opened-cache.js";

/** A record's secret with its type told by its auth type: narrow on `authType`, no casts. */
export type OpenedSecret = { [A in AuthType]: { authType: A; secret: SecretOf<A> } }[AuthType];

/** A record and the store it lives in. */
export interface Loaded {
  store: CredentialStore;
  record: StoredCredential;
}

/**
 * What every operation on a stored credential needs, in one place: find and load it (NOT_FOUND), open
 * its envelopes (decrypted once per envelope, see `createOpenedCache`), seal a secret (envelope and
 * lookup hash) and keep proxy secrets unique per client. Writes go through `compareAndSet`.
 */
export interface Records {
  router: RegionRouter;
  keyring: Keyring;
  /** The record and its store; NOT_FOUND when the id names no served region, or it is absent or expired. */
  load(clientId: string, credentialId: string): Promise<Loaded>;
  /**
   * What `use` makes of the record and its store, NOT_FOUND as {@link Records.load}: `load` itself,
   * for a caller that needs something else (a view), in the read's own promise step.
   */
  read<T>(
    clientId: string,
    credentialId: string,
    use: (record: StoredCredential, store: CredentialStore) => T,
  ): Promise<T>;
  /** The record's decrypted secret, typed by its auth type (cached per envelope). */
  open(record: StoredCredential): OpenedSecret;
  /** The record's decrypted token state, `{}` when none (cached per envelope). */
  openState(record: StoredCredential): TokenState;
  /** The `secret` envelope and `lookupHash` of `record` holding `secret` (under the active key). */
  seal(
    record: StoredCredential,
    secret: OpenedSecret["secret"],
  ): Pick<StoredCredential, "secret" | "lookupHash">;
  /**
   * CONFLICT unless `record`'s proxy secret is free in the client's other records. The store enforces
   * uniqueness of its own records under the active key's hash; with several stores or keys (during a
   * rotation) the same secret could hide under another store or an older key's hash, so those are
   * looked at first (only then: the common case costs nothing). Across stores it is best effort.
   */
  assertLookupFree(
    record: StoredCredential,
    secret: OpenedSecret["secret"],
    destination: CredentialStore,
  ): Promise<void>;
  /**
   * Inserts a new record, with the events the insert stores in the same step; CONFLICT (naming the
   * duplicate) when its id or lookup hash is taken.
   */
  insert(store: CredentialStore, record: StoredCredential, events?: WriteEvents): Promise<void>;
  /**
   * The `expiresAt` at rest of a record that is not pending: its lifetime's end plus the
   * expired-retention grace, or null (kept forever) when it has no lifetime.
   */
  retainedUntil(record: Pick<StoredCredential, "lifetimeEndsAt">): number | null;
}

const loaded = (record: StoredCredential, store: CredentialStore): Loaded => ({ store, record });

/** Builds the record layer over the service's region router and keyring. */
export function createRecords(options: {
  router: RegionRouter;
  keyring: Keyring;
  /** How long an expired credential is kept before its store deletes it (see `lifetime.ts`). */
  expiredRetentionMs: number;
}): Records {
  const { router, keyring, expiredRetentionMs } = options;
  const opened = createOpenedCache();
  // Plain functions, not async ones: a read is one step after the store's (the GET benchmark).
  const read = <T>(
    clientId: string,
    credentialId: string,
    use: (record: StoredCredential, store: CredentialStore) => T,
  ): Promise<T> => {
    // Whatever fails is a rejection, as it was from an async function (a store not built by
    // defineCredentialStore may throw).
    try {
      const store = router.storeForId(credentialId);
      if (!store) throw notFound(credentialId);
      // Expired records never come back from a store (defineCredentialStore): no check here.
      return store.get(clientId, credentialId).then((record) => {
        if (!record) throw notFound(credentialId);
        return use(record, store);
      });
    } catch (error) {
      return Promise.reject(error);
    }
  };
  return {
    router,
    keyring,
    load: (clientId, credentialId) => read(clientId, credentialId, loaded),
    read,
    open: (record) =>
      opened.get(record.secret, record, "secret", () => ({
        authType: record.authType,
        secret: parseOpenedJson(keyring.decrypt(record.secret, recordIdentity(record))),
      })) as OpenedSecret,
    openState: (record) =>
      record.tokenState
        ? // Stryker disable next-line StringLiteral: any field name other than "secret" keeps the two apart
          opened.get(record.tokenState, record, "tokenState", () => openTokenState(keyring, record))
        : {},
    seal(record, secret) {
      const lookupValue = lookupValueOf(record.credentialType, record.authType, secret);
      return {
        secret: keyring.encrypt(JSON.stringify(secret), recordIdentity(record)),
        lookupHash: lookupValue === null ? null : keyring.lookupHash(lookupValue),
      };
    },
    async assertLookupFree(record, secret, destination) {
      const value = lookupValueOf(record.credentialType, record.authType, secret);
      // Stryker disable next-line ConditionalExpression: with one store and one key the loop below asks nothing either (the shortcut saves the work)
      if (value === null || (router.stores.length === 1 && keyring.keyIds.length === 1)) return;
      const [active, ...older] = keyring.lookupHashes(value);
      const checks = router.stores.flatMap(({ store }) =>
        (store === destination ? older : [active as string, ...older]).map((hash) =>
          store.findByLookup(record.clientId, hash),
        ),
      );
      const holders = await Promise.all(checks);
      if (holders.some((holder) => holder !== null && holder.credentialId !== record.credentialId)) {
        throw duplicateLookup(record);
      }
    },
    async insert(store, record, events) {
      try {
        await store.create(record, events);
      } catch (error) {
        if (isCredkitError(error, "CONFLICT") && record.lookupHash !== null)
          throw duplicateLookup(record, error);
        throw error;
      }
    },
    retainedUntil: (record) => retainedUntil(record.lifetimeEndsAt, expiredRetentionMs),
  };
}
