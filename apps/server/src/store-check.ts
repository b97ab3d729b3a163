import { type CredentialStore, CredkitError } from "@credkit/core";
import { notDynamoDbName } from "@credkit/storage-dynamodb";
import type { StorageConfig } from "./config-schema.js";

/** Where a region's store points, for an operator: kind, endpoint and table (never a password). */
export function describeStorage(storage: StorageConfig): string {
  switch (storage.storage) {
    case "memory":
      return "memory store";
    case "redis":
      return storage.clusterNodes
        ? `redis cluster ${storage.clusterNodes.join(",")}`
        : `redis ${redisAddress(storage.url ?? "")}`;
    case "dynamodb":
      return `dynamodb table "${storage.table}" at ${storage.endpoint ?? "the AWS endpoint"} (AWS region ${storage.region ?? "from AWS_REGION"})`;
  }
}

/**
 * A Redis URL reduced to scheme, host, port and database: the user part and the query (either may carry
 * a password) are dropped. The one redaction of store addresses, for the start check and the CLI.
 */
export function redisAddress(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname.length > 1 ? parsed.pathname : ""}`;
  } catch {
    return "(unparsable URL)";
  }
}

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

/** Why a store failed its start check, and what the operator can set about it. */
export function explainFailure(storage: StorageConfig, error: unknown): string {
  const cause = rootCause(error);
  const what = cause.code ?? cause.name ?? "error";
  if (cause.name === "ResourceNotFoundException") {
    return 'the table does not exist: create it, or let the server create it with CREDKIT_DYNAMODB_CREATE_TABLE=true (in a region map: "createTable": true)';
  }
  if (cause.name === notDynamoDbName) {
    return 'the endpoint answered, but not as DynamoDB does (no ConsumedCapacity in its answer): another service is listening there; check CREDKIT_DYNAMODB_ENDPOINT (in a region map: "endpoint")';
  }
  if (["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "ECONNRESET"].includes(cause.code ?? "")) {
    const setting =
      storage.storage === "dynamodb"
        ? 'CREDKIT_DYNAMODB_ENDPOINT (in a region map: "endpoint")'
        : storage.storage === "redis"
          ? 'CREDKIT_REDIS_URL / CREDKIT_REDIS_CLUSTER_NODES (in a region map: "url" / "clusterNodes")'
          : "the store's address";
    return `nothing answers there (${what}): start it, or check ${setting}`;
  }
  if (
    ["UnrecognizedClientException", "InvalidSignatureException", "CredentialsProviderError"].includes(
      cause.name ?? "",
    )
  ) {
    return `AWS refused the credentials (${what}): set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or an AWS profile or role`;
  }
  if (cause.name === "AccessDeniedException") {
    return `AWS denied access (${what}): grant the role dynamodb:GetItem, PutItem, Query, TransactWriteItems on the table`;
  }
  // The code or name only: a cause's message could echo a connection string.
  return `${what}: see the store's own documentation for this error`;
}

/** One region's line of a start failure: where its store points, why it failed, what to set. */
export function failureLine(storage: StorageConfig, error: unknown): string {
  return `${describeStorage(storage)}: ${explainFailure(storage, error)}`;
}

/** A start failure of one or more regions' stores, one line per region. */
export function storeStartError(failures: { region: string; line: string }[]): CredkitError {
  const lines = failures.map((f) => `  - region ${f.region}: ${f.line}`).join("\n");
  return new CredkitError("CONFIGURATION_ERROR", `A store failed its start check:\n${lines}`, {
    errors: failures.map((f) => ({ path: `regions.${f.region}`, message: f.line })),
  });
}

/**
 * Pings every distinct store once (a store several regions share is checked once and reported for each
 * of them) and throws {@link storeStartError} naming each failing region's store, endpoint, table, why
 * and what to set, rather than starting a server that answers 503 to everything.
 */
export async function checkStores(
  config: Record<string, StorageConfig>,
  opened: { regions: Record<string, CredentialStore> },
): Promise<void> {
  const regions = Object.fromEntries(
    Object.entries(config).map(([region, storage]) => [
      region,
      { storage, store: opened.regions[region] as CredentialStore },
    ]),
  );
  const pings = new Map<CredentialStore, Promise<unknown>>();
  for (const { store } of Object.values(regions)) {
    if (!pings.has(store))
      pings.set(
        store,
        store.ping().then(
          () => null,
          (error: unknown) => error ?? "error",
        ),
      );
  }
  const failures: { region: string; line: string }[] = [];
  for (const [region, { storage, store }] of Object.entries(regions)) {
    const error = await pings.get(store);
    if (error !== null) {
      failures.push({ region, line: failureLine(storage, error) });
    }
  }
  if (failures.length > 0) throw storeStartError(failures);
}
