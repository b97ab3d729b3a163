import type { OutboundFetch } from "../outbound/outbound-fetch.js";
import type { SecretOf } from "../schemas/secrets.js";
import { createJwksCache, JwksUnavailableError } from "./jwks-cache.js";
import { checkClaims } from "./jwt-claims.js";
import { unverifiedClaims, verifyJwtSignature } from "./jwt-signature.js";

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
      try {
        const payload = await verifyJwtSignature(
          token,
          config.algorithms,
          config.secret !== undefined
            ? encoder.encode(config.secret)
            : jwks.resolver(config.jwksUri as string),
        );
        // The claims are checkClaims' alone, with the clock read after the signature check.
        return checkClaims(payload, config, options.now()) ?? "VALID";
      } catch (error) {
        if (!(error instanceof JwksUnavailableError)) return "INVALID";
        // No usable key set at all: the fail policy decides, but only for a token whose claims hold.
        return claimsWithoutKey(token, config, options.now()) ?? "JWKS_UNAVAILABLE";
      }
    },
  };
}

/** The key-free claim checks on a token whose signature cannot be checked (no key set to check it with). */
function claimsWithoutKey(token: string, config: SecretOf<"jwtVerify">, nowMs: number) {
  try {
    return checkClaims(unverifiedClaims(token), config, nowMs);
  } catch {
    return "INVALID" as const;
  }
}
