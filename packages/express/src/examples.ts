import type { Operation } from "./operations.js";

/** An example call of one operation: the values its parameters take, its body, and its success answer. */
export interface OperationExample {
  /** Example values of the operation's parameters, by name (path, query and header alike). */
  parameters: Record<string, string>;
  body?: unknown;
  /** The success answer's body (JSON, or the HTML page's text). */
  response: unknown;
}

// Made-up values: no example carries a real secret, and the secret of the create example is plainly
// a placeholder. The OpenAPI test checks each example against the schemas the routes validate with.
const clientId = "acme";
const credentialId = "eu-west-1.q1Xo2cV9aJ3m0Zr7TnB4wA";
const credential = {
  pKey: clientId,
  sKey: credentialId,
  credentialId,
  clientId,
  parentId: clientId,
  userId: "alice",
  credentialType: "proxy",
  credentialAuthType: "apiKey",
  credentialName: "Partner gateway key",
  credentialRegion: "eu-west-1",
  credentialDefaultRuleEffect: "allow",
  credentialSingleUse: false,
  credentialTemporary: false,
  credentialVersion: 1,
  credentialExpiresAt: null,
  credentialStatus: "active",
  credentialCreatedAt: "2026-01-15T09:30:00.000Z",
  credentialUpdatedAt: "2026-01-15T09:30:00.000Z",
} as const;
const renamed = {
  ...credential,
  credentialName: "Partner gateway key (2026)",
  credentialVersion: 2,
  credentialUpdatedAt: "2026-02-01T12:00:00.000Z",
};
const ids = { clientId, credentialId };
const webhook = {
  webhookId: "wh_Q2x7Lm9Tp4Vb1Nc8Rz6Kd3",
  clientId,
  url: "https://hooks.example.com/credkit",
  eventTypes: ["credential.updated", "credential.deleted", "oauth.refresh_failed"],
  userId: "alice",
  webhookCreatedAt: "2026-01-15T09:35:00.000Z",
};

/** One example per operation, shown on the docs page and in the OpenAPI document. */
export const operationExamples: Record<Operation["operationId"], OperationExample> = {
  listCredentials: {
    parameters: { clientId, limit: "2" },
    response: { credentials: [credential], message: "Success" },
  },
  createCredential: {
    parameters: { clientId, "Idempotency-Key": "7f9c2ba4-e88f-4e2c-9a1d-3c5e8b0d4a61" },
    body: {
      credentialName: "Partner gateway key",
      credentialType: "proxy",
      authType: "apiKey",
      region: "eu-west-1",
      secret: { keyName: "X-Api-Key", keyValue: "replace-with-the-partner-key" },
    },
    response: { credentials: [credential], message: "Success" },
  },
  getCredential: {
    parameters: ids,
    response: { credentials: [credential], message: "Success" },
  },
  updateCredential: {
    parameters: { ...ids, "If-Match": '"1"' },
    body: { credentialName: "Partner gateway key (2026)" },
    response: { credentials: [renamed], message: "Success" },
  },
  deleteCredential: {
    parameters: ids,
    response: { message: "Success" },
  },
  verifyProxyRequest: {
    parameters: { clientId },
    body: { headers: { "x-api-key": "the-key-the-caller-presented", "user-agent": "curl/8.5.0" } },
    response: { allowed: true, credential },
  },
  resolveTargetAuth: {
    parameters: { clientId, credentialId: "eu-west-1.Zk3vP0sQ8mW1nR5tY7uB2c" },
    response: { headers: { Authorization: "Bearer <access token>" }, query: {} },
  },
  invalidateTargetToken: {
    parameters: { clientId, credentialId: "eu-west-1.Zk3vP0sQ8mW1nR5tY7uB2c" },
    response: { message: "Success" },
  },
  listWebhooks: {
    parameters: { clientId },
    response: { webhooks: [webhook], message: "Success" },
  },
  createWebhook: {
    parameters: { clientId },
    body: { url: webhook.url, eventTypes: webhook.eventTypes },
    response: {
      webhooks: [{ ...webhook, signingSecret: "whsec_c2hvd24tb25jZS1zdG9yZS1pdC1zb21ld2hlcmUtc2FmZQ==" }],
      message: "Success",
    },
  },
  deleteWebhook: {
    parameters: { clientId, webhookId: webhook.webhookId },
    response: { message: "Success" },
  },
  listFailedDeliveries: {
    parameters: { clientId, webhookId: webhook.webhookId },
    response: {
      deliveries: [
        {
          deliveryId: "dlv_3Jk9sPq2Lw8Vn4Xc1Bz7Td",
          webhookId: webhook.webhookId,
          eventId: "evt_8Hq2Mz5Rk1Wt6Yp3Nc9Vb0",
          eventType: "credential.deleted",
          credentialId,
          attempts: 10,
          lastError: "http_503",
          failedAt: "2026-02-01T14:10:12.000Z",
        },
      ],
      message: "Success",
    },
  },
  completeAuthorization: {
    parameters: { code: "<authorization code>", state: "<state from the authorizationUrl>" },
    response: { message: "Success", credentialName: "CRM (OAuth)", credentialStatus: "active" },
  },
};
