import { randomBytes } from "node:crypto";
import { contractRecorder, responseContract } from "@credkit/api-contract";
import { type CredentialStore, createCredentialService, createKeyring } from "@credkit/core";
import { memoryStore } from "@credkit/storage-memory";
import express from "express";
import { afterEach } from "vitest";
import {
  buildOpenApiDocument,
  type CredkitRouterOptions,
  createCredkitRouter,
  type ErrorObserver,
  tokenAuthenticator,
} from "../src/index.js";

/** Tokens the test app accepts. */
export const tokens = {
  admin: "admin-token-0123456789",
  acme: "acme-token-0123456789",
};

/** Every answer a test app sends is checked against the OpenAPI document; a test whose answers break it fails. */
export const contract = contractRecorder(responseContract(buildOpenApiDocument({ basePath: "/api" })));
afterEach(() => contract.assertClean());

/** An app with the router mounted at /api over a memory store (or the given one). */
export function testApp(
  options: {
    store?: CredentialStore;
    onError?: ErrorObserver;
    bodyLimit?: string;
    idempotency?: CredkitRouterOptions["idempotency"];
    notFound?: boolean;
    webhooks?: CredkitRouterOptions["webhooks"];
  } = {},
) {
  const store = options.store ?? memoryStore();
  const service = createCredentialService({
    regions: { "eu-west-1": store, "us-east-1": store },
    keyring: createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] }),
    defaultRegion: "us-east-1",
  });
  const app = express();
  app.use(contract.middleware);
  app.use(
    "/api",
    createCredkitRouter({
      service,
      authenticate: tokenAuthenticator([
        { token: tokens.admin, userId: "admin", clientIds: "*" },
        { token: tokens.acme, userId: "acme-user", clientIds: ["acme"] },
      ]),
      ...(options.onError ? { onError: options.onError } : {}),
      ...(options.bodyLimit ? { bodyLimit: options.bodyLimit } : {}),
      ...(options.idempotency ? { idempotency: options.idempotency } : {}),
      ...(options.notFound ? { notFound: true } : {}),
      ...(options.webhooks ? { webhooks: options.webhooks } : {}),
    }),
  );
  return { app, service, store };
}
