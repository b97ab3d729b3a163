import { decodeJwt } from "jose";
import type { Keyring } from "../crypto/keyring.js";
import { CredkitError } from "../errors.js";
import { isValidClientId } from "../ids.js";
import { jwtIssuerLookupValue } from "../lookup.js";
import type { AuthType, StoredCredential } from "../record.js";
import { isLifetimeOver } from "../records/lifetime.js";
import type { Records } from "../records/records.js";
import { isExpired, liveReader } from "../records/store-rules.js";
import type { RegionRouter } from "../regions.js";
import type { PublicCredential } from "../schemas/bodies.js";
import type { SecretOf } from "../schemas/secrets.js";
import type { CredentialStore } from "../storage.js";
import { toPublicCredential } from "../view.js";
import type { JwtOutcome, JwtVerifier } from "./jwt-verifier.js";
import type { NearCache } from "./near-cache.js";
import {
  bearerToken,
  type IncomingHeaders,
  type Presented,
  presentedCredentials,
  readHeaders,
} from "./presented.js";

/** Why a request did not verify. Never carries secret material. */
export type VerifyFailureReason = "NO_CREDENTIAL" | "INVALID" | "EXPIRED" | "DENIED" | "JWKS_UNAVAILABLE";

/** The answer of `verifyProxyRequest`: a verdict, not an error. */
export type VerifyResult =
  | { ok: true; credential: PublicCredential; degraded?: true }
  | { ok: false; reason: VerifyFailureReason };

/** What to verify: the incoming request's headers. */
export interface ProxyRequest {
  headers: IncomingHeaders;
}

interface Found {
  record: StoredCredential;
  store: CredentialStore;
}

const kindAccepts: Record<Presented["kind"], readonly AuthType[]> = {
  bearer: ["bearer", "jwt"],
  basic: ["basicAuth"],
  apiKey: ["apiKey"],
};
const MAX_CACHED_CONFIGS = 10_000;

/** A signature check started before the lookups answered, and the record version it assumed. */
interface Speculation {
  configKey: string;
  outcome: Promise<JwtOutcome>;
}

/** Options of {@link createProxyVerifier}. */
export interface ProxyVerifierOptions {
  router: RegionRouter;
  keyring: Keyring;
  jwt: JwtVerifier;
  /** Decrypts a record's secret (the record layer's one place that does). */
  open: Records["open"];
  /** Epoch milliseconds, for the expiry rule. */
  now: () => number;
  /** Verdicts kept in process (see `near-cache.ts`); absent or disabled: every lookup asks the stores. */
  nearCache?: NearCache;
}

