import { randomBytes, randomUUID } from "node:crypto";
import { createServer as createHttpServer } from "node:http";
import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./child-processes.js";
import { apiClient } from "./support/api-client.js";
import { dynamoDbLocalEnv, startRedis } from "./support/real-servers.js";
import { printedLine, runbookText } from "./support/runbook.js";
import { killServers, startServer } from "./support/server-process.js";

// The silent failures of a misconfigured start: each must stop the process with a message naming the
// cause and what to set, instead of a server that starts and then fails every request (or none). The
// operator runbook (docs/operations.md) must quote each message as it is printed.
const token = "start-refusals-token-0123456789";
const tokens = JSON.stringify([{ token, userId: "ops", clientIds: "*" }]);
let redis: Awaited<ReturnType<typeof startRedis>>;

beforeAll(async () => {
  redis = await startRedis();
}, 120_000);
afterAll(async () => {
  killServers();
  await redis?.stop();
});

/** Starts the server expecting it to refuse; resolves with what it printed (exit code included). */
async function refusedStart(env: Record<string, string>): Promise<string> {
  const error = await startServer(env).then(
    () => {
      throw new Error("the server started");
    },
    (e: Error) => e,
  );
  return error.message;
}

async function listening(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as { port: number }).port;
}

describe("a start that cannot work is refused", () => {
  it("exits 1 naming the busy API port and PORT (Express 5 hands the bind error to its callback)", async () => {
    const holder = createServer();
    const port = await listening(holder);
    try {
      const output = await refusedStart({ HOST: "127.0.0.1", PORT: String(port) });
      expect(output).toContain("exited with 1");
      expect(output).toContain(`127.0.0.1 port ${port} is already in use (EADDRINUSE)`);
      expect(output).toContain("set PORT");
      expect(output).not.toContain("credkit listening");
      // The runbook's example is for port 3000.
      const line = printedLine(output, "is already in use").replace(`port ${port}`, "port 3000");
      expect(runbookText()).toContain(line.slice(line.indexOf("credkit: ")));
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  }, 60_000);

  it("exits 1 naming the busy data-plane port and CREDKIT_AUTHZ_PORT", async () => {
    const holder = createServer();
    const port = await listening(holder);
    try {
      const output = await refusedStart({ CREDKIT_AUTHZ_PORT: String(port) });
      expect(output).toContain("exited with 1");
      expect(output).toContain(`127.0.0.1 port ${port} is already in use (EADDRINUSE)`);
      expect(output).toContain("set CREDKIT_AUTHZ_PORT");
      expect(output).not.toContain("credkit authz listening");
      expect(output).not.toContain("credkit listening");
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  }, 60_000);

  it("refuses a keyring lacking the key id the stored records were sealed with, in the server and check-config", async () => {
    const key = randomBytes(32).toString("base64");
    const prefix = `refusals-${randomUUID().slice(0, 8)}:`;
    const store = {
      CREDKIT_STORAGE: "redis",
      CREDKIT_REDIS_URL: redis.url,
      CREDKIT_REDIS_KEY_PREFIX: prefix,
      CREDKIT_REGIONS: "*",
    };
    // An embedding service's keyring names its key "prod-1"; the server given the same key as
    // CREDKIT_MASTER_KEY derives another id, so nothing stored would open.
    const sealer = await startServer({
      ...store,
      CREDKIT_USER_TOKENS: tokens,
      CREDKIT_KEYRING: JSON.stringify([{ id: "prod-1", key }]),
    });
    const created = await apiClient(sealer.url, token)("POST", "/api/clients/acme/credentials", {
      credentialName: "gateway",
      credentialType: "proxy",
      authType: "apiKey",
      region: "eu-west-1",
      secret: { keyName: "X-Api-Key", keyValue: `value-${randomUUID()}` },
    });
    expect(created.status).toBe(201);
    expect(await sealer.stop()).toBe(0);

    const mismatched = { ...store, CREDKIT_USER_TOKENS: tokens, CREDKIT_MASTER_KEY: key };
    const output = await refusedStart(mismatched);
    expect(output).toContain("exited with 2");
    expect(output).toContain('sealed with key id(s) "prod-1", which the keyring lacks');
    const line = printedLine(output, "which the keyring lacks");
    expect(runbookText()).toContain(line.slice(line.indexOf("credkit: "), line.indexOf('(it holds "') + 11));
    expect(output).toContain("CREDKIT_KEYRING");
    expect(output).not.toContain(key);

    const checked = await runCli(["check-config"], mismatched);
    expect(checked.code).toBe(1);
    expect(checked.stdout).toContain('sealed with key id(s) "prod-1", which the keyring lacks');
    expect(checked.stdout).not.toContain(key);

    // The right keyring starts.
    const right = await startServer({
      ...store,
      CREDKIT_USER_TOKENS: tokens,
      CREDKIT_KEYRING: JSON.stringify([{ id: "prod-1", key }]),
    });
    expect(await right.stop()).toBe(0);
  }, 90_000);

  it("refuses a DynamoDB endpoint that answers 200 {} but is not DynamoDB", async () => {
    const impostor = createHttpServer((_req, res) => res.writeHead(200).end("{}"));
    await new Promise<void>((resolve) => impostor.listen(0, "127.0.0.1", resolve));
    const endpoint = `http://127.0.0.1:${(impostor.address() as { port: number }).port}`;
    try {
      const env = {
        ...dynamoDbLocalEnv,
        CREDKIT_STORAGE: "dynamodb",
        CREDKIT_DYNAMODB_TABLE: "credkit-impostor",
        CREDKIT_DYNAMODB_ENDPOINT: endpoint,
        CREDKIT_MASTER_KEY: randomBytes(32).toString("base64"),
      };
      const output = await refusedStart(env);
      expect(output).toContain("exited with 2");
      expect(output).toContain("not as DynamoDB does");
      const line = printedLine(output, "not as DynamoDB does");
      expect(runbookText()).toContain(
        line.slice(line.indexOf("the endpoint answered"), line.indexOf(":", line.indexOf("(no "))),
      );
      expect(output).toContain("CREDKIT_DYNAMODB_ENDPOINT");
      const checked = await runCli(["check-config"], env);
      expect(checked.code).toBe(1);
      expect(checked.stdout).toMatch(/failed .*credkit-impostor/);
    } finally {
      await new Promise((resolve) => impostor.close(resolve));
    }
  }, 60_000);
});
