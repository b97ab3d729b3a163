import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { responseContract, validatingFetch } from "@credkit/api-contract";
import { buildOpenApiDocument } from "@credkit/express";
import { createApp } from "@credkit/server/app";
import { loadConfig } from "@credkit/server/config";
import { createLogger } from "@credkit/server/logger";

/** Tokens the test server accepts. */
export const tokens = {
  admin: "client-test-admin-0123456789",
  resolver: "client-test-resolver-0123456789",
  acme: "client-test-acme-only-0123456789",
  /** A proxy's token for the data-plane listener (scope `authz`, client acme only). */
  gateway: "client-test-gateway-0123456789",
};

/** A fetch that fails the test when an answer breaks the server's OpenAPI document. */
export const checkedFetch = validatingFetch(responseContract(buildOpenApiDocument({ basePath: "/api" })));

/**
 * The real credkit server app (memory store) listening on a free loopback port; with
 * `CREDKIT_AUTHZ_PORT` set, its data-plane listener too (`authzUrl`, also on a free port).
 */
export async function startCredkit(env: Record<string, string> = {}) {
  const config = loadConfig({
    PORT: "0",
    LOG_LEVEL: "silent",
    CREDKIT_USER_TOKENS: JSON.stringify([
      { token: tokens.admin, userId: "admin", clientIds: "*" },
      { token: tokens.resolver, userId: "proxy", clientIds: "*", scopes: ["resolve"] },
      { token: tokens.acme, userId: "acme-user", clientIds: ["acme"] },
      { token: tokens.gateway, userId: "gateway", clientIds: ["acme"], scopes: ["authz"] },
    ]),
    ...env,
  });
  const credkit = await createApp(config, createLogger("silent"));
  const server = credkit.app.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const authzPort = await credkit.authz?.listen(0, "127.0.0.1");
  return {
    baseUrl: `http://127.0.0.1:${port}/api`,
    authzUrl: authzPort === undefined ? undefined : `http://127.0.0.1:${authzPort}`,
    async stop() {
      await credkit.authz?.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await credkit.close();
    },
  };
}
