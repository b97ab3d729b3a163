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
