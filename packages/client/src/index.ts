export type { AuthzOptions, AuthzRequest, AuthzResult } from "./authz.js";
export {
  type CreateOptions,
  type CredentialResult,
  type CredkitClient,
  type CredkitClientOptions,
  createCredkitClient,
  type ListOptions,
  type UpdateOptions,
} from "./client.js";
export { type ClientErrorCode, CredkitApiError, parseRetryAfter } from "./errors.js";
export type { components, operations, paths } from "./generated/openapi.js";
export type { CallOptions } from "./http.js";
export type { RetryOptions } from "./retry.js";
export type {
  AuthType,
  AuthTypeOf,
  CreateCredentialInput,
  CreateCredentialInputOf,
  Credential,
  CredentialPage,
  CredentialResponse,
  CredentialType,
  ErrorBody,
  SecretInputOf,
  TargetAuth,
  UpdateCredentialInput,
  UpdateCredentialInputOf,
  VerifyRequest,
  VerifyResult,
} from "./types.js";
export {
  type CreatedWebhook,
  type CreateWebhookInput,
  type FailedDelivery,
  type VerifyWebhookOptions,
  verifyWebhook,
  type Webhook,
  type WebhookEvent,
  type WebhookEventType,
  WebhookVerificationError,
} from "./webhooks.js";
