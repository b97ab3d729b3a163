import { authorizeAtMock, type MockOAuth, startMockOAuth } from "@credkit/test-support";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { apiClient } from "./support/api-client.js";
import { killServers, startServer } from "./support/server-process.js";

let oauth: MockOAuth;
beforeAll(async () => {
  oauth = await startMockOAuth();
});
afterAll(() => oauth.stop());
afterEach(killServers);

const admin = "admin-token-0123456789";
const resolver = "resolver-token-0123456789";

describe("target credentials on the running server", () => {
  it("completes an authorization-code flow through /api/oauth2/callback and resolves only for the resolve scope", async () => {
    const server = await startServer({
      CREDKIT_USER_TOKENS: JSON.stringify([
        { token: admin, userId: "ops", clientIds: "*" },
        { token: resolver, userId: "proxy", clientIds: ["acme"], scopes: ["resolve"] },
      ]),
      CREDKIT_OUTBOUND_ALLOW_HOSTS: "127.0.0.1",
      CREDKIT_OAUTH_PENDING_TTL_SECONDS: "120",
    });
    const asAdmin = apiClient(server.url, admin);
    const asResolver = apiClient(server.url, resolver);
    const created = await asAdmin("POST", "/api/clients/acme/credentials", {
      credentialName: "partner",
      credentialType: "target",
      authType: "oauth2",
      region: "eu-west-1",
      secret: {
        grantType: "authorization_code",
        authorizationUrl: oauth.authorizeUrl,
        tokenUrl: oauth.tokenUrl,
        clientId: "web-app",
        clientSecret: "WEB-CLIENT-SECRET",
        redirectUri: `${server.url}/api/oauth2/callback`,
      },
    });
    expect(created.status).toBe(201);
    const expiresIn = Date.parse(created.body.credentials[0].credentialExpiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(100_000);
    expect(expiresIn).toBeLessThanOrEqual(120_000);
    const id = created.body.credentials[0].credentialId;

    // The end user's browser follows the authorization server's redirect to the server's callback.
    const { location, code } = await authorizeAtMock(created.body.authorizationUrl);
    const page = await fetch(location, { headers: { Accept: "text/html" } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Authorization complete");

    const resolved = await asResolver("POST", `/api/clients/acme/credentials/${id}/resolve`);
    expect(resolved.status).toBe(200);
    expect(resolved.headers.get("cache-control")).toBe("no-store");
    const bearer = resolved.body.headers.Authorization as string;
    expect(bearer).toMatch(/^Bearer /);
    expect((await asAdmin("POST", `/api/clients/acme/credentials/${id}/resolve`)).status).toBe(403);
    expect((await asResolver("POST", `/api/clients/other/credentials/${id}/resolve`)).status).toBe(403);
    expect((await fetch(location)).status).toBe(400); // replayed

    // Nothing secret reached the log: not the token, the code, the state, nor the client secret.
    const log = server.output();
    expect(log).toContain("/api/oauth2/callback");
    for (const secret of [
      bearer.slice("Bearer ".length),
      code,
      location.searchParams.get("state") ?? "",
      "WEB-CLIENT-SECRET",
    ])
      expect(log).not.toContain(secret);
    expect(await server.stop()).toBe(0);
  });
});
