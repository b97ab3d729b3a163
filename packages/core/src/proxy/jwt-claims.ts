import type { JWTPayload } from "jose";
import type { SecretOf } from "../schemas/secrets.js";

/** How a claim check ended: null when every claim holds. */
export type ClaimsFailure = "INVALID" | "EXPIRED";

/**
 * The claim checks that need no key: `iss`, `aud`, `sub`, `exp` (required unless the credential opts
 * out with `allowMissingExp`), `nbf`, and an `iat` not in the future, each with the credential's clock
 * skew. They run on every token, verified or not: a fail-open verdict never skips them.
 */
export function checkClaims(
  payload: JWTPayload,
  config: SecretOf<"jwtVerify">,
  nowMs: number,
): ClaimsFailure | null {
  const now = Math.floor(nowMs / 1000);
  const skew = config.clockSkewSeconds ?? 0;
  if (payload.iss !== config.issuer) return "INVALID";
  const wanted = typeof config.audience === "string" ? [config.audience] : config.audience;
  // One audience or a list of them; a value of another type (a number, a nested list) equals no string.
  const presented = [payload.aud].flat();
  if (!wanted.some((aud) => presented.includes(aud))) return "INVALID";
  if (config.subject !== undefined && payload.sub !== config.subject) return "INVALID";
  for (const claim of ["exp", "nbf", "iat"] as const) {
    const value = payload[claim];
    if (value !== undefined && !Number.isFinite(value)) return "INVALID"; // a numeric string is not finite
  }
  // An absent nbf or iat bounds nothing.
  if ((payload.nbf ?? Number.NEGATIVE_INFINITY) > now + skew) return "INVALID";
  if ((payload.iat ?? Number.NEGATIVE_INFINITY) > now + skew) return "INVALID";
  if (payload.exp === undefined) return config.allowMissingExp === true ? null : "INVALID";
  return payload.exp <= now - skew ? "EXPIRED" : null;
}
