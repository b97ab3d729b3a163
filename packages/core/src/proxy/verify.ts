import type { Keyring } from "../crypto/keyring.js";
import type { AuthType } from "../record.js";
import type { Records } from "../records/records.js";
import type { RegionRouter } from "../regions.js";
import type { PublicCredential } from "../schemas/bodies.js";
import { accept, type SpendEvent, type Verified, type VerifyFailureReason } from "./accept.js";
import { createRecordFinder, type Found } from "./find-records.js";
import { createJwtCheck, type Speculation, unverifiedIssuer } from "./jwt-check.js";
import type { JwtVerifier } from "./jwt-verifier.js";
import type { NearCache } from "./near-cache.js";
import { type IncomingHeaders, type Presented, presentedCredentials, readHeaders } from "./presented.js";

export type { Verified, VerifyFailureReason } from "./accept.js";

/** The answer of `verifyProxyRequest`: a verdict, not an error. */
export type VerifyResult =
  | { ok: true; credential: PublicCredential; degraded?: true }
  | { ok: false; reason: VerifyFailureReason };

/** What to verify: the incoming request's headers. */
export interface ProxyRequest {
  headers: IncomingHeaders;
}

const kindAccepts: Record<Presented["kind"], readonly AuthType[]> = {
  bearer: ["bearer", "jwt"],
  basic: ["basicAuth"],
  apiKey: ["apiKey"],
};
const NO_CREDENTIAL: Verified = { ok: false, reason: "NO_CREDENTIAL" };

/**
 * What one request is looked up by, read before any store is asked: the values it presents, the issuer
 * of its bearer token (a jwtVerify credential is found by it), and every keyed hash of each (computed
 * once: they serve the near cache, the stores and a second round).
 */
interface Lookups {
  presented: Presented[];
  /** The bearer token, when the request sends one. */
  token: string | null;
  /** The `iss` of that token, unverified (it only picks the verifier); null when none. */
  issuer: string | null;
  /** Each presented value's hashes under every key (active first), then the issuer's when there is one. */
  hashes: string[][];
}

/**
 * The {@link Lookups} of a request's headers (an issuer's hashes from `issuerHashes`); null when it
 * presents nothing.
 */
function lookupsOf(
  keyring: Keyring,
  issuerHashes: (issuer: string) => string[],
  incoming: IncomingHeaders,
): Lookups | null {
  const headers = readHeaders(incoming);
  const presented = presentedCredentials(headers);
  // An issuer is read from a bearer token only, which is among the presented values.
  if (presented.length === 0) return null;
  const token = headers.bearer;
  const issuer = token === null ? null : unverifiedIssuer(token);
  const hashes = presented.map((p) => keyring.lookupHashes(p.lookupValue));
  if (issuer !== null) hashes.push(issuerHashes(issuer));
  return { presented, token, issuer, hashes };
}

/**
 * The credential the lookups lead to: an exact match of a presented value first (of a type that value
 * can be), else the bearer token issuer's jwtVerify (looked up last, after the presented values).
 */
function chooseFound(
  { presented, issuer }: Lookups,
  found: readonly (Found | null)[],
): { found: Found; jwt: boolean } | null {
  for (let index = 0; index < presented.length; index++) {
    const match = found[index];
    if (match && kindAccepts[(presented[index] as Presented).kind].includes(match.record.authType))
      return { found: match, jwt: false };
  }
  // Stryker disable next-line ConditionalExpression: without an issuer nothing was looked up at that index (undefined)
  const byIssuer = issuer === null ? null : found[presented.length];
  if (byIssuer && byIssuer.record.authType === "jwtVerify") return { found: byIssuer, jwt: true };
  return null;
}

