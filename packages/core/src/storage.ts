import type { AnyCredkitEvent } from "./events/event-types.js";
import type { StoredCredential } from "./record.js";
import type { STORE_HOOKS, StoreHookLists } from "./records/store-hooks.js";

/**
 * The mark of a store built by `defineCredentialStore`, which applies the shared store rules. A
 * registered symbol, so a store built by another copy of core carries the same mark.
 */
export const STORE_RULES: unique symbol = Symbol.for("@credkit/core.storeRules");

/** Options of {@link CredentialStore.list}. */
export interface ListOptions {
  /** At most this many items are returned (1..1000). */
  limit: number;
  /** The `cursor` a previous call returned; absent for the first page. */
  cursor?: string | undefined;
  /** Include temporary (pending) records that have not expired. Default false. */
  includeTemporary?: boolean | undefined;
}

/** One page of records. `cursor` is null when there is nothing after this page. */
export interface Page {
  items: StoredCredential[];
  cursor: string | null;
}

/**
 * The lifecycle events a write appends to its store's pending-event log, in the same atomic step as the
 * change (one Lua script, one DynamoDB transaction, one synchronous step in memory): an acknowledged
 * change always has its event stored. Appended only when the write applies (a create that conflicts, an
 * update that loses its compare-and-set, a delete or consume that finds nothing append nothing).
 * Empty or absent: the write costs what it did without events.
 */
export type WriteEvents = readonly AnyCredkitEvent[];

/** One event waiting in a store's pending-event log, with the store's own handle to remove it by. */
export interface PendingEvent {
  /** Opaque to callers: what {@link CredentialStore.removePendingEvents} needs to remove this entry. */
  handle: string;
  event: AnyCredkitEvent;
}

/** Options of {@link CredentialStore.scan}. */
export interface ScanOptions {
  limit: number;
  cursor?: string | undefined;
}

/**
 * The storage contract every store keeps (memory, Redis, DynamoDB, custom ones). Every method is required
 * and async. Stores hold only encrypted records: they never see plaintext and never decrypt. A store is
 * built by `defineCredentialStore` from a `StoreDriver`, which applies the rules below that every store
 * shares (expiry of reads, page size, version step, lease TTL, cursors), so a driver implements only
 * what its backend does.
 *
 * Shared rules:
 * - Times are epoch milliseconds (`expiresAt`, `now`) or milliseconds (`ttlMs`).
 * - "Not found" is `null` (or `false`), never an exception. A record whose `expiresAt` is in the past is
 *   treated as not found by every method, even if the backend has not deleted it yet.
 * - Contract violations throw `CredkitError` (`CONFLICT`, `VERSION_CONFLICT`); backend failures throw
 *   `CredkitError("STORAGE_UNAVAILABLE")` with the client error as `cause`; nothing is swallowed.
 * - Records of one `clientId` may be kept together (a Redis hash tag, a DynamoDB partition): every
 *   multi-key write below is atomic, on a cluster too.
 */
export interface CredentialStore {
  /** Set by `defineCredentialStore`: the shared store rules hold for this store. */
  readonly [STORE_RULES]: true;

  /** Set by `defineCredentialStore`: the hooks the store calls (add them with `addStoreHooks`). */
  readonly [STORE_HOOKS]?: StoreHookLists;

  /** Short backend name for errors and metrics, e.g. `memory`, `redis`, `dynamodb`. */
  readonly name: string;

  /**
   * Inserts a new record (`version` is 1) and, when `lookupHash` is set, its lookup entry, atomically.
   * Throws `CONFLICT` when the credential id exists, or when another live record of the same client
   * holds the same `lookupHash`; nothing is written then.
   */
  create(record: StoredCredential, events?: WriteEvents): Promise<void>;

  /** The record, or null when absent or expired. Reads see every write that completed before them. */
  get(clientId: string, credentialId: string): Promise<StoredCredential | null>;

  /**
   * One page of a client's records in ascending `credentialId` order. Temporary records are skipped
   * unless `includeTemporary`; expired ones always are. A page may hold fewer than `limit` items while
   * a cursor is still returned; following cursors until null visits every record that existed for the
   * whole walk exactly once. Cursors are opaque strings.
   */
  list(clientId: string, options: ListOptions): Promise<Page>;

