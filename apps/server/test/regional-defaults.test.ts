import { randomBytes, randomUUID } from "node:crypto";
import { DynamoDBClient, ListTablesCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { createCredkitTable } from "@credkit/storage-dynamodb";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { killLeftovers, runCli } from "./child-processes.js";
import { apiClient } from "./support/api-client.js";
import { dynamoDbLocalEnv, startDynamoDbLocal } from "./support/real-servers.js";
import { killServers, type ServerProcess, startServer } from "./support/server-process.js";

// Regional means regional by default. DynamoDB Local runs WITHOUT -sharedDb here, so each AWS region is
// its own database, as on AWS: a credential that lands in the wrong AWS region shows up in a scan.
const token = "regional-defaults-token-0123456789";
const masterKey = randomBytes(32).toString("base64");
const base = {
  ...dynamoDbLocalEnv, // AWS_REGION=us-east-1
  CREDKIT_MASTER_KEY: masterKey,
  CREDKIT_USER_TOKENS: JSON.stringify([{ token, userId: "ops", clientIds: "*" }]),
};
const credential = (region: string, secret: string) => ({
  credentialName: `in ${region}`,
  credentialType: "target",
  authType: "bearer",
  region,
  secret: { token: secret },
});
let dynamo: Awaited<ReturnType<typeof startDynamoDbLocal>>;

beforeAll(async () => {
  dynamo = await startDynamoDbLocal({ sharedDb: false });
}, 120_000);
afterEach(killLeftovers);
afterAll(async () => {
  killServers();
  await dynamo?.stop();
});

/** A client of one AWS region's database in DynamoDB Local (the server's access key: same databases). */
function regionClient(region: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
}

/** Everything in `table` of one AWS region's database, as text; "" when the table is not there at all. */
async function scanText(region: string, table: string): Promise<string> {
  const client = regionClient(region);
  try {
    const { TableNames = [] } = await client.send(new ListTablesCommand({}));
    if (!TableNames.includes(table)) return "";
    return JSON.stringify((await client.send(new ScanCommand({ TableName: table }))).Items ?? []);
  } finally {
    client.destroy();
  }
}

/** The messages of the server's `store …` start lines (JSON log lines; anything else is skipped). */
function storeLines(output: string): string[] {
  return output
    .split("\n")
    .flatMap((line) => {
      try {
        const entry = JSON.parse(line) as { msg?: unknown };
        return typeof entry.msg === "string" ? [entry.msg] : [];
      } catch {
        return [];
      }
    })
    .filter((msg) => msg.startsWith("store "));
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

async function readyStores(server: ServerProcess) {
  const res = await fetch(`${server.url}/readyz`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { stores: { regions: string[]; shared: boolean }[] }).stores;
}

describe("CREDKIT_STORAGE=dynamodb without a region map", () => {
  it("serves only AWS_REGION: a create for eu-west-1 is a 400 naming us-east-1, and nothing reaches either database", async () => {
    const table = `regional-${randomUUID().slice(0, 8)}`;
    const server = await startServer({
      ...base,
      CREDKIT_STORAGE: "dynamodb",
      CREDKIT_DYNAMODB_TABLE: table,
      CREDKIT_DYNAMODB_ENDPOINT: dynamo.endpoint,
      CREDKIT_DYNAMODB_CREATE_TABLE: "true",
    });
    const api = apiClient(server.url, token);
    const euSecret = `EU-PLAINTEXT-${randomUUID()}`;
    const refused = await api("POST", "/api/clients/acme/credentials", credential("eu-west-1", euSecret));
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe("VALIDATION_ERROR");
    expect(refused.body.errors).toEqual([
      { path: "region", message: "must be one of the served regions (us-east-1)" },
    ]);
    const usSecret = `US-PLAINTEXT-${randomUUID()}`;
    const created = await api("POST", "/api/clients/acme/credentials", credential("us-east-1", usSecret));
    expect(created.status).toBe(201);
    const id = created.body.credentials[0].credentialId as string;

    // us-east-1's database holds the us-east-1 record (encrypted) and nothing of the refused create;
    // eu-west-1's database has no such table at all.
    const us = await scanText("us-east-1", table);
    expect(us).toContain(id);
    expect(us).not.toContain(usSecret);
    expect(us).not.toContain("in eu-west-1");
    expect(await scanText("eu-west-1", table)).toBe("");
    expect(await readyStores(server)).toEqual([
      expect.objectContaining({ regions: ["us-east-1"], shared: false, ok: true }),
    ]);
    expect(await server.stop()).toBe(0);
    // Read once the process has exited: the logger may flush after the "listening" banner.
    expect(storeLines(server.output())).toEqual([
      `store dynamodb table "${table}" in AWS region us-east-1 at ${dynamo.endpoint}: serves region us-east-1`,
    ]);
  }, 60_000);

  it("keeps the old behaviour with CREDKIT_REGIONS=*, and says at start and in /readyz that every region shares the table", async () => {
    const table = `shared-${randomUUID().slice(0, 8)}`;
    const server = await startServer({
      ...base,
      CREDKIT_STORAGE: "dynamodb",
      CREDKIT_DYNAMODB_TABLE: table,
      CREDKIT_DYNAMODB_ENDPOINT: dynamo.endpoint,
      CREDKIT_DYNAMODB_CREATE_TABLE: "true",
      CREDKIT_REGIONS: "*",
    });
    const created = await apiClient(server.url, token)(
      "POST",
      "/api/clients/acme/credentials",
      credential("eu-west-1", `EU-${randomUUID()}`),
    );
    expect(created.status).toBe(201);
    // Deliberately shared: the eu-west-1 credential lives in the one table, in us-east-1.
    expect(await scanText("us-east-1", table)).toContain(created.body.credentials[0].credentialId);
    expect(await scanText("eu-west-1", table)).toBe("");
    const stores = await readyStores(server);
    expect(stores).toHaveLength(1);
    expect(stores[0]).toMatchObject({ shared: true });
    expect(stores[0]?.regions).toHaveLength(38);
    expect(await server.stop()).toBe(0);
    const lines = storeLines(server.output());
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^store dynamodb table "${table}" in AWS region us-east-1 at .*: serves 38 regions: .*, which share this one store$`,
      ),
    );
  }, 60_000);

  it("explains a missing table once per store, naming the AWS region, the endpoint and how to create it", async () => {
    // The table exists, but in us-east-1's database: a server in eu-west-1 does not see it.
    const table = `elsewhere-${randomUUID().slice(0, 8)}`;
    const us = regionClient("us-east-1");
    await createCredkitTable(us, table).finally(() => us.destroy());
    const env = {
      ...base,
      AWS_REGION: "eu-west-1",
      CREDKIT_STORAGE: "dynamodb",
      CREDKIT_DYNAMODB_TABLE: table,
      CREDKIT_DYNAMODB_ENDPOINT: dynamo.endpoint,
      // Every region on the one table: still one store, so one line, not 38.
      CREDKIT_REGIONS: "*",
    };
    const output = await refusedStart(env);
    expect(output).toContain("exited with 2");
    expect(output.match(/does not exist/g)).toHaveLength(1);
    expect(output).toContain(
      `dynamodb table "${table}" in AWS region eu-west-1 at ${dynamo.endpoint} [38 regions: `,
    );
    expect(output).toContain(`the table "${table}" does not exist in eu-west-1`);
    expect(output).toContain("CREDKIT_DYNAMODB_CREATE_TABLE=true");
    expect(output).not.toContain(masterKey);

    // check-config says the same, on the store's one line.
    const checked = await runCli(["check-config"], env);
    expect(checked.code).toBe(1);
    const failed = checked.stdout.split("\n").filter((l) => l.startsWith("failed"));
    expect(failed).toHaveLength(1);
    expect(failed[0]).toContain(
      `failed  dynamodb table "${table}" in AWS region eu-west-1 at ${dynamo.endpoint}: serves 38 regions: `,
    );
    expect(failed[0]).toContain(`the table "${table}" does not exist in eu-west-1`);
  }, 90_000);
});

describe("one start line per store", () => {
  it("memory (the embedded default) serves every region and says they share it, for development", async () => {
    const server = await startServer({ CREDKIT_USER_TOKENS: base.CREDKIT_USER_TOKENS });
    const [memory] = await readyStores(server);
    expect(memory).toMatchObject({ shared: true });
    expect(memory?.regions).toHaveLength(38);
    expect(await server.stop()).toBe(0);
    const lines = storeLines(server.output());
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^store memory \(in this process; lost when it stops\): serves 38 regions: .*, which share this one store; for development: every process has its own$/,
    );
  }, 60_000);

  it("a region map: one line per distinct store, naming its regions; check-config prints the same lines", async () => {
    const own = `own-${randomUUID().slice(0, 8)}`;
    const env = {
      ...base,
      CREDKIT_DYNAMODB_ENDPOINT: dynamo.endpoint,
      CREDKIT_DYNAMODB_CREATE_TABLE: "true",
      CREDKIT_REGIONS: JSON.stringify({
        "eu-west-1": { storage: "dynamodb", table: own },
        "ap-south-1": { storage: "memory" },
        "us-east-1": { storage: "memory" },
      }),
    };
    const expected = [
      "store memory (in this process; lost when it stops): serves 2 regions: ap-south-1, us-east-1, which share this one store; for development: every process has its own",
      `store dynamodb table "${own}" in AWS region eu-west-1 at ${dynamo.endpoint}: serves region eu-west-1`,
    ];
    const server = await startServer(env);
    expect(await readyStores(server)).toEqual([
      expect.objectContaining({ regions: ["ap-south-1", "us-east-1"], shared: true }),
      expect.objectContaining({ regions: ["eu-west-1"], shared: false }),
    ]);
    expect(await server.stop()).toBe(0);
    expect(storeLines(server.output())).toEqual(expected);
    // The region map's table lives in eu-west-1's database, not us-east-1's.
    expect(await scanText("eu-west-1", own)).toBe("[]");
    expect(await scanText("us-east-1", own)).toBe("");

    const checked = await runCli(["check-config"], env);
    expect(checked.code).toBe(0);
    expect(checked.stdout.split("\n").filter((l) => l.startsWith("ok"))).toEqual(
      expected.map((line) => line.replace(/^store /, "ok      ")),
    );
  }, 90_000);
});
