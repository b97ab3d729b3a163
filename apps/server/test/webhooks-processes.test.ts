import { randomBytes } from "node:crypto";
import {
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from "@aws-sdk/client-dynamodb";
import { startWebhookReceiver, type WebhookReceiver } from "@credkit/test-support";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient } from "./support/api-client.js";
import { dynamoDbLocalEnv, startDynamoDbLocal, startRedis } from "./support/real-servers.js";
import { killServers, type ServerProcess, startServer, waitFor } from "./support/server-process.js";

const token = "webhook-process-token-0123456789";
const receivers: WebhookReceiver[] = [];

/**
 * A shared store the server processes keep their outbox in, and a raw look at that outbox: whether it
 * is empty (nothing more can be delivered) and how many attempts its first queue's head has had.
 */
interface OutboxBackend {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The variables of a server on this backend, isolated by `tag` (a key prefix, a table). */
  env(tag: string): Record<string, string>;
  empty(tag: string): Promise<boolean>;
  headAttempts(tag: string): Promise<number | null>;
  /** How many events the store holds with their changes, not yet relayed to the outbox. */
  pendingEvents(tag: string): Promise<number>;
  /**
   * Takes the event relay's store lease for the test (as a process that froze would hold it), so no
   * server process can move a stored event to the outbox until {@link OutboxBackend.thaw}.
   */
  freezeRelay(tag: string): Promise<void>;
  thaw(tag: string): Promise<void>;
}

// The store lease of core's event relay (EVENT_RELAY_LEASE), as each store keeps it.
const relayLease = "event-relay";

function redisBackend(): OutboxBackend {
  const leaseKey = (tag: string) => `${tag}:{lease:${Buffer.from(relayLease).toString("base64url")}}`;
  let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
  let raw: Redis | undefined;
  const connection = () => raw as Redis;
  return {
    async start() {
      redis = await startRedis();
      raw = new Redis(redis.url);
    },
    async stop() {
      raw?.disconnect();
      await redis?.stop();
    },
    env: (tag) => ({
      CREDKIT_STORAGE: "redis",
      CREDKIT_REDIS_URL: redis?.url ?? "",
      CREDKIT_REDIS_KEY_PREFIX: `${tag}:`,
    }),
    empty: async (tag) => (await connection().zcard(`${tag}:{events}:due`)) === 0,
    async headAttempts(tag) {
      const queues = await connection().zrange(`${tag}:{events}:due`, "0", "-1");
      const head = queues[0] ? await connection().lindex(`${tag}:{events}:q:${queues[0]}`, 0) : null;
      return head === null ? null : (JSON.parse(head) as { attempts: number }).attempts;
    },
    async pendingEvents(tag) {
      let count = 0;
      for (const clientId of await connection().zrange(`${tag}:{events}:pending-clients`, "0", "-1")) {
        count += await connection().llen(`${tag}:{c:${Buffer.from(clientId).toString("base64url")}}:events`);
      }
      return count;
    },
    async freezeRelay(tag) {
      await connection().set(leaseKey(tag), "frozen-by-test", "PX", 120_000);
    },
    async thaw(tag) {
      await connection().del(leaseKey(tag));
    },
  };
}

function dynamoDbBackend(): OutboxBackend {
  const leaseItemKey = { pk: { S: `lease#${relayLease}` }, sk: { S: "lease" } };
  let dynamo: Awaited<ReturnType<typeof startDynamoDbLocal>> | undefined;
  let client: DynamoDBClient | undefined;
  const table = (tag: string) => `credkit-${tag}`;
  /** The queue index items of the outbox (one partition, `outbox`). */
  const queues = async (tag: string) =>
    (
      await (client as DynamoDBClient).send(
        new QueryCommand({
          TableName: table(tag),
          KeyConditionExpression: "pk = :pk",
          ExpressionAttributeValues: { ":pk": { S: "outbox" } },
          ConsistentRead: true,
        }),
      )
    ).Items ?? [];
  return {
    async start() {
      dynamo = await startDynamoDbLocal();
      client = new DynamoDBClient({
        region: "us-east-1",
        endpoint: dynamo.endpoint,
        credentials: { accessKeyId: "local", secretAccessKey: "local" },
      });
    },
    async stop() {
      client?.destroy();
      await dynamo?.stop();
    },
    env: (tag) => ({
      ...dynamoDbLocalEnv,
      CREDKIT_STORAGE: "dynamodb",
      CREDKIT_DYNAMODB_TABLE: table(tag),
      CREDKIT_DYNAMODB_ENDPOINT: dynamo?.endpoint ?? "",
      CREDKIT_DYNAMODB_CREATE_TABLE: "true",
    }),
    empty: async (tag) => (await queues(tag)).length === 0,
    async headAttempts(tag) {
      const queue = (await queues(tag))[0]?.sk?.S?.slice("queue#".length);
      if (queue === undefined) return null;
      const content = await (client as DynamoDBClient).send(
        new GetItemCommand({
          TableName: table(tag),
          Key: { pk: { S: `outbox-queue#${queue}` }, sk: { S: "queue" } },
          ConsistentRead: true,
        }),
      );
      const head = content.Item?.entries?.L?.[0]?.S;
      return head === undefined ? null : (JSON.parse(head) as { attempts: number }).attempts;
    },
    async pendingEvents(tag) {
      const found = await (client as DynamoDBClient).send(
        new QueryCommand({
          TableName: table(tag),
          KeyConditionExpression: "pk = :pk",
          ExpressionAttributeValues: { ":pk": { S: "events-pending" } },
          ConsistentRead: true,
        }),
      );
      return found.Items?.length ?? 0;
    },
    async freezeRelay(tag) {
      const until = Date.now() + 120_000;
      await (client as DynamoDBClient).send(
        new PutItemCommand({
          TableName: table(tag),
          Item: {
            ...leaseItemKey,
            owner: { S: "frozen-by-test" },
            expiresAt: { N: String(until) },
            ttl: { N: String(Math.ceil(until / 1000)) },
          },
        }),
      );
    },
    async thaw(tag) {
      await (client as DynamoDBClient).send(
        new DeleteItemCommand({ TableName: table(tag), Key: leaseItemKey }),
      );
    },
  };
}

