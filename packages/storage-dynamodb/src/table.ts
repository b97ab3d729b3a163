import {
  type BillingMode,
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import { storageUnavailable } from "@credkit/core";
import { storeName } from "./context.js";
import { ttlAttribute } from "./keys.js";

/** Options of {@link createCredkitTable}. */
export interface CreateCredkitTableOptions {
  /** `PAY_PER_REQUEST` (default: no capacity planning, no throttling below the table's limits) or `PROVISIONED`. */
  billingMode?: BillingMode;
  /** Read and write capacity units when `billingMode` is `PROVISIONED`. Default 5 each. */
  provisionedThroughput?: { readCapacityUnits: number; writeCapacityUnits: number };
  /** Seconds to wait for the table to become ACTIVE. Default 120. */
  maxWaitSeconds?: number;
}

/**
 * Creates credkit's table — `pk` (S) hash key, `sk` (S) range key — waits until it is ACTIVE, and turns
 * on TTL on the `ttl` attribute. A no-op for a table that already exists (its schema is not checked).
 * Failures throw STORAGE_UNAVAILABLE with the SDK error as `cause`.
 */
export async function createCredkitTable(
  client: DynamoDBClient,
  tableName: string,
  options: CreateCredkitTableOptions = {},
): Promise<void> {
  if (await tableExists(client, tableName)) return;
  const billingMode = options.billingMode ?? "PAY_PER_REQUEST";
  const throughput = options.provisionedThroughput ?? { readCapacityUnits: 5, writeCapacityUnits: 5 };
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [
          { AttributeName: "pk", AttributeType: "S" },
          { AttributeName: "sk", AttributeType: "S" },
        ],
        KeySchema: [
          { AttributeName: "pk", KeyType: "HASH" },
          { AttributeName: "sk", KeyType: "RANGE" },
        ],
        BillingMode: billingMode,
        ...(billingMode === "PROVISIONED"
          ? {
              ProvisionedThroughput: {
                ReadCapacityUnits: throughput.readCapacityUnits,
                WriteCapacityUnits: throughput.writeCapacityUnits,
              },
            }
          : {}),
      }),
    );
  } catch (error) {
    // Another process created it between our DescribeTable and CreateTable: theirs will do.
    if ((error as { name?: string }).name !== "ResourceInUseException")
      throw storageUnavailable(storeName, error);
  }
  try {
    // minDelay 1: the waiter's default of 20 s would make every fresh table cost 20 s.
    await waitUntilTableExists(
      { client, minDelay: 1, maxDelay: 5, maxWaitTime: options.maxWaitSeconds ?? 120 },
      { TableName: tableName },
    );
    await enableTtl(client, tableName);
  } catch (error) {
    throw storageUnavailable(storeName, error);
  }
}

async function tableExists(client: DynamoDBClient, tableName: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return true;
  } catch (error) {
    if ((error as { name?: string }).name === "ResourceNotFoundException") return false;
    throw storageUnavailable(storeName, error);
  }
}

async function enableTtl(client: DynamoDBClient, tableName: string): Promise<void> {
  if (await ttlEnabled(client, tableName)) return;
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true },
      }),
    );
  } catch (error) {
    // A concurrent creator enabled it between our two calls; enabling twice is a ValidationException.
    if (!(await ttlEnabled(client, tableName))) throw error;
  }
}

async function ttlEnabled(client: DynamoDBClient, tableName: string): Promise<boolean> {
  const current = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
  // Stryker disable next-line OptionalChaining: DescribeTimeToLive always answers a TimeToLiveDescription
  const status = current.TimeToLiveDescription?.TimeToLiveStatus;
  return status === "ENABLED" || status === "ENABLING";
}
