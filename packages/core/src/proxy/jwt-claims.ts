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
  const presented =
    typeof payload.aud === "string" ? [payload.aud] : Array.isArray(payload.aud) ? payload.aud : [];
  if (!presented.some((aud) => wanted.includes(aud))) return "INVALID";
  if (config.subject !== undefined && payload.sub !== config.subject) return "INVALID";
  for (const claim of ["exp", "nbf", "iat"] as const) {
    const value = payload[claim];
    if (value !== undefined && (typeof value !== "number" || !Number.isFinite(value))) return "INVALID";
  }
  if (payload.nbf !== undefined && payload.nbf > now + skew) return "INVALID";
  if (payload.iat !== undefined && payload.iat > now + skew) return "INVALID";
  if (payload.exp === undefined) return config.allowMissingExp === true ? null : "INVALID";
  return payload.exp <= now - skew ? "EXPIRED" : null;
}
