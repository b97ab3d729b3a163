// A third-party store written against the published contract only (the JSDoc of CredentialStore): one
// array of records and one of leases, scanned linearly. Small, not fast; it exists to run the suite.
import {
  assertPageLimit,
  assertVersionStep,
  type CredentialStore,
  CredkitError,
  type ListOptions,
  type Page,
  type ScanOptions,
  type StoredCredential,
} from "@credkit/core";

export function notebookStore(now: () => number = Date.now) {
  let records: StoredCredential[] = [];
  const leases = new Map<string, { owner: string; until: number }>();
  const live = (r: StoredCredential) => r.expiresAt === null || r.expiresAt > now();
  const find = (clientId: string, credentialId: string) =>
    records.find((r) => r.clientId === clientId && r.credentialId === credentialId && live(r));
  const holder = (clientId: string, hash: string) =>
    records.find((r) => r.clientId === clientId && r.lookupHash === hash && live(r));
  const drop = (r: StoredCredential) => {
    records = records.filter((x) => !(x.clientId === r.clientId && x.credentialId === r.credentialId));
  };
  const page = (sorted: StoredCredential[], key: (r: StoredCredential) => string, o: ScanOptions): Page => {
    assertPageLimit(o.limit); // the shared rules come from core: 1..1000, VALIDATION_ERROR otherwise
    let after = "";
    if (o.cursor !== undefined) {
      // A cursor is JSON this store wrote: a truncated or foreign one does not parse to its shape.
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.from(o.cursor, "base64url").toString("utf8"));
      } catch {
        parsed = null;
      }
      const key = (parsed as { after?: unknown } | null)?.after;
      if (typeof key !== "string") throw new CredkitError("VALIDATION_ERROR", "Invalid cursor");
      after = key;
    }
    const rest = sorted.filter((r) => key(r) > after).sort((a, b) => (key(a) < key(b) ? -1 : 1));
    const items = rest.slice(0, o.limit).map((r) => structuredClone(r));
    const last = items.at(-1);
    return {
      items,
      cursor:
        rest.length > o.limit && last
          ? Buffer.from(JSON.stringify({ after: key(last) })).toString("base64url")
          : null,
    };
  };
  return {
    name: "notebook",
    async create(record) {
      if (find(record.clientId, record.credentialId)) throw new CredkitError("CONFLICT", "The id exists");
      if (record.lookupHash !== null && holder(record.clientId, record.lookupHash))
        throw new CredkitError("CONFLICT", "The lookup hash is taken");
      records = records.filter(
        (r) => !(r.clientId === record.clientId && r.credentialId === record.credentialId),
      );
      records.push(structuredClone(record));
    },
    async get(clientId, credentialId) {
      const found = find(clientId, credentialId);
      return found ? structuredClone(found) : null;
    },
    async list(clientId, options: ListOptions) {
      const mine = records.filter(
        (r) => r.clientId === clientId && live(r) && (options.includeTemporary || !r.temporary),
      );
      return page(mine, (r) => r.credentialId, options);
    },
    async update(next, expectedVersion) {
      assertVersionStep(next, expectedVersion);
      const current = find(next.clientId, next.credentialId);
      if (!current) return null;
      if (current.version !== expectedVersion)
        throw new CredkitError("VERSION_CONFLICT", `The record is at version ${current.version}`);
      const other = next.lookupHash === null ? undefined : holder(next.clientId, next.lookupHash);
      if (other && other.credentialId !== next.credentialId)
        throw new CredkitError("CONFLICT", "The lookup hash is taken");
      drop(current);
      records.push(structuredClone(next));
      return structuredClone(next);
    },
    async delete(clientId, credentialId) {
      const found = find(clientId, credentialId);
      if (found) drop(found);
      return found !== undefined;
    },
    async consume(clientId, credentialId) {
      const found = find(clientId, credentialId);
      if (!found) return null;
      drop(found);
      return found;
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
      return page(records.filter(live), (r) => `${r.clientId}\u0000${r.credentialId}`, options);
    },
    async acquireLease(name, owner, ttlMs) {
      if (!(ttlMs > 0)) throw new CredkitError("VALIDATION_ERROR", "ttlMs must be positive");
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
  } satisfies CredentialStore;
}
