import { randomBytes, randomUUID } from "node:crypto";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient } from "./support/api-client.js";
import { dynamoDbLocalEnv, startDynamoDbLocal } from "./support/real-servers.js";
import { killServers, startServer } from "./support/server-process.js";

// An operator's first run, as a newcomer tries it: a region map of DynamoDB tables, the storage-wide
// variables set once, and a table that does not exist yet.
const token = "first-run-token-0123456789";
const base = {
  ...dynamoDbLocalEnv,
  CREDKIT_MASTER_KEY: randomBytes(32).toString("base64"),
  CREDKIT_USER_TOKENS: JSON.stringify([{ token, userId: "ops", clientIds: "*" }]),
};
const credential = {
  credentialName: "partner",
  credentialType: "target",
  authType: "bearer",
  secret: { token: `SECRET-${randomUUID()}` },
};
let dynamo: Awaited<ReturnType<typeof startDynamoDbLocal>>;

beforeAll(async () => {
  dynamo = await startDynamoDbLocal();
}, 120_000);
afterAll(async () => {
  killServers();
  await dynamo?.stop();
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Starts the server expecting it to refuse; resolves with what it printed. */
async function refusedStart(env: Record<string, string>): Promise<string> {
  const error = await startServer(env).then(
    () => {
      throw new Error("the server started");
    },
    (e: Error) => e,
  );
  return error.message;
}

describe("an operator's first run on DynamoDB", () => {
  const regionMap = (tables: Record<string, string>) =>
    JSON.stringify(
      Object.fromEntries(Object.entries(tables).map(([r, table]) => [r, { storage: "dynamodb", table }])),
    );

  it("refuses to start on a missing table, naming table, AWS region, endpoint, why and what to set", async () => {
    const table = `missing-${randomUUID().slice(0, 8)}`;
    const output = await refusedStart({
      ...base,
      CREDKIT_DYNAMODB_ENDPOINT: dynamo.endpoint,
      CREDKIT_REGIONS: regionMap({ "eu-west-1": table }),
    });
    expect(output).toContain("exited with 2");
    expect(output).toContain(
      `dynamodb table "${table}" in AWS region eu-west-1 at ${dynamo.endpoint} [eu-west-1]: the table "${table}" does not exist in eu-west-1`,
    );
    expect(output).toContain("CREDKIT_DYNAMODB_CREATE_TABLE=true");
    expect(output).not.toContain(base.CREDKIT_MASTER_KEY);
  }, 60_000);

  it("names an endpoint nobody answers at, per store", async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const output = await refusedStart({
      ...base,
      CREDKIT_DYNAMODB_ENDPOINT: endpoint,
      CREDKIT_REGIONS: regionMap({ "eu-west-1": "tbl-eu", "us-east-1": "tbl-us" }),
    });
    expect(output).toContain(`dynamodb table "tbl-eu" in AWS region eu-west-1 at ${endpoint} [eu-west-1]: `);
    expect(output).toContain(`dynamodb table "tbl-us" in AWS region us-east-1 at ${endpoint} [us-east-1]: `);
    expect(output).toContain("nothing answers there");
    expect(output).toContain("CREDKIT_DYNAMODB_ENDPOINT");
  }, 60_000);

  it("uses the storage-wide variables as the region map's defaults, and then serves", async () => {
    const server = await startServer({
      ...base,
      CREDKIT_DYNAMODB_ENDPOINT: dynamo.endpoint,
      CREDKIT_DYNAMODB_CREATE_TABLE: "true",
      CREDKIT_DYNAMODB_TABLE: `shared-${randomUUID().slice(0, 8)}`,
      // One entry names its own table; the other takes CREDKIT_DYNAMODB_TABLE.
      CREDKIT_REGIONS: JSON.stringify({
        "eu-west-1": { storage: "dynamodb", table: `own-${randomUUID().slice(0, 8)}` },
        "us-east-1": { storage: "dynamodb" },
      }),
    });
    const api = apiClient(server.url, token);
    for (const region of ["eu-west-1", "us-east-1"]) {
      const created = await api("POST", "/api/clients/acme/credentials", { ...credential, region });
      expect(created.status).toBe(201);
      expect(created.body.credentials[0].credentialRegion).toBe(region);
    }
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect(await server.stop()).toBe(0);
  }, 60_000);
});

describe("the region of a create", () => {
  it("is required (400 naming region) unless CREDKIT_DEFAULT_REGION is set", async () => {
    const regions = JSON.stringify({
      "eu-west-1": { storage: "memory" },
      "us-east-1": { storage: "memory" },
    });
    const strict = await startServer({ ...base, CREDKIT_REGIONS: regions });
    const missing = await apiClient(strict.url, token)("POST", "/api/clients/acme/credentials", credential);
    expect(missing.status).toBe(400);
    expect(missing.body.code).toBe("VALIDATION_ERROR");
    expect(missing.body.errors).toEqual([{ path: "region", message: expect.stringContaining("eu-west-1") }]);
    await strict.stop();

    const defaulted = await startServer({
      ...base,
      CREDKIT_REGIONS: regions,
      CREDKIT_DEFAULT_REGION: "eu-west-1",
    });
    const created = await apiClient(defaulted.url, token)(
      "POST",
      "/api/clients/acme/credentials",
      credential,
    );
    expect(created.status).toBe(201);
    expect(created.body.credentials[0].credentialRegion).toBe("eu-west-1");
    await defaulted.stop();
  }, 60_000);
});
