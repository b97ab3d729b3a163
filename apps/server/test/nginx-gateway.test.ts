// nginx (Debian's, auth_request built in) + credkit's authz listener + an upstream echo server, end to
// end: the gateway of examples/nginx/credkit-gateway.conf, rendered and run as shipped.
import { execFile } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import { promisify } from "node:util";
import { type MockOAuth, startMockOAuth } from "@credkit/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient } from "./support/api-client.js";
import { type NginxProcess, renderGateway, startNginx } from "./support/nginx.js";
import { type ServerProcess, startServer, waitFor } from "./support/server-process.js";

const admin = "admin-token-0123456789";
const gatewayToken = `gateway-${randomBytes(12).toString("hex")}`;
const secrets = {
  apiKey: `client-key-${randomBytes(12).toString("hex")}`,
  bearer: `client-bearer-${randomBytes(12).toString("hex")}`,
  password: `client-pass-${randomBytes(12).toString("hex")}`,
  deny: `deny-key-${randomBytes(12).toString("hex")}`,
  jwtSecret: randomBytes(24).toString("hex"),
  targetBearer: `target-bearer-${randomBytes(12).toString("hex")}`,
  targetKey: `target-key-${randomBytes(12).toString("hex")}`,
  targetQuery: `target-query-${randomBytes(12).toString("hex")}`,
  oauthSecret: `oauth-secret-${randomBytes(12).toString("hex")}`,
};

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The TLS server name (SNI) the request came with, over TLS. */
  servername?: string;
}
const seen: Seen[] = [];
let upstream: Server;
let upstreamAddress: string;
/** The same upstream over TLS, its certificate (self-signed, for `api.test` only) in `certDir`. */
let tlsUpstream: Server;
let tlsUpstreamAddress: string;
let certDir: string;
let oauth: MockOAuth;
let credkit: ServerProcess;
let authzAddress: string;
let api: ReturnType<typeof apiClient>;
const gateways: Record<
  "none" | "bearer" | "custom" | "oauth2" | "tls" | "tlsWrongName",
  NginxProcess | undefined
> = {
  none: undefined,
  bearer: undefined,
  custom: undefined,
  oauth2: undefined,
  tls: undefined,
  tlsWrongName: undefined,
};

async function create(body: Record<string, unknown>): Promise<string> {
  const res = await api("POST", "/api/clients/acme/credentials", {
    credentialName: "c",
    region: "eu-west-1",
    ...body,
  });
  expect(res.status).toBe(201);
  return res.body.credentials[0].credentialId;
}

const apiKeyProxy = (keyValue: string, extra: Record<string, unknown> = {}) =>
  create({
    credentialType: "proxy",
    authType: "apiKey",
    secret: { keyName: "X-Api-Key", keyValue },
    ...extra,
  });

function hs256(claims: Record<string, unknown>, key: string): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const body = `${part({ alg: "HS256", typ: "JWT" })}.${part(claims)}`;
  return `${body}.${createHmac("sha256", key).update(body).digest("base64url")}`;
}

/** A gateway (the rendered example) injecting `target` ("" = none), to the plain upstream or over `tls`. */
function gateway(target: string, tls?: { host: string }) {
  return startNginx((listen) =>
    renderGateway({
      LISTEN: listen,
      CREDKIT_AUTHZ: authzAddress,
      UPSTREAM: tls ? tlsUpstreamAddress : upstreamAddress,
      ...(tls
        ? { UPSTREAM_SCHEME: "https", UPSTREAM_HOST: tls.host, UPSTREAM_CA: join(certDir, "cert.pem") }
        : { UPSTREAM_HOST: "api.test" }),
      CREDKIT_CLIENT_ID: "acme",
      CREDKIT_TARGET_ID: target,
      CREDKIT_AUTHZ_TOKEN: gatewayToken,
    }),
  );
}

function through(nginx: NginxProcess | undefined, path: string, headers: Record<string, string> = {}) {
  if (!nginx) throw new Error("gateway not started");
  return fetch(`${nginx.url}${path}`, { headers, signal: AbortSignal.timeout(15_000) });
}

