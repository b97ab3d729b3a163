import { CredkitError } from "../errors.js";
import type { StoredCredential } from "../record.js";
import type { CredentialStore } from "../storage.js";

/**
 * Where a store built by `defineCredentialStore` keeps its hooks. A registered symbol, so hooks added
 * by another copy of core reach the same lists.
 */
export const STORE_HOOKS: unique symbol = Symbol.for("@credkit/core.storeHooks");

/** The store operations an {@link StoreOperationEvent} names (`close` is not reported). */
export type StoreOperation = Exclude<
  {
    [K in keyof CredentialStore]-?: CredentialStore[K] extends (...args: never[]) => unknown ? K : never;
  }[keyof CredentialStore],
  "close"
>;

/** The kinds of write a {@link CredentialWrite} announces. */
export type CredentialWriteKind = "create" | "update" | "delete" | "consume";

/**
 * One write of a credential record, announced by the store it went through after the backend
 * answered. Ids, version and the sealed record only: never plaintext.
 */
export interface CredentialWrite {
  kind: CredentialWriteKind;
  clientId: string;
  credentialId: string;
  /**
   * The version the record has after the write (`create`, `update`), or had when it was removed
   * (`consume` that won); null when unknown (`delete`, or a write that failed).
   */
  version: number | null;
  /** The sealed record a `create` or `update` wrote (it may not have been stored if the write failed); null for `delete`/`consume`. */
  record: StoredCredential | null;
  /** False when the write threw: it may still have applied, but its caller is told it failed. */
  succeeded: boolean;
}

/** One store operation as it settled, for metrics: which store, what, how long, and how it failed. */
export interface StoreOperationEvent {
  /** The store's `name` (`memory`, `redis`, `dynamodb`, a custom one). */
  store: string;
  operation: StoreOperation;
  /** Seconds the backend took, measured around the driver's call. */
  seconds: number;
  /** The failure's `code` (`STORAGE_UNAVAILABLE`, `VERSION_CONFLICT`, ... or `UNKNOWN`); absent on success. */
  errorCode?: string;
}

/**
 * What may listen to a store. Every store built by `defineCredentialStore` calls these itself, so a
 * method added to the store later needs no forwarding code, and every caller's writes are announced
 * (the service, token refreshes, re-encryption, an embedder's own code).
 */
export interface StoreHooks {
  /**
   * After every write of a record, succeeded or not. The write returns once the returned promise has
   * settled (the near cache makes a revoking write wait until no process can serve what it revoked). A
   * rejection does not fail the write (it happened): the hook reports its own failures.
   */
  write?(write: CredentialWrite): void | Promise<void>;
  /** After every operation but `close`. Called synchronously: keep it cheap (a counter, a histogram). */
  operation?(event: StoreOperationEvent): void;
}

/** The hooks a defined store calls (see {@link STORE_HOOKS}): those with `write`, those with `operation`. */
export interface StoreHookLists {
  readonly writers: StoreHooks[];
  readonly observers: StoreHooks[];
}

/** Fresh, empty hook lists for a store being defined. */
export function createStoreHookLists(): StoreHookLists {
  return { writers: [], observers: [] };
}

/**
 * Adds `hooks` to `store` (built by `defineCredentialStore`, by this copy of core or another) and
 * returns what removes them. Adding the same hooks object twice adds it once. A store not built by the
 * factory is a CONFIGURATION_ERROR: it would announce nothing.
 */
export function addStoreHooks(store: CredentialStore, hooks: StoreHooks): () => void {
  const lists = (store as { [STORE_HOOKS]?: StoreHookLists })[STORE_HOOKS];
  if (!lists) {
    throw new CredkitError(
      "CONFIGURATION_ERROR",
      `The store "${store.name}" was not built with defineCredentialStore, so it announces nothing to hooks`,
    );
  }
  const added = [hooks.write ? lists.writers : null, hooks.operation ? lists.observers : null].filter(
    (list): list is StoreHooks[] => list !== null && !list.includes(hooks),
  );
  for (const list of added) list.push(hooks);
  return () => {
    for (const list of added.splice(0)) {
      const at = list.indexOf(hooks);
      // Stryker disable next-line ConditionalExpression: `added` holds only lists it was pushed to, emptied on the first call: `at` is never -1 through the API
      if (at >= 0) list.splice(at, 1);
    }
  };
}
