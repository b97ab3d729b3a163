function stryNS_9fa48() {
  var g = typeof globalThis === 'object' && globalThis && globalThis.Math === Math && globalThis || new Function("return this")();
  var ns = g.__stryker__ || (g.__stryker__ = {});
  if (ns.activeMutant === undefined && g.process && g.process.env && g.process.env.__STRYKER_ACTIVE_MUTANT__) {
    ns.activeMutant = g.process.env.__STRYKER_ACTIVE_MUTANT__;
  }
  function retrieveNS() {
    return ns;
  }
  stryNS_9fa48 = retrieveNS;
  return retrieveNS();
}
stryNS_9fa48();
function stryCov_9fa48() {
  var ns = stryNS_9fa48();
  var cov = ns.mutantCoverage || (ns.mutantCoverage = {
    static: {},
    perTest: {}
  });
  function cover() {
    var c = cov.static;
    if (ns.currentTestId) {
      c = cov.perTest[ns.currentTestId] = cov.perTest[ns.currentTestId] || {};
    }
    var a = arguments;
    for (var i = 0; i < a.length; i++) {
      c[a[i]] = (c[a[i]] || 0) + 1;
    }
  }
  stryCov_9fa48 = cover;
  cover.apply(null, arguments);
}
function stryMutAct_9fa48(id) {
  var ns = stryNS_9fa48();
  function isActive(id) {
    if (ns.activeMutant === id) {
      if (ns.hitCount !== void 0 && ++ns.hitCount > ns.hitLimit) {
        throw new Error('Stryker: Hit count limit reached (' + ns.hitCount + ')');
      }
      return true;
    }
    return false;
  }
  stryMutAct_9fa48 = isActive;
  return isActive(id);
}
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
export type FindRecords = (clientId: string, hashesOfValues: readonly (readonly string[])[], fresh?: boolean) => Promise<(Found | null)[]>;

