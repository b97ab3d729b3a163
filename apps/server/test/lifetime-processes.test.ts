import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient } from "./support/api-client.js";
import { serversOnOneRedis, type startRedis } from "./support/real-servers.js";
import { killServers, type ServerProcess } from "./support/server-process.js";

const token = "lifetime-process-token-0123456789";
let redis: Awaited<ReturnType<typeof startRedis>>;
let servers: ServerProcess[];

beforeAll(async () => {
  ({ redis, servers } = await serversOnOneRedis(2, token, {
    CREDKIT_USER_TOKENS: JSON.stringify([{ token, userId: "ops", clientIds: "*", scopes: ["resolve"] }]),
  }));
});
afterAll(async () => {
  killServers();
  await redis?.stop();
});

const api = (i: number) => apiClient((servers[i] as ServerProcess).url, token);
const both = [0, 1];

/** Resolves once the wall clock (which both servers read) is past `instant`: polls, never a blind sleep. */
async function clockPast(instant: number): Promise<void> {
  while (Date.now() <= instant)
    await new Promise((resolve) => setTimeout(resolve, Math.min(50, instant - Date.now() + 1)));
}

describe("a credential with expiresAt, two server processes on one Redis", () => {
  it("is refused from expiresAt on every process (near-cached verdicts too), listed only with includeExpired", async () => {
    const keyValue = randomBytes(16).toString("hex");
    // Far enough ahead for the "before" round to land before it on a loaded machine; the round's
    // answers count as "before" only if they came back before the instant (checked below).
    const expiresAt = Date.now() + 4000;
    const created = await api(0)("POST", "/api/clients/acme/credentials", {
      credentialName: "expiring",
      credentialType: "proxy",
      authType: "apiKey",
      region: "eu-west-1",
      secret: { keyName: "X-Expiring", keyValue },
      expiresAt: new Date(expiresAt).toISOString(),
    });
    expect(created.status).toBe(201);
    const target = await api(1)("POST", "/api/clients/acme/credentials", {
      credentialName: "expiring target",
      credentialType: "target",
      authType: "bearer",
      region: "eu-west-1",
      secret: { token: "target-token-value" },
      expiresAt: new Date(expiresAt).toISOString(),
    });
    expect(target.status).toBe(201);
    const resolvePath = `/api/clients/acme/credentials/${target.body.credentials[0].credentialId}/resolve`;
    const verify = (i: number) =>
      api(i)("POST", "/api/clients/acme/verify", { headers: { "x-expiring": keyValue } });

    // Before: allowed and resolved on both processes (each verdict now sits in that process's near cache).
    const before = await Promise.all(both.flatMap((i) => [verify(i), api(i)("POST", resolvePath)]));
    const answeredBy = Date.now();
    if (answeredBy < expiresAt) {
      expect(before.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      expect([before[0]?.body.allowed, before[2]?.body.allowed]).toEqual([true, true]);
    }

    await clockPast(expiresAt);
    for (const i of both) {
      expect((await verify(i)).body).toEqual({ allowed: false, reason: "EXPIRED" });
      const resolved = await api(i)("POST", resolvePath);
      expect([resolved.status, resolved.body.code]).toEqual([409, "CREDENTIAL_EXPIRED"]);
      expect(resolved.text).not.toContain("target-token-value");
      const listed = await api(i)("GET", "/api/clients/acme/credentials");
      const ids = listed.body.credentials.map((c: { credentialId: string }) => c.credentialId);
      expect(ids).not.toContain(created.body.credentials[0].credentialId);
      const all = await api(i)("GET", "/api/clients/acme/credentials?includeExpired=true");
      expect(all.body.credentials.map((c: { credentialId: string }) => c.credentialId)).toEqual(
        expect.arrayContaining([
          created.body.credentials[0].credentialId,
          target.body.credentials[0].credentialId,
        ]),
      );
    }
  });
});
