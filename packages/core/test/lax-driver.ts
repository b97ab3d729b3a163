import type { StoreDriver, StoredCredential } from "../src/index.js";

/**
 * A driver that bends every shared rule, so a test sees the rule `defineCredentialStore` applies and
 * not the backend: it returns expired records, pages by whatever limit it is given, reads any position
 * as "after this id", stores whatever version it is handed, takes any lease TTL. `calls` records every
 * call with its arguments.
 */
export function laxDriver(): StoreDriver & { calls: { method: string; args: unknown[] }[] } {
  const records = new Map<string, StoredCredential>();
  const calls: { method: string; args: unknown[] }[] = [];
  const key = (clientId: string, credentialId: string) => `${clientId}\n${credentialId}`;
  const log = (method: string, args: unknown[]) => calls.push({ method, args });
  const sorted = (clientId?: string) =>
    [...records.values()]
      .filter((r) => clientId === undefined || r.clientId === clientId)
      .sort((a, b) => (a.credentialId < b.credentialId ? -1 : 1));
  const page = (items: StoredCredential[], after: readonly string[] | undefined, limit: number) => {
    const start = after === undefined ? 0 : items.findIndex((r) => r.credentialId > (after.at(-1) ?? ""));
    const slice = start < 0 ? [] : items.slice(start, start + limit);
    const last = slice.at(-1);
    return {
      items: slice.map((r) => ({ ...r })),
      next: last && start + limit < items.length ? [last.credentialId] : null,
    };
  };
  return {
    calls,
    name: "lax",
    async create(record) {
      log("create", [record]);
      records.set(key(record.clientId, record.credentialId), { ...record });
    },
    async get(clientId, credentialId) {
      log("get", [clientId, credentialId]);
      const record = records.get(key(clientId, credentialId));
      return record ? { ...record } : null;
    },
    async list(clientId, options) {
      log("list", [clientId, options]);
      return page(sorted(clientId), options.after, options.limit);
    },
    async update(next, expectedVersion, previousLookupHash) {
      log("update", [next, expectedVersion, previousLookupHash]);
      if (!records.has(key(next.clientId, next.credentialId))) return null;
      records.set(key(next.clientId, next.credentialId), { ...next });
      return { ...next };
    },
    async delete(clientId, credentialId) {
      log("delete", [clientId, credentialId]);
      return records.delete(key(clientId, credentialId));
    },
    async consume(clientId, credentialId) {
      log("consume", [clientId, credentialId]);
      const record = records.get(key(clientId, credentialId)) ?? null;
      records.delete(key(clientId, credentialId));
      return record;
    },
    async pendingEvents(limit) {
      log("pendingEvents", [limit]);
      return [];
    },
    async removePendingEvents(events) {
      log("removePendingEvents", [events]);
    },
    async findByLookup(clientId, lookupHash) {
      log("findByLookup", [clientId, lookupHash]);
      return sorted(clientId).find((r) => r.lookupHash === lookupHash) ?? null;
    },
    async findByLookups(clientId, lookupHashes) {
      log("findByLookups", [clientId, lookupHashes]);
      return lookupHashes.map((hash) => sorted(clientId).find((r) => r.lookupHash === hash) ?? null);
    },
    async scan(options) {
      log("scan", [options]);
      return page(sorted(), options.after, options.limit);
    },
    async acquireLease(name, owner, ttlMs) {
      log("acquireLease", [name, owner, ttlMs]);
      return true;
    },
    async releaseLease(name, owner) {
      log("releaseLease", [name, owner]);
      return true;
    },
    async ping() {
      log("ping", []);
    },
    async close() {
      log("close", []);
    },
  };
}
