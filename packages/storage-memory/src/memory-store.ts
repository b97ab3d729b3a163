import {
  CredkitError,
  type DriverListOptions,
  type DriverPage,
  type DriverScanOptions,
  defineCredentialStore,
  invalidCursor,
  isExpired,
  type PendingEvent,
  type StoreDriver,
  type StoredCredential,
  type StorePosition,
  type WriteEvents,
} from "@credkit/core";
import { SortedKeys } from "./sorted-keys.js";

/** Configuration of {@link memoryStore}. */
export interface MemoryStoreConfig {
  /** Current time in epoch milliseconds; inject one to test expiry. Default `Date.now`. */
  clock?: () => number;
}

/** One client's records, their sorted ids, and lookup hash → credential id. */
interface ClientRecords {
  records: Map<string, StoredCredential>;
  ids: SortedKeys;
  lookups: Map<string, string>;
}

/** A held lease: its owner token and when it lapses (epoch ms). */
interface Lease {
  owner: string;
  expiresAt: number;
}

// A StoredCredential holds only primitive fields, so a spread is a full copy, and far cheaper than
// structuredClone on the verification hot path.
const copy = (record: StoredCredential): StoredCredential => ({ ...record });

/**
 * An in-process `CredentialStore` over Maps: the embedded default, and the reference the other
 * adapters are compared with. Every method runs synchronously to completion before its promise settles,
 * so each one is atomic within this process (and this store is not shared across processes). Records
 * are copied in and out (a spread: every field is a primitive), so callers can never mutate what is
 * stored (the conformance suite pins it). Expired records (`expiresAt <= now`, core's `isExpired`) are treated
 * as absent and removed when an operation comes across them; there is no timer. Built by core's
 * `defineCredentialStore`, which applies the rules every store shares (page size, version step, lease
 * TTL, cursors, nothing expired returned).
 */