/** The verifier's lookup concern: the near cache first, then every store in one round trip each. */
export function createRecordFinder(options: RecordFinderOptions): FindRecords {
  if (stryMutAct_9fa48("0")) {
    {}
  } else {
    stryCov_9fa48("0");
    const {
      router
    } = options;

    /**
     * Each store gets every hash in one `findByLookups` call (one round trip, however many values); the
     * stores are asked at once.
     */
    function findInStores(clientId: string, hashesOfValues: readonly (readonly string[])[]): Promise<(Found | null)[]> {
      if (stryMutAct_9fa48("1")) {
        {}
      } else {
        stryCov_9fa48("1");
        // The usual request presents one value (one hash with one key): it is sent as it is, not copied.
        const flat =
        // Stryker disable next-line ConditionalExpression: a fast path; flat() of one list holds the same hashes
        (stryMutAct_9fa48("4") ? hashesOfValues.length !== 1 : (stryCov_9fa48("4"), hashesOfValues.length === 1)) ? hashesOfValues[0] as readonly string[] : hashesOfValues.flat();
        const stores = router.stores;
        // The usual case is one store: its answer is read as it comes, without Promise.all's cost.
        // Stryker disable next-line ConditionalExpression: a fast path; Promise.all of one store's answer is the same answer
        if (stryMutAct_9fa48("7") ? stores.length !== 1 : (stryCov_9fa48("7"), stores.length === 1)) return (stores[0] as (typeof stores)[number]).store.findByLookups(clientId, flat).then(stryMutAct_9fa48("8") ? () => undefined : (stryCov_9fa48("8"), answer => matches(hashesOfValues, stryMutAct_9fa48("9") ? [] : (stryCov_9fa48("9"), [answer]))));
        return Promise.all(stores.map(stryMutAct_9fa48("10") ? () => undefined : (stryCov_9fa48("10"), ({
          store
        }) => store.findByLookups(clientId, flat)))).then(stryMutAct_9fa48("11") ? () => undefined : (stryCov_9fa48("11"), answers => matches(hashesOfValues, answers)));
      }
    }

    /** Each value's first live match in the stores' answers (`answers[s][i]`: store s, flat hash i). */
    function matches(hashesOfValues: readonly (readonly string[])[], answers: readonly (readonly (StoredCredential | null)[])[]): (Found | null)[] {
      if (stryMutAct_9fa48("12")) {
        {}
      } else {
        stryCov_9fa48("12");
        const stores = router.stores;
        const found: (Found | null)[] = stryMutAct_9fa48("13") ? ["Stryker was here"] : (stryCov_9fa48("13"), []);
        let at = 0;
        for (const hashes of hashesOfValues) {
          if (stryMutAct_9fa48("14")) {
            {}
          } else {
            stryCov_9fa48("14");
            // A value's first live match wins, active key's hash first, then store by store.
            let match: Found | null = null;
            for (let h = 0; stryMutAct_9fa48("17") ? h >= hashes.length : stryMutAct_9fa48("16") ? h <= hashes.length : stryMutAct_9fa48("15") ? false : (stryCov_9fa48("15", "16", "17"), h < hashes.length); stryMutAct_9fa48("18") ? h-- : (stryCov_9fa48("18"), h++), stryMutAct_9fa48("19") ? at-- : (stryCov_9fa48("19"), at++)) {
              if (stryMutAct_9fa48("20")) {
                {}
              } else {
                stryCov_9fa48("20");
                for (let s = 0; stryMutAct_9fa48("22") ? s < answers.length || match === null : stryMutAct_9fa48("21") ? false : (stryCov_9fa48("21", "22"), (stryMutAct_9fa48("25") ? s >= answers.length : stryMutAct_9fa48("24") ? s <= answers.length : stryMutAct_9fa48("23") ? true : (stryCov_9fa48("23", "24", "25"), s < answers.length)) && (stryMutAct_9fa48("27") ? match !== null : stryMutAct_9fa48("26") ? true : (stryCov_9fa48("26", "27"), match === null))); stryMutAct_9fa48("28") ? s-- : (stryCov_9fa48("28"), s++)) {
                  if (stryMutAct_9fa48("29")) {
                    {}
                  } else {
                    stryCov_9fa48("29");
                    const record = stryMutAct_9fa48("30") ? (answers[s] as (StoredCredential | null)[])[at] && null : (stryCov_9fa48("30"), (answers[s] as (StoredCredential | null)[])[at] ?? null);
                    // Expired records never come back from a store (defineCredentialStore): no check here.
                    if (stryMutAct_9fa48("32") ? false : stryMutAct_9fa48("31") ? true : (stryCov_9fa48("31", "32"), record)) match = stryMutAct_9fa48("33") ? {} : (stryCov_9fa48("33"), {
                      record,
                      store: (stores[s] as (typeof stores)[number]).store
                    });
                  }
                }
              }
            }
            found.push(match);
          }
        }
        return found;
      }
    }
    const cache = options.nearCache;
    if (stryMutAct_9fa48("36") ? false : stryMutAct_9fa48("35") ? true : stryMutAct_9fa48("34") ? cache?.enabled : (stryCov_9fa48("34", "35", "36"), !(stryMutAct_9fa48("37") ? cache.enabled : (stryCov_9fa48("37"), cache?.enabled)))) return findInStores;

    /**
     * The fast path: verdicts from the near cache, the stores asked only for values it lacks. Cache keys
     * are the presented value's keyed lookup hash under the active key (never the value).
     */
    return async (clientId, hashesOfValues, fresh = stryMutAct_9fa48("38") ? true : (stryCov_9fa48("38"), false)) => {
      if (stryMutAct_9fa48("39")) {
        {}
      } else {
        stryCov_9fa48("39");
        const readAt = cache.generation(clientId);
        const found: (Found | null)[] = stryMutAct_9fa48("40") ? ["Stryker was here"] : (stryCov_9fa48("40"), []);
        const missing: {
          index: number;
          key: string;
        }[] = stryMutAct_9fa48("41") ? ["Stryker was here"] : (stryCov_9fa48("41"), []);
        for (const [index, hashes] of hashesOfValues.entries()) {
          if (stryMutAct_9fa48("42")) {
            {}
          } else {
            stryCov_9fa48("42");
            const key = stryMutAct_9fa48("43") ? `` : (stryCov_9fa48("43"), `${clientId}\n${hashes[0]}`);
            const hit = fresh ? undefined : cache.get(key);
            if (stryMutAct_9fa48("46") ? hit !== undefined : stryMutAct_9fa48("45") ? false : stryMutAct_9fa48("44") ? true : (stryCov_9fa48("44", "45", "46"), hit === undefined)) {
              if (stryMutAct_9fa48("47")) {
                {}
              } else {
                stryCov_9fa48("47");
                found.push(null);
                missing.push(stryMutAct_9fa48("48") ? {} : (stryCov_9fa48("48"), {
                  index,
                  key
                }));
              }
            } else found.push(hit);
          }
        }
        if (stryMutAct_9fa48("51") ? missing.length !== 0 : stryMutAct_9fa48("50") ? false : stryMutAct_9fa48("49") ? true : (stryCov_9fa48("49", "50", "51"), missing.length === 0)) return found;
        const read = await findInStores(clientId, missing.map(stryMutAct_9fa48("52") ? () => undefined : (stryCov_9fa48("52"), ({
          index
        }) => hashesOfValues[index] as readonly string[])));
        for (const [i, {
          index,
          key
        }] of missing.entries()) {
          if (stryMutAct_9fa48("53")) {
            {}
          } else {
            stryCov_9fa48("53");
            const result = stryMutAct_9fa48("54") ? read[i] && null : (stryCov_9fa48("54"), read[i] ?? null);
            found[index] = result;
            cache.set(key, clientId, result, readAt);
          }
        }
        return found;
      }
    };
  }
}