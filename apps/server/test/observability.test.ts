import { randomUUID } from "node:crypto";
import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app.js";
import { loadConfig } from "../src/config.js";
import { createLogger } from "../src/logger.js";
import { apiClient } from "./support/api-client.js";

const token = "observability-token-0123456789";
const secrets = {
  apiKey: `APIKEY-${randomUUID()}`,
  bearer: `BEARER-${randomUUID()}`,
  password: `PASSWORD-${randomUUID()}`,
  clientSecret: `CLIENTSECRET-${randomUUID()}`,
  custom: `CUSTOM-${randomUUID()}`,
  rotated: `ROTATED-${randomUUID()}`,
};
const logLines: string[] = [];
const responses: string[] = [];
let server: Server;
let base: string;
let close: () => Promise<void>;

beforeAll(async () => {
  const config = loadConfig({
    CREDKIT_USER_TOKENS: JSON.stringify([{ token, userId: "auditor", clientIds: "*" }]),
    CREDKIT_RATE_LIMIT_PER_MINUTE: "400",
    CREDKIT_CORS_ORIGINS: "https://console.example.com",
    LOG_LEVEL: "debug",
  });
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  const credkit = await createApp(config, createLogger("debug", sink));
  close = credkit.close;
  server = credkit.app.listen(0, "127.0.0.1");
  await once(server, "listening");
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server?.close();
  await close?.();
});

/** The API client, remembering every response body and header for the leak check. */
function api() {
  const call = apiClient(base, token);
  return async (...args: Parameters<typeof call>) => {
    const res = await call(...args);
    responses.push(res.text, JSON.stringify([...res.headers]));
    return res;
  };
}

