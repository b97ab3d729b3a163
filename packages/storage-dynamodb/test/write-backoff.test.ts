import { DeleteTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { makeRecord } from "@credkit/storage-test-suite";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createCredkitTable, dynamoDbStore } from "../src/index.js";
import { localClient, patientClientConfig, randomTableName } from "./local-client.js";
import { cancelTransactions } from "./request-log.js";

// How long a write waits before it starts over after a lost race: one short jittered pause per retry,
// none before the first attempt. The jitter is pinned to its top (Math.random near 1) and the pauses
// are read from the timers the store sets: the SDK's own timers (connection and request timeouts) are
// a second or more, a race's backoff tens of milliseconds.
describe("dynamodb race backoff", () => {
  const setup = localClient(patientClientConfig);
  const tableName = randomTableName();
  const clients: DynamoDBClient[] = [setup];
  /** A store whose client cancels its next `times` transactions as a lost race. */
  function storeLosing(times: number) {
    const client = localClient(patientClientConfig);
    clients.push(client);
    cancelTransactions(client, times, "TransactionConflict");
    return dynamoDbStore({ client, tableName });
  }
  /** The pauses shorter than a second that `action` waited, with the jitter at its top. */
  async function pausesOf(action: () => Promise<unknown>): Promise<number[]> {
    vi.spyOn(Math, "random").mockReturnValue(0.999);
    const timers = vi.spyOn(globalThis, "setTimeout");
    try {
      await action();
      return timers.mock.calls.map((call) => Number(call[1] ?? 0)).filter((ms) => ms < 1_000);
    } finally {
      vi.restoreAllMocks();
    }
  }

  beforeAll(() => createCredkitTable(setup, tableName));
  afterAll(async () => {
    await setup.send(new DeleteTableCommand({ TableName: tableName }));
    for (const client of clients) client.destroy();
  });

  it("create, update and delete pause 5 to 25 ms before their first retry, and not before their first try", async () => {
    const record = makeRecord();
    const next = { ...record, version: 2, name: "renamed" };
    for (const action of [
      () => storeLosing(1).create(record),
      () => storeLosing(1).update(next, 1),
      () => storeLosing(1).delete(record.clientId, record.credentialId),
    ]) {
      const pauses = await pausesOf(action);
      expect(pauses).toHaveLength(1);
      expect(pauses[0]).toBeGreaterThanOrEqual(5);
      expect(pauses[0]).toBeLessThanOrEqual(25);
    }
    expect(
      await dynamoDbStore({ client: setup, tableName }).get(record.clientId, record.credentialId),
    ).toBeNull();
  });

  it("does not pause a delete that loses no race", async () => {
    const record = makeRecord();
    await dynamoDbStore({ client: setup, tableName }).create(record);
    expect(await pausesOf(() => storeLosing(0).delete(record.clientId, record.credentialId))).toStrictEqual(
      [],
    );
  });

  it("pauses longer before each further retry", async () => {
    const record = makeRecord();
    await dynamoDbStore({ client: setup, tableName }).create(record);
    const pauses = await pausesOf(() => storeLosing(2).delete(record.clientId, record.credentialId));
    expect(pauses).toHaveLength(2);
    expect(pauses[1]).toBeGreaterThan(25);
    expect(pauses[1]).toBeLessThanOrEqual(45);
  });
});
