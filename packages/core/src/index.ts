// The public surface of @credkit/core, named (not `export *`): internals such as the store layer's
// readers, the envelope primitives and the record-identity helpers stay private to the package. A new
// public symbol is added here on purpose.

export {
  type ActorScope,
  actorScopes,
  assertClientAccess,
  assertMayWriteCredentials,
  assertScope,
  assertSecretAccess,
  systemActor,
} from "./access.js";
export {
  type AuditAction,
  type AuditEvent,
  type AuditSink,
  authorizationFailedEvent,
} from "./audit.js";
export type { ProxyAllowed, ProxyRefusalReason, ProxyRefused, ProxyVerdict } from "./authz/authorize.js";
export {
  type AuthzRefusal,
  type AuthzRefusalAnswer,
  authzHeaders,
  authzRefusalBody,
  authzRefusals,
  reservedAnswerHeaders,
} from "./authz/contract.js";
export { BoundedMap } from "./bounded-map.js";
export { ENVELOPE_VERSION, isValidKeyId, parseEnvelope, type RecordIdentity } from "./crypto/envelope.js";
export {
  createKeyring,
  decodeMasterKey,
  generateMasterKey,
  type Keyring,
  type KeyringMaterial,
  type KeySource,
  keyIdFor,
  loadKeyring,
  type MasterKey,
  staticKeySource,
} from "./crypto/keyring.js";
export {
  CredkitError,
  type CredkitErrorOptions,
  type ErrorCode,
  errorCodes,
  type FieldError,
  isCredkitError,
  storageUnavailable,
} from "./errors.js";
export {
  type CredentialEvents,
  createEventBus,
  type EventBusOptions,
  type EventListener,
  type EventPublisher,
  type EventSink,
} from "./events/event-bus.js";
export { credentialEventData, newEventId } from "./events/event-data.js";
export {
  type AnyCredkitEvent,
  type CredentialEventData,
  type CredkitEvent,
  type EventDataMap,
  type EventType,
  eventTypes,
  isEventType,
  type UpstreamErrorClass,
} from "./events/event-types.js";
export {
  clientIdPattern,
  isValidClientId,
  isValidRegionName,
  newCredentialId,
  regionOfCredentialId,
  regionPattern,
} from "./ids.js";
export { apiKeyLookupValue, basicLookupValue, bearerLookupValue, jwtIssuerLookupValue } from "./lookup.js";
export {
  type AddressPolicy,
  createAddressPolicy,
  isNonPublicAddress,
  normalizeAddress,
  parseAllowHosts,
} from "./outbound/address-policy.js";
export {
  createOutboundFetch,
  type OutboundFetch,
  type OutboundFetchOptions,
  type OutboundRequestInit,
} from "./outbound/outbound-fetch.js";
export type { VerifyFailureReason } from "./proxy/accept.js";
export { DEFAULT_JWKS_COOLDOWN_MS, type JwtOutcome } from "./proxy/jwt-verifier.js";
export {
  type CachedFind,
  createNearCache,
  DEFAULT_NEAR_CACHE_MAX_ENTRIES,
  DEFAULT_NEAR_CACHE_TTL_MS,
  defaultNearCacheTtlMs,
  type Invalidation,
  type InvalidationChannel,
  type InvalidationListener,
  type NearCache,
  type NearCacheOptions,
  type NearCacheStats,
  type ReadStamp,
} from "./proxy/near-cache.js";
export { announceWritesTo } from "./proxy/near-cache-wiring.js";
export { type IncomingHeaders, presentedBasicUsername } from "./proxy/presented.js";
export { DEFAULT_MIN_PROXY_SECRET_LENGTH } from "./proxy/secret-strength.js";
export type { ProxyRequest, VerifyResult } from "./proxy/verify.js";
export {
  type Actor,
  type AuthType,
  authTypes,
  type CallContext,
  type CredentialStatus,
  type CredentialType,
  credentialStatuses,
  credentialTypes,
  type RuleEffect,
  type StoredCredential,
} from "./record.js";
export {
  assertDefinedStore,
  type DefineStoreOptions,
  type DriverListOptions,
  type DriverPage,
  type DriverScanOptions,
  defineCredentialStore,
  type StoreDriver,
} from "./records/define-store.js";
export { DEFAULT_EXPIRY_LEAD_TIMES_MS, type ExpirySweepResult } from "./records/expiry-events.js";
export { DEFAULT_EXPIRED_RETENTION_MS } from "./records/lifetime.js";
export { invalidCursor, MAX_CURSOR_LENGTH, type StorePosition } from "./records/store-cursor.js";
export {
  addStoreHooks,
  type CredentialWrite,
  type CredentialWriteKind,
  type StoreHooks,
  type StoreOperation,
  type StoreOperationEvent,
} from "./records/store-hooks.js";
export {
  assertLeaseTtl,
  assertPageLimit,
  assertVersionStep,
  isExpired,
  MAX_PAGE_SIZE,
} from "./records/store-rules.js";
export { awsRegions, createRegionRouter, type RegionMap, type RegionRouter } from "./regions.js";
export type { ReencryptionCounts, ReencryptionFailure } from "./rotation/progress.js";
export {
  initialReencryptionState,
  type ReencryptionState,
  type ReencryptRegionsOptions,
  type ReencryptRegionsResult,
  reencryptRegions,
} from "./rotation/reencrypt-regions.js";
export {
  type ReencryptStoreOptions,
  reencryptStore,
  type StoreProgress,
} from "./rotation/reencrypt-store.js";
export { needsReencryption, resealRecord } from "./rotation/reseal-record.js";
export { type SealedKeyIdsOptions, unknownSealedKeyIds } from "./rotation/sealed-key-ids.js";
export {
  type AuthTypeOf,
  anySecret,
  type CreateCredentialInput,
  type CreateCredentialInputOf,
  createCredentialBody,
  documentedBody,
  type PublicCredential,
  publicCredential,
  type SecretInputOf,
  type TargetAuth,
  targetAuthResponse,
  type UpdateCredentialInput,
  type UpdateCredentialInputOf,
  updateCredentialBody,
  verifyRequestBody,
  verifyResponse,
} from "./schemas/bodies.js";
export { checkJsonBounds, defaultJsonBounds, type JsonBounds } from "./schemas/json-bounds.js";
export { invalid, parseOrThrow } from "./schemas/parse.js";
export {
  allowedAuthTypes,
  apiKeySecret,
  basicAuthSecret,
  bearerSecret,
  customSecret,
  customTokenSecret,
  jwtAlgorithms,
  jwtSecret,
  jwtVerifySecret,
  noneSecret,
  oauth2AuthorizationCodeSecret,
  oauth2ClientCredentialsSecret,
  oauth2Secret,
  type Secret,
  type SecretOf,
  secretSchemas,
} from "./schemas/secrets.js";
export {
  type CreatedWebhook,
  createdWebhook,
  createWebhookBody,
  type FailedDelivery,
  failedDelivery,
  MAX_WEBHOOKS_PER_CLIENT,
  type PublicWebhook,
  publicWebhook,
} from "./schemas/webhooks.js";
export {
  type CredentialPage,
  type CredentialService,
  type CredentialServiceOptions,
  type CredentialWithAuthorization,
  createCredentialService,
  DEFAULT_PENDING_AUTHORIZATION_TTL_MS,
  type ListCredentialsOptions,
  type StoreHealth,
  type UpdateOptions,
} from "./service.js";
export type { ServiceHooks, VerificationEvent } from "./service-hooks.js";
export type { IdempotencyClaim, IdempotencyEntry, IdempotencyStore, SharedCounter } from "./shared-state.js";
export {
  type CredentialStore,
  type ListOptions,
  type Page,
  type PendingEvent,
  type ScanOptions,
  STORE_RULES,
  type WriteEvents,
} from "./storage.js";
export type { AuthorizationCallback } from "./target/complete-authorization.js";
export type { TargetTokenOptions } from "./target/context.js";
export { TOKEN_STATE_PURPOSE, tokenStateIdentity } from "./target/token-state.js";
export { toPublicCredential } from "./view.js";
export {
  createWebhookDispatcher,
  type WebhookDispatcher,
  type WebhookDispatcherOptions,
} from "./webhooks/dispatcher.js";
export {
  createEventRelay,
  EVENT_RELAY_LEASE,
  type EventRelay,
  type EventRelayOptions,
} from "./webhooks/event-relay.js";
export {
  type EventOutbox,
  FAILED_KEPT_PER_WEBHOOK,
  MAX_ENTRIES_PER_QUEUE,
  type OutboxEntry,
  QUEUE_FULL,
  queueFull,
  type Settlement,
  type StoredWebhook,
  webhookLimitReached,
} from "./webhooks/outbox.js";
export { outboxEventSink } from "./webhooks/outbox-sink.js";
export { resealWebhooks } from "./webhooks/reseal-webhooks.js";
export { DEFAULT_RETRY_SCHEDULE, type RetrySchedule, retryDelayMs } from "./webhooks/retry-schedule.js";
export { newSigningSecret, standardWebhookHeaders } from "./webhooks/signing.js";
export {
  createWebhookService,
  WEBHOOK_SECRET_PURPOSE,
  type WebhookService,
  type WebhookServiceOptions,
  webhookSecretIdentity,
} from "./webhooks/webhook-service.js";
