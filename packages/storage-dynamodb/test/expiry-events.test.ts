import { randomBytes, randomUUID } from "node:crypto";
import { DeleteTableCommand } from "@aws-sdk/client-dynamodb";
import {
  type Actor,
  type AnyCredkitEvent,
  type CredentialService,
  createCredentialService,
  createKeyring,
} from "@credkit/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCredkitTable, dynamoDbStore } from "../src/index.js";
import { localClient, randomTableName } from "./local-client.js";

const DAY = 24 * 60 * 60 * 1000;
const admin: Actor = { userId: "ops", clientIds: "*" };

// Three services, each with its own client of one DynamoDB Local table: three processes as far as the
// table can tell. One clock drives the services and the stores; the marker leases live in the table.
describe("expiry events across processes on one DynamoDB table", () => {
  const tableName = randomTableName();
  const clients = [localClient(), localClient(), localClient()];
  const keyring = createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] });
  let at = Date.now();
  const now = () => at;
  const events: AnyCredkitEvent[] = [];
  const services: CredentialService[] = clients.map((client) => {
    const service = createCredentialService({
      regions: { "eu-west-1": dynamoDbStore({ client, tableName, now }) },
      keyring,
      defaultRegion: "eu-west-1",
      now,
      nearCache: { ttlMs: 0 },
    });
    service.events.subscribe(["credential.expiring", "credential.expired"], (event) => events.push(event));
    return service;
  });

  beforeAll(() => createCredkitTable(clients[0] as (typeof clients)[number], tableName));
  afterAll(async () => {
    await clients[0]?.send(new DeleteTableCommand({ TableName: tableName }));
    for (const client of clients) client.destroy();
  });

  it("emit exactly one credential.expiring per threshold and one credential.expired, however many sweep", async () => {
    const clientId = `c-${randomUUID()}`;
    const keyValue = `key-${randomUUID()}`;
    const created = await services[0]?.create(admin, clientId, {
      credentialName: "expiring",
      credentialType: "proxy",
      authType: "apiKey",
      secret: { keyName: "X-Api-Key", keyValue },
      expiresAt: new Date(at + 8 * DAY).toISOString(),
    });
    const mine = () =>
      events
        .filter((e) => e.data.credentialId === created?.credentialId)
        .map((e) => (e.type === "credential.expiring" ? `expiring ${e.data.leadSeconds}` : e.type));
    // Every process sweeps three times at each step, all at once.
    const sweepEverywhere = () =>
      Promise.all(services.flatMap((service) => [1, 2, 3].map(() => service.sweepExpiries())));
    await sweepEverywhere();
    expect(mine()).toEqual([]);
    for (const step of [DAY, 6 * DAY, DAY, 10 * DAY]) {
      at += step;
      await sweepEverywhere();
    }
    expect(mine()).toEqual(["expiring 604800", "expiring 86400", "credential.expired"]);
    for (const service of services) {
      const verdict = await service.verifyProxyRequest(admin, clientId, {
        headers: { "x-api-key": keyValue },
      });
      expect(verdict).toEqual({ ok: false, reason: "EXPIRED" });
    }
  });
});
