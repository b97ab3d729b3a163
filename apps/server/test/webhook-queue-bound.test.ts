import { randomBytes } from "node:crypto";
import { MAX_ENTRIES_PER_QUEUE } from "@credkit/core";
import { startWebhookReceiver, type WebhookReceiver } from "@credkit/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient } from "./support/api-client.js";
import { dynamoDbLocalEnv, startDynamoDbLocal } from "./support/real-servers.js";
import { killServers, type ServerProcess, startServer } from "./support/server-process.js";

const token = "webhook-bound-token-0123456789ab";
// A name of 256 three-byte characters: the largest event one update can make, so the fewest updates
// fill a DynamoDB queue item (400 KB) when nothing bounds a queue.
const bigName = (n: number) => `${n}`.padEnd(256, "€");
// Past the ~330 such entries one DynamoDB queue item holds: without a bound, this many updates made
// every later enqueue of the relay's batch fail, and the relay stopped for every client of the store.
const updates = 360;

let dynamo: Awaited<ReturnType<typeof startDynamoDbLocal>> | undefined;
let server: ServerProcess | undefined;
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  dynamo = await startDynamoDbLocal();
  server = await startServer({
    ...dynamoDbLocalEnv,
    CREDKIT_STORAGE: "dynamodb",
    CREDKIT_DYNAMODB_TABLE: `credkit-bound-${randomBytes(4).toString("hex")}`,
    CREDKIT_DYNAMODB_ENDPOINT: dynamo.endpoint,
    CREDKIT_DYNAMODB_CREATE_TABLE: "true",
    CREDKIT_REGIONS: "*",
    CREDKIT_MASTER_KEY: randomBytes(32).toString("base64"),
    CREDKIT_USER_TOKENS: JSON.stringify([{ token, userId: "ops", clientIds: "*" }]),
    CREDKIT_OUTBOUND_ALLOW_HOSTS: "127.0.0.1",
    CREDKIT_RATE_LIMIT_PER_MINUTE: "0",
    // A failed attempt waits an hour: the dead receiver's queue only grows while the test runs.
    CREDKIT_WEBHOOK_RETRY_BASE_MS: "3600000",
    CREDKIT_WEBHOOK_POLL_MS: "200",
  });
}, 180_000);

afterAll(async () => {
  await server?.stop();
  killServers();
  await Promise.all(receivers.map((r) => r.stop()));
  await dynamo?.stop();
});

async function receiver() {
  const started = await startWebhookReceiver();
  receivers.push(started);
  return started;
}

describe("a receiver that never answers 2xx (one client) on DynamoDB", () => {
  it("fills its own queue only: past the bound its events fail at once (queue_full), other clients' events still go out", async () => {
    const api = apiClient((server as ServerProcess).url, token);
    const dead = await receiver();
    dead.answer(() => 503);
    const noisyHook = await api("POST", "/api/clients/noisy/webhooks", {
      url: dead.url,
      eventTypes: ["credential.updated"],
    });
    expect(noisyHook.status).toBe(201);
    const created = await api("POST", "/api/clients/noisy/credentials", {
      credentialName: bigName(0),
      credentialType: "proxy",
      authType: "apiKey",
      region: "eu-west-1",
      secret: { keyName: "X-Api-Key", keyValue: randomBytes(16).toString("hex") },
    });
    expect(created.status).toBe(201);
    const path = `/api/clients/noisy/credentials/${created.body.credentials[0].credentialId}`;
    for (let n = 1; n <= updates; n++) {
      expect((await api("PUT", path, { credentialName: bigName(n) })).status).toBe(200);
    }

    // Another client, a receiver that answers: its event is not held behind the noisy client's.
    const live = await receiver();
    const quietHook = await api("POST", "/api/clients/quiet/webhooks", {
      url: live.url,
      eventTypes: ["credential.created"],
    });
    const quiet = await api("POST", "/api/clients/quiet/credentials", {
      credentialName: "quiet key",
      credentialType: "proxy",
      authType: "bearer",
      region: "eu-west-1",
      secret: { token: randomBytes(16).toString("hex") },
    });
    expect(quiet.status).toBe(201);
    await live.waitFor(1, 60_000);
    const [event] = live.verified(quietHook.body.webhooks[0].signingSecret) as {
      data: { clientId: string };
    }[];
    expect(event?.data.clientId).toBe("quiet");

    // The noisy queue keeps its first MAX_ENTRIES_PER_QUEUE events (the head waits for its retry);
    // each later one is failed at once, listed with the class `queue_full` and no attempt made.
    const failed = await api(
      "GET",
      `/api/clients/noisy/webhooks/${noisyHook.body.webhooks[0].webhookId}/failed-deliveries`,
    );
    expect(failed.status).toBe(200);
    const deliveries = failed.body.deliveries as { lastError: string; attempts: number }[];
    expect(deliveries).toHaveLength(Math.min(100, updates - MAX_ENTRIES_PER_QUEUE));
    expect(new Set(deliveries.map((d) => `${d.lastError}/${d.attempts}`))).toEqual(new Set(["queue_full/0"]));
    // The dead receiver was asked once (its first event); the rest wait behind that head.
    expect(dead.received).toHaveLength(1);
  }, 240_000);
});
