import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { apiClient } from "./support/api-client.js";
import { nowSeconds, rsaKey, signJwt, startJwksServer } from "./support/jwt-issuer.js";
import { killServers, type ServerProcess, startServer } from "./support/server-process.js";

// Issue 10, on the running server (memory store). Redis-backed items are in hardening-redis.test.ts.
const token = "hardening-token-0123456789";
const tokens = JSON.stringify([
  { token, userId: "ops", clientIds: "*" },
  { token: "scoped-token-0123456789", userId: "tenant", clientIds: ["tenant-a"] },
]);
let server: ServerProcess;
let call: ReturnType<typeof apiClient>;

beforeAll(async () => {
  server = await startServer({
    CREDKIT_USER_TOKENS: tokens,
    CREDKIT_OUTBOUND_ALLOW_HOSTS: "127.0.0.1",
    CREDKIT_JWKS_COOLDOWN_MS: "0",
    CREDKIT_RATE_LIMIT_PER_MINUTE: "0",
    CREDKIT_AUTH_FAILURE_LIMIT_PER_MINUTE: "0",
  });
  call = apiClient(server.url, token);
});
afterAll(killServers);

const clientId = () => `c-${randomUUID()}`;
const create = (client: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  call("POST", `/api/clients/${client}/credentials`, { region: "eu-west-1", ...body }, headers);
const verifyBearer = async (client: string, jwt: string) =>
  (await call("POST", `/api/clients/${client}/verify`, { headers: { authorization: `Bearer ${jwt}` } })).body;

describe("1. fail-open never accepts a forged token", () => {
  const issuer = "https://issuer.example";
  const genuine = rsaKey();
  const attacker = rsaKey();
  const claims = (extra: Record<string, unknown> = {}) => ({
    iss: issuer,
    aud: "api",
    sub: "user-1",
    iat: nowSeconds(),
    exp: nowSeconds() + 300,
    ...extra,
  });
  const jwtVerify = (jwksUri: string) => ({
    credentialName: "issuer",
    credentialType: "proxy",
    authType: "jwtVerify",
    secret: { algorithms: ["RS256"], issuer, audience: "api", jwksUri, failPolicy: "fail-open" },
  });

  it("checks an unknown kid against the cached keys once the JWKS is down, and refuses it", async () => {
    const jwks = await startJwksServer([genuine.jwk]);
    const client = clientId();
    expect((await create(client, jwtVerify(jwks.url))).status).toBe(201);
    expect(await verifyBearer(client, signJwt(genuine, claims()))).toMatchObject({ allowed: true });
    await jwks.stop();
    // The attack of the issue: own key, unknown kid, past exp, wrong aud.
    for (const forged of [
      signJwt(attacker, claims()),
      signJwt(attacker, claims({ exp: nowSeconds() - 600, aud: "other" })),
      signJwt({ ...attacker, kid: genuine.kid }, claims()),
    ]) {
      const answer = await verifyBearer(client, forged);
      expect(answer.allowed).toBe(false);
      expect(answer.degraded).toBeUndefined();
    }
    // Genuine tokens still verify, with the cached key, not degraded.
    const ok = await verifyBearer(client, signJwt(genuine, claims()));
    expect(ok.allowed).toBe(true);
    expect(ok.degraded).toBeUndefined();
  });

  it("with no key set at all, lets only tokens whose claims hold through (degraded)", async () => {
    const jwks = await startJwksServer([]);
    const down = jwks.url;
    await jwks.stop();
    const client = clientId();
    expect((await create(client, jwtVerify(down))).status).toBe(201);
    expect(await verifyBearer(client, signJwt(attacker, claims()))).toMatchObject({
      allowed: true,
      degraded: true,
    });
    for (const [extra, reason] of [
      [{ exp: nowSeconds() - 600 }, "EXPIRED"],
      [{ aud: "other" }, "INVALID"],
      [{ iss: "https://evil.example" }, "NO_CREDENTIAL"],
      [{ sub: undefined, aud: ["x", "y"] }, "INVALID"],
      [{ nbf: nowSeconds() + 3600 }, "INVALID"],
      [{ iat: nowSeconds() + 3600 }, "INVALID"],
      [{ exp: undefined }, "INVALID"],
    ] as const) {
      expect(await verifyBearer(client, signJwt(attacker, claims(extra)))).toEqual({
        allowed: false,
        reason,
      });
    }
  });

  it("refuses verified tokens without exp unless the credential opts out", async () => {
    const jwks = await startJwksServer([genuine.jwk]);
    const strict = clientId();
    const lenient = clientId();
    await create(strict, jwtVerify(jwks.url));
    const optOut = jwtVerify(jwks.url);
    await create(lenient, { ...optOut, secret: { ...optOut.secret, allowMissingExp: true } });
    const noExp = signJwt(genuine, claims({ exp: undefined }));
    expect(await verifyBearer(strict, noExp)).toEqual({ allowed: false, reason: "INVALID" });
    expect(await verifyBearer(lenient, noExp)).toMatchObject({ allowed: true });
    await jwks.stop();
  });
});

describe("2. idempotency is scoped to the caller and replays exactly", () => {
  it("treats the raw and the Bearer token as one caller and replays the authorizationUrl", async () => {
    const client = clientId();
    const body = {
      credentialName: "auth-code",
      credentialType: "target",
      authType: "oauth2",
      secret: {
        grantType: "authorization_code",
        authorizationUrl: "https://auth.example.com/authorize",
        tokenUrl: "https://auth.example.com/token",
        clientId: "app",
        clientSecret: "s3cr3t-value",
        redirectUri: "https://credkit.example.com/api/oauth2/callback",
      },
    };
    const first = await create(client, body, { "Idempotency-Key": "order-1" });
    expect(first.status).toBe(201);
    expect(first.body.authorizationUrl).toMatch(/^https:\/\/auth\.example\.com\/authorize\?/);
    const again = await create(client, body, {
      "Idempotency-Key": "order-1",
      Authorization: `Bearer ${token}`,
    });
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
    const list = await call("GET", `/api/clients/${client}/credentials?includeTemporary=true`);
    expect(list.body.credentials).toHaveLength(1);
  });
});

describe("4. deep or huge JSON is a 400 naming the field, nothing stored", () => {
  // Built as text: the test's own JSON.stringify would overflow on these.
  const nested = (depth: number) => `${'{"a":'.repeat(depth)}"leaf"${"}".repeat(depth)}`;
  const post = async (client: string, path: string, json: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${server.url}/api/clients/${client}${path}`, {
      method: "POST",
      headers: { Authorization: token, "Content-Type": "application/json", ...headers },
      body: json,
    });
    return { status: res.status, body: (await res.json()) as { code: string; errors: { path: string }[] } };
  };
  const customTokenObject = {
    credentialName: "shallow",
    credentialType: "target",
    authType: "customToken",
    secret: { tokenUrl: "https://auth.example.com/token", body: { grant: "x" } },
  };
  const customToken = (body: string) =>
    `{"credentialName":"deep","credentialType":"target","authType":"customToken","region":"eu-west-1",` +
    `"secret":{"tokenUrl":"https://auth.example.com/token","body":${body}}}`;

  it("refuses a customToken body nested 5,000 levels, with and without an Idempotency-Key", async () => {
    const client = clientId();
    for (const [depth, headers] of [
      [5_000, {}],
      [10_000, { "Idempotency-Key": "deep-1" }],
      [40, {}],
    ] as const) {
      const res = await post(client, "/credentials", customToken(nested(depth)), headers);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe("VALIDATION_ERROR");
      expect(res.body.errors[0]?.path).toMatch(/^secret\.body/);
    }
    const wide = await post(
      client,
      "/credentials",
      customToken(`{"list":[${Array(20_000).fill(0).join(",")}]}`),
    );
    expect(wide.status).toBe(400);
    const list = await call("GET", `/api/clients/${client}/credentials?includeTemporary=true`);
    expect(list.body.credentials).toEqual([]);
    // A reasonable nesting is still fine.
    expect((await post(client, "/credentials", customToken(nested(5)))).status).toBe(201);
  });

  it("refuses deep verify and update bodies too", async () => {
    const client = clientId();
    const res = await post(client, "/verify", `{"headers":${nested(3_000)}}`);
    expect(res.status).toBe(400);
    expect(res.body.errors[0]?.path).toMatch(/^headers/);
    const created = await create(client, customTokenObject);
    const id = created.body.credentials[0].credentialId;
    const put = await fetch(`${server.url}/api/clients/${client}/credentials/${id}`, {
      method: "PUT",
      headers: { Authorization: token, "Content-Type": "application/json" },
      body: `{"secret":{"tokenUrl":"https://auth.example.com/token","body":${nested(8_000)}}}`,
    });
    expect(put.status).toBe(400);
    const after = await call("GET", `/api/clients/${client}/credentials/${id}`);
    expect(after.body.credentials[0].credentialVersion).toBe(1);
  });
});

describe("9. invalid UTF-8 and control characters are refused", () => {
  it("answers 400 for invalid UTF-8 bytes instead of storing U+FFFD", async () => {
    const client = clientId();
    const prefix = Buffer.from('{"credentialName":"caf');
    const suffix = Buffer.from(
      '","credentialType":"target","authType":"bearer","region":"eu-west-1","secret":{"token":"t"}}',
    );
    for (const bad of [[0xe9], [0xc3], [0xed, 0xa0, 0x80], [0xff, 0xfe]]) {
      const res = await fetch(`${server.url}/api/clients/${client}/credentials`, {
        method: "POST",
        headers: { Authorization: token, "Content-Type": "application/json" },
        body: Buffer.concat([prefix, Buffer.from(bad), suffix]),
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { errors: { path: string }[] }).errors[0]?.path).toBe("body");
    }
    expect((await call("GET", `/api/clients/${client}/credentials`)).body.credentials).toEqual([]);
  });

  it("refuses CR, LF, NUL, ESC and DEL in credentialName and other display fields", async () => {
    const client = clientId();
    for (const ch of ["\r", "\n", "\0", "\u001b", "\u007f", "\u0085"]) {
      const res = await create(client, {
        credentialName: `name${ch}forged`,
        credentialType: "target",
        authType: "bearer",
        secret: { token: "t" },
      });
      expect(res.status).toBe(400);
      expect(res.body.errors[0].path).toBe("credentialName");
      const issuer = await create(client, {
        credentialName: "issuer",
        credentialType: "proxy",
        authType: "jwtVerify",
        secret: {
          algorithms: ["RS256"],
          issuer: `https://i${ch}x`,
          audience: "api",
          jwksUri: "https://i.example/jwks",
        },
      });
      expect(issuer.status).toBe(400);
      expect(issuer.body.errors[0].path).toBe("secret.issuer");
    }
  });
});

