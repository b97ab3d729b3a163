import { CredkitError, isCredkitError } from "../errors.js";
import type { StoredCredential } from "../record.js";
import { type CredentialStore, type Page, STORE_RULES } from "../storage.js";
import { decodeCursor, encodeCursor, invalidCursor, type StorePosition } from "./store-cursor.js";
import {
  type CredentialWrite,
  createStoreHookLists,
  STORE_HOOKS,
  type StoreHookLists,
  type StoreOperation,
} from "./store-hooks.js";
import { assertLeaseTtl, assertPageLimit, assertVersionStep, isExpired } from "./store-rules.js";

/** What a driver's `list` is asked: a checked page size and the decoded position to resume after. */
export interface DriverListOptions {
  /** An integer from 1 to 1000 (checked before the driver is called). */
  limit: number;
  /** The position the driver returned as `next` on the previous page; undefined for the first page. */
  after: StorePosition | undefined;
  /** Include temporary (pending) records that have not expired. */
  includeTemporary: boolean;
}

/** What a driver's `scan` is asked: a checked page size and the decoded position to resume after. */
export interface DriverScanOptions {
  /** An integer from 1 to 1000 (checked before the driver is called). */
  limit: number;
  /** The position the driver returned as `next` on the previous page; undefined for the first page. */
  after: StorePosition | undefined;
}

/** A driver's page: the records and where the next page starts (null: nothing after this page). */
export interface DriverPage {
  items: StoredCredential[];
  next: StorePosition | null;
}

/**
 * What a storage backend implements to become a {@link CredentialStore}: the store's methods with
 * their contracts (see {@link CredentialStore}), minus what every store shares, which
 * {@link defineCredentialStore} adds. A driver pages by positions (arrays of strings it chooses, such as
 * the last id it returned); the factory turns them into cursors and back. When a position it is given
 * has the wrong shape for it, it throws {@link invalidCursor} (any other exception while resuming is
 * reported as that error too).
 */
export interface StoreDriver
  extends Omit<CredentialStore, "list" | "scan" | typeof STORE_RULES | typeof STORE_HOOKS> {
  list(clientId: string, options: DriverListOptions): Promise<DriverPage>;
  scan(options: DriverScanOptions): Promise<DriverPage>;
}

/** Options of {@link defineCredentialStore}. */
export interface DefineStoreOptions {
  /** The clock expiry is judged by, in epoch milliseconds: the backend's own. Default `Date.now`. */
  now?: () => number;
}

/**
 * Builds a {@link CredentialStore} from a driver, with the rules every store shares applied here, once:
 * nothing expired (`expiresAt <= now`, by `options.now`) is ever returned by any read; a page size
 * outside 1..1000, an update whose version step is not one and a lease TTL that is not positive are
 * refused before the driver is asked; cursors are credkit's one format (longest 4096 characters), a
 * cursor it did not make is a VALIDATION_ERROR naming `cursor` (never a restart from the beginning); an
 * empty `findByLookups` answers `[]` without the driver; a driver's synchronous throw becomes a
 * rejection. The service accepts only stores built here (a CONFIGURATION_ERROR says so otherwise), so
 * the rules hold for custom stores too, without a wrapper around a finished store.
 *
 * The store also calls the hooks added to it with `addStoreHooks`: every write (create, update,
 * delete, consume) is announced after the backend answered, whoever wrote, and every operation is
 * reported with its duration. Without hooks this costs one length check per call.
 */
