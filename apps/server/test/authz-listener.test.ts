import { createHmac, randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app.js";
import { loadConfig } from "../src/config.js";
import { createLogger } from "../src/logger.js";
import { apiClient } from "./support/api-client.js";

const admin = "admin-token-0123456789";
const gateway = "gateway-token-0123456789";
const noScope = "noscope-token-0123456789";
const otherClient = "other-client-token-0123456789";
const everyClient = "every-client-gateway-token-0123456789";
const secrets = {
  apiKey: `client-key-${randomBytes(12).toString("hex")}`,
  deny: `deny-key-${randomBytes(12).toString("hex")}`,
  targetBearer: `target-bearer-${randomBytes(12).toString("hex")}`,
  targetKey: `target-key-${randomBytes(12).toString("hex")}`,
  targetQuery: `target-query-${randomBytes(12).toString("hex")}`,
  jwtSecret: randomBytes(24).toString("hex"),
};
const logLines: string[] = [];
let api: ReturnType<typeof apiClient>;
let base: string;
let authzUrl: string;
let server: Server;
let credkit: Awaited<ReturnType<typeof createApp>>;
const ids: Record<string, string> = {};

async function create(clientId: string, body: Record<string, unknown>): Promise<string> {
  const res = await api("POST", `/api/clients/${clientId}/credentials`, {
    credentialName: "c",
    region: "eu-west-1",
    ...body,
  });
  expect(res.status).toBe(201);
  return res.body.credentials[0].credentialId;
}

/** Asks the authz listener, as a proxy would. */
async function ask(path: string, headers: Record<string, string>, token: string | null = gateway) {
  const res = await fetch(`${authzUrl}${path}`, {
    headers: { ...(token === null ? {} : { "X-Credkit-Token": token }), ...headers },
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: text === "" ? null : JSON.parse(text) };
}

beforeAll(async () => {
  const config = loadConfig({
    CREDKIT_USER_TOKENS: JSON.stringify([
      { token: admin, userId: "ops", clientIds: "*" },
      { token: gateway, userId: "gateway", clientIds: ["acme"], scopes: ["authz"] },
      { token: noScope, userId: "plain", clientIds: ["acme"] },
      { token: otherClient, userId: "elsewhere", clientIds: ["other"], scopes: ["authz"] },
      { token: everyClient, userId: "every", clientIds: "*", scopes: ["authz"] },
    ]),
    CREDKIT_AUTHZ_PORT: "0",
    CREDKIT_OUTBOUND_ALLOW_HOSTS: "127.0.0.1",
    LOG_LEVEL: "debug",
  });
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  credkit = await createApp(config, createLogger("debug", sink));
  server = credkit.app.listen(0, "127.0.0.1");
  await once(server, "listening");
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  api = apiClient(base, admin);
  // Not listening yet: not ready.
  expect((await fetch(`${base}/readyz`)).status).toBe(503);
  const port = await credkit.authz?.listen(0, "127.0.0.1");
  authzUrl = `http://127.0.0.1:${port}`;

  ids.apiKey = await create("acme", {
    credentialType: "proxy",
    authType: "apiKey",
    secret: { keyName: "X-Api-Key", keyValue: secrets.apiKey },
  });
  ids.deny = await create("acme", {
    credentialType: "proxy",
    authType: "apiKey",
    credentialDefaultRuleEffect: "deny",
    secret: { keyName: "X-Api-Key", keyValue: secrets.deny },
  });
  ids.bearerTarget = await create("acme", {
    credentialType: "target",
    authType: "bearer",
    secret: { token: secrets.targetBearer },
  });
  ids.customTarget = await create("acme", {
    credentialType: "target",
    authType: "custom",
    secret: { headers: { "X-Api-Key": secrets.targetKey }, query: { api_key: secrets.targetQuery, v: "2" } },
  });
  ids.otherTarget = await create("other", {
    credentialType: "target",
    authType: "bearer",
    secret: { token: secrets.targetBearer },
  });
  // JWKS on a port that refuses connections: fail-closed answers 503.
  ids.jwks = await create("acme", {
    credentialType: "proxy",
    authType: "jwtVerify",
    secret: {
      algorithms: ["RS256"],
      issuer: "https://issuer.example",
      audience: "api",
      jwksUri: "http://127.0.0.1:1/jwks",
    },
  });
});
afterAll(async () => {
  await credkit?.authz?.close();
  server?.close();
  await credkit?.close();
});

function unsignedJwt(claims: Record<string, unknown>): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const body = `${part({ alg: "RS256", kid: "k1" })}.${part(claims)}`;
  return `${body}.${createHmac("sha256", "x").update(body).digest("base64url")}`;
}

describe("the authz listener (data plane)", () => {
  it("is ready once listening, and /readyz says so", async () => {
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it("allows a valid proxy credential with its id, no-store, and no target headers when none is named", async () => {
    const res = await ask("/authz/acme", { "X-Api-Key": secrets.apiKey });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-credkit-credential-id")).toBe(ids.apiKey);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("authorization")).toBeNull();
    // The verdict is in the headers; no body (nginx keeps its connection only without one).
    expect(res.text).toBe("");
    expect(res.headers.get("content-length")).toBe("0");
    // A trailing slash (nginx with an empty target variable) and the `-` marker mean no target too.
    expect((await ask("/authz/acme/", { "X-Api-Key": secrets.apiKey })).status).toBe(200);
    expect((await ask("/authz/acme/-/original/path?q=1", { "X-Api-Key": secrets.apiKey })).status).toBe(200);
  });

  it("answers a named target's headers verbatim and its query form-encoded", async () => {
    const bearer = await ask(`/authz/acme/${ids.bearerTarget}`, { "X-Api-Key": secrets.apiKey });
    expect(bearer.status).toBe(200);
    expect(bearer.headers.get("authorization")).toBe(`Bearer ${secrets.targetBearer}`);
    expect(bearer.headers.get("x-credkit-target-query")).toBeNull();
    const custom = await ask(`/authz/acme/${ids.customTarget}/-/v1/items`, { "X-Api-Key": secrets.apiKey });
    expect(custom.status).toBe(200);
    expect(custom.headers.get("x-api-key")).toBe(secrets.targetKey);
    expect(custom.headers.get("x-credkit-target-query")).toBe(`api_key=${secrets.targetQuery}&v=2`);
    expect(custom.headers.get("x-credkit-credential-id")).toBe(ids.apiKey);
    // The answer body never carries the target's secret: only headers do.
    expect(custom.text).not.toContain(secrets.targetKey);
  });

  it("refuses with 401 + WWW-Authenticate, 403 for deny, and never names a secret", async () => {
    const none = await ask("/authz/acme", {});
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ allowed: false, reason: "NO_CREDENTIAL" });
    expect(none.headers.get("www-authenticate")).toBe('Bearer realm="credkit"');
    const wrong = await ask(`/authz/acme/${ids.bearerTarget}`, { "X-Api-Key": "not-a-key-0123456789" });
    expect(wrong.status).toBe(401);
    expect(wrong.body.reason).toBe("NO_CREDENTIAL");
    expect(wrong.headers.get("authorization")).toBeNull();
    const denied = await ask(`/authz/acme/${ids.bearerTarget}`, { "X-Api-Key": secrets.deny });
    expect(denied.status).toBe(403);
    expect(denied.body).toEqual({ allowed: false, reason: "DENIED" });
    expect(denied.headers.get("cache-control")).toBe("no-store");
    for (const res of [none, wrong, denied]) {
      for (const secret of Object.values(secrets)) expect(res.text).not.toContain(secret);
      expect(res.headers.get("authorization")).toBeNull();
    }
  });

  it("needs the proxy's own X-Credkit-Token with scope authz and access to the client", async () => {
    const missing = await ask("/authz/acme", { "X-Api-Key": secrets.apiKey }, null);
    expect(missing.status).toBe(401);
    expect(missing.body.reason).toBe("PROXY_TOKEN_INVALID");
    expect(missing.body.message).toContain("X-Credkit-Token");
    const unknown = await ask("/authz/acme", { "X-Api-Key": secrets.apiKey }, "nope-0123456789abcdef");
    expect(unknown.status).toBe(401);
    expect(unknown.text).not.toContain("nope-0123456789abcdef");
    // The token in the end client's Authorization is not the proxy's token, nor is it verified as one.
    const inAuthorization = await ask("/authz/acme", { Authorization: `Bearer ${gateway}` }, null);
    expect(inAuthorization.status).toBe(401);
    expect(inAuthorization.body.reason).toBe("PROXY_TOKEN_INVALID");
    expect((await ask("/authz/acme", { "X-Api-Key": secrets.apiKey }, noScope)).status).toBe(403);
    expect((await ask("/authz/acme", { "X-Api-Key": secrets.apiKey }, otherClient)).status).toBe(403);
    expect((await ask("/authz/acme", { "X-Api-Key": secrets.apiKey }, admin)).status).toBe(403);
  });

  it("never lets the proxy's token count as the end client's credential", async () => {
    // A proxy credential whose header is X-Credkit-Token is refused at create (a reserved name)...
    const refused = await api("POST", "/api/clients/acme/credentials", {
      credentialName: "c",
      region: "eu-west-1",
      credentialType: "proxy",
      authType: "apiKey",
      secret: { keyName: "X-Credkit-Token", keyValue: gateway },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0].path).toBe("secret.keyName");
    // ...and the listener never looks the proxy's token up as an end client's key either.
    const res = await ask("/authz/acme", {});
    expect(res.status).toBe(401);
    expect(res.body.reason).toBe("NO_CREDENTIAL");
  });

  it("names only targets of the same client, and only target credentials", async () => {
    const other = await ask(`/authz/acme/${ids.otherTarget}`, { "X-Api-Key": secrets.apiKey });
    expect(other.status).toBe(403);
    expect(other.body.reason).toBe("TARGET_NOT_FOUND");
    const proxy = await ask(`/authz/acme/${ids.apiKey}`, { "X-Api-Key": secrets.apiKey });
    expect(proxy.status).toBe(403);
    expect(proxy.body.reason).toBe("TARGET_NOT_FOUND");
    expect(proxy.headers.get("x-credkit-credential-id")).toBeNull();
  });

  it("fails closed with 503 + Retry-After when the JWKS cannot be fetched", async () => {
    const token = unsignedJwt({ iss: "https://issuer.example", aud: "api", exp: Date.now() / 1000 + 60 });
    const res = await ask("/authz/acme", { Authorization: `Bearer ${token}` });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(res.body).toEqual({ allowed: false, reason: "JWKS_UNAVAILABLE" });
  });

  it("lets a fail-open jwtVerify through when its JWKS is down, marked X-Credkit-Degraded", async () => {
    const id = await create("acme", {
      credentialType: "proxy",
      authType: "jwtVerify",
      secret: {
        algorithms: ["RS256"],
        issuer: "https://open.example",
        audience: "api",
        jwksUri: "http://127.0.0.1:1/jwks",
        failPolicy: "fail-open",
      },
    });
    const token = unsignedJwt({ iss: "https://open.example", aud: "api", exp: Date.now() / 1000 + 60 });
    const res = await ask("/authz/acme", { Authorization: `Bearer ${token}` });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-credkit-degraded")).toBe("true");
    expect(res.headers.get("x-credkit-credential-id")).toBe(id);
  });

  it("answers 400 naming clientId for a malformed client id, never a 500", async () => {
    const malformed = ["a%2Fb", "_x", "acme%00", "%E2%82%AC", "a".repeat(129), "acme%0D%0AX-Evil:1"];
    for (const clientId of malformed) {
      const res = await ask(`/authz/${clientId}`, { "X-Api-Key": secrets.apiKey }, everyClient);
      expect(res.status, clientId).toBe(400);
      expect(res.body.code).toBe("VALIDATION_ERROR");
      expect(res.body.errors[0].path).toBe("clientId");
      expect(res.text).not.toContain(secrets.apiKey);
    }
    expect(logLines.filter((line) => line.includes("authz request failed"))).toEqual([]);
  });

  it("refuses header values Node cannot send at create (400), and an upstream token holding one (503)", async () => {
    for (const value of ["caf\u20ac", "a\u0001b", "x\u007fy"]) {
      const res = await api("POST", "/api/clients/acme/credentials", {
        credentialName: "c",
        region: "eu-west-1",
        credentialType: "target",
        authType: "custom",
        secret: { headers: { "X-Target": value } },
      });
      expect(res.status, JSON.stringify(value)).toBe(400);
      expect(res.body.errors[0].path).toBe("secret.headers.X-Target");
    }
    // A token endpoint answering a token that cannot travel in a header.
    const endpoint = createServer((_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ access_token: "tok\u20acen", expires_in: 3600 }));
    });
    endpoint.listen(0, "127.0.0.1");
    await once(endpoint, "listening");
    try {
      const id = await create("acme", {
        credentialType: "target",
        authType: "customToken",
        secret: { tokenUrl: `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/token` },
      });
      const res = await ask(`/authz/acme/${id}`, { "X-Api-Key": secrets.apiKey });
      expect(res.status).toBe(503);
      expect(res.body.reason).toBe("TARGET_UNAVAILABLE");
    } finally {
      endpoint.close();
    }
  });

  it("closes the connection after answering a request with a body instead of draining it", async () => {
    const { port } = new URL(authzUrl);
    const socket = connect(Number(port), "127.0.0.1");
    let answer = "";
    socket.on("data", (chunk) => {
      answer += chunk;
    });
    // Not `once`: it rejects on the EPIPE the sender gets when the listener hangs up mid-body.
    const closed = new Promise((resolve) => socket.on("close", resolve));
    socket.on("error", () => undefined);
    socket.write(
      `POST /authz/acme HTTP/1.1\r\nHost: x\r\nX-Credkit-Token: ${gateway}\r\nX-Api-Key: ${secrets.apiKey}\r\nTransfer-Encoding: chunked\r\n\r\n`,
    );
    // An endless body: the sender keeps streaming until the listener hangs up.
    const chunk = `1000\r\n${"x".repeat(4096)}\r\n`;
    const pump = () => {
      while (!socket.destroyed && socket.write(chunk));
    };
    socket.on("drain", pump);
    pump();
    await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).toMatch(/\r\nConnection: close\r\n/i);
  });

  it("audits a refused management call without a malformed client id from its path", async () => {
    const junk = `forged%0A%7B%22audit%22%3A1%7D${"x".repeat(4000)}`;
    const res = await fetch(`${base}/api/clients/${junk}/credentials`, {
      headers: { Authorization: "not-a-token-0123456789" },
    });
    expect(res.status).toBe(401);
    const audits = logLines.filter((line) => line.includes('"authorization.failed"'));
    const last = JSON.parse(audits.at(-1) as string).audit;
    expect(last).toMatchObject({ code: "UNAUTHORIZED" });
    expect(last.clientId).toBeUndefined();
    expect(audits.at(-1)).not.toContain("xxxxxxxx");
  });

  it("bounds the request: 404 off the route, 431 past 200 headers", async () => {
    expect((await fetch(`${authzUrl}/api/clients`)).status).toBe(404);
    expect((await fetch(`${authzUrl}/authz/`)).status).toBe(404);
    expect((await fetch(`${authzUrl}/authz/acme/a/b`)).status).toBe(404);
    const many = Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`x-h${i}`, "v"]));
    const res = await fetch(`${authzUrl}/authz/acme`, { headers: { "X-Credkit-Token": gateway, ...many } });
    expect(res.status).toBe(431);
    const big = await fetch(`${authzUrl}/authz/acme`, {
      headers: { "X-Credkit-Token": gateway, "X-Big": "x".repeat(17 * 1024) },
    });
    expect(big.status).toBe(431);
  });

  it("a gateway token (authz, no resolve) cannot mint or re-allow a proxy credential to read targets", async () => {
    const asGateway = apiClient(base, gateway);
    const minted = await asGateway("POST", "/api/clients/acme/credentials", {
      credentialName: "minted",
      region: "eu-west-1",
      credentialType: "proxy",
      authType: "apiKey",
      secret: { keyName: "X-Minted", keyValue: "minted-key-0123456789" },
    });
    expect(minted.status).toBe(403);
    expect(minted.body.code).toBe("FORBIDDEN");
    const reallowed = await asGateway("PUT", `/api/clients/acme/credentials/${ids.deny}`, {
      credentialDefaultRuleEffect: "allow",
    });
    expect(reallowed.status).toBe(403);
    // So the target's secret never reaches whoever holds only the gateway's token.
    const presented: Record<string, string>[] = [
      { "X-Minted": "minted-key-0123456789" },
      { "X-Api-Key": secrets.deny },
    ];
    for (const headers of presented) {
      const res = await ask(`/authz/acme/${ids.bearerTarget}`, headers);
      expect(res.status).not.toBe(200);
      expect(JSON.stringify([...res.headers, res.text])).not.toContain(secrets.targetBearer);
    }
    // Reading and deleting stay allowed, as documented; an admin still writes.
    expect((await asGateway("GET", "/api/clients/acme/credentials")).status).toBe(200);
  });

  it("logs each answer at debug level without any credential, and counts answers in /metrics", async () => {
    const lines = logLines.filter((l) => l.includes('"authz request"'));
    expect(lines.length).toBeGreaterThan(5);
    for (const line of logLines) {
      for (const secret of [...Object.values(secrets), gateway, noScope, otherClient])
        expect(line).not.toContain(secret);
    }
    // Tokens with too little access are audited like the management API's 403; refused proxy tokens
    // are counted per caller address by the throttle instead (a flood must not write a line each).
    const failures = logLines
      .filter((l) => l.includes('"authorization.failed"'))
      .map((l) => JSON.parse(l).audit);
    expect(failures).toContainEqual(
      expect.objectContaining({ code: "FORBIDDEN", clientId: "acme", userId: "plain" }),
    );
    const metrics = await (await fetch(`${base}/metrics`)).text();
    // Split by reason: a broken gateway token is not the same 401 as an end client's bad key.
    expect(metrics).toMatch(/credkit_authz_requests_total\{status="200",reason="ALLOWED"\} \d+/);
    expect(metrics).toMatch(/credkit_authz_requests_total\{status="401",reason="PROXY_TOKEN_INVALID"\} \d+/);
    expect(metrics).toMatch(/credkit_authz_requests_total\{status="401",reason="NO_CREDENTIAL"\} \d+/);
    expect(metrics).toMatch(/credkit_authz_requests_total\{status="403",reason="FORBIDDEN"\} \d+/);
    // The debug line names the client and target asked about (ids, never a header).
    const answered = lines.map((l) => JSON.parse(l)).filter((l) => l.status === 200 && l.targetId);
    expect(answered[0]).toMatchObject({
      clientId: "acme",
      reason: "ALLOWED",
      credentialId: expect.any(String),
    });
  });
});