describe("3. rate limits an unauthenticated flood cannot turn against others", () => {
  let limited: ServerProcess;
  afterEach(() => limited?.stop());

  it("limits failed authentications per source address, not per token, without an audit line each", async () => {
    limited = await startServer({
      CREDKIT_USER_TOKENS: tokens,
      CREDKIT_AUTH_FAILURE_LIMIT_PER_MINUTE: "5",
      CREDKIT_PUBLIC_RATE_LIMIT_PER_MINUTE: "50",
    });
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await fetch(`${limited.url}/api/clients/acme/credentials`, {
        headers: { Authorization: `random-${randomUUID()}`, "X-Forwarded-For": `10.0.0.${i}` },
      });
      statuses.push(res.status);
      if (res.status === 429) expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual(Array(7).fill(429)); // X-Forwarded-For is not believed by default
    // The real caller from the same address is counted on its own.
    expect((await apiClient(limited.url, token)("GET", "/api/clients/acme/credentials")).status).toBe(200);
    expect(
      (await apiClient(limited.url, `Bearer ${token}`)("GET", "/api/clients/acme/credentials")).status,
    ).toBe(200);
    // Docs and the OAuth callback are not starved by either.
    for (let i = 0; i < 25; i++) expect((await fetch(`${limited.url}/api/docs`)).status).toBe(200);
    const callback = await fetch(`${limited.url}/api/oauth2/callback?code=x&state=y`, {
      headers: { Accept: "application/json" },
    });
    expect(callback.status).toBe(400);
    expect((await fetch(`${limited.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${limited.url}/metrics`)).status).toBe(200);
    const audits = limited.output().match(/authorization\.failed/g) ?? [];
    expect(audits).toHaveLength(5);
  });

  it("believes X-Forwarded-For only from configured trusted proxies", async () => {
    limited = await startServer({
      CREDKIT_USER_TOKENS: tokens,
      CREDKIT_AUTH_FAILURE_LIMIT_PER_MINUTE: "2",
      CREDKIT_TRUSTED_PROXIES: "loopback",
    });
    const fromAddress = async (address: string) =>
      (
        await fetch(`${limited.url}/api/clients/acme/credentials`, {
          headers: { Authorization: "wrong-token-0123456789", "X-Forwarded-For": address },
        })
      ).status;
    expect([await fromAddress("203.0.113.1"), await fromAddress("203.0.113.1")]).toEqual([401, 401]);
    expect(await fromAddress("203.0.113.1")).toBe(429);
    expect(await fromAddress("203.0.113.2")).toBe(401);
    // IPv6 counts per /64: another address of the same /64 is the same source.
    expect([await fromAddress("2001:db8::1"), await fromAddress("2001:db8::2")]).toEqual([401, 401]);
    expect(await fromAddress("2001:db8::3:4")).toBe(429);
  });

  it("gives the data plane its own limit, off by default, configurable", async () => {
    limited = await startServer({ CREDKIT_USER_TOKENS: tokens, CREDKIT_RATE_LIMIT_PER_MINUTE: "3" });
    const api = apiClient(limited.url, token);
    for (let i = 0; i < 10; i++) {
      const res = await api("POST", "/api/clients/acme/verify", { headers: { "x-api-key": "nope" } });
      expect(res.status).toBe(200);
    }
    const management = [];
    for (let i = 0; i < 4; i++) management.push((await api("GET", "/api/clients/acme/credentials")).status);
    expect(management).toEqual([200, 200, 200, 429]);
    await limited.stop();

    limited = await startServer({
      CREDKIT_USER_TOKENS: tokens,
      CREDKIT_DATA_PLANE_RATE_LIMIT_PER_MINUTE: "2",
    });
    const plane = apiClient(limited.url, token);
    const statuses = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await plane("POST", "/api/clients/acme/verify", { headers: {} })).status);
    expect(statuses).toEqual([200, 200, 429]);
    expect((await plane("GET", "/api/clients/acme/credentials")).status).toBe(200);
  });
});

