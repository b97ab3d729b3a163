import { type Around, decorate } from "../decorate.js";
import { CredkitError, isCredkitError } from "../errors.js";
import type { StoredCredential } from "../record.js";
import { mapStores, type RegionMap } from "../regions.js";
import type { CredentialStore, Page } from "../storage.js";

/**
 * The rules every store shares, defined once. Adapters use these helpers; `withStoreRules` enforces
 * them around any store the service is given (custom ones included); the conformance suite pins them.
 */

/** The largest page a `list` or `scan` may ask for. */
export const MAX_PAGE_SIZE = 1000;
/** The longest cursor a store is handed: anything longer was not made by a store. */
export const MAX_CURSOR_LENGTH = 4096;

/** The one expiry rule: a record whose `expiresAt` is at or before `now` is expired (never returned). */
export function isExpired(record: Pick<StoredCredential, "expiresAt">, now: number): boolean {
  return record.expiresAt !== null && record.expiresAt <= now;
}

/** VALIDATION_ERROR (path `limit`) unless `limit` is an integer from 1 to {@link MAX_PAGE_SIZE}. */
export function assertPageLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new CredkitError("VALIDATION_ERROR", `limit must be an integer from 1 to ${MAX_PAGE_SIZE}`, {
      errors: [{ path: "limit", message: `must be an integer from 1 to ${MAX_PAGE_SIZE}` }],
    });
  }
}

/** VALIDATION_ERROR (path `version`) unless `next.version` is `expectedVersion + 1`. */
export function assertVersionStep(next: Pick<StoredCredential, "version">, expectedVersion: number): void {
  if (!Number.isInteger(expectedVersion) || expectedVersion < 1 || next.version !== expectedVersion + 1) {
    throw new CredkitError("VALIDATION_ERROR", "next.version must be expectedVersion + 1", {
      errors: [{ path: "version", message: `must be ${expectedVersion + 1}` }],
    });
  }
}

/** VALIDATION_ERROR (path `ttlMs`) unless a lease's `ttlMs` is a finite number of milliseconds above 0. */
export function assertLeaseTtl(ttlMs: number): void {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new CredkitError("VALIDATION_ERROR", "ttlMs must be a positive number of milliseconds", {
      errors: [{ path: "ttlMs", message: "must be a positive number of milliseconds" }],
    });
  }
}

/** The VALIDATION_ERROR (path `cursor`) for a cursor the store did not make. */
export function invalidCursor(cause?: unknown): CredkitError {
  return new CredkitError("VALIDATION_ERROR", "The cursor is not valid", {
    errors: [{ path: "cursor", message: "is not a cursor this store returned" }],
    ...(cause === undefined ? {} : { cause }),
  });
}

function assertCursorShape(cursor: string | undefined): void {
  if (
    cursor !== undefined &&
    (typeof cursor !== "string" || cursor === "" || cursor.length > MAX_CURSOR_LENGTH)
  )
    throw invalidCursor();
}

/**
 * A store's error for a list or scan with a cursor: a store's own VALIDATION_ERROR becomes the one
 * that names `cursor`, and so does a bare exception (a custom store choking on a cursor it cannot
 * decode); its other CredkitErrors (STORAGE_UNAVAILABLE, ...) stay as they are.
 */
function cursorError(error: unknown): unknown {
  if (isCredkitError(error) && error.code !== "VALIDATION_ERROR") return error;
  if (isCredkitError(error, "VALIDATION_ERROR") && error.errors?.some((e) => e.path === "cursor"))
    return error;
  return invalidCursor(error);
}

const live = (now: () => number) => (record: StoredCredential | null) =>
  record !== null && isExpired(record, now()) ? null : record;

/**
 * `store` with the shared rules enforced around it: nothing expired (`expiresAt <= now`) is ever
 * returned, whatever the backend's own clock or boundary; a page size outside 1..1000, an update
 * whose version step is not one and a lease TTL that is not positive are refused before the store is
 * asked; a cursor the store cannot read is a VALIDATION_ERROR naming `cursor` (never a restart from the
 * beginning). Every other call and argument is forwarded untouched.
 */
export function withStoreRules(store: CredentialStore, now: () => number = Date.now): CredentialStore {
  const ruled = decorate(store, rulesAround(now));
  unruled.set(ruled, store);
  return ruled;
}

// The store under each rules wrapper, for the hot reads that check expiry themselves (see `liveReader`).
const unruled = new WeakMap<CredentialStore, CredentialStore>();

/**
 * The object a hot read (`get`, `findByLookup`, `findByLookups`) is sent to: the store under its rules wrapper. The
 * caller applies {@link isExpired} to the result right after its own `await`, which costs nothing,
 * where the wrapper's check costs a promise hop per read (about 0.1 µs; the resolve benchmark's static
 * path is under 1 µs). Only the record layer's `load` and proxy verification's lookup use it.
 */
export function liveReader(
  store: CredentialStore,
): Pick<CredentialStore, "get" | "findByLookup" | "findByLookups"> {
  return unruled.get(store) ?? store;
}

/** The rules as a {@link decorate} function. */
function rulesAround(now: () => number): Around<CredentialStore> {
  const alive = live(now);
  const livePage = (page: Page): Page => {
    const items = page.items.filter((item) => alive(item) !== null);
    return items.length === page.items.length ? page : { ...page, items };
  };
  const ruled: Around<CredentialStore> = (method, args, invoke) => {
    switch (method) {
      case "get":
      case "findByLookup":
      case "consume":
        return (invoke(args) as Promise<StoredCredential | null>).then(alive) as ReturnType<typeof invoke>;
      case "findByLookups":
        return (invoke(args) as Promise<(StoredCredential | null)[]>).then((records) =>
          records.map(alive),
        ) as ReturnType<typeof invoke>;
      case "update": {
        const [next, expectedVersion] = args as unknown as Parameters<CredentialStore["update"]>;
        assertVersionStep(next, expectedVersion);
        return (invoke(args) as Promise<StoredCredential | null>).then(alive) as ReturnType<typeof invoke>;
      }
      case "acquireLease":
        assertLeaseTtl(args[2] as number);
        return invoke(args);
      case "list":
      case "scan": {
        const options = args[method === "list" ? 1 : 0] as { limit: number; cursor?: string | undefined };
        assertPageLimit(options.limit);
        assertCursorShape(options.cursor);
        const listed = invoke(args) as Promise<Page>;
        return listed.then(livePage, (error: unknown) => {
          throw options.cursor === undefined ? error : cursorError(error);
        }) as ReturnType<typeof invoke>;
      }
      default:
        return invoke(args);
    }
  };
  return (method, args, invoke) => {
    try {
      return ruled(method, args, invoke);
    } catch (error) {
      return Promise.reject(error) as ReturnType<typeof invoke>; // every store method is async
    }
  };
}

/**
 * The region map with every distinct store wrapped once by {@link withStoreRules} (regions that share a
 * store keep sharing one wrapper, so each store is still asked once per list).
 */
export function withRulesOnEveryStore(regions: RegionMap, now: () => number): RegionMap {
  return mapStores(regions, (store) => withStoreRules(store, now));
}
