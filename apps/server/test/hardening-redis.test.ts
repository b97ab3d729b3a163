import { createHash, randomBytes, randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient } from "./support/api-client.js";
import { serversOnOneRedis, type startRedis } from "./support/real-servers.js";
import { killServers, type ServerProcess, startServer, waitFor } from "./support/server-process.js";

// Issue 10 on a real Redis shared by two processes: idempotency, rate limits and outages.
const token = "hardening-redis-token-0123456789";
const masterKey = randomBytes(32).toString("base64");
let redis: Awaited<ReturnType<typeof startRedis>>;
let servers: ServerProcess[];

beforeAll(async () => {
  ({ redis, servers } = await serversOnOneRedis(2, token, {
    CREDKIT_AUTH_FAILURE_LIMIT_PER_MINUTE: "4",
    CREDKIT_MASTER_KEY: masterKey,
  }));
});
afterAll(async () => {
  killServers();
  await redis?.stop();
});

const clientSecret = `CLIENT-SECRET-${randomUUID()}`;
const authCodeBody = {
  credentialName: "auth-code",
  credentialType: "target",
  authType: "oauth2",
  region: "eu-west-1",
  secret: {
    grantType: "authorization_code",
    authorizationUrl: "https://auth.example.com/authorize",
    tokenUrl: "https://auth.example.com/token",
    clientId: "app",
    clientSecret,
    redirectUri: "https://credkit.example.com/api/oauth2/callback",
  },
};

/** The old, unkeyed fingerprint: SHA-256 of the body's canonical JSON. */
function unkeyedFingerprint(value: unknown): string {
  const canonical = (v: unknown): string => {
    if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
    if (v !== null && typeof v === "object") {
      const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
        a < b ? -1 : a > b ? 1 : 0,
      );
      return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(",")}}`;
    }
    return JSON.stringify(v) ?? "null";
  };
  return createHash("sha256").update(canonical(value)).digest("base64url");
}

describe("idempotency in Redis (issue 10, item 2)", () => {
  it("keeps only keyed hashes and sealed data, and replays exactly across processes and token forms", async () => {
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const client = `c-${randomUUID()}`;
    const path = `/api/clients/${client}/credentials`;
    const first = await apiClient(a.url, token)("POST", path, authCodeBody, { "Idempotency-Key": "k-1" });
    expect(first.status).toBe(201);
    const replay = await apiClient(b.url, `Bearer ${token}`)("POST", path, authCodeBody, {
      "Idempotency-Key": "k-1",
    });
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body).toEqual(first.body);
    expect(replay.body.authorizationUrl).toContain("state=");

    const raw = new Redis(redis.url);
    try {
      const keys = await raw.keys("credkit:idempotency:*");
      expect(keys.length).toBeGreaterThan(0);
      const dump = (await Promise.all(keys.map((k) => raw.get(k)))).join("\n");
      expect(dump).not.toContain(clientSecret);
      expect(dump).not.toContain(unkeyedFingerprint(authCodeBody));
      const state = new URL(first.body.authorizationUrl).searchParams.get("state") as string;
      expect(dump).not.toContain(state);
      expect(dump).not.toContain("auth.example.com");
    } finally {
      raw.disconnect();
    }
  });
});

describe("rate limits through Redis (issue 10, item 3)", () => {
  it("counts failed authentications per address across both processes, and never the caller's", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const server = servers[i % 2] as ServerProcess;
      const res = await fetch(`${server.url}/api/clients/acme/credentials`, {
        headers: { Authorization: `forged-${randomUUID()}` },
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429, 429, 429]);
    for (const server of servers) {
      expect((await apiClient(server.url, token)("GET", "/api/clients/acme/credentials")).status).toBe(200);
    }
    const raw = new Redis(redis.url);
    try {
      // Buckets are keyed hashes: no token, no address in a key.
      const keys = await raw.keys("credkit:ratelimit:*");
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.join("\n")).not.toMatch(/forged|127\.0\.0\.1|::1|hardening/);
    } finally {
      raw.disconnect();
    }
  });
});

describe("Redis outages (issue 10, item 5)", () => {
  it("answers 503 STORAGE_UNAVAILABLE with Retry-After from the idempotency store and the limiter, never a raw error", async () => {
    // A third process with the limiter off, so the idempotency store is the first Redis use a create meets.
    const unlimited = await startServer({
      CREDKIT_STORAGE: "redis",
      CREDKIT_REDIS_URL: redis.url,
      CREDKIT_REGIONS: "*",
      CREDKIT_MASTER_KEY: masterKey,
      CREDKIT_USER_TOKENS: JSON.stringify([{ token, userId: "ops", clientIds: "*" }]),
      CREDKIT_RATE_LIMIT_PER_MINUTE: "0",
      CREDKIT_AUTH_FAILURE_LIMIT_PER_MINUTE: "0",
    });
    const body = { ...authCodeBody, credentialType: "target", authType: "bearer", secret: { token: "t" } };
    const path = `/api/clients/c-${randomUUID()}/credentials`;
    await redis.kill();
    try {
      for (const server of [unlimited, ...servers]) {
        const api = apiClient(server.url, token);
        for (const headers of [{ "Idempotency-Key": `k-${randomUUID()}` }, {}] as Record<string, string>[]) {
          const res = await api("POST", path, body, headers);
          expect(res.status).toBe(503);
          expect(res.body.code).toBe("STORAGE_UNAVAILABLE");
          expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
          expect(res.text).not.toMatch(/ECONNREFUSED|Connection|ioredis|127\.0\.0\.1|stack/i);
        }
        // A failed authentication meets the limiter's Redis counter first: the same answer.
        const forged = await apiClient(server.url, "forged-token-0123456789")("GET", path);
        if (server !== unlimited) expect(forged.status).toBe(503);
        // The token-less routes count in process: docs and liveness stay up through the outage.
        expect((await fetch(`${server.url}/api/docs`)).status).toBe(200);
        expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      }
      // The limiter's 503s carry the route they were for and count as store errors.
      const metrics = await (await fetch(`${servers[0]?.url}/metrics`)).text();
      expect(metrics).toMatch(
        /credkit_http_requests_total\{method="POST",route="\/api\/clients\/:clientId\/credentials",status="503"\} [1-9]/,
      );
      expect(metrics).toMatch(
        /credkit_store_errors_total\{store="redis",operation="rateLimit",code="STORAGE_UNAVAILABLE"\} [1-9]/,
      );
    } finally {
      await redis.restart();
    }
    await waitFor(
      async () =>
        (await apiClient(unlimited.url, token)("POST", path, body, { "Idempotency-Key": "after" })).status ===
        201,
      20_000,
      "the idempotent create to work again after Redis restarts",
    );
  });
});