describe("6. /verify answers ordinary forwarded requests", () => {
  it("finds the key in a request with a 9 KB cookie, 250 headers, a long header name and 31 unrelated headers first", async () => {
    const client = clientId();
    const keyValue = `key-${randomUUID()}`;
    const created = await create(client, {
      credentialName: "partner",
      credentialType: "proxy",
      authType: "apiKey",
      secret: { keyName: "X-Partner-Key", keyValue },
    });
    expect(created.status).toBe(201);
    const headers: Record<string, string | string[]> = {
      cookie: "c".repeat(9 * 1024),
      [`x-${"n".repeat(600)}`]: "long name",
      "x-multi": ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q"],
    };
    for (let i = 0; i < 250; i++) headers[`x-unrelated-${i}`] = `value-${i}`;
    headers["x-partner-key"] = keyValue;
    const res = await call("POST", `/api/clients/${client}/verify`, { headers });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      allowed: true,
      credential: { credentialId: created.body.credentials[0].credentialId },
    });
    // A key header named like nothing in particular is still found after 31 unrelated ones (32 headers
    // are looked up, key-like names first; see MAX_API_KEY_HEADERS), and not after 32.
    const plain = clientId();
    await create(plain, {
      credentialName: "plain",
      credentialType: "proxy",
      authType: "apiKey",
      secret: { keyName: "X-Partner", keyValue },
    });
    const unrelated = (n: number) => {
      const headers: Record<string, string> = {};
      for (let i = 0; i < n; i++) headers[`x-h-${i}`] = `v-${i}`;
      headers["x-partner"] = keyValue;
      return headers;
    };
    for (const [n, allowed] of [
      [31, true],
      [32, false],
    ] as const) {
      const res = await call("POST", `/api/clients/${plain}/verify`, { headers: unrelated(n) });
      expect(res.body).toMatchObject({ allowed });
    }
  });
});

