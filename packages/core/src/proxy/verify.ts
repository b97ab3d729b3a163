import { decodeJwt } from "jose";
import type { Keyring } from "../crypto/keyring.js";
import { isValidClientId } from "../ids.js";
import { jwtIssuerLookupValue } from "../lookup.js";
import type { AuthType, StoredCredential } from "../record.js";
import type { RegionRouter } from "../regions.js";
import type { PublicCredential } from "../schemas/bodies.js";
import type { SecretOf } from "../schemas/secrets.js";
import type { CredentialStore } from "../storage.js";
import { toPublicCredential } from "../view.js";
import type { JwtVerifier } from "./jwt-verifier.js";
import {
  bearerToken,
  type IncomingHeaders,
  normalizeHeaders,
  type Presented,
  presentedCredentials,
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

/** Options of {@link createProxyVerifier}. */
export interface ProxyVerifierOptions {
  router: RegionRouter;
  keyring: Keyring;
  jwt: JwtVerifier;
  /** Decrypts a record's secret (the service's one place that does). */
  openSecret: (record: StoredCredential) => unknown;
}

/** `verifyProxyRequest`, built over the service's stores and keyring. */
export function createProxyVerifier(options: ProxyVerifierOptions) {
  const { router, keyring } = options;
  // Decrypted jwtVerify configurations, by record and version: the hot path must not decrypt each time.
  const configs = new Map<string, SecretOf<"jwtVerify">>();

  /** The live record holding one of `lookupValue`'s hashes (under any key), searching every store. */
  async function find(clientId: string, lookupValue: string): Promise<Found | null> {
    const hashes = keyring.lookupHashes(lookupValue);
    const lookups = router.stores.flatMap(({ store }) =>
      hashes.map(async (hash) => {
        const record = await store.findByLookup(clientId, hash);
        return record ? { record, store } : null;
      }),
    );
    return (await Promise.all(lookups)).find((found) => found !== null) ?? null;
  }

  function jwtConfig(record: StoredCredential): SecretOf<"jwtVerify"> {
    const cacheKey = `${record.clientId}\n${record.credentialId}\n${record.version}`;
    let config = configs.get(cacheKey);
    if (!config) {
      config = options.openSecret(record) as SecretOf<"jwtVerify">;
      if (configs.size >= MAX_CACHED_CONFIGS) configs.delete(configs.keys().next().value as string);
      configs.set(cacheKey, config);
    }
    return config;
  }

  /** Applies what every verified credential must still pass: proxy, permanent, allow, single use. */
  async function accept({ record, store }: Found, degraded: boolean): Promise<VerifyResult> {
    if (record.credentialType !== "proxy" || record.temporary) return { ok: false, reason: "INVALID" };
    if (record.defaultRuleEffect === "deny") return { ok: false, reason: "DENIED" };
    // A single-use credential is spent by its first successful use; of concurrent users one wins.
    if (record.singleUse && !(await store.consume(record.clientId, record.credentialId))) {
      return { ok: false, reason: "INVALID" };
    }
    const credential = toPublicCredential(record);
    return degraded ? { ok: true, credential, degraded: true } : { ok: true, credential };
  }

  async function verifyJwt(clientId: string, token: string): Promise<VerifyResult | null> {
    let issuer: unknown;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      return null; // not a JWT: nothing for jwtVerify to say
    }
    if (typeof issuer !== "string") return null;
    const found = await find(clientId, jwtIssuerLookupValue(issuer));
    if (!found || found.record.authType !== "jwtVerify") return null;
    const config = jwtConfig(found.record);
    const outcome = await options.jwt.verify(token, config);
    if (outcome === "VALID") return accept(found, false);
    if (outcome === "JWKS_UNAVAILABLE" && config.failPolicy === "fail-open") return accept(found, true);
    return { ok: false, reason: outcome };
  }

  return async function verifyProxyRequest(clientId: string, request: ProxyRequest): Promise<VerifyResult> {
    if (!isValidClientId(clientId)) return { ok: false, reason: "NO_CREDENTIAL" };
    const headers = normalizeHeaders(request.headers);
    const presented = presentedCredentials(headers);
    if (presented.length === 0) return { ok: false, reason: "NO_CREDENTIAL" };
    // All lookups at once: one round trip whatever the number of presented values.
    const found = await Promise.all(presented.map((p) => find(clientId, p.lookupValue)));
    for (const [index, match] of found.entries()) {
      const kind = (presented[index] as Presented).kind;
      if (match && kindAccepts[kind].includes(match.record.authType)) return accept(match, false);
    }
    const token = bearerToken(headers);
    return (
      (token !== null ? await verifyJwt(clientId, token) : null) ?? { ok: false, reason: "NO_CREDENTIAL" }
    );
  };
}
