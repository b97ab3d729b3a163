// The authz listeners of two server processes on one real Redis: single use holds across processes,
// and a store outage answers 503 (fail closed) until Redis is back.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient } from "./support/api-client.js";
import { serversOnOneRedis, type startRedis } from "./support/real-servers.js";
import { killServers, type ServerProcess, waitFor } from "./support/server-process.js";

const admin = "authz-admin-token-0123456789";
const gateway = `gateway-${randomBytes(12).toString("hex")}`;
let redis: Awaited<ReturnType<typeof startRedis>>;
let servers: ServerProcess[];
const authz: string[] = [];

beforeAll(async () => {
  ({ redis, servers } = await serversOnOneRedis(2, admin, {
    CREDKIT_USER_TOKENS: JSON.stringify([
      { token: admin, userId: "ops", clientIds: "*" },
      { token: gateway, userId: "nginx", clientIds: ["acme"], scopes: ["authz"] },
    ]),
    CREDKIT_AUTHZ_PORT: "0",
  }));
  for (const server of servers) {
    await waitFor(async () => /authz listening/.test(server.output()), 15_000, "the authz listener");
    authz.push(
      (/authz listening on (http:\/\/[\d.]+:\d+)/.exec(server.output()) as RegExpExecArray)[1] as string,
    );
  }
});
afterAll(async () => {
  killServers();
  await redis?.stop();
});

const create = async (body: Record<string, unknown>) => {
  const res = await apiClient((servers[0] as ServerProcess).url, admin)(
    "POST",
    "/api/clients/acme/credentials",
    {
      credentialName: "c",
      region: "eu-west-1",
      ...body,
    },
  );
  expect(res.status).toBe(201);
  return res.body.credentials[0].credentialId as string;
};

/** Asks listener `i % 2`: requests alternate between the two processes. */
const ask = (i: number, path: string, headers: Record<string, string>) =>
  fetch(`${authz[i % 2]}${path}`, { headers: { "X-Credkit-Token": gateway, ...headers } });

describe("authz listeners of two processes on one Redis", () => {
  it("let exactly one of 20 concurrent requests pass with a single-use proxy credential", async () => {
    const key = randomBytes(16).toString("hex");
    await create({
      credentialType: "proxy",
      authType: "apiKey",
      singleUse: true,
      secret: { keyName: "X-Api-Key", keyValue: key },
    });
    const statuses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => ask(i, "/authz/acme", { "X-Api-Key": key }).then((r) => r.status)),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 401)).toHaveLength(19);
  });

  it("hand a single-use target credential to exactly one of 20 concurrent requests", async () => {
    const key = randomBytes(16).toString("hex");
    await create({
      credentialType: "proxy",
      authType: "apiKey",
      secret: { keyName: "X-Api-Key", keyValue: key },
    });
    const target = await create({
      credentialType: "target",
      authType: "bearer",
      singleUse: true,
      secret: { token: `once-${randomBytes(8).toString("hex")}` },
    });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => ask(i, `/authz/acme/${target}`, { "X-Api-Key": key })),
    );
    const passed = answers.filter((r) => r.status === 200);
    expect(passed).toHaveLength(1);
    expect(passed[0]?.headers.get("authorization")).toMatch(/^Bearer once-/);
    expect(answers.filter((r) => r.status === 403)).toHaveLength(19);
  });

  it("answer 503 with Retry-After while Redis is down, and pass again once it is back", async () => {
    const key = randomBytes(16).toString("hex");
    await create({
      credentialType: "proxy",
      authType: "apiKey",
      secret: { keyName: "X-Api-Key", keyValue: key },
    });
    expect((await ask(0, "/authz/acme", { "X-Api-Key": key })).status).toBe(200);
    await redis.kill();
    const down = await ask(1, "/authz/acme", { "X-Api-Key": key });
    expect(down.status).toBe(503);
    expect(down.headers.get("retry-after")).toBe("1");
    expect(await down.json()).toEqual({ allowed: false, reason: "STORAGE_UNAVAILABLE" });
    await redis.restart();
    await waitFor(
      async () => (await ask(0, "/authz/acme", { "X-Api-Key": key })).status === 200,
      20_000,
      "the listener to pass again",
    );
  });
});