describe("7. proxy credentials that could never verify are refused at create", () => {
  it("names the field for skipped key headers and whitespace in tokens", async () => {
    const client = clientId();
    for (const keyName of [
      "Cookie",
      "Authorization",
      "X-Request-Id",
      "Host",
      "X-Forwarded-Host",
      "Sec-Fetch-Mode",
    ]) {
      const res = await create(client, {
        credentialName: "k",
        credentialType: "proxy",
        authType: "apiKey",
        secret: { keyName, keyValue: "v-0123456789" },
      });
      expect(res.status).toBe(400);
      expect(res.body.errors[0].path).toBe("secret.keyName");
    }
    for (const token of ["two words", "trailing ", "tab\tinside"]) {
      const res = await create(client, {
        credentialName: "b",
        credentialType: "proxy",
        authType: "bearer",
        secret: { token },
      });
      expect(res.status).toBe(400);
      expect(res.body.errors[0].path).toBe("secret.token");
    }
    const padded = await create(client, {
      credentialName: "k",
      credentialType: "proxy",
      authType: "apiKey",
      secret: { keyName: "X-Api-Key", keyValue: " padded" },
    });
    expect(padded.status).toBe(400);
    expect(padded.body.errors[0].path).toBe("secret.keyValue");
    // A target may still send a Cookie header: only proxy credentials are verified.
    const target = await create(client, {
      credentialName: "cookie",
      credentialType: "target",
      authType: "apiKey",
      secret: { keyName: "Cookie", keyValue: "session=1" },
    });
    expect(target.status).toBe(201);
    expect((await call("GET", `/api/clients/${client}/credentials`)).body.credentials).toHaveLength(1);
  });
});

