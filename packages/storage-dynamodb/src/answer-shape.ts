import type { ConsumedCapacity } from "@aws-sdk/client-dynamodb";
import { storageUnavailable } from "@credkit/core";
import { type StoreContext, storeName } from "./context.js";

/**
 * Asks DynamoDB to report the capacity a request consumed. Every DynamoDB (AWS and DynamoDB Local)
 * then answers with `ConsumedCapacity` naming the table, which an HTTP service that merely answers
 * 200 `{}` does not: the SDK would read that `{}` as a successful write that stored nothing.
 */
export const withConsumedCapacity = { ReturnConsumedCapacity: "TOTAL" } as const;

/** The name of the error {@link confirmAnswer} throws, for an operator's explanation of a failed start. */
export const notDynamoDbName = "NotDynamoDbAnswer";

/**
 * Throws STORAGE_UNAVAILABLE unless `output` (of a request sent {@link withConsumedCapacity}) reports
 * the capacity this table consumed: a 2xx without it did not come from DynamoDB, and nothing can be
 * assumed stored. Checked on the ping and on every write that reports success from its answer alone.
 */
export function confirmAnswer(
  ctx: StoreContext,
  output: { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] | undefined },
  operation: string,
): void {
  const reported = output.ConsumedCapacity;
  const entries = Array.isArray(reported) ? reported : [reported];
  if (entries.some((entry) => entry?.TableName === ctx.tableName)) return;
  const error = new Error(
    `The endpoint answered ${operation} on table "${ctx.tableName}" with success but without DynamoDB's ConsumedCapacity: it is not DynamoDB, and nothing can be assumed stored`,
  );
  error.name = notDynamoDbName;
  throw storageUnavailable(storeName, error);
}
