import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";

/**
 * Records the operation name (`GetItem`, `TransactWriteItems`, ...) of every HTTP attempt the client
 * makes. The middleware sits in `finalizeRequest` below the SDK's retry middleware, so each retry of a
 * request is counted too: that is what DynamoDB bills and what a throttled table sees.
 */
export function logRequests(client: DynamoDBClient): string[] {
  const log: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      log.push(String(context.commandName).replace(/Command$/, ""));
      return next(args);
    },
    { step: "finalizeRequest", priority: "low", name: "credkitRequestLog" },
  );
  return log;
}

/**
 * Makes the client's next `failures` attempts fail the way a throttled DynamoDB answers, with the
 * error `makeError` builds, before anything reaches the server. Sits in `deserialize`, inside the retry
 * middleware and {@link logRequests}, so the SDK classifies, counts and retries these as real ones.
 */
export function failAttempts(client: DynamoDBClient, failures: number, makeError: () => Error): void {
  let left = failures;
  client.middlewareStack.add(
    (next) => async (args) => {
      if (left > 0) {
        left--;
        throw makeError();
      }
      return next(args);
    },
    { step: "deserialize", priority: "high", name: "credkitFailAttempts" },
  );
}

/**
 * Makes the client's next `times` TransactWriteItems fail as DynamoDB cancels a transaction, with
 * `code` as the first item's reason. DynamoDB Local serialises requests, so a lost race
 * (`TransactionConflict`) never happens there by itself.
 */
export function cancelTransactions(client: DynamoDBClient, times: number, code: string): void {
  let left = times;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== "TransactWriteItemsCommand" || left <= 0) return next(args);
      left--;
      const error = new Error("Transaction cancelled (injected)");
      error.name = "TransactionCanceledException";
      Object.assign(error, { CancellationReasons: [{ Code: code }, { Code: "None" }] });
      throw error;
    },
    { step: "deserialize", priority: "high", name: "credkitCancelTransactions" },
  );
}