describe("8. a pending authorization-code credential switched to client_credentials", () => {
  it("becomes permanent and listed", async () => {
    const client = clientId();
    const created = await create(client, {
      credentialName: "switch",
      credentialType: "target",
      authType: "oauth2",
      secret: {
        grantType: "authorization_code",
        authorizationUrl: "https://auth.example.com/authorize",
        tokenUrl: "https://auth.example.com/token",
        clientId: "app",
        redirectUri: "https://credkit.example.com/api/oauth2/callback",
      },
    });
    expect(created.body.credentials[0]).toMatchObject({ credentialTemporary: true });
    const id = created.body.credentials[0].credentialId;
    const updated = await call("PUT", `/api/clients/${client}/credentials/${id}`, {
      secret: {
        grantType: "client_credentials",
        tokenUrl: "https://auth.example.com/token",
        clientId: "app",
        clientSecret: "s3cr3t",
      },
    });
    expect(updated.status).toBe(200);
    expect(updated.body.credentials[0]).toMatchObject({
      credentialStatus: "active",
      credentialTemporary: false,
      credentialExpiresAt: null,
    });
    const list = await call("GET", `/api/clients/${client}/credentials`);
    expect(list.body.credentials.map((c: { credentialId: string }) => c.credentialId)).toEqual([id]);
  });
});

