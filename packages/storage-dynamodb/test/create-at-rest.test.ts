import { DeleteTableCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { makeEvent, makeRecord } from "@credkit/storage-test-suite";
import { expect, it } from "vitest";
import { createCredkitTable, dynamoDbStore } from "../src/index.js";
import { localClient, randomTableName } from "./local-client.js";

// What a create leaves at rest when it takes the transaction path for its events alone: a record
// without a lookup hash has no lookup item (a `lookup#null` one would be a stray copy of the record).
it("writes no lookup item for a record without a lookup hash created with events", async () => {
  const client = localClient();
  const tableName = randomTableName();
  try {
    await createCredkitTable(client, tableName);
    const record = makeRecord({ credentialType: "target", authType: "custom", lookupHash: null });
    await dynamoDbStore({ client, tableName }).create(record, [makeEvent("credential.created", record)]);
    const items =
      (await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }))).Items ?? [];
    const keys = items.map((item) => `${item.pk?.S} ${(item.sk?.S ?? "").split("#")[0]}`).sort();
    expect(keys).toStrictEqual([`${record.clientId} cred`, "events-pending event"]);
  } finally {
    await client.send(new DeleteTableCommand({ TableName: tableName }));
    client.destroy();
  }
});