describe("logs, request ids, limits and metrics", () => {
  it("walks the whole API with known secrets, and none appears in any log line or response", async () => {
    const call = api();
    const bodies = [
      {
        authType: "apiKey",
        credentialType: "proxy",
        secret: { keyName: "X-Api-Key", keyValue: secrets.apiKey },
      },
      { authType: "bearer", credentialType: "proxy", secret: { token: secrets.bearer } },
      {
        authType: "basicAuth",
        credentialType: "target",
        secret: { username: "svc", password: secrets.password },
      },
      {
        authType: "oauth2",
        credentialType: "target",
        secret: {
          grantType: "client_credentials",
          tokenUrl: "https://auth.example.com/token",
          clientId: "c",
          clientSecret: secrets.clientSecret,
        },
      },
      { authType: "custom", credentialType: "target", secret: { headers: { "X-Custom": secrets.custom } } },
    ];
    const ids: string[] = [];
    for (const body of bodies) {
      const res = await call("POST", "/api/clients/acme/credentials", {
        credentialName: body.authType,
        region: "eu-west-1",
        ...body,
      });
      expect(res.status).toBe(201);
      ids.push(res.body.credentials[0].credentialId);
    }
    expect(
      (await call("GET", "/api/clients/acme/credentials?includeTemporary=true")).body.credentials,
    ).toHaveLength(5);
    for (const id of ids) expect((await call("GET", `/api/clients/acme/credentials/${id}`)).status).toBe(200);
    expect(
      (await call("PUT", `/api/clients/acme/credentials/${ids[1]}`, { secret: { token: secrets.rotated } }))
        .status,
    ).toBe(200);
    // Verification carries secrets in headers: good and bad ones.
    const verify = await call("POST", "/api/clients/acme/verify", {
      headers: { "x-api-key": secrets.apiKey },
    });
    expect(verify.body.allowed).toBe(true);
    await call("POST", "/api/clients/acme/verify", {
      headers: { authorization: `Bearer ${secrets.bearer}` },
    });
    // Bad input that contains secrets: invalid JSON, a bad field, a duplicate.
    const broken = await fetch(`${base}/api/clients/acme/credentials`, {
      method: "POST",
      headers: { Authorization: token, "Content-Type": "application/json" },
      body: `{"secret": ${secrets.apiKey}`,
    });
    responses.push(await broken.text());
    expect(broken.status).toBe(400);
    const invalid = await call("POST", "/api/clients/acme/credentials", {
      credentialName: "x",
      credentialType: "proxy",
      authType: "apiKey",
      region: "eu-west-1",
      secret: { keyName: "bad header", keyValue: secrets.apiKey },
    });
    expect(invalid.status).toBe(400);
    const duplicate = await call("POST", "/api/clients/acme/credentials", {
      credentialName: "dup",
      region: "eu-west-1",
      ...bodies[0],
    });
    expect(duplicate.status).toBe(409);
    // A wrong token that is itself a secret.
    const wrong = await fetch(`${base}/api/clients/acme/credentials`, {
      headers: { Authorization: secrets.custom },
    });
    expect(wrong.status).toBe(401);
    for (const id of ids)
      expect((await call("DELETE", `/api/clients/acme/credentials/${id}`)).status).toBe(200);
    responses.push(await (await fetch(`${base}/metrics`)).text());

    const everything = [...logLines, ...responses].join("\n");
    expect(logLines.length).toBeGreaterThan(10);
    for (const value of [...Object.values(secrets), token]) expect(everything).not.toContain(value);
    // Every log line is structured JSON.
    for (const line of logLines) expect(() => JSON.parse(line)).not.toThrow();
  });

  it("writes an audit event for every change and failed authorization, with who and the request id", async () => {
    // On the request's own line (a mutation's), or a line of its own: the same `audit` object.
    const audits = logLines
      .map((l) => JSON.parse(l))
      .filter((l) => l.audit !== undefined)
      .map((l) => l.audit);
    const created = audits.filter((a) => a.action === "credential.create" && a.outcome === "success");
    expect(created).toHaveLength(5);
    for (const event of created) {
      expect(event).toMatchObject({ userId: "auditor", clientId: "acme", credentialId: expect.any(String) });
      expect(event.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(Date.parse(event.time)).not.toBeNaN();
    }
    expect(audits).toContainEqual(
      expect.objectContaining({ action: "credential.create", outcome: "failure", code: "CONFLICT" }),
    );
    expect(audits.filter((a) => a.action === "credential.update")).toHaveLength(1);
    expect(audits.filter((a) => a.action === "credential.delete" && a.outcome === "success")).toHaveLength(5);
    expect(audits).toContainEqual(
      expect.objectContaining({ action: "authorization.failed", code: "UNAUTHORIZED", clientId: "acme" }),
    );
  });

  it("accepts or generates a request id, returns it and logs it", async () => {
    const given = await fetch(`${base}/api/clients/acme/credentials`, {
      headers: { Authorization: token, "X-Request-Id": "trace-123.abc" },
    });
    expect(given.headers.get("x-request-id")).toBe("trace-123.abc");
    const generated = await fetch(`${base}/api/clients/acme/credentials`, {
      headers: { Authorization: token, "X-Request-Id": "bad id with spaces" },
    });
    const id = generated.headers.get("x-request-id") ?? "";
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const line = logLines.map((l) => JSON.parse(l)).find((l) => l.requestId === "trace-123.abc");
    expect(line).toMatchObject({
      msg: "request",
      method: "GET",
      route: "/api/clients/:clientId/credentials",
      status: 200,
      userId: "auditor",
    });
  });

  it("sets security headers, and CORS only for the configured origin", async () => {
    const allowed = await fetch(`${base}/api/clients/acme/credentials`, {
      method: "OPTIONS",
      headers: { Origin: "https://console.example.com", "Access-Control-Request-Method": "GET" },
    });
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://console.example.com");
    const other = await fetch(`${base}/api/clients/acme/credentials`, {
      headers: { Authorization: token, Origin: "https://evil.example.com" },
    });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    expect(other.headers.get("x-content-type-options")).toBe("nosniff");
    expect(other.headers.get("strict-transport-security")).toContain("max-age");
    expect(other.headers.get("x-powered-by")).toBeNull();
  });

  it("exposes Prometheus metrics by route, store and verification outcome", async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(
      /credkit_http_requests_total\{method="GET",route="\/api\/clients\/:clientId\/credentials",status="200"\} \d+/,
    );
    expect(text).toMatch(/credkit_http_request_duration_seconds_bucket\{le="0.005",method="POST"/);
    expect(text).toMatch(
      /credkit_store_operation_duration_seconds_count\{store="memory",operation="create"\} \d+/,
    );
    expect(text).toMatch(/credkit_store_errors_total\{store="memory",operation="create",code="CONFLICT"\} 1/);
    expect(text).toMatch(/credkit_verifications_total\{outcome="allowed"\} \d+/);
    expect(text).not.toMatch(/acme|eu-west-1\./);
  });

  it("answers 429 with Retry-After past the per-token limit", async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 420; i++) {
      const res = await fetch(`${base}/api/clients/acme/credentials`, { headers: { Authorization: token } });
      statuses.push(res.status);
      if (res.status === 429) {
        retryAfter = res.headers.get("retry-after");
        expect(await res.json()).toMatchObject({ code: "RATE_LIMITED" });
        break;
      }
    }
    expect(statuses).toContain(429);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  });
});
