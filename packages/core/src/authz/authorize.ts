import { assertClientId } from "../access.js";
import { isCredkitError } from "../errors.js";
import type { Verified } from "../proxy/accept.js";
import type { ProxyRequest } from "../proxy/verify.js";
import type { Actor } from "../record.js";
import type { TargetAuth } from "../schemas/bodies.js";
import type { AuthzRefusal } from "./contract.js";

/** A refusal `authorizeProxyRequest` decides (the HTTP shell adds PROXY_TOKEN_INVALID and RATE_LIMITED). */
export type ProxyRefusalReason = Exclude<AuthzRefusal, "PROXY_TOKEN_INVALID" | "RATE_LIMITED">;

/** The request may through: which proxy credential passed, and the target auth to put on it. */
export interface ProxyAllowed {
  allowed: true;
  /** The proxy credential that matched. */
  credentialId: string;
  /** True when a fail-open jwtVerify let the request through without checking it (say so upstream). */
  degraded: boolean;
  /** True when this pass spent a single-use proxy credential. */
  consumed: boolean;
  /** The named target's headers and query (secret material: into the upstream request only); null for none. */
  target: TargetAuth | null;
}

/** The request may not through, and why; never secret material. */
export interface ProxyRefused {
  allowed: false;
  reason: ProxyRefusalReason;
  /**
   * Set when the proxy credential passed and the target then failed: the credential that matched
   * (a single-use one is spent, see `consumed`).
   */
  credentialId?: string;
  consumed?: boolean;
  /** What went wrong behind INTERNAL or TARGET_UNAVAILABLE, for the operator's log (never to the caller). */
  cause?: unknown;
}

/** The answer of `authorizeProxyRequest`: a value, never an exception, for every verdict. */
export type ProxyVerdict = ProxyAllowed | ProxyRefused;

const FORBIDDEN: ProxyRefused = { allowed: false, reason: "FORBIDDEN" };

/** What `authorizeProxyRequest` runs on: the service's verifier and target resolver, unchecked. */
export interface AuthorizeParts {
  verify(clientId: string, request: ProxyRequest): Promise<Verified>;
  resolve(clientId: string, credentialId: string): Promise<TargetAuth>;
}

/** The refusal a thrown error stands for; only its code counts, never its text. */
function refusalOf(error: unknown, resolving: boolean): ProxyRefusalReason {
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

/** A failed verification as its refusal (never an exception). */
function verifyFailed(error: unknown): ProxyRefused {
  const reason = refusalOf(error, false);
  return reason === "INTERNAL" ? { allowed: false, reason, cause: error } : { allowed: false, reason };
}

/** The verdict of a request that names no target. */
function untargeted(verified: Verified): ProxyVerdict {
  if (!verified.ok) return { allowed: false, reason: verified.reason };
  const { degraded, consumed } = verified;
  return { allowed: true, credentialId: verified.record.credentialId, degraded, consumed, target: null };
}

/** The named target resolved for a request whose proxy credential passed (a single use is spent either way). */
async function targeted(
  parts: AuthorizeParts,
  clientId: string,
  targetCredentialId: string,
  verified: Verified,
): Promise<ProxyVerdict> {
  if (!verified.ok) return { allowed: false, reason: verified.reason };
  const { credentialId } = verified.record;
  const { degraded, consumed } = verified;
  try {
    const target = await parts.resolve(clientId, targetCredentialId);
    return { allowed: true, credentialId, degraded, consumed, target };
  } catch (error) {
    const reason = refusalOf(error, true);
    const logged = reason === "INTERNAL" || reason === "TARGET_UNAVAILABLE";
    return { allowed: false, reason, credentialId, consumed, ...(logged ? { cause: error } : {}) };
  }
}

/**
 * The data plane's decision, in one place (see `CredentialService.authorizeProxyRequest`): the actor
 * needs the `authz` scope and access to the client; then the proxy credential in the request, then
 * (only when it passed) the named target. That order is the single-use rule: resolving first would let
 * anyone without a credential spend a single-use target, and a single-use proxy credential that passed
 * is spent even if the target then fails. A malformed `clientId` rejects with VALIDATION_ERROR (the
 * request is wrong, not refused); every verdict is a value.
 *
 * Not an async function: one that spans these steps allocated a frame as large as its body on every
 * request of the data plane; the steps are the small functions above, chained (bench/verify.ts).
 */
export function authorizeProxyRequest(
  parts: AuthorizeParts,
  actor: Actor,
  clientId: string,
  request: ProxyRequest,
  targetCredentialId?: string | null,
): Promise<ProxyVerdict> {
  try {
    assertClientId(clientId);
  } catch (error) {
    return Promise.reject(error);
  }
  if (!actor.scopes?.includes("authz") || (actor.clientIds !== "*" && !actor.clientIds.includes(clientId)))
    return Promise.resolve(FORBIDDEN);
  const verifying = parts.verify(clientId, request);
  if (targetCredentialId === undefined || targetCredentialId === null || targetCredentialId === "")
    return verifying.then(untargeted, verifyFailed);
  return verifying.then((verified) => targeted(parts, clientId, targetCredentialId, verified), verifyFailed);
}
