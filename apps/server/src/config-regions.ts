import { isCredkitError } from "@credkit/core";
import { problem, validated } from "./config-parsers.js";
import { defaultRegions, fileConfigSchema, type StorageConfig, storageSchema } from "./config-schema.js";
import { type TableValues, variableAt } from "./config-table.js";

type StorageValues = TableValues["storage"];

/** The served regions, each with its storage, and the region a create without one goes to. */
export interface ResolvedRegions {
  regions: Record<string, StorageConfig>;
  defaultRegion: string | undefined;
}

/**
 * The served regions from `CREDKIT_REGIONS`, else the file's `regions`, else the one store
 * `CREDKIT_STORAGE` describes; the storage-wide variables (read once, by the table) are the defaults of
 * every region map entry and the fields of the one store alike, so both read them the same way.
 */
export function resolveRegions(storage: StorageValues, defaultRegion: string | undefined): ResolvedRegions {
  refuseTwoRedisConnections(storage);
  const file =
    storage.file === undefined
      ? {}
      : validated("CREDKIT_CONFIG", fileConfigSchema, withMapDefaults(storage.file, storage, "regions"));
  const setting = storage.regions;
  const regionMap =
    setting && "map" in setting
      ? validated(
          "CREDKIT_REGIONS",
          fileConfigSchema.shape.regions,
          entriesWithDefaults(setting.map, storage),
        )
      : setting
        ? undefined
        : file.regions;
  const regions =
    regionMap && Object.keys(regionMap).length > 0
      ? withTableRegions(regionMap)
      : regionsOfOneStore(storage, setting && "list" in setting ? setting.list : undefined);

  // Only an explicit choice fills a create's missing `region`: otherwise it is required (400 naming it),
  // so no credential lands in a region its owner did not name.
  const chosen = defaultRegion ?? file.defaultRegion;
  if (chosen !== undefined && !Object.hasOwn(regions, chosen)) {
    throw problem(
      "CREDKIT_DEFAULT_REGION",
      `must be one of the served regions (${Object.keys(regions).join(", ")})`,
    );
  }
  return { regions, defaultRegion: chosen };
}

/**
 * One Redis connection for the storage-wide variables: with two (a URL and Sentinels), which one a
 * region map entry or the one store would use is a guess, so neither is.
 */
function refuseTwoRedisConnections(storage: StorageValues): void {
  const { url, clusterNodes, sentinels } = storage.redis;
  if ([url, clusterNodes, sentinels].filter((set) => set !== undefined).length > 1) {
    throw problem(
      "CREDKIT_REDIS_URL",
      "set only one of CREDKIT_REDIS_URL, CREDKIT_REDIS_CLUSTER_NODES, CREDKIT_REDIS_SENTINELS",
    );
  }
}