export function memoryStore(config: MemoryStoreConfig = {}) {
  const now = config.clock ?? Date.now;
  const clients = new Map<string, ClientRecords>();
  const clientIds = new SortedKeys();
  const leases = new Map<string, Lease>();
  // The pending-event log, by handle in append order (a Map keeps insertion order).
  const pending = new Map<string, PendingEvent>();
  let appended = 0;
  // Called in the same synchronous step as the write it reports: nothing can run between the two.
  const log = (events: WriteEvents | undefined) => {
    for (const event of events ?? []) {
      // Stryker disable next-line UpdateOperator: a handle only has to be unique, and counting down is as unique
      const handle = String(++appended);
      pending.set(handle, { handle, event });
    }
  };

  // The clock is read only for a record that can expire (a read per verification was measurable).
  const expired = (record: StoredCredential) => record.expiresAt !== null && isExpired(record, now());

  function clientFor(clientId: string): ClientRecords {
    let client = clients.get(clientId);
    if (!client) {
      client = { records: new Map(), ids: new SortedKeys(), lookups: new Map() };
      clients.set(clientId, client);
      clientIds.add(clientId);
    }
    return client;
  }

  function remove(clientId: string, client: ClientRecords, record: StoredCredential): void {
    client.records.delete(record.credentialId);
    client.ids.delete(record.credentialId);
    // Stryker disable next-line all: a lookup entry is this record's while it exists (whoever takes the hash evicts it first) and lookupHolder re-checks it: only memory use differs
    if (record.lookupHash !== null && client.lookups.get(record.lookupHash) === record.credentialId) {
      client.lookups.delete(record.lookupHash);
    }
    // Drop empty clients so a churn of short-lived client ids does not grow the maps forever.
    // Stryker disable next-line ConditionalExpression,BlockStatement: memory use only: an empty client answers every read like an absent one
    if (client.records.size === 0) {
      clients.delete(clientId);
      clientIds.delete(clientId);
    }
  }

  /** The stored (not copied) live record, removing it first if it has expired. */
  function live(clientId: string, credentialId: string): StoredCredential | null {
    const client = clients.get(clientId);
    const record = client?.records.get(credentialId);
    if (!client || !record) return null;
    if (expired(record)) {
      remove(clientId, client, record);
      return null;
    }
    return record;
  }

  /** The live record holding `lookupHash` in `clientId`, or null. */
  function lookupHolder(clientId: string, lookupHash: string): StoredCredential | null {
    const credentialId = clients.get(clientId)?.lookups.get(lookupHash);
    // Stryker disable next-line ConditionalExpression: live() of an undefined id finds no record either
    if (credentialId === undefined) return null;
    const record = live(clientId, credentialId);
    // Stryker disable next-line ConditionalExpression: remove and update keep every entry exact, so this second layer is unreachable through the API; kept for safety
    return record?.lookupHash === lookupHash ? record : null;
  }

  /** Live records of `client` after `after`, skipping (and removing) expired ones, up to `limit` + 1. */
  function pageOf(
    clientId: string,
    client: ClientRecords,
    after: string | undefined,
    limit: number,
    keep: (record: StoredCredential) => boolean,
  ): StoredCredential[] {
    const found: StoredCredential[] = [];
    for (const credentialId of client.ids.from(after)) {
      const record = live(clientId, credentialId);
      if (record && keep(record)) found.push(record);
      // One past the limit tells whether another page exists, so the last page ends with a null cursor.
      // Stryker disable next-line ConditionalExpression: performance only: a longer page is cut to limit + 1 by every caller
      if (found.length > limit) break;
    }
    return found;
  }

  const driver = {
    name: "memory",

    async create(record: StoredCredential, events?: WriteEvents): Promise<void> {
      if (live(record.clientId, record.credentialId)) {
        throw new CredkitError("CONFLICT", "A credential with this id already exists");
      }
      // Stryker disable next-line ConditionalExpression: lookupHolder of a null hash finds no entry
      if (record.lookupHash !== null && lookupHolder(record.clientId, record.lookupHash)) {
        throw new CredkitError("CONFLICT", "Another credential of this client has the same lookup value");
      }
      const client = clientFor(record.clientId);
      client.records.set(record.credentialId, copy(record));
      client.ids.add(record.credentialId);
      // Stryker disable next-line ConditionalExpression: an entry under a null hash is never read
      if (record.lookupHash !== null) client.lookups.set(record.lookupHash, record.credentialId);
      log(events);
    },

    async get(clientId: string, credentialId: string): Promise<StoredCredential | null> {
      const record = live(clientId, credentialId);
      return record && copy(record);
    },

    async list(clientId: string, options: DriverListOptions): Promise<DriverPage> {
      const [after] = positionOf(options.after, 1);
      const client = clients.get(clientId);
      if (!client) return { items: [], next: null };
      const keep = options.includeTemporary ? () => true : (record: StoredCredential) => !record.temporary;
      const found = pageOf(clientId, client, after, options.limit, keep);
      const items = found.slice(0, options.limit).map((record) => copy(record));
      const last = items.at(-1);
      return {
        items,
        next: found.length > options.limit && last ? [last.credentialId] : null,
      };
    },

    async update(
      next: StoredCredential,
      expectedVersion: number,
      _previousLookupHash?: string | null,
      events?: WriteEvents,
    ): Promise<StoredCredential | null> {
      const current = live(next.clientId, next.credentialId);
      if (!current) return null;
      if (current.version !== expectedVersion) {
        throw new CredkitError(
          "VERSION_CONFLICT",
          `The credential is at version ${current.version}, not ${expectedVersion}`,
        );
      }
      // Stryker disable next-line all: a null hash finds no holder, an unchanged one finds the record itself, which the next line lets through
      if (next.lookupHash !== null && next.lookupHash !== current.lookupHash) {
        const holder = lookupHolder(next.clientId, next.lookupHash);
        // Stryker disable next-line ConditionalExpression: the holder is never the record itself here: its hash changed (line above)
        if (holder && holder.credentialId !== next.credentialId) {
          throw new CredkitError("CONFLICT", "Another credential of this client has the same lookup value");
        }
      }
      const client = clientFor(next.clientId);
      // Stryker disable next-line all: a lookup entry is this record's while it exists (whoever takes the hash evicts it first) and lookupHolder re-checks it: only memory use differs
      if (current.lookupHash !== null && client.lookups.get(current.lookupHash) === current.credentialId) {
        client.lookups.delete(current.lookupHash);
      }
      client.records.set(next.credentialId, copy(next));
      // Stryker disable next-line ConditionalExpression: an entry under a null hash is never read
      if (next.lookupHash !== null) client.lookups.set(next.lookupHash, next.credentialId);
      log(events);
      return copy(next);
    },

    async delete(clientId: string, credentialId: string, events?: WriteEvents): Promise<boolean> {
      return (await driver.consume(clientId, credentialId, events)) !== null;
    },

    async consume(
      clientId: string,
      credentialId: string,
      events?: WriteEvents,
    ): Promise<StoredCredential | null> {
      const record = live(clientId, credentialId);
      const client = clients.get(clientId);
      if (!record || !client) return null;
      remove(clientId, client, record);
      log(events);
      // Removed from the store, so the caller may own this object outright.
      return record;
    },

    async findByLookup(clientId: string, lookupHash: string): Promise<StoredCredential | null> {
      const record = lookupHolder(clientId, lookupHash);
      return record && copy(record);
    },

    async findByLookups(
      clientId: string,
      lookupHashes: readonly string[],
    ): Promise<(StoredCredential | null)[]> {
      // Each answer is its own copy: a hash given twice must not hand out one shared object.
      return lookupHashes.map((hash) => {
        const record = lookupHolder(clientId, hash);
        return record && copy(record);
      });
    },

    async scan(options: DriverScanOptions): Promise<DriverPage> {
      const [afterClient, afterId] = positionOf(options.after, 2);
      const found: StoredCredential[] = [];
      // Resume inside the cursor's client first (if it still exists), then walk the clients after it.
      // Stryker disable next-line ConditionalExpression: clients.get(undefined) is undefined
      const resumed = afterClient === undefined ? undefined : clients.get(afterClient);
      // Stryker disable next-line ConditionalExpression: resumed is undefined whenever afterClient is
      if (afterClient !== undefined && resumed) {
        // Stryker disable next-line ArithmeticOperator: performance only: a longer page is cut to limit below
        found.push(...pageOf(afterClient, resumed, afterId, options.limit - found.length, () => true));
      }
      for (const clientId of clientIds.from(afterClient)) {
        // Stryker disable next-line ConditionalExpression: performance only: more clients read, then cut to limit below
        if (found.length > options.limit) break;
        const client = clients.get(clientId);
        // Stryker disable next-line ConditionalExpression: clientIds and clients hold the same ids (clientFor, remove)
        if (client)
          // Stryker disable next-line ArithmeticOperator: performance only: a longer page is cut to limit below
          found.push(...pageOf(clientId, client, undefined, options.limit - found.length, () => true));
      }
      const items = found.slice(0, options.limit).map((record) => copy(record));
      const last = items.at(-1);
      return {
        items,
        next: found.length > options.limit && last ? [last.clientId, last.credentialId] : null,
      };
    },

    async acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
      const held = leases.get(name);
      if (held && held.expiresAt > now() && held.owner !== owner) return false;
      leases.set(name, { owner, expiresAt: now() + ttlMs });
      return true;
    },

    async releaseLease(name: string, owner: string): Promise<boolean> {
      const held = leases.get(name);
      if (!held || held.owner !== owner || held.expiresAt <= now()) return false;
      leases.delete(name);
      return true;
    },

    async pendingEvents(limit: number): Promise<PendingEvent[]> {
      const out: PendingEvent[] = [];
      for (const entry of pending.values()) {
        if (out.length >= limit) break;
        out.push(entry);
      }
      return out;
    },

    async removePendingEvents(events: readonly PendingEvent[]): Promise<void> {
      for (const { handle } of events) pending.delete(handle);
    },

    async ping(): Promise<void> {},

    // Nothing to release: no timers, no connections. The data stays, as an injected client's would.
    async close(): Promise<void> {},
  } satisfies StoreDriver;

  return defineCredentialStore(driver, { now });
}

/** The `length` strings of a position this store returned (none for a first page). */
function positionOf(after: StorePosition | undefined, length: number): (string | undefined)[] {
  if (after === undefined) return [];
  if (after.length !== length) throw invalidCursor();
  return [...after];
}
