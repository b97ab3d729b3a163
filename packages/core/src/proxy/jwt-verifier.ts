import { createRemoteJWKSet, customFetch, errors, type JWTVerifyGetKey, jwtVerify } from "jose";
import type { OutboundFetch } from "../outbound/outbound-fetch.js";
import type { SecretOf } from "../schemas/secrets.js";

/** How a JWT verification ended. */
export type JwtOutcome = "VALID" | "INVALID" | "EXPIRED" | "JWKS_UNAVAILABLE";

/** Options of {@link createJwtVerifier}. */
export interface JwtVerifierOptions {
  fetch: OutboundFetch;
  /** Milliseconds after a successful JWKS fetch before an unknown `kid` may trigger another. Default 30000. */
  jwksCooldownMs?: number;
  /** Milliseconds a fetched JWKS is trusted. Default 600000. */
  jwksCacheMaxAgeMs?: number;
  /** Milliseconds a JWKS fetch may take. Default 5000. */
  jwksTimeoutMs?: number;
  now: () => number;
}

/** Verifies JWTs against jwtVerify configurations, sharing one cached JWKS per URI. */
export interface JwtVerifier {
  verify(token: string, config: SecretOf<"jwtVerify">): Promise<JwtOutcome>;
}

const encoder = new TextEncoder();

/** True when the JWKS itself could not be had (as opposed to a token it does not vouch for). */
function isJwksUnavailable(error: unknown): boolean {
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return true;
  if (error instanceof errors.JOSEError) return error.code === "ERR_JOSE_GENERIC"; // non-200 or non-JSON
  return true; // the fetch itself failed (refused, unreachable, too large)
}

/** Creates the verifier: HS* with the shared secret, anything else through the (cached) JWKS. */
export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  const jwksByUri = new Map<string, JWTVerifyGetKey>();
  const jwksFor = (uri: string) => {
    let jwks = jwksByUri.get(uri);
    if (!jwks) {
      jwks = createRemoteJWKSet(new URL(uri), {
        cooldownDuration: options.jwksCooldownMs ?? 30_000,
        cacheMaxAge: options.jwksCacheMaxAgeMs ?? 600_000,
        timeoutDuration: options.jwksTimeoutMs ?? 5_000,
        [customFetch]: (url, init) => options.fetch(url, init),
      });
      jwksByUri.set(uri, jwks);
    }
    return jwks;
  };

  return {
    async verify(token, config) {
      const claims = {
        algorithms: config.algorithms,
        issuer: config.issuer,
        audience: config.audience,
        ...(config.subject === undefined ? {} : { subject: config.subject }),
        clockTolerance: config.clockSkewSeconds ?? 0,
        currentDate: new Date(options.now()),
      };
      try {
        if (config.secret !== undefined) await jwtVerify(token, encoder.encode(config.secret), claims);
        else await jwtVerify(token, jwksFor(config.jwksUri as string), claims);
        return "VALID";
      } catch (error) {
        if (error instanceof errors.JWTExpired) return "EXPIRED";
        if (
          error instanceof errors.JWTClaimValidationFailed ||
          error instanceof errors.JWSSignatureVerificationFailed ||
          error instanceof errors.JWSInvalid ||
          error instanceof errors.JWTInvalid ||
          error instanceof errors.JOSEAlgNotAllowed ||
          error instanceof errors.JOSENotSupported ||
          error instanceof errors.JWKSNoMatchingKey ||
          error instanceof errors.JWKSMultipleMatchingKeys
        ) {
          return "INVALID";
        }
        return config.jwksUri !== undefined && isJwksUnavailable(error) ? "JWKS_UNAVAILABLE" : "INVALID";
      }
    },
  };
}
