import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import { contractRecorder, responseContract } from "@credkit/api-contract";
import { type CredentialStore, createCredentialService, createKeyring } from "@credkit/core";
import { memoryStore } from "@credkit/storage-memory";
import { createAdaptorServer } from "@hono/node-server";
import { afterEach } from "vitest";
import { expressApp } from "../examples/express.js";
import { honoApp } from "../examples/hono-node.js";
import { nodeHttpServer } from "../examples/node-http.js";
import {
  buildOpenApiDocument,
  type CredkitHandlerOptions,
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

/**
 * The hosts whose examples (examples/*.ts) serve the whole route suite synchronously. Fastify, whose
 * app is ready only asynchronously, runs the representative subset in hosts.test.ts.
 */
export const syncHosts = ["express", "node:http", "hono"] as const;

/** A host a test app runs on. */
export type Host = (typeof syncHosts)[number];

/** The example app of `host` as a (not yet listening) server, every answer checked against the contract. */
export function hostServer(host: Host, options: CredkitHandlerOptions): Server {
  const server =
    host === "express"
      ? createServer(expressApp(options))
      : host === "node:http"
        ? nodeHttpServer(options)
        : (createAdaptorServer({ fetch: honoApp(options).fetch }) as Server);
  // First of the request listeners: it wraps the response before the host writes anything.
  server.prependListener("request", (req, res) => contract.middleware(req, res, () => {}));
  return server;
}

/** The example app of `host` with the API under /api over a memory store (or the given one). */
export function testApp(
  options: {
    store?: CredentialStore;
    onError?: ErrorObserver;
    bodyLimit?: string;
    idempotency?: CredkitHandlerOptions["idempotency"];
    notFound?: boolean;
    webhooks?: CredkitHandlerOptions["webhooks"];
  } = {},
  host: Host = "express",
) {
  const store = options.store ?? memoryStore();
  const service = createCredentialService({
    regions: { "eu-west-1": store, "us-east-1": store },
    keyring: createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] }),
    defaultRegion: "us-east-1",
  });
  const app = hostServer(host, {
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
  });
  return { app, service, store };
}
