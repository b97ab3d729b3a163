// The store interfaces are core's; re-exported here, where they were first defined.
export type { IdempotencyClaim, IdempotencyEntry, IdempotencyStore } from "@credkit/core";
export { preferredType } from "./accepts.js";
export {
  type CredkitHandler,
  type CredkitHandlerOptions,
  createCredkitHandler,
  DEFAULT_BODY_LIMIT,
  DEFAULT_IDEMPOTENCY_TTL_MS,
} from "./api-handler.js";
export {
  type AuthzAnswerEvent,
  type AuthzHandlerOptions,
  type AuthzThrottle,
  createAuthzHandler,
} from "./authz-handler.js";
export type { AuthzRoute } from "./authz-route.js";
export { renderDocsPage } from "./docs-page.js";
export { createHealthRouter } from "./health.js";
export {
  answerError,
  asCredkitError,
  type ErrorBody,
  type ErrorObserver,
  errorAnswer,
  errorHandler,
  sendError,
  statusByCode,
} from "./http-errors.js";
export {
  type IdempotencyProtection,
  idempotentCreate,
  memoryIdempotencyStore,
  processIdempotencyProtection,
} from "./idempotency.js";
export { sendJson } from "./json-response.js";
export { buildOpenApiDocument, type OpenApiDocument, type OpenApiOptions } from "./openapi.js";
export { type Operation, operations } from "./operations.js";
export { limitInBytes, readJsonBody } from "./request-body.js";
export { type CredkitRouterOptions, createCredkitRouter } from "./router.js";
export {
  type Authenticate,
  type AuthenticatedActor,
  type TokenLookup,
  tokenAuthenticator,
  tokenFromHeader,
  tokenLookup,
  type UserToken,
} from "./token-auth.js";
