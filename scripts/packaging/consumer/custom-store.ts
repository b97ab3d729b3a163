// A third-party store written against the published contract only (the JSDoc of CredentialStore and
// StoreDriver): one array of records and one of leases, scanned linearly. Small, not fast; it exists
// to run the suite. Core's defineCredentialStore adds what every store shares: page sizes, version
// steps, lease TTLs, cursors, and never returning an expired record.
import {
  CredkitError,
  type DriverPage,
  defineCredentialStore,
  invalidCursor,
  isExpired,
  type StoreDriver,
  type StoredCredential,
  type StorePosition,
  type WriteEvents,
} from "@credkit/core";

export function notebookStore(now: () => number = Date.now) {
  let records: StoredCredential[] = [];
  const leases = new Map<string, { owner: string; until: number }>();
  // The pending-event log: a write appends its events in the same step as the change (here: the same
  // synchronous block; a networked store: the same script or transaction).
  let pending: { handle: string; event: WriteEvents[number] }[] = [];
  let appended = 0;
  const log = (events: WriteEvents | undefined) => {
    for (const event of events ?? []) pending.push({ handle: String(++appended), event });
  };
  // Writes must agree with the expiry rule too: an expired record frees its id and lookup hash.
  const live = (r: StoredCredential) => !isExpired(r, now());
  const find = (clientId: string, credentialId: string) =>
    records.find((r) => r.clientId === clientId && r.credentialId === credentialId && live(r));
  const holder = (clientId: string, hash: string) =>
    records.find((r) => r.clientId === clientId && r.lookupHash === hash && live(r));
  const drop = (r: StoredCredential) => {
    records = records.filter((x) => !(x.clientId === r.clientId && x.credentialId === r.credentialId));
  };
  // A position is what this store chose to resume after: here one sort key.
  const page = (
    sorted: StoredCredential[],
    key: (r: StoredCredential) => string,
    limit: number,
    position: StorePosition | undefined,
  ): DriverPage => {
    if (position !== undefined && position.length !== 1) throw invalidCursor();
    const after = position?.[0] ?? "";
    const rest = sorted.filter((r) => key(r) > after).sort((a, b) => (key(a) < key(b) ? -1 : 1));
    const items = rest.slice(0, limit).map((r) => structuredClone(r));
    const last = items.at(-1);
    return { items, next: rest.length > limit && last ? [key(last)] : null };
  };
  const driver = {
    name: "notebook",
    async create(record, events) {
      if (find(record.clientId, record.credentialId)) throw new CredkitError("CONFLICT", "The id exists");
      if (record.lookupHash !== null && holder(record.clientId, record.lookupHash))
        throw new CredkitError("CONFLICT", "The lookup hash is taken");
      records = records.filter(
        (r) => !(r.clientId === record.clientId && r.credentialId === record.credentialId),
      );
      records.push(structuredClone(record));
      log(events);
    },
    async get(clientId, credentialId) {
      const found = find(clientId, credentialId);
      return found ? structuredClone(found) : null;
    },
    async list(clientId, options) {
      const mine = records.filter(
        (r) => r.clientId === clientId && live(r) && (options.includeTemporary || !r.temporary),
      );
      return page(mine, (r) => r.credentialId, options.limit, options.after);
    },
    async update(next, expectedVersion, _previousLookupHash, events) {
      const current = find(next.clientId, next.credentialId);
      if (!current) return null;
      if (current.version !== expectedVersion)
        throw new CredkitError("VERSION_CONFLICT", `The record is at version ${current.version}`);
      const other = next.lookupHash === null ? undefined : holder(next.clientId, next.lookupHash);
      if (other && other.credentialId !== next.credentialId)
        throw new CredkitError("CONFLICT", "The lookup hash is taken");
      drop(current);
      records.push(structuredClone(next));
      log(events);
      return structuredClone(next);
    },
    async delete(clientId, credentialId, events) {
      const found = find(clientId, credentialId);
      if (found) {
        drop(found);
        log(events);
      }
      return found !== undefined;
    },
    async consume(clientId, credentialId, events) {
      const found = find(clientId, credentialId);
      if (!found) return null;
      drop(found);
      log(events);
      return found;
    },
    async pendingEvents(limit) {
      return pending.slice(0, limit);
    },
    async removePendingEvents(events) {
      const gone = new Set(events.map((e) => e.handle));
      pending = pending.filter((e) => !gone.has(e.handle));
    },
    async findByLookup(clientId, lookupHash) {
      const found = holder(clientId, lookupHash);
      return found ? structuredClone(found) : null;
    },
    // One call for every candidate of a request: this store answers from memory, a networked one
    // must answer in one round trip (one script, one pipeline, one batch request).
    async findByLookups(clientId, lookupHashes) {
      return lookupHashes.map((hash) => {
        const found = holder(clientId, hash);
        return found ? structuredClone(found) : null;
      });
    },
    async scan(options) {
      const key = (r: StoredCredential) => `${r.clientId}\u0000${r.credentialId}`;
      return page(records.filter(live), key, options.limit, options.after);
    },
    async acquireLease(name, owner, ttlMs) {
      const held = leases.get(name);
      if (held !== undefined && held.until > now() && held.owner !== owner) return false;
      leases.set(name, { owner, until: now() + ttlMs });
      return true;
    },
    async releaseLease(name, owner) {
      const held = leases.get(name);
      if (!held || held.owner !== owner || held.until <= now()) return false;
      leases.delete(name);
      return true;
    },
    async ping() {},
    async close() {},
  } satisfies StoreDriver;
  return defineCredentialStore(driver, { now });
}
