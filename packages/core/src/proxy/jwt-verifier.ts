import { decodeJwt, errors, jwtVerify } from "jose";
import type { OutboundFetch } from "../outbound/outbound-fetch.js";
import type { SecretOf } from "../schemas/secrets.js";
import { createJwksCache, JwksUnavailableError } from "./jwks-cache.js";
import { checkClaims } from "./jwt-claims.js";

/** Default least time between two JWKS fetches of one URI (`jwks.cooldownMs` of the service). */
export const DEFAULT_JWKS_COOLDOWN_MS = 30_000;

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
    cooldownMs: options.jwksCooldownMs ?? DEFAULT_JWKS_COOLDOWN_MS,
    maxAgeMs: options.jwksCacheMaxAgeMs ?? 600_000,
    now: options.now,
  });
  return {
    async verify(token, config) {
      // The subject is checkClaims' alone (it runs on every verified token): jose checking it too would
      // be a second layer no test could tell apart from the first.
      const claims = {
        algorithms: config.algorithms,
        issuer: config.issuer,
        audience: config.audience,
        clockTolerance: config.clockSkewSeconds ?? 0,
        currentDate: new Date(options.now()),
      };
      try {
        const { payload } =
          config.secret !== undefined
            ? await jwtVerify(token, encoder.encode(config.secret), claims)
            : await jwtVerify(token, jwks.resolver(config.jwksUri as string), claims);
        return checkClaims(payload, config, options.now()) ?? "VALID";
      } catch (error) {
        if (error instanceof errors.JWTExpired) return "EXPIRED";
        if (!(error instanceof JwksUnavailableError)) return "INVALID";
        // No usable key set at all: the fail policy decides, but only for a token whose claims hold.
        return unverifiedClaims(token, config, options.now()) ?? "JWKS_UNAVAILABLE";
      }
    },
  };
}

/** The key-free claim checks on a token whose signature cannot be checked (no key set to check it with). */
function unverifiedClaims(token: string, config: SecretOf<"jwtVerify">, nowMs: number) {
  try {
    return checkClaims(decodeJwt(token), config, nowMs);
  } catch {
    return "INVALID" as const;
  }
}
