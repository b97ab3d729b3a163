import {
  createCredentialBody,
  createdWebhook,
  createWebhookBody,
  documentedBody,
  failedDelivery,
  publicCredential,
  publicWebhook,
  targetAuthResponse,
  updateCredentialBody,
  verifyRequestBody,
  verifyResponse,
} from "@credkit/core";
import * as z from "zod";
import type { ErrorStatus } from "./error-statuses.js";
import { authorizationCompleteResponse } from "./oauth-callback.js";

/** Body of every error response. */
export const errorResponse = z.object({
  message: z.string(),
  code: z.string().describe("Stable UPPER_SNAKE code, e.g. VALIDATION_ERROR"),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

/** Body of list/get/create/update responses. */
export const credentialsResponse = z.object({
  credentials: z.array(publicCredential),
  message: z.literal("Success"),
  nextCursor: z.string().optional().describe("Present when more credentials follow: pass it as `cursor`"),
});

/** Body of create/update responses: `authorizationUrl` when an oauth2 authorization-code flow started. */
export const createdResponse = credentialsResponse.extend({
  authorizationUrl: z
    .string()
    .optional()
    .describe(
      "oauth2 authorization_code only: send the end user here (it carries state and the PKCE code_challenge); the credential stays pending until the callback completes",
    ),
});

/** Body of a delete response. */
export const successResponse = z.object({ message: z.literal("Success") });

/** A parameter of an operation. */
export interface OperationParameter {
  name: string;
  in: "path" | "query" | "header";
  required: boolean;
  description: string;
  schema: z.ZodType;
}

/** One documented endpoint: the router registers exactly these, the OpenAPI document lists exactly these. */
export interface Operation {
  operationId:
    | "listCredentials"
    | "createCredential"
    | "getCredential"
    | "updateCredential"
    | "deleteCredential"
    | "verifyProxyRequest"
    | "resolveTargetAuth"
    | "invalidateTargetToken"
    | "completeAuthorization"
    | "listWebhooks"
    | "createWebhook"
    | "deleteWebhook"
    | "listFailedDeliveries";
  method: "get" | "post" | "put" | "delete";
  /** OpenAPI-style path relative to the mount point, e.g. `/clients/{clientId}/credentials`. */
  path: string;
  summary: string;
  parameters: OperationParameter[];
  body?: z.ZodType;
  status: number;
  response: z.ZodType;
  /** Media type of the success response. Default `application/json`. */
  responseType?: "application/json" | "text/html";
  /** The JSON body of the success response too, when it is not JSON by default (answered to `Accept: application/json`). */
  jsonResponse?: z.ZodType;
  /**
   * Error statuses this operation adds to those its shape implies (see `operationErrors`): 409, 412,
   * 502 where its own logic raises them.
   */
  errors?: readonly ErrorStatus[];
  /** True for the one route called without a user token (the OAuth callback the end user's browser follows). */
  public?: boolean;
}

const clientId: OperationParameter = {
  name: "clientId",
  in: "path",
  required: true,
  description: "The client the credentials belong to",
  schema: z.string(),
};
const credentialId: OperationParameter = {
  name: "credentialId",
  in: "path",
  required: true,
  description: "`<region>.<random>`: the id carries the region that stores it",
  schema: z.string(),
};
const webhookId: OperationParameter = {
  name: "webhookId",
  in: "path",
  required: true,
  description: "The webhook's id (`wh_...`)",
  schema: z.string(),
};
const collection = "/clients/{clientId}/credentials";
const webhooks = "/clients/{clientId}/webhooks";

/** Body of the webhook list answer. */
export const webhooksResponse = z.object({ webhooks: z.array(publicWebhook), message: z.literal("Success") });
/** Body of the webhook create answer: the signing secret, this once. */
export const createdWebhookResponse = z.object({
  webhooks: z.array(createdWebhook),
  message: z.literal("Success"),
});
/** Body of the failed deliveries answer. */
export const failedDeliveriesResponse = z.object({
  deliveries: z.array(failedDelivery),
  message: z.literal("Success"),
});
const item = `${collection}/{credentialId}`;

/** The credential operations: the REST API the router serves and the OpenAPI document describes. */
export const operations: readonly Operation[] = [
  {
    operationId: "listCredentials",
    method: "get",
    path: collection,
    summary: "List a client's credentials (metadata only, never secrets)",
    parameters: [
      clientId,
      {
        name: "includeTemporary",
        in: "query",
        required: false,
        description: "true/false in any case; include pending temporary credentials",
        schema: z.string().default("false"),
      },
      {
        name: "includeExpired",
        in: "query",
        required: false,
        description:
          "true/false in any case; include credentials past their expiresAt that are still kept (the retention grace)",
        schema: z.string().default("false"),
      },
      {
        name: "limit",
        in: "query",
        required: false,
        description: "Page size, 1-1000 (default 1000)",
        schema: z.string(),
      },
      {
        name: "cursor",
        in: "query",
        required: false,
        description: "The nextCursor of the previous page",
        schema: z.string(),
      },
    ],
    status: 200,
    response: credentialsResponse,
  },
  {
    operationId: "createCredential",
    errors: ["409"],
    method: "post",
    path: collection,
    summary: "Create a credential; its secret is encrypted at rest and never returned",
    parameters: [
      clientId,
      {
        name: "Idempotency-Key",
        in: "header",
        required: false,
        description:
          "Makes a retry return the credential the first request created (kept 24 h, per client and token); the same key with another body gets 409",
        schema: z.string(),
      },
    ],
    body: documentedBody(createCredentialBody),
    status: 201,
    response: createdResponse,
  },
  {
    operationId: "getCredential",
    method: "get",
    path: item,
    summary: "Get one credential (metadata only); ETag carries its version",
    parameters: [clientId, credentialId],
    status: 200,
    response: credentialsResponse,
  },
  {
    operationId: "updateCredential",
    errors: ["409", "412"],
    method: "put",
    path: item,
    summary: "Partially update a credential; If-Match makes it a compare-and-set",
    parameters: [
      clientId,
      credentialId,
      {
        name: "If-Match",
        in: "header",
        required: false,
        description: "Expected version (412 if it differs)",
        schema: z.string(),
      },
    ],
    body: documentedBody(updateCredentialBody),
    status: 200,
    response: createdResponse,
  },
  {
    operationId: "deleteCredential",
    method: "delete",
    path: item,
    summary: "Delete a credential",
    parameters: [clientId, credentialId],
    status: 200,
    response: successResponse,
  },
  {
    operationId: "verifyProxyRequest",
    method: "post",
    path: "/clients/{clientId}/verify",
    summary: "Check an incoming request's headers against the client's proxy credentials (200 either way)",
    parameters: [clientId],
    body: verifyRequestBody,
    status: 200,
    response: verifyResponse,
  },
  {
    operationId: "resolveTargetAuth",
    errors: ["409", "412", "502"],
    method: "post",
    path: `${item}/resolve`,
    summary:
      'The headers and query parameters to add to an outbound request with a target credential (fetching or refreshing its token as needed). Secret material: only for tokens with the "resolve" scope (403 otherwise); never cached (Cache-Control: no-store). A single-use credential is consumed; 409 REAUTHORIZATION_REQUIRED when an oauth2 credential must be authorized (again), 409 CREDENTIAL_EXPIRED when it is past its expiresAt; 502 when its token endpoint fails',
    parameters: [clientId, credentialId],
    status: 200,
    response: targetAuthResponse,
  },
  {
    operationId: "invalidateTargetToken",
    errors: ["412"],
    method: "post",
    path: `${item}/invalidate`,
    summary:
      'Report that the upstream refused the token (e.g. answered 401): the cached access token is dropped and the next resolve fetches a new one. Same "resolve" scope as resolve',
    parameters: [clientId, credentialId],
    status: 200,
    response: successResponse,
  },
  {
    operationId: "completeAuthorization",
    errors: ["502"],
    method: "get",
    path: "/oauth2/callback",
    summary:
      "The oauth2 redirect URI: the end user's browser lands here (no token) after authorizing. Exchanges the code with the stored PKCE verifier and makes the pending credential permanent. 400 AUTHORIZATION_FAILED for an unknown, forged, reused or expired state, changing nothing. Answers a small HTML page (JSON with Accept: application/json)",
    parameters: [
      {
        name: "code",
        in: "query",
        required: false,
        description: "The authorization code",
        schema: z.string(),
      },
      {
        name: "state",
        in: "query",
        required: true,
        description: "The state of the authorizationUrl this flow started with",
        schema: z.string(),
      },
      {
        name: "error",
        in: "query",
        required: false,
        description: "Set by the authorization server instead of code when the user or server refused",
        schema: z.string(),
      },
    ],
    status: 200,
    response: z.string().describe("A small HTML page saying the authorization is complete"),
    responseType: "text/html",
    jsonResponse: authorizationCompleteResponse,
    public: true,
  },
  {
    operationId: "listWebhooks",
    method: "get",
    path: webhooks,
    summary: "List a client's webhooks (never their signing secrets)",
    parameters: [clientId],
    status: 200,
    response: webhooksResponse,
  },
  {
    operationId: "createWebhook",
    errors: ["409"],
    method: "post",
    path: webhooks,
    summary:
      "Subscribe a URL to event types. The answer carries the Standard Webhooks signing secret (`whsec_...`) this one time; it is stored encrypted. 409 past 20 webhooks per client",
    parameters: [clientId],
    body: createWebhookBody,
    status: 201,
    response: createdWebhookResponse,
  },
  {
    operationId: "deleteWebhook",
    method: "delete",
    path: `${webhooks}/{webhookId}`,
    summary: "Delete a webhook; its queued deliveries are dropped",
    parameters: [clientId, webhookId],
    status: 200,
    response: successResponse,
  },
  {
    operationId: "listFailedDeliveries",
    method: "get",
    path: `${webhooks}/{webhookId}/failed-deliveries`,
    summary:
      "The deliveries given up on after the last retry, most recent first (at most 100): event, attempts and the class of the last failure",
    parameters: [clientId, webhookId],
    status: 200,
    response: failedDeliveriesResponse,
  },
];