/** Drops the fields left unset, so an entry's own field and a package's default both stay possible. */
function defined(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

/** The Redis connection of the storage-wide variables: a URL, cluster nodes, or Sentinels with their name and passwords. */
function redisConnection(redis: StorageValues["redis"]): Record<string, unknown> {
  const { url, clusterNodes, sentinels, sentinelName, sentinelPassword, password } = redis;
  if (sentinels) return defined({ sentinels, sentinelName, sentinelPassword, password });
  return defined({ url, clusterNodes });
}

/** The storage-wide variables as the fields of a storage entry of `kind` (connection left out). */
function kindDefaults(kind: unknown, storage: StorageValues): Record<string, unknown> {
  if (kind === "dynamodb") {
    const { table, endpoint, createTable } = storage.dynamodb;
    return defined({ table, endpoint, createTable });
  }
  if (kind === "redis") {
    const { keyPrefix, waitReplicas, waitTimeoutMs } = storage.redis;
    return defined({ keyPrefix, waitReplicas, waitTimeoutMs });
  }
  return {};
}

/**
 * A region map's entries with the storage-wide variables as defaults, applied to the raw JSON before it
 * is validated: an entry's own field always wins, so one DynamoDB Local endpoint or one table name need
 * not be repeated in every entry. A Redis entry without a connection of its own takes the variables'.
 */
function entriesWithDefaults(map: unknown, storage: StorageValues): unknown {
  if (typeof map !== "object" || map === null || Array.isArray(map)) return map;
  return Object.fromEntries(
    Object.entries(map).map(([region, entry]) => {
      if (typeof entry !== "object" || entry === null) return [region, entry];
      const kind = (entry as { storage?: unknown }).storage;
      const ownConnection = "url" in entry || "clusterNodes" in entry || "sentinels" in entry;
      const connection = kind === "redis" && !ownConnection ? redisConnection(storage.redis) : {};
      return [region, { ...kindDefaults(kind, storage), ...connection, ...entry }];
    }),
  );
}

/** A configuration file with the storage-wide variables as its region map's defaults. */
function withMapDefaults(file: unknown, storage: StorageValues, key: "regions"): unknown {
  if (typeof file !== "object" || file === null || !(key in file)) return file;
  return { ...file, [key]: entriesWithDefaults((file as Record<string, unknown>)[key], storage) };
}

/**
 * The regions one store (`CREDKIT_STORAGE`) serves without a region map. Several regions share it only
 * when the operator says so (`CREDKIT_REGIONS=*` or a list): otherwise a durable store serves the one
 * region it can honestly serve, so no credential lands in another region's store unannounced.
 * - memory: every region (development; the start line says they share one in-process store);
 * - dynamodb: the AWS region of its table (`AWS_REGION`): the table lives there, and only there;
 * - redis: nothing implicit (a Redis URL names no region): `CREDKIT_REGIONS` is required.
 */
function regionsOfOneStore(
  storage: StorageValues,
  listed: string[] | undefined,
): Record<string, StorageConfig> {
  const store = oneStore(storage);
  const served = listed ?? defaultServedRegions(store);
  return Object.fromEntries(served.map((region) => [region, store]));
}

/** The one store `CREDKIT_STORAGE` describes, from the same storage-wide variables. */
function oneStore(storage: StorageValues): StorageConfig {
  const kind = storage.kind;
  const candidate = {
    storage: kind,
    ...kindDefaults(kind, storage),
    ...(kind === "redis" ? redisConnection(storage.redis) : {}),
    // Where the SDK would look anyway, made explicit so the start line and the served region say it.
    ...(kind === "dynamodb" ? defined({ region: storage.dynamodb.region }) : {}),
  };
  if (kind === "redis" && !("url" in candidate || "clusterNodes" in candidate || "sentinels" in candidate)) {
    throw problem(
      "CREDKIT_REDIS_URL",
      "is required with CREDKIT_STORAGE=redis (or set CREDKIT_REDIS_CLUSTER_NODES, or CREDKIT_REDIS_SENTINELS)",
    );
  }
  if (kind === "dynamodb" && !("table" in candidate)) {
    throw problem("CREDKIT_DYNAMODB_TABLE", "is required with CREDKIT_STORAGE=dynamodb");
  }
  try {
    return validated("CREDKIT_STORAGE", storageSchema, candidate);
  } catch (error) {
    // Blame the variable that holds the bad value (a missing http://), found through the table.
    const first = isCredkitError(error) ? error.errors?.[0] : undefined;
    const field = first?.path.replace(/^CREDKIT_STORAGE\./, "").split(".")[0];
    const variable = field === undefined ? undefined : variableAt(`storage.${kind}.${field}`);
    if (first && variable) throw problem(variable, first.message);
    throw error;
  }
}

/** The regions a store serves when `CREDKIT_REGIONS` is not set (see {@link regionsOfOneStore}). */
function defaultServedRegions(storage: StorageConfig): string[] {
  switch (storage.storage) {
    case "memory":
      return [...defaultRegions];
    case "dynamodb":
      if (storage.region) return [storage.region];
      throw problem(
        "AWS_REGION",
        "is required with CREDKIT_STORAGE=dynamodb: the table lives in that AWS region and serves that region only. To serve other regions, map each to a table in its own AWS region with CREDKIT_REGIONS (a JSON region map), or let them share this one table with CREDKIT_REGIONS=* (or a list such as eu-west-1,us-east-1)",
      );
    case "redis":
      throw problem(
        "CREDKIT_REGIONS",
        "is required with CREDKIT_STORAGE=redis: a Redis has no region of its own, so name the region(s) it serves: one (CREDKIT_REGIONS=eu-west-1), several sharing it (CREDKIT_REGIONS=eu-west-1,eu-central-1), every region sharing it (CREDKIT_REGIONS=*, the default before this release), or a JSON region map",
      );
  }
}

/** In a region map, a DynamoDB table lives in the AWS region of the same name unless told otherwise. */
function withTableRegions(map: Record<string, StorageConfig>): Record<string, StorageConfig> {
  return Object.fromEntries(
    Object.entries(map).map(([region, storage]) => [
      region,
      storage.storage === "dynamodb" ? { ...storage, region: storage.region ?? region } : storage,
    ]),
  );
}