export function defineCredentialStore<D extends StoreDriver>(
  driver: D,
  options: DefineStoreOptions = {},
): CredentialStore & { readonly name: D["name"] } {
  const now = options.now ?? Date.now;
  // The clock is read only for a record that can expire (most never do: a clock read per hot read was
  // measurable, bench/verify.ts).
  const alive = (record: StoredCredential | null) =>
    record !== null && record.expiresAt !== null && isExpired(record, now()) ? null : record;
  // The verifier's read: the driver's own answer is kept unless a record in it has expired (the usual
  // case), one clock read for the batch at most (a copy per answer was an eighth of an apiKey verification).
  const allAlive = (records: (StoredCredential | null)[]): (StoredCredential | null)[] => {
    let at: number | undefined;
    for (const record of records) {
      if (record === null || record.expiresAt === null) continue;
      at ??= now();
      // Stryker disable next-line ConditionalExpression: mapping an answer with nothing expired in it gives an equal copy (a cost, not a result)
      if (isExpired(record, at))
        return records.map((each) => (each !== null && isExpired(each, at as number) ? null : each));
    }
    return records;
  };
  const page = (
    kind: string,
    cursor: string | undefined,
    read: (after?: StorePosition) => Promise<DriverPage>,
  ) =>
    settle(() => read(cursor === undefined ? undefined : decodeCursor(kind, cursor))).then(
      (found): Page => {
        const at = now();
        const items = found.items.filter((item) => !isExpired(item, at));
        return { items, cursor: found.next === null ? null : encodeCursor(kind, found.next) };
      },
      (error: unknown) => {
        throw cursor === undefined ? error : cursorError(error);
      },
    );
  const hooks = createStoreHookLists();
  const name = driver.name;
  // Each operation runs through `observed`, each write through `announced` too: the one place store
  // hooks are called, so the hooks' users (metrics, the near cache) never name a store method.
  // `after` (a rule applied to the answer, such as `alive`) runs in the same step as the report: one
  // promise per read, not two.
  const observed = <T>(
    operation: StoreOperation,
    run: () => T | Promise<T>,
    after?: (result: T) => T,
  ): Promise<T> =>
    // Stryker disable next-line ConditionalExpression: timed() with no observers reports to nobody (a cost, not a result)
    hooks.observers.length === 0
      ? // Stryker disable next-line ConditionalExpression: then(undefined) passes the answer through (a tick, not a result)
        after === undefined
        ? settle(run)
        : settle(run).then(after)
      : timed(hooks, name, operation, run, after);
  const announced = <T>(
    operation: CredentialWrite["kind"],
    run: () => T | Promise<T>,
    write: (result: T | undefined, succeeded: boolean) => CredentialWrite,
  ): Promise<T> => {
    const done = observed(operation, run);
    // Stryker disable next-line ConditionalExpression: announcing to no writers is an extra tick, not a result
    if (hooks.writers.length === 0) return done;
    return done.then(
      async (result) => {
        await announce(hooks, write(result, true));
        return result;
      },
      async (error: unknown) => {
        await announce(hooks, write(undefined, false));
        throw error;
      },
    );
  };
  return {
    [STORE_RULES]: true,
    [STORE_HOOKS]: hooks,
    name,
    create: (record, events) =>
      announced(
        "create",
        () => driver.create(record, events),
        (_, succeeded) => ({
          ...written("create", record, succeeded),
          version: succeeded ? record.version : null,
        }),
      ),
    // The hot reads: one `.then` is the whole cost of the rule (the resolve and verify benchmarks).
    get: (clientId, credentialId) => observed("get", () => driver.get(clientId, credentialId), alive),
    findByLookup: (clientId, lookupHash) =>
      observed("findByLookup", () => driver.findByLookup(clientId, lookupHash), alive),
    findByLookups: (clientId, lookupHashes) =>
      lookupHashes.length === 0
        ? Promise.resolve([])
        : observed("findByLookups", () => driver.findByLookups(clientId, lookupHashes), allAlive),
    list: (clientId, { limit, cursor, includeTemporary }) =>
      settle(() => assertPageLimit(limit)).then(() =>
        page("list", cursor, (after) =>
          observed("list", () =>
            driver.list(clientId, { limit, after, includeTemporary: includeTemporary === true }),
          ),
        ),
      ),
    scan: ({ limit, cursor }) =>
      settle(() => assertPageLimit(limit)).then(() =>
        page("scan", cursor, (after) => observed("scan", () => driver.scan({ limit, after }))),
      ),
    update: (next, expectedVersion, previousLookupHash, events) =>
      announced(
        "update",
        () => {
          assertVersionStep(next, expectedVersion);
          return driver.update(next, expectedVersion, previousLookupHash, events);
        },
        (saved, succeeded) => ({
          ...written("update", next, succeeded),
          version: succeeded && saved ? saved.version : null,
        }),
      ).then(alive),
    delete: (clientId, credentialId, events, read) =>
      announced(
        "delete",
        () => driver.delete(clientId, credentialId, events, read),
        (_, succeeded) => removed("delete", clientId, credentialId, null, succeeded),
      ),
    consume: (clientId, credentialId, events) =>
      announced(
        "consume",
        () => driver.consume(clientId, credentialId, events),
        (won, succeeded) => removed("consume", clientId, credentialId, won?.version ?? null, succeeded),
      ).then(alive),
    acquireLease: (lease, owner, ttlMs) =>
      observed("acquireLease", () => {
        assertLeaseTtl(ttlMs);
        return driver.acquireLease(lease, owner, ttlMs);
      }),
    releaseLease: (lease, owner) => observed("releaseLease", () => driver.releaseLease(lease, owner)),
    pendingEvents: (limit) =>
      observed("pendingEvents", () => {
        assertPageLimit(limit);
        return driver.pendingEvents(limit);
      }),
    removePendingEvents: (events) =>
      events.length === 0
        ? Promise.resolve()
        : observed("removePendingEvents", () => driver.removePendingEvents(events)),
    ping: () => observed("ping", () => driver.ping()),
    close: () => settle(() => driver.close()),
  };
}