/** `verifyProxyRequest`, built over the service's stores and keyring. */
export function createProxyVerifier(options: ProxyVerifierOptions) {
  const { router, keyring } = options;
  // Decrypted jwtVerify configurations, by record and version: the hot path must not decrypt each time.
  const configs = new Map<string, SecretOf<"jwtVerify">>();

  /**
   * For each presented value (given as its lookup hashes under every key, active first), the live
   * record holding one of them in any store, or null. Each store gets every hash in one
   * `findByLookups` call (one round trip, however many values); the stores are asked at once.
   */
  async function findInStores(
    clientId: string,
    hashesOfValues: readonly (readonly string[])[],
  ): Promise<(Found | null)[]> {
    const flat = hashesOfValues.flat();
    const stores = router.stores;
    // The usual case is one store: skip Promise.all's cost.
    const answers =
      stores.length === 1
        ? [await liveReader((stores[0] as (typeof stores)[number]).store).findByLookups(clientId, flat)]
        : await Promise.all(stores.map(({ store }) => liveReader(store).findByLookups(clientId, flat)));
    const now = options.now();
    const found: (Found | null)[] = hashesOfValues.map(() => null);
    let at = 0;
    for (const [index, hashes] of hashesOfValues.entries()) {
      // A value's first live match wins, active key's hash first, then store by store.
      for (let h = 0; h < hashes.length; h++, at++) {
        for (const [s, records] of answers.entries()) {
          const record = records[at] ?? null;
          // Expiry is checked here, after the lookup's own await (see `liveReader`): the hot path.
          if (record && !found[index] && !isExpired(record, now))
            found[index] = { record, store: (stores[s] as (typeof stores)[number]).store };
        }
      }
    }
    return found;
  }

  const cache = options.nearCache?.enabled ? options.nearCache : undefined;
  cache?.onInvalidate((clientId) => {
    // Decrypted jwtVerify configurations follow the verdicts: a changed client's are dropped too.
    if (clientId === null) {
      configs.clear();
      lastByIssuer.clear();
      return;
    }
    const prefix = `${clientId}\n`;
    for (const key of configs.keys()) if (key.startsWith(prefix)) configs.delete(key);
    for (const key of lastByIssuer.keys()) if (key.startsWith(prefix)) lastByIssuer.delete(key);
  });

  /**
   * The fast path: verdicts from the near cache, the stores asked only for values it lacks. Cache keys
   * are the presented value's keyed lookup hash under the active key (never the value). A cached
   * jwtVerify verdict counts only while its decrypted configuration is still held (the cached record
   * carries no secret).
   */
  async function find(
    clientId: string,
    hashesOfValues: readonly (readonly string[])[],
    fresh = false,
  ): Promise<(Found | null)[]> {
    if (!cache) return findInStores(clientId, hashesOfValues);
    const readAt = cache.generation(clientId);
    const found: (Found | null)[] = [];
    const missing: { index: number; key: string }[] = [];
    for (const [index, hashes] of hashesOfValues.entries()) {
      const key = `${clientId}\n${hashes[0]}`;
      const hit = fresh ? undefined : cache.get(key);
      if (
        hit === undefined ||
        (hit?.record.authType === "jwtVerify" && !configs.has(configKeyOf(hit.record)))
      ) {
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
  }

  const configKeyOf = (record: StoredCredential) =>
    `${record.clientId}\n${record.credentialId}\n${record.version}`;

  function jwtConfig(record: StoredCredential): SecretOf<"jwtVerify"> {
    const cacheKey = configKeyOf(record);
    let config = configs.get(cacheKey);
    if (!config) {
      const opened = options.open(record);
      if (opened.authType !== "jwtVerify") throw new CredkitError("INTERNAL", "not a jwtVerify credential");
      config = opened.secret;
      if (configs.size >= MAX_CACHED_CONFIGS) configs.delete(configs.keys().next().value as string);
      configs.set(cacheKey, config);
    }

    return config;
  }

  // The jwtVerify credential last seen for a client's issuer. A token of that issuer starts its
  // signature check (which runs on the thread pool) while the lookups are still on their way; the
  // result counts only if the lookups lead to that very record version, else it is checked again.
  const lastByIssuer = new Map<string, { configKey: string; config: SecretOf<"jwtVerify"> }>();

  function speculate(clientId: string, issuer: string, token: string): Speculation | undefined {
    const last = lastByIssuer.get(`${clientId}\n${issuer}`);
    if (!last) return undefined;
    return { configKey: last.configKey, outcome: options.jwt.verify(token, last.config) };
  }

  /**
   * Applies what every verified credential must still pass: proxy, permanent, within its lifetime,
   * allow, single use. Runs on near-cache hits too, so a cached verdict is refused at `expiresAt`.
   */
  function accept({ record, store }: Found, degraded: boolean): VerifyResult | Promise<VerifyResult> {
    if (record.credentialType !== "proxy" || record.temporary) return { ok: false, reason: "INVALID" };
    if (isLifetimeOver(record, options.now())) return { ok: false, reason: "EXPIRED" };
    if (record.defaultRuleEffect === "deny") return { ok: false, reason: "DENIED" };
    const verified = (): VerifyResult => {
      const credential = toPublicCredential(record);
      return degraded ? { ok: true, credential, degraded: true } : { ok: true, credential };
    };
    if (!record.singleUse) return verified();
    // A single-use credential is spent by its first successful use; of concurrent users one wins.
    return store
      .consume(record.clientId, record.credentialId)
      .then((won): VerifyResult => (won ? verified() : { ok: false, reason: "INVALID" }));
  }

  /** Checks a JWT against the jwtVerify credential its issuer led to. */
  async function verifyJwt(
    found: Found,
    token: string,
    issuer: string,
    early?: Speculation,
  ): Promise<VerifyResult> {
    const config = jwtConfig(found.record);
    const configKey = configKeyOf(found.record);
    if (lastByIssuer.size >= MAX_CACHED_CONFIGS) lastByIssuer.clear();
    lastByIssuer.set(`${found.record.clientId}\n${issuer}`, { configKey, config });
    const outcome =
      early?.configKey === configKey ? await early.outcome : await options.jwt.verify(token, config);
    if (outcome === "VALID") return accept(found, false);
    if (outcome === "JWKS_UNAVAILABLE" && config.failPolicy === "fail-open") return accept(found, true);
    return { ok: false, reason: outcome };
  }

  return async function verifyProxyRequest(clientId: string, request: ProxyRequest): Promise<VerifyResult> {
    if (!isValidClientId(clientId)) return { ok: false, reason: "NO_CREDENTIAL" };
    const headers = readHeaders(request.headers);
    const presented = presentedCredentials(headers);
    const token = bearerToken(headers.authorization);
    const issuer = token === null ? null : unverifiedIssuer(token);
    const values = presented.map((p) => p.lookupValue);
    if (issuer !== null) values.push(jwtIssuerLookupValue(issuer));
    if (values.length === 0) return { ok: false, reason: "NO_CREDENTIAL" };
    const early = token !== null && issuer !== null ? speculate(clientId, issuer, token) : undefined;
    /** The credential the lookups lead to: an exact match first, else the token issuer's jwtVerify. */
    const choose = (found: (Found | null)[]): { found: Found; jwt: string | null } | null => {
      for (const [index, p] of presented.entries()) {
        const match = found[index];
        if (match && kindAccepts[p.kind].includes(match.record.authType)) return { found: match, jwt: null };
      }
      const byIssuer = issuer === null ? null : found[presented.length];
      if (token !== null && byIssuer && byIssuer.record.authType === "jwtVerify")
        return { found: byIssuer, jwt: token };
      return null;
    };
    // Exact matches and the jwtVerify issuer are looked up together: one round trip.
    // Each value's keyed hashes are computed once and serve the cache, the stores and a second round.
    const hashes = values.map((value) => keyring.lookupHashes(value));
    let chosen = choose(await find(clientId, hashes));
    // While keys rotate, re-encryption moves a record's lookup entry from its old-key hash to its
    // active-key hash in one atomic write, which can land between the lookups of one round (the active
    // hash read just before it, the old one just after), so both miss. The move only goes one way:
    // looking once more finds it. Only a miss with several keys in the keyring pays this second round,
    // and it asks the stores, not the near cache: the first round may have cached that very miss
    // before the re-encryption's invalidation arrived (the fresh answer replaces it).
    if (chosen === null && keyring.keyIds.length > 1) chosen = choose(await find(clientId, hashes, true));
    if (chosen === null) return { ok: false, reason: "NO_CREDENTIAL" };
    return chosen.jwt === null || issuer === null
      ? accept(chosen.found, false)
      : verifyJwt(chosen.found, chosen.jwt, issuer, early);
  };
}

/** The `iss` claim of a token that looks like a JWT, unverified (it only picks the verifier), else null. */
function unverifiedIssuer(token: string): string | null {
  try {
    const issuer = decodeJwt(token).iss;
    return typeof issuer === "string" ? issuer : null;
  } catch {
    return null;
  }
}