/** Options of {@link createProxyVerifier}. */
export interface ProxyVerifierOptions {
  router: RegionRouter;
  keyring: Keyring;
  jwt: JwtVerifier;
  /** Decrypts a record's secret (the record layer's one place that does, and its one cache). */
  open: Records["open"];
  /** Epoch milliseconds, for the expiry rule. */
  now: () => number;
  /** Verdicts kept in process (see `near-cache.ts`); absent or disabled: every lookup asks the stores. */
  nearCache?: NearCache;
  /** The event a spent single use is stored with (absent: none). */
  spendEvent?: SpendEvent;
}

/**
 * The verification of a proxy request, over the service's stores and keyring: read the headers
 * (`presented.ts`), find the records (`find-records.ts`), check a JWT (`jwt-check.ts`), accept
 * (`accept.ts`). `clientId` has been checked by the caller (its format and the actor's access).
 */
export function createProxyVerifier(options: ProxyVerifierOptions) {
  const { keyring } = options;
  const find = createRecordFinder({ router: options.router, nearCache: options.nearCache });
  const jwt = createJwtCheck({
    jwt: options.jwt,
    open: options.open,
    lookupHashes: (value) => keyring.lookupHashes(value),
  });
  const issuerHashes = (issuer: string) => jwt.issuerHashes(issuer);

  // The bearer token's JWT against the jwtVerify credential its issuer led to.
  async function verifiedJwt(found: Found, token: string, issuer: string, early?: Speculation) {
    const { outcome, failPolicy } = await jwt.check(found.record, token, issuer, early);
    if (outcome === "VALID") return accept(found, false, options.now, options.spendEvent);
    if (outcome === "JWKS_UNAVAILABLE" && failPolicy === "fail-open")
      return accept(found, true, options.now, options.spendEvent);
    return { ok: false, reason: outcome } as const;
  }

  // What the chosen credential makes of the request (the clock is read only once one was found).
  function decided(
    clientId: string,
    { token, issuer }: Lookups,
    early: Speculation | undefined,
    chosen: { found: Found; jwt: boolean } | null,
  ): Verified | Promise<Verified> {
    if (early && !chosen?.jwt) jwt.forget(clientId, issuer as string);
    if (chosen === null) return NO_CREDENTIAL;
    if (!chosen.jwt) return accept(chosen.found, false, options.now, options.spendEvent);
    // An issuer is read from a token only: `token` is a string whenever `issuer` is.
    return verifiedJwt(chosen.found, token as string, issuer as string, early);
  }

  // Not an async function: one spanning these steps allocated a frame as large as its body on every
  // verification (a tenth of an apiKey verification's garbage, bench/verify.ts); the steps are the small
  // functions above, chained. Whatever throws becomes a rejection, as from an async function.
  return function verify(clientId: string, request: ProxyRequest): Promise<Verified> {
    try {
      const lookups = lookupsOf(keyring, issuerHashes, request.headers);
      if (lookups === null) return Promise.resolve(NO_CREDENTIAL);
      const { token, issuer } = lookups;
      const early = issuer === null ? undefined : jwt.speculate(clientId, issuer, token as string);
      // Exact matches and the jwtVerify issuer are looked up together: one round trip.
      return find(clientId, lookups.hashes).then((found) => {
        const chosen = chooseFound(lookups, found);
        // While keys rotate, re-encryption moves a record's lookup entry from its old-key hash to its
        // active-key hash in one atomic write, which can land between the lookups of one round (the
        // active hash read just before it, the old one just after), so both miss. The move only goes one
        // way: looking once more finds it. Only a miss with several keys in the keyring pays this second
        // round, and it asks the stores, not the near cache: the first round may have cached that very
        // miss before the re-encryption's invalidation arrived (the fresh answer replaces it).
        if (chosen === null && keyring.keyIds.length > 1)
          return find(clientId, lookups.hashes, true).then((again) =>
            decided(clientId, lookups, early, chooseFound(lookups, again)),
          );
        return decided(clientId, lookups, early, chosen);
      });
    } catch (error) {
      return Promise.reject(error);
    }
  };
}
