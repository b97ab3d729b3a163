import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient } from "./support/api-client.js";
import { dynamoDbLocalEnv, startDynamoDbLocal } from "./support/real-servers.js";
import { killServers, type ServerProcess, startServer } from "./support/server-process.js";

// On DynamoDB there is no invalidation channel: the near cache's time bound is the revocation delay
// for other processes, while the writing process drops its own verdicts at once.
const token = "nc-dynamodb-token-0123456789";
const BOUND_MS = 1500;
let dynamo: Awaited<ReturnType<typeof startDynamoDbLocal>>;
let a: ServerProcess;
let b: ServerProcess;

beforeAll(async () => {
  dynamo = await startDynamoDbLocal();
  const env = {
    ...dynamoDbLocalEnv,
    CREDKIT_STORAGE: "dynamodb",
    CREDKIT_DYNAMODB_TABLE: `credkit-nc-${randomUUID().slice(0, 8)}`,
    CREDKIT_DYNAMODB_ENDPOINT: dynamo.endpoint,
    CREDKIT_DYNAMODB_CREATE_TABLE: "true",
    CREDKIT_MASTER_KEY: randomBytes(32).toString("base64"),
    CREDKIT_USER_TOKENS: JSON.stringify([{ token, userId: "ops", clientIds: "*" }]),
    CREDKIT_NEAR_CACHE_TTL_MS: String(BOUND_MS),
  };
  a = await startServer(env);
  b = await startServer(env);
}, 120_000);
afterAll(async () => {
  killServers();
  await dynamo?.stop();
});

describe("near cache on DynamoDB (time bound only)", () => {
  it("refuses a credential deleted by another process within the bound, and at once on the writer", async () => {
    const keyValue = randomBytes(16).toString("hex");
    const created = await apiClient(a.url, token)("POST", "/api/clients/acme/credentials", {
      credentialName: "bounded",
      credentialType: "proxy",
      authType: "apiKey",
      region: "us-east-1",
      secret: { keyName: "X-Key", keyValue },
    });
    expect(created.status).toBe(201);
    const verifyOn = async (server: ServerProcess) =>
      (
        await apiClient(server.url, token)("POST", "/api/clients/acme/verify", {
          headers: { "x-key": keyValue },
        })
      ).body.allowed as boolean;
    expect(await verifyOn(a)).toBe(true);
    expect(await verifyOn(b)).toBe(true);
    // B cached its verdict before this instant: the entry expires at most the bound after it.
    const cachedBy = performance.now();
    const path = `/api/clients/acme/credentials/${created.body.credentials[0].credentialId}`;
    expect((await apiClient(a.url, token)("DELETE", path)).status).toBe(200);
    expect(await verifyOn(a)).toBe(false);
    // Nothing tells B: while its verdict is younger than the bound, it still answers from it.
    const askedAt = performance.now();
    const stale = await verifyOn(b);
    if (askedAt - cachedBy < BOUND_MS / 2) expect(stale).toBe(true);
    // Until B refuses: the verdict lives the bound from the start of the read that cached it, so any
    // request sent after cachedBy + bound is refused however long the machine takes to answer it.
    let lastPassSentAt = stale ? askedAt : cachedBy;
    let refusedAt = Number.NaN;
    for (;;) {
      const sentAt = performance.now();
      if (!(await verifyOn(b))) {
        refusedAt = performance.now();
        break;
      }
      lastPassSentAt = sentAt;
      expect(sentAt - cachedBy, "B still passes long after the bound").toBeLessThan(BOUND_MS + 10_000);
    }
    console.log(
      `dynamodb revocation on the other process: last pass sent ${Math.round(lastPassSentAt - cachedBy)} ms, refused ${Math.round(refusedAt - cachedBy)} ms after the verdict was cached (bound ${BOUND_MS} ms)`,
    );
    expect(lastPassSentAt - cachedBy).toBeLessThanOrEqual(BOUND_MS);
  });

  it("a switch to single use answers after the bound: exactly one pass from its 200 on, 3 rounds", async () => {
    const passed: number[] = [];
    for (let round = 0; round < 3; round++) {
      const keyValue = randomBytes(16).toString("hex");
      const clientId = `switch-${round}`;
      const created = await apiClient(a.url, token)("POST", `/api/clients/${clientId}/credentials`, {
        credentialName: "switched",
        credentialType: "proxy",
        authType: "apiKey",
        region: "us-east-1",
        secret: { keyName: "X-Key", keyValue },
      });
      expect(created.status).toBe(201);
      const verifyOn = async (server: ServerProcess) =>
        (
          await apiClient(server.url, token)("POST", `/api/clients/${clientId}/verify`, {
            headers: { "x-key": keyValue },
          })
        ).body.allowed as boolean;
      // Both processes hold the multi-use verdict; nothing will tell B of the switch.
      expect([await verifyOn(a), await verifyOn(b)]).toEqual([true, true]);
      const path = `/api/clients/${clientId}/credentials/${created.body.credentials[0].credentialId}`;
      expect((await apiClient(a.url, token)("PUT", path, { singleUse: true })).status).toBe(200);
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => verifyOn(i % 2 ? b : a)));
      passed.push(answers.filter(Boolean).length);
    }
    expect(passed).toEqual([1, 1, 1]);
  });
});
