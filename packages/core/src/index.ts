export * from "./access.js";
export * from "./audit.js";
export type {
  ProxyAllowed,
  ProxyRefusalReason,
  ProxyRefused,
  ProxyVerdict,
} from "./authz/authorize.js";
export {
  type AuthzRefusal,
  type AuthzRefusalAnswer,
  authzHeaders,
  authzRefusalBody,
  authzRefusals,
  reservedAnswerHeaders,
} from "./authz/contract.js";
export { BoundedMap } from "./bounded-map.js";
export * from "./crypto/envelope.js";
export * from "./crypto/keyring.js";
export * from "./decorate.js";
export * from "./errors.js";
export * from "./events/index.js";
export * from "./ids.js";
export * from "./lookup.js";
export * from "./outbound/address-policy.js";
export * from "./outbound/outbound-fetch.js";
export { DEFAULT_JWKS_COOLDOWN_MS, type JwtOutcome } from "./proxy/jwt-verifier.js";
export * from "./proxy/near-cache.js";
export { type IncomingHeaders, presentedBasicUsername } from "./proxy/presented.js";
export { DEFAULT_MIN_PROXY_SECRET_LENGTH } from "./proxy/secret-strength.js";
export type { ProxyRequest, VerifyFailureReason, VerifyResult } from "./proxy/verify.js";
export * from "./record.js";
export { DEFAULT_EXPIRY_LEAD_TIMES_MS, type ExpirySweepResult } from "./records/expiry-events.js";
export { DEFAULT_EXPIRED_RETENTION_MS, isLifetimeOver } from "./records/lifetime.js";
export * from "./records/store-rules.js";
export * from "./regions.js";
export * from "./rotation/index.js";
export * from "./schemas/bodies.js";
export * from "./schemas/json-bounds.js";
export * from "./schemas/parse.js";
export * from "./schemas/secrets.js";
export * from "./schemas/webhooks.js";
export * from "./service.js";
export type { IdempotencyClaim, IdempotencyEntry, IdempotencyStore, SharedCounter } from "./shared-state.js";
export * from "./storage.js";
export type { AuthorizationCallback } from "./target/complete-authorization.js";
export type { TargetTokenOptions } from "./target/context.js";
export { TOKEN_STATE_PURPOSE, tokenStateIdentity } from "./target/token-state.js";
export * from "./view.js";
export * from "./webhooks/index.js";
