import { DeleteTableCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import type { AnyCredkitEvent, OutboxEntry } from "@credkit/core";
import { makeRecord } from "@credkit/storage-test-suite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createCredkitTable,
  dynamoDbCounter,
  dynamoDbEventOutbox,
  dynamoDbIdempotencyStore,
  dynamoDbStore,
} from "../src/index.js";
import { localClient, randomTableName } from "./local-client.js";
import { storedWebhook } from "./outbox-fixtures.js";

// What lies in the table after one write of every kind, read back with a raw Scan: the item layout
// the README documents (operators write IAM conditions, queries and clean-ups against it).
describe("dynamodb item layout at rest", () => {
  const client = localClient();
  const tableName = randomTableName();
  beforeAll(() => createCredkitTable(client, tableName));
  afterAll(async () => {
    await client.send(new DeleteTableCommand({ TableName: tableName }));
    client.destroy();
  });

  it("keys and attributes every item as the README's tables say", async () => {
    const record = makeRecord({ lookupHash: "k1.layout-hash" });
    const event = {
      id: "evt_layout",
      type: "credential.created",
      timestamp: "2026-01-02T03:04:05.000Z",
      data: { clientId: record.clientId, credentialId: record.credentialId },
    } as unknown as AnyCredkitEvent;
    const store = dynamoDbStore({ client, tableName });
    await store.create(record, [event]);
    expect(await store.acquireLease("layout", "owner-1", 60_000)).toBe(true);
    const shared = { client, tableName };
    expect(
      await dynamoDbIdempotencyStore(shared).claim("idem-hash", {
        fingerprint: "fp",
        owner: "owner-1",
        inProgressMs: 60_000,
      }),
    ).toBeNull();
    await dynamoDbCounter(shared).hit("rate-key", 60_000);

    const outbox = dynamoDbEventOutbox({ client, tableName });
    await outbox.saveWebhook(storedWebhook("client-w", "wh_1"));
    const entry = (n: number): OutboxEntry => ({
      deliveryId: `dlv_${n}`,
      clientId: "client-w",
      webhookId: "wh_1",
      queue: "wh_1/cred-a",
      event,
      attempts: 0,
      nextAttemptAt: 0,
    });
    await outbox.enqueue([entry(1), entry(2)]);
    const [head] = await outbox.claim("owner-1", 1_000, 5_000, 10);
    const failedAt = new Date(1_000).toISOString();
    expect(
      await outbox.settle(head as OutboxEntry, "owner-1", { outcome: "failed", error: "x", failedAt }),
    ).toBe(true);

    const items =
      (await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }))).Items ?? [];
    const layout = items
      .map((item) => [item.pk?.S, item.sk?.S, Object.keys(item).sort().join(",")])
      .sort((a, b) => `${a[0]} ${a[1]}`.localeCompare(`${b[0]} ${b[1]}`));
    const failedKey = layout.find(([pk]) => pk === "outbox-failed#client-w/wh_1")?.[1] ?? "";
    // The failed delivery's sort key: its time in 15 digits, then this process's sequence in 12.
    expect(failedKey).toMatch(/^000000000001000#\d{12}#dlv_1$/);
    const recordAttributes = "credentialId,data,lookupHash,pk,sk,temporary,version";
    expect(layout).toStrictEqual(
      [
        [record.clientId, `cred#${record.credentialId}`, recordAttributes],
        [record.clientId, "lookup#k1.layout-hash", recordAttributes],
        ["counter#rate-key", "counter", "count,expiresAt,pk,sk,ttl"],
        ["events-pending", `event#2026-01-02T03:04:05.000Z#evt_layout`, "event,pk,sk"],
        ["idempotency#idem-hash", "idempotency", "expiresAt,fingerprint,owner,pk,sk,ttl"],
        ["lease#layout", "lease", "expiresAt,owner,pk,sk,ttl"],
        ["outbox", "queue#wh_1/cred-a", "due,pending,pk,sk"],
        ["outbox-failed#client-w/wh_1", failedKey, "data,pk,sk"],
        ["outbox-queue#wh_1/cred-a", "queue", "entries,ids,pk,sk"],
        ["webhook#client-w", "registry", "ids,pk,sk"],
        ["webhook#client-w", "webhook#wh_1", "data,pk,sk"],
      ].sort((a, b) => `${a[0]} ${a[1]}`.localeCompare(`${b[0]} ${b[1]}`)),
    );
  });
});
