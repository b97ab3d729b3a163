import { randomUUID } from "node:crypto";
import {
  type AttributeValue,
  DynamoDBClient,
  type DynamoDBClientConfig,
  ScanCommand,
} from "@aws-sdk/client-dynamodb";
import { inject } from "vitest";
import { recommendedClientConfig } from "../src/index.js";

/** A client of the DynamoDB Local the global setup started; fake credentials, as it ignores them. */
export function localClient(overrides: DynamoDBClientConfig = {}): DynamoDBClient {
  return new DynamoDBClient({
    ...recommendedClientConfig,
    region: "us-east-1",
    endpoint: inject("dynamodbEndpoint"),
    credentials: { accessKeyId: "x", secretAccessKey: "x" },
    ...overrides,
  });
}

/** A table name no other run or test file uses. */
export function randomTableName(): string {
  return `credkit-test-${randomUUID()}`;
}

/** Every item of the table as JSON lines: what lies at rest. */
export async function dumpTable(client: DynamoDBClient, tableName: string): Promise<string> {
  const lines: string[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: tableName, ExclusiveStartKey: start, ConsistentRead: true }),
    );
    for (const item of page.Items ?? []) lines.push(JSON.stringify(item));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return lines.join("\n");
}

/**
 * Client settings for tests that count requests: the recommended 3 s request timeout makes the SDK send
 * a request again on a loaded machine, which a count would read as the store's own extra request.
 */
export const patientClientConfig = {
  requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000, throwOnRequestTimeout: true },
} satisfies DynamoDBClientConfig;
