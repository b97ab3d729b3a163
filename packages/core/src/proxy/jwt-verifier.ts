import { errors, jwtVerify } from "jose";
import type { OutboundFetch } from "../outbound/outbound-fetch.js";
import type { SecretOf } from "../schemas/secrets.js";
import { createJwksCache, JwksUnavailableError } from "./jwks-cache.js";

/** How a JWT verification ended. */
export type JwtOutcome = "VALID" | "INVALID" | "EXPIRED" | "JWKS_UNAVAILABLE";

/** Options of {@link createJwtVerifier}. */
export interface JwtVerifierOptions {
  fetch: OutboundFetch;
  /** Milliseconds after a successful JWKS fetch before an unknown `kid` may trigger another. Default 30000. */
  jwksCooldownMs?: number;
  /** Milliseconds a fetched JWKS is trusted. Default 600000. */
  jwksCacheMaxAgeMs?: number;
  now: () => number;
}

/** Verifies JWTs against jwtVerify configurations, sharing one cached JWKS per URI. */
export interface JwtVerifier {
  verify(token: string, config: SecretOf<"jwtVerify">): Promise<JwtOutcome>;
}

const encoder = new TextEncoder();

/** Creates the verifier: HS* with the shared secret, anything else through the (cached) JWKS. */
export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  const jwks = createJwksCache({
    fetch: options.fetch,
    cooldownMs: options.jwksCooldownMs ?? 30_000,
    maxAgeMs: options.jwksCacheMaxAgeMs ?? 600_000,
    now: options.now,
  });
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
        else await jwtVerify(token, jwks.resolver(config.jwksUri as string), claims);
        return "VALID";
      } catch (error) {
        if (error instanceof errors.JWTExpired) return "EXPIRED";
        return error instanceof JwksUnavailableError ? "JWKS_UNAVAILABLE" : "INVALID";
      }
    },
  };
}
