import { BoundedMap } from "../bounded-map.js";
import { CredkitError } from "../errors.js";
import { jwtIssuerLookupValue } from "../lookup.js";
import type { StoredCredential } from "../record.js";
import type { Records } from "../records/records.js";
import type { SecretOf } from "../schemas/secrets.js";
import { unverifiedClaims } from "./jwt-signature.js";
import type { JwtOutcome, JwtVerifier } from "./jwt-verifier.js";

/** A signature check started before the lookups answered, and the record version it assumed. */
export interface Speculation {
  version: string;
  outcome: Promise<JwtOutcome>;
}

/** How a JWT fared against the jwtVerify credential its issuer led to, and that credential's policy. */
export interface JwtCheck {
  outcome: JwtOutcome;
  failPolicy: SecretOf<"jwtVerify">["failPolicy"];
}

const MAX_ISSUERS = 10_000;
const versionOf = (record: StoredCredential) => `${record.credentialId}\n${record.version}`;

/**
 * The verifier's jwtVerify concern. Configurations are opened through the record layer's one cache of
 * opened secrets (`open`). The credential last seen for a client's issuer lets a token of that issuer
 * start its signature check (which runs on the thread pool) while the lookups are still on their way;
 * the result counts only if the lookups lead to that very record version, else it is checked again.
 * An issuer's lookup hashes are kept too: an issuer is no secret, and its HMACs are a fixed cost of
 * every JWT verified (`lookupHashes` is the keyring's).
 */
export function createJwtCheck(options: {
  jwt: JwtVerifier;
  open: Records["open"];
  lookupHashes: (value: string) => string[];
}) {
  const lastByIssuer = new BoundedMap<string, StoredCredential>(MAX_ISSUERS);
  const hashesByIssuer = new BoundedMap<string, string[]>(MAX_ISSUERS);

  function configOf(record: StoredCredential): SecretOf<"jwtVerify"> {
    const opened = options.open(record);
    if (opened.authType !== "jwtVerify") throw new CredkitError("INTERNAL", "not a jwtVerify credential");
    return opened.secret;
  }

  return {
    /** The lookup hashes of `issuer`'s jwtVerify credential under every key (frozen: shared). */
    issuerHashes(issuer: string): string[] {
      let hashes = hashesByIssuer.get(issuer);
      if (!hashes) {
        hashes = Object.freeze(options.lookupHashes(jwtIssuerLookupValue(issuer))) as string[];
        hashesByIssuer.set(issuer, hashes);
      }
      return hashes;
    },
    /** Starts checking `token` against the credential last seen for its issuer, if any. */
    speculate(clientId: string, issuer: string, token: string): Speculation | undefined {
      const last = lastByIssuer.get(`${clientId}\n${issuer}`);
      if (!last) return undefined;
      return { version: versionOf(last), outcome: options.jwt.verify(token, configOf(last)) };
    },
    /** The lookups led elsewhere: stop speculating on a credential that is gone or changed. */
    forget(clientId: string, issuer: string): void {
      lastByIssuer.delete(`${clientId}\n${issuer}`);
    },
    /** Checks `token` against `record` (a jwtVerify credential), reusing a speculation made for it. */
    async check(
      record: StoredCredential,
      token: string,
      issuer: string,
      early?: Speculation,
    ): Promise<JwtCheck> {
      const config = configOf(record);
      const version = versionOf(record);
      const key = `${record.clientId}\n${issuer}`;
      const last = lastByIssuer.get(key);
      // Stryker disable next-line ConditionalExpression: performance only: setting the same version again moves the entry, which costs more than this read
      if (last === undefined || versionOf(last) !== version) lastByIssuer.set(key, record);
      const outcome =
        early?.version === version ? await early.outcome : await options.jwt.verify(token, config);
      return { outcome, failPolicy: config.failPolicy };
    },
  };
}

/** The `iss` claim of a token that looks like a JWT, unverified (it only picks the verifier), else null. */
export function unverifiedIssuer(token: string): string | null {
  try {
    const issuer = unverifiedClaims(token).iss;
    return typeof issuer === "string" ? issuer : null;
  } catch {
    return null;
  }
}
