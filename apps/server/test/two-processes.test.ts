import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient } from "./support/api-client.js";
import { serversOnOneRedis, type startRedis } from "./support/real-servers.js";
import { killServers, type ServerProcess } from "./support/server-process.js";

const token = "two-process-token-0123456789";
let redis: Awaited<ReturnType<typeof startRedis>>;
let servers: ServerProcess[];

beforeAll(async () => {
  ({ redis, servers } = await serversOnOneRedis(2, token));
});
afterAll(async () => {
  killServers();
  await redis?.stop();
});

/** The API of server `i % 2`: calls alternate between the two processes. */
const api = (i: number) => apiClient((servers[i % 2] as ServerProcess).url, token);

describe("two server processes on one Redis", () => {
  it("let exactly one of 20 concurrent verifications consume a single-use credential", async () => {
    const keyValue = randomBytes(16).toString("hex");
    const created = await api(0)("POST", "/api/clients/acme/credentials", {
      credentialName: "one-time",
      credentialType: "proxy",
      authType: "apiKey",
      region: "eu-west-1",
      singleUse: true,
      secret: { keyName: "X-One-Time", keyValue },
    });
    expect(created.status).toBe(201);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        api(i)("POST", "/api/clients/acme/verify", { headers: { "x-one-time": keyValue } }),
      ),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(results.filter((r) => r.body.allowed)).toHaveLength(1);
    expect(
      (await api(1)("GET", `/api/clients/acme/credentials/${created.body.credentials[0].credentialId}`))
        .status,
    ).toBe(404);
  });

  it("let exactly one of 10 concurrent If-Match updates of one version win", async () => {
    const created = await api(0)("POST", "/api/clients/acme/credentials", {
      credentialName: "contended",
      credentialType: "target",
      authType: "none",
      region: "eu-west-1",
    });
    const path = `/api/clients/acme/credentials/${created.body.credentials[0].credentialId}`;
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        api(i)("PUT", path, { credentialName: `writer ${i}` }, { "If-Match": '"1"' }),
      ),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 412)).toHaveLength(9);
    const winner = results.find((r) => r.status === 200)?.body.credentials[0].credentialName;
    expect((await api(1)("GET", path)).body.credentials[0]).toMatchObject({
      credentialName: winner,
      credentialVersion: 2,
    });
  });

  it("share Idempotency-Keys: a retry that reaches the other process gets the first result", async () => {
    const body = {
      credentialName: "idempotent",
      credentialType: "target",
      authType: "none",
      region: "eu-west-1",
    };
    const first = await api(0)("POST", "/api/clients/acme/credentials", body, {
      "Idempotency-Key": "retry-me",
    });
    const retry = await api(1)("POST", "/api/clients/acme/credentials", body, {
      "Idempotency-Key": "retry-me",
    });
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.body.credentials[0].credentialId).toBe(first.body.credentials[0].credentialId);
    const reused = await api(1)(
      "POST",
      "/api/clients/acme/credentials",
      { ...body, credentialName: "other" },
      {
        "Idempotency-Key": "retry-me",
      },
    );
    expect(reused.status).toBe(409);
  });

  it("lose no field under concurrent plain updates from both processes", async () => {
    const created = await api(0)("POST", "/api/clients/acme/credentials", {
      credentialName: "fields",
      credentialType: "target",
      authType: "bearer",
      region: "eu-west-1",
      secret: { token: "t0" },
    });
    const path = `/api/clients/acme/credentials/${created.body.credentials[0].credentialId}`;
    const results = await Promise.all([
      api(0)("PUT", path, { credentialName: "renamed" }),
      api(1)("PUT", path, { credentialDefaultRuleEffect: "deny" }),
      api(0)("PUT", path, { singleUse: true }),
      api(1)("PUT", path, { secret: { token: "t1" } }),
    ]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect((await api(1)("GET", path)).body.credentials[0]).toMatchObject({
      credentialName: "renamed",
      credentialDefaultRuleEffect: "deny",
      credentialSingleUse: true,
      credentialVersion: 5,
    });
  });
});