/** The announcement of a `create` or `update` of `record` (its version is set by the caller). */
function written(
  kind: "create" | "update",
  record: StoredCredential,
  succeeded: boolean,
): Omit<CredentialWrite, "version"> {
  return { kind, clientId: record.clientId, credentialId: record.credentialId, record, succeeded };
}

/** The announcement of a delete or consume: the record is gone, so only its ids (and a spent use's version). */
function removed(
  kind: "delete" | "consume",
  clientId: string,
  credentialId: string,
  version: number | null,
  succeeded: boolean,
): CredentialWrite {
  return { kind, clientId, credentialId, version, record: null, succeeded };
}

/** Calls every write hook and waits for all of them; a hook's failure never fails the write. */
async function announce(hooks: StoreHookLists, write: CredentialWrite): Promise<void> {
  await Promise.all(
    hooks.writers.map(async (hook) => {
      try {
        // Stryker disable next-line OptionalChaining: only hooks with `write` are in `writers` (addStoreHooks)
        await hook.write?.(write);
      } catch {
        // The write happened: the hook reports its own failures (see StoreHooks.write).
      }
    }),
  );
}

/** Tells every operation hook of one operation, with its duration and failure code. */
function report(
  hooks: StoreHookLists,
  store: string,
  operation: StoreOperation,
  started: number,
  errorCode?: string,
): void {
  const seconds = (performance.now() - started) / 1000;
  const event =
    errorCode === undefined ? { store, operation, seconds } : { store, operation, seconds, errorCode };
  for (const hook of hooks.observers) {
    try {
      // Stryker disable next-line OptionalChaining: only hooks with `operation` are in `observers` (addStoreHooks)
      hook.operation?.(event);
    } catch {
      // A metrics hook never changes what the operation answers.
    }
  }
}

/**
 * Runs one operation, reports it to every operation hook, then applies `after` to its answer (the
 * report times the backend only).
 */
function timed<T>(
  hooks: StoreHookLists,
  store: string,
  operation: StoreOperation,
  run: () => T | Promise<T>,
  after: ((result: T) => T) | undefined,
): Promise<T> {
  const started = performance.now();
  return settle(run).then(
    (result) => {
      report(hooks, store, operation, started);
      return after === undefined ? result : after(result);
    },
    (error: unknown) => {
      const code = (error as { code?: unknown } | null)?.code;
      report(hooks, store, operation, started, typeof code === "string" ? code : "UNKNOWN");
      throw error;
    },
  );
}

/**
 * CONFIGURATION_ERROR unless `store` was built by {@link defineCredentialStore} (by this copy of core or
 * another: the mark is a registered symbol), so a store that would skip the shared rules is refused at
 * start rather than trusted.
 */
export function assertDefinedStore(store: CredentialStore): void {
  if ((store as Partial<CredentialStore> | undefined)?.[STORE_RULES] !== true) {
    const name = typeof store?.name === "string" ? ` "${store.name}"` : "";
    throw new CredkitError(
      "CONFIGURATION_ERROR",
      `The store${name} was not built with defineCredentialStore, so the shared store rules would not hold`,
    );
  }
}

// Every store method is async: a driver's synchronous throw (or a rule's) is a rejection, never a throw.
function settle<T>(run: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(run());
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * A driver's error while resuming from a cursor: its own VALIDATION_ERROR naming `cursor` stays, and so
 * do its other CredkitErrors (STORAGE_UNAVAILABLE, ...); any other failure (a bare exception from a
 * driver choking on a position) is the one cursor error.
 */
function cursorError(error: unknown): unknown {
  if (isCredkitError(error) && error.code !== "VALIDATION_ERROR") return error;
  if (isCredkitError(error, "VALIDATION_ERROR") && error.errors?.some((e) => e.path === "cursor"))
    return error;
  return invalidCursor(error);
}