/** The request the upstream saw last, after one more went through. */
async function reached(nginx: NginxProcess | undefined, path: string, headers: Record<string, string>) {
  const before = seen.length;
  const res = await through(nginx, path, headers);
  expect(res.status).toBe(200);
  expect(seen.length).toBe(before + 1);
  return seen[seen.length - 1] as Seen;
}

/** No secret of the caller's in what the upstream received. */
function expectNoCallerSecret(request: Seen) {
  const text = JSON.stringify(request);
  for (const secret of [secrets.apiKey, secrets.bearer, secrets.password, gatewayToken])
    expect(text).not.toContain(secret);
  expect(text).not.toContain(Buffer.from(`svc:${secrets.password}`).toString("base64"));
}

const ids: Record<string, string> = {};
let jwt: string;

function record(req: IncomingMessage, res: ServerResponse) {
  const servername = (req.socket as TLSSocket).servername;
  seen.push({
    method: req.method ?? "",
    url: req.url ?? "",
    headers: req.headers,
    ...(typeof servername === "string" ? { servername } : {}),
  });
  res.setHeader("Content-Type", "application/json");
  res.end(JSON.stringify({ ok: true }));
}

beforeAll(async () => {
  upstream = createServer(record);
  upstream.listen(0, "127.0.0.1");
  await once(upstream, "listening");
  upstreamAddress = `127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  certDir = await mkdtemp(join(tmpdir(), "credkit-nginx-cert-"));
  await promisify(execFile)("openssl", [
    ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
    ...["-keyout", join(certDir, "key.pem"), "-out", join(certDir, "cert.pem"), "-days", "1"],
    ...["-subj", "/CN=api.test", "-addext", "subjectAltName=DNS:api.test"],
  ]);
  tlsUpstream = createTlsServer(
    { key: await readFile(join(certDir, "key.pem")), cert: await readFile(join(certDir, "cert.pem")) },
    record,
  );
  tlsUpstream.listen(0, "127.0.0.1");
  await once(tlsUpstream, "listening");
  tlsUpstreamAddress = `127.0.0.1:${(tlsUpstream.address() as AddressInfo).port}`;
  oauth = await startMockOAuth();
  credkit = await startServer({
    CREDKIT_USER_TOKENS: JSON.stringify([
      { token: admin, userId: "ops", clientIds: "*" },
      { token: gatewayToken, userId: "nginx", clientIds: ["acme"], scopes: ["authz"] },
    ]),
    CREDKIT_AUTHZ_PORT: "0",
    CREDKIT_OUTBOUND_ALLOW_HOSTS: "127.0.0.1",
  });
  await waitFor(async () => /authz listening/.test(credkit.output()), 15_000, "the authz listener");
  authzAddress = (
    /authz listening on http:\/\/([\d.]+:\d+)/.exec(credkit.output()) as RegExpExecArray
  )[1] as string;
  api = apiClient(credkit.url, admin);

  ids.apiKey = await apiKeyProxy(secrets.apiKey);
  ids.bearer = await create({
    credentialType: "proxy",
    authType: "bearer",
    secret: { token: secrets.bearer },
  });
  ids.basic = await create({
    credentialType: "proxy",
    authType: "basicAuth",
    secret: { username: "svc", password: secrets.password },
  });
  ids.jwt = await create({
    credentialType: "proxy",
    authType: "jwtVerify",
    secret: {
      algorithms: ["HS256"],
      issuer: "https://idp.example",
      audience: "gateway",
      secret: secrets.jwtSecret,
    },
  });
  jwt = hs256(
    { iss: "https://idp.example", aud: "gateway", sub: "u1", exp: Math.floor(Date.now() / 1000) + 600 },
    secrets.jwtSecret,
  );
  ids.deny = await apiKeyProxy(secrets.deny, { credentialDefaultRuleEffect: "deny" });
  ids.bearerTarget = await create({
    credentialType: "target",
    authType: "bearer",
    secret: { token: secrets.targetBearer },
  });
  ids.customTarget = await create({
    credentialType: "target",
    authType: "custom",
    secret: { headers: { "X-Api-Key": secrets.targetKey }, query: { api_key: secrets.targetQuery } },
  });
  ids.oauthTarget = await create({
    credentialType: "target",
    authType: "oauth2",
    secret: {
      grantType: "client_credentials",
      tokenUrl: oauth.tokenUrl,
      clientId: "gateway-app",
      clientSecret: secrets.oauthSecret,
    },
  });
  [gateways.none, gateways.bearer, gateways.custom, gateways.oauth2, gateways.tls, gateways.tlsWrongName] =
    await Promise.all([
      gateway(""),
      gateway(ids.bearerTarget as string),
      gateway(ids.customTarget as string),
      gateway(ids.oauthTarget as string),
      gateway(ids.bearerTarget as string, { host: "api.test" }),
      gateway(ids.bearerTarget as string, { host: "other.test" }),
    ]);
});

afterAll(async () => {
  await Promise.all(Object.values(gateways).map((g) => g?.stop()));
  await credkit?.stop();
  await oauth?.stop();
  for (const server of [upstream, tlsUpstream]) {
    server?.closeAllConnections();
    server?.close();
  }
  if (certDir) await rm(certDir, { recursive: true, force: true });
});

describe("nginx auth_request → credkit → upstream", () => {
  it("lets apiKey, bearer, basic and jwtVerify callers through with the static target credential instead of theirs", async () => {
    const callers: [string, Record<string, string>][] = [
      [ids.apiKey as string, { "X-Api-Key": secrets.apiKey }],
      [ids.bearer as string, { Authorization: `Bearer ${secrets.bearer}` }],
      [
        ids.basic as string,
        { Authorization: `Basic ${Buffer.from(`svc:${secrets.password}`).toString("base64")}` },
      ],
      [ids.jwt as string, { Authorization: `Bearer ${jwt}` }],
    ];
    for (const [id, headers] of callers) {
      const request = await reached(gateways.bearer, "/api/v1/items?page=2", headers);
      expect(request.url).toBe("/api/v1/items?page=2");
      expect(request.headers.authorization).toBe(`Bearer ${secrets.targetBearer}`);
      expect(request.headers["x-credkit-credential-id"]).toBe(id);
      expect(request.headers["x-api-key"]).toBeUndefined();
      expectNoCallerSecret(request);
    }
  });

  it("injects a custom target's header and query, keeping the caller's query and encoded path", async () => {
    const request = await reached(gateways.custom, "/api/a%20b/items?page=2", {
      Authorization: `Bearer ${secrets.bearer}`,
    });
    expect(request.url).toBe(`/api/a%20b/items?api_key=${secrets.targetQuery}&page=2`);
    expect(request.headers["x-api-key"]).toBe(secrets.targetKey);
    expect(request.headers.authorization).toBeUndefined();
    expectNoCallerSecret(request);
    const noQuery = await reached(gateways.custom, "/api/items", { "X-Api-Key": secrets.apiKey });
    expect(noQuery.url).toBe(`/api/items?api_key=${secrets.targetQuery}`);
    expect(noQuery.headers["x-api-key"]).toBe(secrets.targetKey);
  });

  it("lets the target's query parameters win: a caller's query that could stand for one is dropped whole", async () => {
    const key = { "X-Api-Key": secrets.apiKey };
    const target = `api_key=${secrets.targetQuery}`;
    // Every spelling an upstream's parser could read as the target's parameter (first or last value
    // wins, any case, percent-encoded, PHP's "." for "_", ";" as a separator).
    for (const query of [
      "api_key=CALLER-CHOSEN&page=2",
      "page=2&api_key=CALLER-CHOSEN",
      "page=2&API_KEY=CALLER-CHOSEN",
      "api_key",
      "api%5Fkey=CALLER-CHOSEN",
      "api.key=CALLER-CHOSEN",
      "page=2;api_key=CALLER-CHOSEN",
      "page=2&&x=1",
    ]) {
      const request = await reached(gateways.custom, `/api/q?${query}`, key);
      expect(request.url, query).toBe(`/api/q?${target}`);
    }
    // A caller's own plain parameters pass after the target's.
    const plain = await reached(gateways.custom, "/api/q?page=2&api_keys=x&my-api_key=y", key);
    expect(plain.url).toBe(`/api/q?${target}&page=2&api_keys=x&my-api_key=y`);
    // Without a target query the caller's query passes as sent.
    const asSent = await reached(gateways.bearer, "/api/q?api_key=x;y=%41", key);
    expect(asSent.url).toBe("/api/q?api_key=x;y=%41");
  });

  it("never lets a caller's X-Credkit-* headers reach the upstream, on any location", async () => {
    const spoofed = {
      "X-Credkit-Credential-Id": "cred-of-someone-else",
      "X-Credkit-Degraded": "true",
      "X-Credkit-Target-Query": "api_key=CALLER-CHOSEN",
      "X-Credkit-Token": "caller-token-0123456789",
    };
    const publicRoute = await reached(gateways.none, "/public/ping", spoofed);
    const none = await reached(gateways.none, "/api/x", { ...spoofed, "X-Api-Key": secrets.apiKey });
    const custom = await reached(gateways.custom, "/api/x", { ...spoofed, "X-Api-Key": secrets.apiKey });
    for (const request of [publicRoute, none, custom]) {
      const credkitHeaders = Object.entries(request.headers).filter(([name]) =>
        name.startsWith("x-credkit-"),
      );
      expect(credkitHeaders.filter(([name]) => name !== "x-credkit-credential-id")).toEqual([]);
      expect(JSON.stringify(request)).not.toContain("CALLER-CHOSEN");
    }
    expect(publicRoute.headers["x-credkit-credential-id"]).toBeUndefined();
    expect(none.headers["x-credkit-credential-id"]).toBe(ids.apiKey);
    expect(custom.headers["x-credkit-credential-id"]).toBe(ids.apiKey);
    expect(custom.url).toBe(`/api/x?api_key=${secrets.targetQuery}`);
  });

  it("gives the upstream its own name as Host, and over TLS as SNI, checking its certificate against it", async () => {
    const key = { "X-Api-Key": secrets.apiKey };
    expect((await reached(gateways.bearer, "/api/h", key)).headers.host).toBe("api.test");
    expect((await reached(gateways.none, "/public/h", {})).headers.host).toBe("api.test");
    const tls = await reached(gateways.tls, "/api/h", key);
    expect(tls.servername).toBe("api.test");
    expect(tls.headers.host).toBe("api.test");
    expect(tls.headers.authorization).toBe(`Bearer ${secrets.targetBearer}`);
    expectNoCallerSecret(tls);
    // A certificate for another name is refused: the target credential is not sent to it.
    const before = seen.length;
    const wrongName = await through(gateways.tlsWrongName, "/api/h", key);
    expect(wrongName.status).toBe(502);
    expect(seen.length).toBe(before);
    expect(await gateways.tlsWrongName?.errorLog()).toMatch(/certificate/);
  });

  it("injects an oauth2 client_credentials token fetched from the mock OAuth server, fetched once", async () => {
    const first = await reached(gateways.oauth2, "/api/x", { "X-Api-Key": secrets.apiKey });
    const bearer = first.headers.authorization as string;
    expect(bearer).toMatch(/^Bearer ey/);
    expect(oauth.seen.at(-1)?.body.grant_type).toBe("client_credentials");
    const fetched = oauth.tokenRequests();
    const second = await reached(gateways.oauth2, "/api/y", { Authorization: `Bearer ${jwt}` });
    expect(second.headers.authorization).toBe(bearer);
    expect(oauth.tokenRequests()).toBe(fetched);
    expectNoCallerSecret(second);
    expect(JSON.stringify(second)).not.toContain(secrets.oauthSecret);
  });

  it("checks the caller only when no target is named, removing the caller's credential", async () => {
    const request = await reached(gateways.none, "/api/z", { "X-Api-Key": secrets.apiKey });
    expect(request.url).toBe("/api/z");
    expect(request.headers["x-credkit-credential-id"]).toBe(ids.apiKey);
    expect(request.headers.authorization).toBeUndefined();
    expect(request.headers["x-api-key"]).toBeUndefined();
  });

  it("tells the upstream when a fail-open jwtVerify let a caller through unchecked, and only then", async () => {
    await create({
      credentialType: "proxy",
      authType: "jwtVerify",
      secret: {
        algorithms: ["RS256"],
        issuer: "https://open.example",
        audience: "gateway",
        jwksUri: "http://127.0.0.1:1/jwks",
        failPolicy: "fail-open",
      },
    });
    const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const claims = { iss: "https://open.example", aud: "gateway", exp: Math.floor(Date.now() / 1000) + 600 };
    const unchecked = `${part({ alg: "RS256", kid: "k1" })}.${part(claims)}.${part("not-a-signature")}`;
    const degraded = await reached(gateways.none, "/api/open", {
      Authorization: `Bearer ${unchecked}`,
      "X-Credkit-Degraded": "false",
    });
    expect(degraded.headers["x-credkit-degraded"]).toBe("true");
    // A verified caller cannot make its request look any different: its own marker is dropped.
    const verified = await reached(gateways.none, "/api/open", {
      "X-Api-Key": secrets.apiKey,
      "X-Credkit-Degraded": "forged",
    });
    expect(verified.headers["x-credkit-degraded"]).toBeUndefined();
  });

  it("refuses a wrong key with nginx's 401 (and credkit's challenge), a deny credential with 403, and a forged header", async () => {
    const before = seen.length;
    const wrong = await through(gateways.bearer, "/api/x", { "X-Api-Key": "wrong-key-0123456789" });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toBe('Bearer realm="credkit"');
    expect(await wrong.text()).toContain("nginx");
    const none = await through(gateways.bearer, "/api/x");
    expect(none.status).toBe(401);
    const denied = await through(gateways.bearer, "/api/x", { "X-Api-Key": secrets.deny });
    expect(denied.status).toBe(403);
    // The caller cannot pose as the gateway: its X-Credkit-Token is replaced by nginx's own.
    const forged = await through(gateways.bearer, "/api/x", { "X-Credkit-Token": gatewayToken });
    expect(forged.status).toBe(401);
    expect(seen.length).toBe(before);
    for (const res of [wrong, denied]) expect(res.headers.get("authorization")).toBeNull();
  });

  it("lets exactly one of 20 concurrent requests with a single-use credential reach the upstream", async () => {
    const key = `single-${randomBytes(12).toString("hex")}`;
    await apiKeyProxy(key, { singleUse: true });
    const before = seen.length;
    const statuses = await Promise.all(
      Array.from({ length: 20 }, () =>
        through(gateways.bearer, "/api/once", { "X-Api-Key": key }).then((r) => r.status),
      ),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 401)).toHaveLength(19);
    expect(seen.length).toBe(before + 1);
  });

  it("stops passing a deleted credential", async () => {
    const key = `deleted-${randomBytes(12).toString("hex")}`;
    const id = await apiKeyProxy(key);
    expect((await through(gateways.bearer, "/api/x", { "X-Api-Key": key })).status).toBe(200);
    expect((await api("DELETE", `/api/clients/acme/credentials/${id}`)).status).toBe(200);
    expect((await through(gateways.bearer, "/api/x", { "X-Api-Key": key })).status).toBe(401);
  });

  it("serves the unauthenticated comparison route, and nginx logged no error", async () => {
    expect((await through(gateways.none, "/public/ping")).status).toBe(200);
    for (const [name, g] of Object.entries(gateways))
      if (name !== "tlsWrongName") expect(await g?.errorLog()).not.toMatch(/\[(error|crit|emerg)\]/);
  });

  it("never logs a secret in credkit's output, and stops on SIGTERM with the authz port closed", async () => {
    const output = credkit.output();
    for (const secret of Object.values(secrets)) expect(output).not.toContain(secret);
    expect(output).not.toContain(gatewayToken);
    expect(await credkit.stop()).toBe(0);
    await expect(fetch(`http://${authzAddress}/authz/acme`)).rejects.toThrow();
  });
});
