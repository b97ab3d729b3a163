import {
  type Actor,
  type CredentialService,
  type IncomingHeaders,
  isCredkitError,
  type TargetAuth,
  type VerifyFailureReason,
} from "@credkit/core";
import type { AuthzRoute } from "./route.js";

/** Why an `/authz` request was refused: a verification reason, or what went wrong around it. */
export type AuthzRefusal =
  | VerifyFailureReason
  | "PROXY_TOKEN_INVALID"
  | "FORBIDDEN"
  | "TARGET_NOT_FOUND"
  | "REAUTHORIZATION_REQUIRED"
  | "TARGET_EXPIRED"
  | "TARGET_UNAVAILABLE"
  | "STORAGE_UNAVAILABLE"
  | "RATE_LIMITED"
  | "INTERNAL";

/** The answer to one auth subrequest, ready to write. */
export interface AuthzAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The refusal reason (for logs and metrics); undefined when allowed. */
  reason?: AuthzRefusal;
}

const statusOf: Record<AuthzRefusal, number> = {
  NO_CREDENTIAL: 401,
  INVALID: 401,
  EXPIRED: 401,
  PROXY_TOKEN_INVALID: 401,
  DENIED: 403,
  FORBIDDEN: 403,
  TARGET_NOT_FOUND: 403,
  REAUTHORIZATION_REQUIRED: 403,
  TARGET_EXPIRED: 403,
  JWKS_UNAVAILABLE: 503,
  TARGET_UNAVAILABLE: 503,
  STORAGE_UNAVAILABLE: 503,
  RATE_LIMITED: 429,
  INTERNAL: 500,
};

const messageOf: Partial<Record<AuthzRefusal, string>> = {
  PROXY_TOKEN_INVALID: "Missing or unknown X-Credkit-Token (the proxy's own token, scope authz)",
  FORBIDDEN: "The X-Credkit-Token lacks the authz scope or access to this client",
  RATE_LIMITED: "Too many failed attempts from this address; retry later",
};

// RFC 6750 §3: an invalid presented credential is `invalid_token`; none presented gets the bare challenge.
const challengeOf: Partial<Record<AuthzRefusal, string>> = {
  NO_CREDENTIAL: 'Bearer realm="credkit"',
  INVALID: 'Bearer realm="credkit", error="invalid_token"',
  EXPIRED: 'Bearer realm="credkit", error="invalid_token", error_description="expired"',
};

/** A refusal: `{allowed:false, reason}` with the status, challenge and Retry-After it calls for. */
export function refuse(reason: AuthzRefusal): AuthzAnswer {
  const status = statusOf[reason];
  const message = messageOf[reason];
  const body = JSON.stringify(message ? { allowed: false, reason, message } : { allowed: false, reason });
  const headers: Record<string, string> = {
    "Cache-Control": "no-store",
    "Content-Type": "application/json",
    // A length, not chunks: the proxy can then skip the body and keep the connection.
    "Content-Length": String(Buffer.byteLength(body)),
  };
  const challenge = challengeOf[reason];
  if (challenge) headers["WWW-Authenticate"] = challenge;
  if (status === 503) headers["Retry-After"] = "1";
  return { status, headers, body, reason };
}

// Headers a target credential cannot set on the answer: they frame or route the answer itself.
// biome-ignore format: a dense list reads better
const RESERVED = new Set([
  "cache-control", "connection", "content-length", "content-type", "keep-alive", "proxy-connection",
  "te", "trailer", "transfer-encoding", "upgrade", "x-credkit-credential-id", "x-credkit-degraded",
  "x-credkit-target-query",
]);

/**
 * The allowed answer: the credential id, and the target's headers verbatim and query form-encoded. No
 * body: nginx reads none from an auth subrequest, and keeps its connection to credkit alive only when
 * there is none to skip (with a body, every request would open a new connection; see bench/authz.ts).
 */
function allow(credentialId: string, degraded: boolean, target: TargetAuth | null): AuthzAnswer {
  const headers: Record<string, string> = {};
  // A fail-open jwtVerify let the request through without checking it: say so to the upstream.
  if (degraded) headers["X-Credkit-Degraded"] = "true";
  if (target) {
    for (const [name, value] of Object.entries(target.headers))
      if (!RESERVED.has(name.toLowerCase())) headers[name] = value;
    const query = new URLSearchParams(target.query).toString();
    if (query !== "") headers["X-Credkit-Target-Query"] = query;
  }
  headers["X-Credkit-Credential-Id"] = credentialId;
  headers["Cache-Control"] = "no-store";
  headers["Content-Length"] = "0";
  return { status: 200, headers, body: "" };
}

/** Maps what the service threw to a refusal; only codes, never the error's text, reach the answer. */
function refusalOf(error: unknown, resolving: boolean): AuthzRefusal {
  if (isCredkitError(error, "STORAGE_UNAVAILABLE") || isCredkitError(error, "REQUEST_TIMEOUT"))
    return "STORAGE_UNAVAILABLE";
  if (!resolving) return "INTERNAL";
  if (isCredkitError(error, "NOT_FOUND") || isCredkitError(error, "VALIDATION_ERROR"))
    return "TARGET_NOT_FOUND";
  if (isCredkitError(error, "REAUTHORIZATION_REQUIRED")) return "REAUTHORIZATION_REQUIRED";
  if (isCredkitError(error, "CREDENTIAL_EXPIRED")) return "TARGET_EXPIRED";
  if (isCredkitError(error, "UPSTREAM_ERROR") || isCredkitError(error, "OUTBOUND_REFUSED"))
    return "TARGET_UNAVAILABLE";
  return "INTERNAL";
}

/**
 * The `authz` scope lets a proxy have the target it names resolved, but only through this listener
 * (into the upstream request, never to the proxy's own hands): the service is asked as a resolver here.
 */
function asResolver(actor: Actor): Actor {
  const scopes = actor.scopes ?? [];
  return scopes.includes("resolve") ? actor : { ...actor, scopes: [...scopes, "resolve"] };
}

/**
 * The verdict for one auth subrequest: the proxy credential in `headers`, then (only when it passed)
 * the target's auth: the one place the data plane calls the service. A single-use proxy credential is
 * spent by a pass even when the target then fails: resolving first would let anyone without a credential
 * spend a single-use target.
 */
export async function decide(
  service: CredentialService,
  route: AuthzRoute,
  headers: IncomingHeaders,
  actor: Actor,
  onError: (error: unknown) => void,
): Promise<AuthzAnswer> {
  let resolving = false;
  try {
    // The proxy's actor (already checked for scope authz and client access) is the caller.
    const verdict = await service.verifyProxyRequest(actor, route.clientId, { headers });
    if (!verdict.ok) return refuse(verdict.reason);
    resolving = true;
    const target =
      route.targetCredentialId === null
        ? null
        : await service.resolveTargetAuth(asResolver(actor), route.clientId, route.targetCredentialId);
    return allow(verdict.credential.credentialId, verdict.degraded === true, target);
  } catch (error) {
    const reason = refusalOf(error, resolving);
    if (reason === "INTERNAL" || reason === "TARGET_UNAVAILABLE") onError(error);
    return refuse(reason);
  }
}
