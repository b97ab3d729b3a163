import type { StoredCredential } from "../record.js";
import type { RegionRouter } from "../regions.js";
import type { CredentialStore } from "../storage.js";
import type { NearCache } from "./near-cache.js";

/** A record a presented value led to, and the store that holds it. */
export interface Found {
  record: StoredCredential;
  store: CredentialStore;
}

/** Options of {@link createRecordFinder}. */
export interface RecordFinderOptions {
  router: RegionRouter;
  /** Verdicts kept in process (see `near-cache.ts`); absent or disabled: every lookup asks the stores. */
  nearCache?: NearCache | undefined;
}

/**
 * For each presented value (given as its lookup hashes under every key, active first), the live record
 * holding one of them, or null. `fresh` skips the near cache (a second round must ask the stores).
 */
export type FindRecords = (
  clientId: string,
  hashesOfValues: readonly (readonly string[])[],
  fresh?: boolean,
) => Promise<(Found | null)[]>;

/** The verifier's lookup concern: the near cache first, then every store in one round trip each. */
export function createRecordFinder(options: RecordFinderOptions): FindRecords {
  const { router } = options;

  /**
   * Each store gets every hash in one `findByLookups` call (one round trip, however many values); the
   * stores are asked at once.
   */
  function findInStores(
    clientId: string,
    hashesOfValues: readonly (readonly string[])[],
  ): Promise<(Found | null)[]> {
    // The usual request presents one value (one hash with one key): it is sent as it is, not copied.
    const flat =
      // Stryker disable next-line ConditionalExpression: a fast path; flat() of one list holds the same hashes
      hashesOfValues.length === 1 ? (hashesOfValues[0] as readonly string[]) : hashesOfValues.flat();
    const stores = router.stores;
    // The usual case is one store: its answer is read as it comes, without Promise.all's cost.
    // Stryker disable next-line ConditionalExpression: a fast path; Promise.all of one store's answer is the same answer
    if (stores.length === 1)
      return (stores[0] as (typeof stores)[number]).store
        .findByLookups(clientId, flat)
        .then((answer) => matches(hashesOfValues, [answer]));
    return Promise.all(stores.map(({ store }) => store.findByLookups(clientId, flat))).then((answers) =>
      matches(hashesOfValues, answers),
    );
  }

  /** Each value's first live match in the stores' answers (`answers[s][i]`: store s, flat hash i). */
  function matches(
    hashesOfValues: readonly (readonly string[])[],
    answers: readonly (readonly (StoredCredential | null)[])[],
  ): (Found | null)[] {
    const stores = router.stores;
    // Sized up front: a list grown by push starts with room for 16.
    // Stryker disable next-line ArrayDeclaration: an unsized array takes the same entries below (a cost, not a result)
    const found = new Array<Found | null>(hashesOfValues.length);
    let at = 0;
    for (let v = 0; v < hashesOfValues.length; v++) {
      const hashes = hashesOfValues[v] as readonly string[];
      // A value's first live match wins, active key's hash first, then store by store.
      let match: Found | null = null;
      for (let h = 0; h < hashes.length; h++, at++) {
        for (let s = 0; s < answers.length && match === null; s++) {
          const record = (answers[s] as (StoredCredential | null)[])[at] ?? null;
          // Expired records never come back from a store (defineCredentialStore): no check here.
          if (record) match = { record, store: (stores[s] as (typeof stores)[number]).store };
        }
      }
      found[v] = match;
    }
    return found;
  }

  const cache = options.nearCache;
  if (!cache?.enabled) return findInStores;

  /**
   * The fast path: verdicts from the near cache, the stores asked only for values it lacks. Cache keys
   * are the presented value's keyed lookup hash under the active key (never the value).
   */
  return async (clientId, hashesOfValues, fresh = false) => {
    const readAt = cache.generation(clientId);
    const found: (Found | null)[] = [];
    const missing: { index: number; key: string }[] = [];
    for (const [index, hashes] of hashesOfValues.entries()) {
      const key = `${clientId}\n${hashes[0]}`;
      const hit = fresh ? undefined : cache.get(key);
      if (hit === undefined) {
        found.push(null);
        missing.push({ index, key });
      } else found.push(hit);
    }
    if (missing.length === 0) return found;
    const read = await findInStores(
      clientId,
      missing.map(({ index }) => hashesOfValues[index] as readonly string[]),
    );
    for (const [i, { index, key }] of missing.entries()) {
      const result = read[i] ?? null;
      found[index] = result;
      cache.set(key, clientId, result, readAt);
    }
    return found;
  };
}