afterAll(async () => {
  killServers();
  await Promise.all(receivers.map((r) => r.stop()));
});

async function receiver() {
  const started = await startWebhookReceiver();
  receivers.push(started);
  return started;
}

const apiKey = (keyValue: string) => ({
  credentialName: "partner",
  credentialType: "proxy",
  authType: "apiKey",
  region: "eu-west-1",
  secret: { keyName: "X-Api-Key", keyValue },
});

/** Deliveries the receiver accepted (2xx), verified with `standardwebhooks`. */
function accepted(hook: WebhookReceiver, secret: string) {
  const payloads = hook.verified(secret) as { id: string; type: string; data: { credentialId: string } }[];
  return payloads.filter((_, i) => (hook.received[i]?.status ?? 500) < 300);
}

// Two server processes and a JVM on a loaded 2-core machine: each case gets two minutes.
describe.each([
  ["Redis", redisBackend()],
  ["DynamoDB", dynamoDbBackend()],
] as const)("webhooks across server processes on one %s", (_name, backend) => {
  // DynamoDB Local's JVM can take most of a minute to answer on a loaded machine.
  beforeAll(() => backend.start(), 180_000);
  afterAll(() => backend.stop());

  /** A server on the shared backend, isolated by `tag`, allowed to reach the loopback receivers. */
  const env = (tag: string, masterKey: string) => ({
    ...backend.env(tag),
    CREDKIT_REGIONS: "*",
    CREDKIT_MASTER_KEY: masterKey,
    CREDKIT_USER_TOKENS: JSON.stringify([{ token, userId: "ops", clientIds: "*" }]),
    CREDKIT_OUTBOUND_ALLOW_HOSTS: "127.0.0.1",
    CREDKIT_WEBHOOK_RETRY_BASE_MS: "200",
    // Each process also starts a pass at once after its own change; the poll is for the other's.
    CREDKIT_WEBHOOK_POLL_MS: "250",
  });

  it("two processes deliver each event exactly once, signed, with no secret in any payload", async () => {
    const prefix = `wh2-${randomBytes(4).toString("hex")}`;
    const shared = env(prefix, randomBytes(32).toString("base64"));
    const servers = await Promise.all([startServer(shared), startServer(shared)]);
    const api = (i: number) => apiClient((servers[i % 2] as ServerProcess).url, token);
    const hook = await receiver();
    const created = await api(0)("POST", "/api/clients/acme/webhooks", {
      url: hook.url,
      eventTypes: ["credential.created", "credential.deleted"],
    });
    expect(created.status).toBe(201);
    const { signingSecret } = created.body.webhooks[0];

    const secrets = Array.from({ length: 12 }, () => randomBytes(16).toString("hex"));
    const ids = await Promise.all(
      secrets.map(async (secret, i) => {
        const res = await api(i)("POST", "/api/clients/acme/credentials", apiKey(secret));
        expect(res.status).toBe(201);
        return res.body.credentials[0].credentialId as string;
      }),
    );
    for (const [i, id] of ids.slice(0, 4).entries()) {
      expect((await api(i + 1)("DELETE", `/api/clients/acme/credentials/${id}`)).status).toBe(200);
    }
    await hook.waitFor(16);
    // Once the outbox is empty nothing more can come: the count is final.
    await waitFor(() => backend.empty(prefix), 20_000, "an empty outbox");
    const payloads = accepted(hook, signingSecret);
    expect(hook.received).toHaveLength(16);
    expect(new Set(payloads.map((p) => p.id)).size).toBe(16);
    expect(
      payloads
        .filter((p) => p.type === "credential.created")
        .map((p) => p.data.credentialId)
        .sort(),
    ).toEqual([...ids].sort());
    // In order per credential: each deleted credential's `created` came before its `deleted`.
    for (const id of ids.slice(0, 4)) {
      expect(payloads.filter((p) => p.data.credentialId === id).map((p) => p.type)).toEqual([
        "credential.created",
        "credential.deleted",
      ]);
    }
    const everything = JSON.stringify(hook.received);
    for (const secret of secrets) expect(everything).not.toContain(secret);
    const listed = await api(1)("GET", "/api/clients/acme/webhooks");
    expect(JSON.stringify(listed.body)).not.toContain(signingSecret);
    await Promise.all(servers.map((s) => s.stop()));
  }, 120_000);

  it("an event whose process is SIGKILLed before delivering is delivered by the next process, once", async () => {
    const prefix = `whk-${randomBytes(4).toString("hex")}`;
    // The retry waits 1.5-3 s: the crash comes well before the first process could try again.
    const shared = {
      ...env(prefix, randomBytes(32).toString("base64")),
      CREDKIT_WEBHOOK_RETRY_BASE_MS: "3000",
    };
    const first = await startServer(shared);
    const hook = await receiver();
    let up = false;
    hook.answer(() => (up ? 200 : 503));
    const created = await apiClient(first.url, token)("POST", "/api/clients/acme/webhooks", {
      url: hook.url,
      eventTypes: ["credential.created"],
    });
    const { signingSecret } = created.body.webhooks[0];
    const credential = await apiClient(first.url, token)(
      "POST",
      "/api/clients/acme/credentials",
      apiKey(randomBytes(16).toString("hex")),
    );
    expect(credential.status).toBe(201);
    // The first attempt was refused and recorded as such (the retry is due later): now the crash.
    await hook.waitFor(1);
    await waitFor(
      async () => (await backend.headAttempts(prefix)) === 1,
      10_000,
      "the refused attempt to be recorded",
    );
    first.child.kill("SIGKILL");
    await new Promise((resolve) => first.child.once("exit", resolve));
    up = true;
    const second = await startServer(shared);
    await hook.waitFor(2);
    await waitFor(() => backend.empty(prefix), 20_000, "an empty outbox");
    const payloads = accepted(hook, signingSecret);
    expect(payloads).toHaveLength(1);
    expect(payloads[0]).toMatchObject({
      type: "credential.created",
      data: { credentialId: credential.body.credentials[0].credentialId },
    });
    expect(hook.received.map((r) => r.status)).toEqual([503, 200]);
    expect(new Set(hook.received.map((r) => r.headers["webhook-id"]))).toEqual(new Set([payloads[0]?.id]));
    await second.stop();
  }, 120_000);

  it("a change acknowledged by a process SIGKILLed before any outbox write is delivered once after restart", async () => {
    const prefix = `whf-${randomBytes(4).toString("hex")}`;
    const shared = env(prefix, randomBytes(32).toString("base64"));
    const first = await startServer(shared);
    const hook = await receiver();
    const created = await apiClient(first.url, token)("POST", "/api/clients/acme/webhooks", {
      url: hook.url,
      eventTypes: ["credential.created"],
    });
    const { signingSecret } = created.body.webhooks[0];
    // No process may move a stored event to the outbox: the change is acknowledged, then the process
    // dies, and no write after the change's own could have happened.
    await backend.freezeRelay(prefix);
    const credential = await apiClient(first.url, token)(
      "POST",
      "/api/clients/acme/credentials",
      apiKey(randomBytes(16).toString("hex")),
    );
    expect(credential.status).toBe(201);
    // The event came with the change, in the same atomic write; the outbox has nothing yet.
    expect(await backend.pendingEvents(prefix)).toBe(1);
    expect(await backend.empty(prefix)).toBe(true);
    first.child.kill("SIGKILL");
    await new Promise((resolve) => first.child.once("exit", resolve));
    expect(hook.received).toHaveLength(0);

    await backend.thaw(prefix);
    const second = await startServer(shared);
    await hook.waitFor(1);
    await waitFor(async () => (await backend.pendingEvents(prefix)) === 0, 20_000, "an empty event log");
    await waitFor(() => backend.empty(prefix), 20_000, "an empty outbox");
    const payloads = accepted(hook, signingSecret);
    expect(payloads).toHaveLength(1);
    expect(hook.received).toHaveLength(1);
    expect(payloads[0]).toMatchObject({
      type: "credential.created",
      data: { credentialId: credential.body.credentials[0].credentialId },
    });
    await second.stop();
  }, 120_000);
});
