import { randomBytes, randomUUID } from "node:crypto";
import { DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient } from "./support/api-client.js";
import { dynamoDbLocalEnv, startDynamoDbLocal } from "./support/real-servers.js";
import { killServers, type ServerProcess, startServer } from "./support/server-process.js";

const token = "dynamodb-test-token-0123456789";
const tables = {
  "eu-west-1": `credkit-eu-${randomUUID().slice(0, 8)}`,
  "us-east-1": `credkit-us-${randomUUID().slice(0, 8)}`,
};
let dynamo: Awaited<ReturnType<typeof startDynamoDbLocal>>;
let server: ServerProcess;

beforeAll(async () => {
  dynamo = await startDynamoDbLocal();
  server = await startServer({
    ...dynamoDbLocalEnv,
    CREDKIT_MASTER_KEY: randomBytes(32).toString("base64"),
    CREDKIT_USER_TOKENS: JSON.stringify([{ token, userId: "ops", clientIds: "*" }]),
    CREDKIT_REGIONS: JSON.stringify(
      Object.fromEntries(
        Object.entries(tables).map(([region, table]) => [
          region,
          { storage: "dynamodb", table, endpoint: dynamo.endpoint, createTable: true },
        ]),
      ),
    ),
  });
}, 120_000);
afterAll(async () => {
  killServers();
  await dynamo?.stop();
});

async function scanText(table: string): Promise<string> {
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  try {
    return JSON.stringify((await client.send(new ScanCommand({ TableName: table }))).Items ?? []);
  } finally {
    client.destroy();
  }
}

describe("the server on DynamoDB Local, one table per region", () => {
  it("keeps each credential in its region's table, encrypted", async () => {
    const api = apiClient(server.url, token);
    const secrets = {
      "eu-west-1": `EU-PLAINTEXT-${randomUUID()}`,
      "us-east-1": `US-PLAINTEXT-${randomUUID()}`,
    };
    const ids: Record<string, string> = {};
    for (const [region, value] of Object.entries(secrets)) {
      const created = await api("POST", "/api/clients/acme/credentials", {
        credentialName: `in ${region}`,
        credentialType: "proxy",
        authType: "bearer",
        region,
        secret: { token: value },
      });
      expect(created.status).toBe(201);
      ids[region] = created.body.credentials[0].credentialId;
    }
    const eu = await scanText(tables["eu-west-1"]);
    const us = await scanText(tables["us-east-1"]);
    expect(eu).toContain(ids["eu-west-1"]);
    expect(eu).not.toContain(ids["us-east-1"]);
    expect(us).toContain(ids["us-east-1"]);
    expect(us).not.toContain(ids["eu-west-1"]);
    for (const dump of [eu, us]) {
      expect(dump).toContain("ck1.");
      for (const value of Object.values(secrets)) expect(dump).not.toContain(value);
    }
    // A region outside the map is refused, naming the served ones.
    const refused = await api("POST", "/api/clients/acme/credentials", {
      credentialName: "elsewhere",
      credentialType: "target",
      authType: "none",
      region: "ap-south-1",
    });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toContain("eu-west-1, us-east-1");
  });

  it("serves the whole API: list across both tables, get, update, verify, delete", async () => {
    const api = apiClient(server.url, token);
    const list = await api("GET", "/api/clients/acme/credentials?includeTemporary=False");
    expect(list.status).toBe(200);
    expect(
      new Set(list.body.credentials.map((c: { credentialRegion: string }) => c.credentialRegion)),
    ).toEqual(new Set(["eu-west-1", "us-east-1"]));
    const id = list.body.credentials[0].credentialId as string;
    const path = `/api/clients/acme/credentials/${id}`;
    expect((await api("PUT", path, { credentialName: "renamed" }, { "If-Match": '"1"' })).status).toBe(200);
    expect((await api("PUT", path, { credentialName: "stale" }, { "If-Match": '"1"' })).status).toBe(412);
    expect((await api("DELETE", path)).status).toBe(200);
    expect((await api("GET", path)).status).toBe(404);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });
});