describe("11. 404s and parentId", () => {
  it("does not echo a raw path id, and refuses a parentId the caller cannot access", async () => {
    const client = clientId();
    const junk = `${"A".repeat(8000)}<script>`;
    const res = await call("GET", `/api/clients/${client}/credentials/${encodeURIComponent(junk)}`);
    expect(res.status).toBe(404);
    expect(res.text).not.toContain("AAAA");
    expect(res.text.length).toBeLessThan(300);

    const scoped = apiClient(server.url, "scoped-token-0123456789");
    const body = {
      credentialName: "p",
      credentialType: "target",
      authType: "bearer",
      region: "eu-west-1",
      secret: { token: "t" },
    };
    expect(
      (await scoped("POST", "/api/clients/tenant-a/credentials", { ...body, parentId: "tenant-b" })).status,
    ).toBe(403);
    expect(
      (await scoped("POST", "/api/clients/tenant-a/credentials", { ...body, parentId: "tenant-a" })).status,
    ).toBe(201);
    expect((await scoped("GET", "/api/clients/tenant-a/credentials")).body.credentials).toHaveLength(1);
  });
});

describe("10. outbound policy: every address form, host:port entries, one answer for every refusal", () => {
  it("normalises addresses, limits allowed hosts to their port, and names the failed upstream step", async () => {
    const tokenServer = createServer((req, res) => {
      res.setHeader("Content-Type", "application/json");
      if (req.url === "/refuse") {
        res.statusCode = 401;
        res.end(JSON.stringify({ error: "invalid_client", error_description: "LEAKED-DESCRIPTION" }));
        return;
      }
      res.end(JSON.stringify({ access_token: "fresh-token", token_type: "Bearer", expires_in: 300 }));
    });
    await new Promise<void>((resolve) => tokenServer.listen(0, "127.0.0.1", resolve));
    const other = createServer((_req, res) => res.end("{}"));
    await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
    const tokenPort = (tokenServer.address() as AddressInfo).port;
    const otherPort = (other.address() as AddressInfo).port;
    const resolver = "resolver-token-0123456789";
    const outbound = await startServer({
      CREDKIT_USER_TOKENS: JSON.stringify([
        { token: resolver, userId: "proxy", clientIds: "*", scopes: ["resolve"] },
      ]),
      CREDKIT_OUTBOUND_ALLOW_HOSTS: `127.0.0.1:${tokenPort}`,
    });
    try {
      const api = apiClient(outbound.url, resolver);
      const client = clientId();
      const resolveWith = async (tokenUrl: string) => {
        const created = await api("POST", `/api/clients/${client}/credentials`, {
          credentialName: "cc",
          credentialType: "target",
          authType: "oauth2",
          region: "eu-west-1",
          secret: {
            grantType: "client_credentials",
            tokenUrl,
            clientId: "app",
            clientSecret: "CLIENT-SECRET-42",
          },
        });
        expect(created.status).toBe(201);
        return api(
          "POST",
          `/api/clients/${client}/credentials/${created.body.credentials[0].credentialId}/resolve`,
        );
      };
      const ok = await resolveWith(`http://127.0.0.1:${tokenPort}/token`);
      expect(ok.status).toBe(200);
      expect(ok.body.headers.Authorization).toBe("Bearer fresh-token");

      const refusals = [
        `http://127.0.0.1:${otherPort}/token`, // allowed host, other port
        `http://[::127.0.0.1]:${tokenPort}/token`,
        `http://[::ffff:0:127.0.0.1]:${tokenPort}/token`,
        `http://[::ffff:127.0.0.1]:${otherPort}/token`,
        `http://localhost:${otherPort}/token`, // a name resolving to loopback
        "http://no-such-host.invalid/token", // a name that does not resolve
      ];
      const answers = new Set<string>();
      for (const url of refusals) {
        const res = await resolveWith(url);
        expect(res.status).toBe(502);
        expect(res.body.code).toBe("OUTBOUND_REFUSED");
        answers.add(res.body.message.replace(/request to \S+ refused/, "request to HOST refused"));
      }
      expect([...answers]).toHaveLength(1);

      const upstream = await resolveWith(`http://127.0.0.1:${tokenPort}/refuse`);
      expect(upstream.status).toBe(502);
      expect(upstream.body).toMatchObject({ code: "UPSTREAM_ERROR" });
      expect(upstream.body.message).toContain("401");
      expect(upstream.body.message).toContain("invalid_client");
      expect(upstream.text).not.toMatch(/LEAKED|CLIENT-SECRET/);
    } finally {
      await outbound.stop();
      tokenServer.close();
      other.close();
    }
  });
});