  /**
   * Compare-and-set: replaces the stored record with `next` only if the stored `version` equals
   * `expectedVersion` (and `next.version` must be `expectedVersion + 1`). The lookup entry moves with
   * the record when `lookupHash` changes, in the same atomic step. Returns `next`, or null when the
   * record is absent or expired. Throws `VERSION_CONFLICT` when the version differs, and `CONFLICT` when
   * the new lookup hash belongs to another record; nothing is written then.
   *
   * `previousLookupHash` is the lookup hash of the version being replaced, when the caller read it (the
   * service always has). A store may use it to move the lookup entry in the same request; it is sound
   * because the write only happens if the stored version is `expectedVersion`, i.e. exactly the record
   * the caller read. Stores that find the old entry themselves ignore it.
   */
  update(
    next: StoredCredential,
    expectedVersion: number,
    previousLookupHash?: string | null,
    events?: WriteEvents,
  ): Promise<StoredCredential | null>;

  /**
   * Deletes the record and its lookup entry atomically. True if it existed (and had not expired).
   *
   * `read` is the record as the caller just read it from this store (the service has, when it reports
   * the delete). A store that must know the version and lookup hash before it writes may use it instead
   * of reading again; it is sound because that write only happens if the stored version is still
   * `read.version`. When the record changed in between, the store removes what is there now, as without
   * it. Stores that remove in one step ignore it.
   */
  delete(
    clientId: string,
    credentialId: string,
    events?: WriteEvents,
    read?: StoredCredential,
  ): Promise<boolean>;

  /**
   * Atomic get-and-delete (single-use credentials): returns the record and removes it and its lookup
   * entry in one step. Of N concurrent callers, across processes, exactly one receives the record; the
   * others receive null.
   */
  consume(clientId: string, credentialId: string, events?: WriteEvents): Promise<StoredCredential | null>;

  /** The live record of `clientId` whose `lookupHash` equals `lookupHash`, or null. One read. */
  findByLookup(clientId: string, lookupHash: string): Promise<StoredCredential | null>;

  /**
   * `findByLookup` for many hashes at once: the answer has one entry per entry of `lookupHashes`, in
   * the same order, each the live record of `clientId` holding that hash, or null (missing, expired,
   * another client's). A hash given twice is answered twice. Expired records are never returned.
   * An empty list answers `[]` without touching the backing service.
   *
   * The bound on a proxy verification's store work: it sends every candidate value of a request here
   * in one call, so the call must cost **at most one round trip** to the backing service, whatever the
   * number of hashes (one script, one pipeline, one batch request: never one request per hash; a
   * service whose batch is bounded, such as DynamoDB's 100 keys, sends its batches together). Proxy
   * verification sends at most 34 candidate values per request, each hashed under every keyring key.
   */
  findByLookups(clientId: string, lookupHashes: readonly string[]): Promise<(StoredCredential | null)[]>;

  /**
   * Walks every record of every client (for re-encryption under a new key), in pages of at most
   * `limit`. Every record that exists for the whole walk is returned at least once; cursors are opaque
   * and stay valid across process restarts, so a job can resume from the last one it saved.
   */
  scan(options: ScanOptions): Promise<Page>;

  /**
   * Takes the lease `name` for `owner` for `ttlMs` if nobody else holds it (or the holder's lease
   * expired); its current holder acquiring it again renews it. True if `owner` now holds it. Used to
   * let one process at a time refresh a shared token.
   */
  acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean>;

  /** Releases the lease only if `owner` still holds it: an expired holder can never free another's. */
  releaseLease(name: string, owner: string): Promise<boolean>;

  /**
   * Up to `limit` events of the pending-event log (see {@link WriteEvents}), oldest first; events of one
   * credential always in the order their writes applied. Reading removes nothing: the event relay
   * removes what it has handed on with {@link CredentialStore.removePendingEvents}.
   */
  pendingEvents(limit: number): Promise<PendingEvent[]>;
  /** Removes these entries from the pending-event log (entries already gone are ignored). */
  removePendingEvents(events: readonly PendingEvent[]): Promise<void>;
  /** Resolves when the backend answers; throws `STORAGE_UNAVAILABLE` otherwise. */
  ping(): Promise<void>;

  /** Releases what the store itself owns (timers). Never closes an injected client: its caller owns it. */
  close(): Promise<void>;
}
