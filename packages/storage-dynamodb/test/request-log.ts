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
 * Makes the client's `command` requests (e.g. `TransactWriteItemsCommand`) fail with the error
 * `makeError` builds, `times` of them after the first `skip`, before anything reaches the server. Sits
 * in `deserialize`, inside the retry middleware, as {@link failAttempts} does.
 */
export function failCommand(
  client: DynamoDBClient,
  command: string,
  makeError: () => Error,
  { times = 1, skip = 0 }: { times?: number; skip?: number } = {},
): void {
  let seen = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== command) return next(args);
      seen++;
      if (seen <= skip || seen > skip + times) return next(args);
      throw makeError();
    },
    { step: "deserialize", priority: "high" },
  );
}

/**
 * Makes the client's next `times` TransactWriteItems fail as DynamoDB cancels a transaction, with
 * `code` as the first item's reason (after the first `skip`, which go through). DynamoDB Local
 * serialises requests, so a lost race (`TransactionConflict`) never happens there by itself.
 */
export function cancelTransactions(client: DynamoDBClient, times: number, code: string, skip = 0): void {
  failCommand(
    client,
    "TransactWriteItemsCommand",
    () => {
      const error = new Error("Transaction cancelled (injected)");
      error.name = "TransactionCanceledException";
      return Object.assign(error, { CancellationReasons: [{ Code: code }, { Code: "None" }] });
    },
    { times, skip },
  );
}
