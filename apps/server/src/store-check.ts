import { type CredentialStore, CredkitError } from "@credkit/core";
import { notDynamoDbName } from "@credkit/storage-dynamodb";
import type { StorageConfig } from "./config-schema.js";
import { describeStorage, regionList, type StoreGroup, storeGroups } from "./store-groups.js";

/** The innermost cause of an error: the SDK's or the socket's own error, under the store's wrapper. */
function rootCause(error: unknown): { name?: string; code?: string } {
  let current = error as { cause?: unknown } | undefined;
  for (let depth = 0; depth < 10 && current?.cause !== undefined; depth++) {
    current = current.cause as { cause?: unknown };
  }
  if (typeof current !== "object" || current === null) return {};
  const { name, code, errors } = current as { name?: unknown; code?: unknown; errors?: unknown[] };
  // A connect attempt to several addresses (AggregateError) carries the codes in its errors.
  const inner = (errors?.[0] as { code?: unknown } | undefined)?.code;
  const found = typeof code === "string" ? code : typeof inner === "string" ? inner : undefined;
  return {
    ...(typeof name === "string" ? { name } : {}),
    ...(found ? { code: found } : {}),
  };
}

/**
 * Why a store failed its start check, and what the operator can set about it. `seenCode` is the last
 * connection error code the store's client reported (a Redis client's ping fails with "retries ran out",
 * the socket's ECONNREFUSED having gone to its error event).
 */
export function explainFailure(storage: StorageConfig, error: unknown, seenCode?: string | null): string {
  const root = rootCause(error);
  const cause = { ...root, ...(root.code === undefined && seenCode ? { code: seenCode } : {}) };
  const what = cause.code ?? cause.name ?? "error";
  if (cause.name === "ResourceNotFoundException" && storage.storage === "dynamodb") {
    // A table lives in one AWS region: the same name in another region (or another DynamoDB Local
    // database) is another table, so the message names where it was looked for.
    const region = storage.region ?? "the AWS profile's region";
    const endpoint = storage.endpoint ? "this endpoint" : "AWS";
    return `the table "${storage.table}" does not exist in ${region} at ${endpoint} (ResourceNotFoundException): create it there (pk and sk of type String, TTL on "ttl": see "Creating the table" in the @credkit/storage-dynamodb README), or let the server create it at start with CREDKIT_DYNAMODB_CREATE_TABLE=true (in a region map: "createTable": true)`;
  }
  if (cause.name === notDynamoDbName) {
    return 'the endpoint answered, but not as DynamoDB does (no ConsumedCapacity in its answer): another service is listening there; check CREDKIT_DYNAMODB_ENDPOINT (in a region map: "endpoint")';
  }
  // ioredis gives up a command with MaxRetriesPerRequestError when it cannot (re)connect.
  if (
    ["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "ECONNRESET"].includes(cause.code ?? "") ||
    cause.name === "MaxRetriesPerRequestError"
  ) {
    const setting =
      storage.storage === "dynamodb"
        ? 'CREDKIT_DYNAMODB_ENDPOINT (in a region map: "endpoint")'
        : storage.storage === "redis"
          ? 'CREDKIT_REDIS_URL / CREDKIT_REDIS_CLUSTER_NODES / CREDKIT_REDIS_SENTINELS (in a region map: "url" / "clusterNodes" / "sentinels")'
          : "the store's address";
    return `nothing answers there (${what}): start it, or check ${setting}`;
  }
  if (cause.name === "CredentialsProviderError") {
    // No credentials were found at all: nothing reached AWS, so nothing was refused.
    return `no AWS credentials found (${what}): set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run with a role`;
  }
  if (["UnrecognizedClientException", "InvalidSignatureException"].includes(cause.name ?? "")) {
    return `AWS refused the credentials (${what}): set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or an AWS profile or role`;
  }
  if (cause.name === "AccessDeniedException") {
    return `AWS denied access (${what}): grant the role dynamodb:GetItem, BatchGetItem, PutItem, Query, TransactWriteItems on the table`;
  }
  // The code or name only: a cause's message could echo a connection string.
  return `${what}: see the store's own documentation for this error`;
}

/** One store's line of a start failure: where it is, the regions it serves, why it failed, what to set. */
export function failureLine(group: StoreGroup, error: unknown): string {
  return `${describeStorage(group.storage)} [${regionList(group.regions)}]: ${explainFailure(group.storage, error)}`;
}

/** A start failure of one or more stores, one line per store (not per region it serves). */
export function storeStartError(failures: { group: StoreGroup; error: unknown }[]): CredkitError {
  const lines = failures.map((f) => ({ regions: f.group.regions, line: failureLine(f.group, f.error) }));
  return new CredkitError(
    "CONFIGURATION_ERROR",
    `A store failed its start check:\n${lines.map((l) => `  - ${l.line}`).join("\n")}`,
    { errors: lines.map((l) => ({ path: `regions.${l.regions.join(",")}`, message: l.line })) },
  );
}

/**
 * Pings every distinct store once and throws {@link storeStartError} naming each failing store once
 * (with the regions it serves), its endpoint, table, why and what to set, rather than starting a server
 * that answers 503 to everything.
 */
export async function checkStores(
  config: Record<string, StorageConfig>,
  opened: { regions: Record<string, CredentialStore> },
): Promise<void> {
  const results = await Promise.all(
    storeGroups(config).map(async (group) => {
      const store = opened.regions[group.regions[0] as string] as CredentialStore;
      return store.ping().then(
        () => null,
        (error: unknown) => ({ group, error: error ?? "error" }),
      );
    }),
  );
  const failures = results.filter((r) => r !== null);
  if (failures.length > 0) throw storeStartError(failures);
}
