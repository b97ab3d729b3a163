import type { AuditEvent } from "./audit.js";
import type { VerifyFailureReason } from "./proxy/accept.js";

/**
 * One answer of `verifyProxyRequest`, for metrics: the client asked about, and the outcome (`allowed`,
 * `degraded` for a fail-open pass, or the failure reason); the credential that passed, when one did.
 */
export interface VerificationEvent {
  clientId: string;
  outcome: "allowed" | "degraded" | VerifyFailureReason;
  credentialId?: string;
}

/**
 * What the service tells about its work, as typed events: pass the functions you need to
 * `createCredentialService({ hooks })`. Each is called synchronously where the event happens and
 * must not throw; without one, its event is never built. Store-level events (every write, every
 * operation's duration) are the stores' own hooks: see `addStoreHooks`.
 */
export interface ServiceHooks {
  /**
   * Every call that changes stored state or hands out secret material, successes and failures alike:
   * create, update, delete, single-use consumption (by `verifyProxyRequest` or the data plane), target
   * resolution and token invalidation, OAuth completion. Ids, codes and names only, never a secret.
   * On the data plane (`authorizeProxyRequest`) only a spent single-use credential is recorded, and
   * its target resolutions only with `auditDataPlaneResolves`: a plain pass records nothing.
   */
  audit?(event: AuditEvent): void;
  /** The outcome of every `verifyProxyRequest` that answered (the data plane counts its answers itself). */
  verification?(event: VerificationEvent): void;
}
