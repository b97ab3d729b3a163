// The configuration from one table (issue 21, item 3): each rule that two places used to decide
// differently, pinned to the one behaviour kept (docs/configuration.md says which).
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";

const key = Buffer.alloc(32, 7).toString("base64");
const problems = (env: Record<string, string | undefined>) => {
  try {
    loadConfig(env);
  } catch (error) {
    return error as { code: string; message: string; errors: { path: string; message: string }[] };
  }
  throw new Error("expected a configuration error");
};

const redisMap = JSON.stringify({ "eu-west-1": { storage: "redis" } });
const dynamoMap = JSON.stringify({ "eu-west-1": { storage: "dynamodb", table: "credkit" } });

describe("CREDKIT_REDIS_CLUSTER_NODES, parsed once", () => {
  const nodes = " 10.0.0.1:7000, 10.0.0.2:7001,";

  it("gives the same nodes to the one store and to a region map's entries", () => {
    const one = loadConfig({
      CREDKIT_MASTER_KEY: key,
      CREDKIT_STORAGE: "redis",
      CREDKIT_REGIONS: "eu-west-1",
      CREDKIT_REDIS_CLUSTER_NODES: nodes,
    });
    const mapped = loadConfig({
      CREDKIT_MASTER_KEY: key,
      CREDKIT_REGIONS: redisMap,
      CREDKIT_REDIS_CLUSTER_NODES: nodes,
    });
    const expected = { storage: "redis", clusterNodes: ["10.0.0.1:7000", "10.0.0.2:7001"] };
    expect(one.regions["eu-west-1"]).toEqual(expected);
    expect(mapped.regions["eu-west-1"]).toEqual(expected);
  });

  it("refuses a node that is not host:port naming the variable, with or without a region map", () => {
    for (const env of [
      { CREDKIT_STORAGE: "redis", CREDKIT_REGIONS: "eu-west-1" },
      { CREDKIT_REGIONS: redisMap },
    ]) {
      const error = problems({
        ...env,
        CREDKIT_MASTER_KEY: key,
        CREDKIT_REDIS_CLUSTER_NODES: "10.0.0.1:7000,10.0.0.2",
      });
      expect(error.errors).toEqual([
        { path: "CREDKIT_REDIS_CLUSTER_NODES", message: "must be host:port addresses separated by commas" },
      ]);
    }
  });

  it("counts a list with no node as unset, in both places", () => {
    for (const env of [
      { CREDKIT_STORAGE: "redis", CREDKIT_REGIONS: "eu-west-1" },
      { CREDKIT_REGIONS: redisMap },
    ]) {
      const error = problems({ ...env, CREDKIT_MASTER_KEY: key, CREDKIT_REDIS_CLUSTER_NODES: " , " });
      // Either way a connection is missing (a region map's entry never falls back to a local Redis).
      expect(error.errors[0]?.path).toMatch(/^CREDKIT_REDIS_URL$|^CREDKIT_REGIONS\.eu-west-1\.url$/);
    }
  });
});

describe("CREDKIT_DYNAMODB_CREATE_TABLE, strict everywhere", () => {
  it("refuses `yes` naming the variable with the one store and with a region map (it was false there)", () => {
    for (const env of [
      { CREDKIT_STORAGE: "dynamodb", CREDKIT_DYNAMODB_TABLE: "credkit", AWS_REGION: "eu-west-1" },
      { CREDKIT_REGIONS: dynamoMap },
    ]) {
      for (const bad of ["yes", "no", "on", "2"]) {
        const error = problems({ ...env, CREDKIT_MASTER_KEY: key, CREDKIT_DYNAMODB_CREATE_TABLE: bad });
        expect(error.errors).toEqual([
          { path: "CREDKIT_DYNAMODB_CREATE_TABLE", message: "must be true or false" },
        ]);
      }
    }
  });

  it("reads true/1 and false/0 in any case, the same in both places", () => {
    for (const [raw, value] of [
      ["TRUE", true],
      ["1", true],
      ["False", false],
      ["0", false],
    ] as const) {
      const one = loadConfig({
        CREDKIT_MASTER_KEY: key,
        CREDKIT_STORAGE: "dynamodb",
        CREDKIT_DYNAMODB_TABLE: "credkit",
        AWS_REGION: "eu-west-1",
        CREDKIT_DYNAMODB_CREATE_TABLE: raw,
      });
      const mapped = loadConfig({
        CREDKIT_MASTER_KEY: key,
        CREDKIT_REGIONS: dynamoMap,
        CREDKIT_DYNAMODB_CREATE_TABLE: raw,
      });
      expect(one.regions["eu-west-1"]).toMatchObject({ createTable: value });
      expect(mapped.regions["eu-west-1"]).toMatchObject({ createTable: value });
    }
  });
});

describe("one Redis connection among the storage-wide variables", () => {
  it("refuses a URL beside cluster nodes or Sentinels, with the one store and with a region map", () => {
    for (const env of [
      { CREDKIT_STORAGE: "redis", CREDKIT_REGIONS: "eu-west-1" },
      { CREDKIT_REGIONS: redisMap },
    ]) {
      for (const second of [
        { CREDKIT_REDIS_CLUSTER_NODES: "10.0.0.1:7000" },
        { CREDKIT_REDIS_SENTINELS: "10.0.0.1:26379", CREDKIT_REDIS_SENTINEL_NAME: "m" },
      ]) {
        const error = problems({
          ...env,
          ...second,
          CREDKIT_MASTER_KEY: key,
          CREDKIT_REDIS_URL: "redis://10.0.0.9:6379",
        });
        expect(error.errors[0]?.path).toBe("CREDKIT_REDIS_URL");
        expect(error.message).toContain("set only one of");
      }
    }
  });
});

describe("durable: a store that is not memory, decided once", () => {
  const mixed = JSON.stringify({
    "eu-west-1": { storage: "redis", url: "redis://10.0.0.9:6379" },
    "us-east-1": { storage: "memory" },
  });

  it("a map with one durable region needs a key; with one memory region it refuses workers", () => {
    expect(problems({ CREDKIT_REGIONS: mixed }).errors[0]?.path).toBe("CREDKIT_MASTER_KEY");
    const tokens = JSON.stringify([{ token: "t".repeat(20), userId: "u", clientIds: "*" }]);
    const workers = problems({
      CREDKIT_REGIONS: mixed,
      CREDKIT_MASTER_KEY: key,
      CREDKIT_USER_TOKENS: tokens,
      CREDKIT_WORKERS: "2",
    });
    expect(workers.errors[0]?.path).toBe("CREDKIT_WORKERS");
  });
});

describe("the rate limit per token", () => {
  it("is stored once, where the rate limiter reads it", () => {
    const config = loadConfig({ CREDKIT_RATE_LIMIT_PER_MINUTE: "5" });
    expect(config.rateLimits.perMinute).toBe(5);
    expect(config).not.toHaveProperty("rateLimitPerMinute");
    expect(config).not.toHaveProperty("limits");
  });
});

describe("reading the table", () => {
  it("names every bad variable in one error, in table order, never echoing a value", () => {
    const error = problems({
      PORT: "http",
      CREDKIT_BODY_LIMIT: "lots-SECRET",
      CREDKIT_AUTHZ_PORT: "70000",
      CREDKIT_DYNAMODB_CREATE_TABLE: "yes",
    });
    expect(error.errors.map((e) => e.path)).toEqual([
      "PORT",
      "CREDKIT_DYNAMODB_CREATE_TABLE",
      "CREDKIT_BODY_LIMIT",
      "CREDKIT_AUTHZ_PORT",
    ]);
    expect(error.message).not.toContain("SECRET");
  });

  it("counts an empty variable as unset, whatever its kind", () => {
    const config = loadConfig({
      LOG_LEVEL: "",
      CREDKIT_STORAGE: "",
      CREDKIT_BODY_LIMIT: "",
      PORT: "",
      CREDKIT_AUTHZ_PORT: "",
      CREDKIT_REGIONS: "",
    });
    expect(config.log.level).toBe("info");
    expect(config.http.port).toBe(3000);
    expect(config.router).not.toHaveProperty("bodyLimit");
    expect(config.authz).not.toHaveProperty("port");
    expect(Object.keys(config.regions)).toHaveLength(38);
  });

  it("checks AWS_REGION (the SDK's variable, set by other tools too) only when the one store is DynamoDB", () => {
    expect(Object.keys(loadConfig({ AWS_REGION: "US East (N. Virginia)" }).regions)).toHaveLength(38);
    const error = problems({
      AWS_REGION: "US East (N. Virginia)",
      CREDKIT_STORAGE: "dynamodb",
      CREDKIT_DYNAMODB_TABLE: "credkit",
      CREDKIT_MASTER_KEY: key,
    });
    expect(error.errors.map((e) => e.path)).toEqual(["AWS_REGION"]);
  });

  it("passes the sections through as the packages' options, converting seconds to their milliseconds", () => {
    const config = loadConfig({
      CREDKIT_IDEMPOTENCY_TTL_SECONDS: "120",
      CREDKIT_REQUEST_TIMEOUT_MS: "1000",
      CREDKIT_BODY_LIMIT: "1mb",
      CREDKIT_JWKS_COOLDOWN_MS: "0",
      CREDKIT_DEFAULT_REGION: "eu-west-1",
    });
    expect(config.router).toEqual({ bodyLimit: "1mb", idempotency: { ttlMs: 120_000, inProgressMs: 6000 } });
    expect(config.service).toMatchObject({
      defaultRegion: "eu-west-1",
      jwks: { cooldownMs: 0 },
      nearCache: {},
    });
    // Nothing the variables did not set: the packages' own defaults stay in force.
    expect(config.service.nearCache).toEqual({});
    expect(config.service).not.toHaveProperty("pendingAuthorizationTtlMs");
  });

  it("keeps an idempotency claim at least as long as the request timeout", () => {
    const error = problems({
      CREDKIT_REQUEST_TIMEOUT_MS: "20000",
      CREDKIT_IDEMPOTENCY_IN_PROGRESS_MS: "19999",
    });
    expect(error.errors).toEqual([
      {
        path: "CREDKIT_IDEMPOTENCY_IN_PROGRESS_MS",
        message: "must be at least CREDKIT_REQUEST_TIMEOUT_MS (20000)",
      },
    ]);
    expect(
      loadConfig({ CREDKIT_REQUEST_TIMEOUT_MS: "20000", CREDKIT_IDEMPOTENCY_IN_PROGRESS_MS: "20000" }).router
        .idempotency.inProgressMs,
    ).toBe(20_000);
  });
});

describe("CREDKIT_WEBHOOK_IN_FLIGHT and CREDKIT_WEBHOOK_CLIENT_IN_FLIGHT", () => {
  it("default to 16 slots per process, the client bound left to the dispatcher (a quarter)", () => {
    expect(loadConfig({}).webhooks).toMatchObject({ batchSize: 16 });
    expect(loadConfig({}).webhooks).not.toHaveProperty("perClientInFlight");
    expect(
      loadConfig({ CREDKIT_WEBHOOK_IN_FLIGHT: "1000", CREDKIT_WEBHOOK_CLIENT_IN_FLIGHT: "1000" }).webhooks,
    ).toMatchObject({ batchSize: 1000, perClientInFlight: 1000 });
  });

  it("refuse 0, past 1000, and a client bound above the process's, naming the variable", () => {
    expect(
      problems({ CREDKIT_WEBHOOK_IN_FLIGHT: "0", CREDKIT_WEBHOOK_CLIENT_IN_FLIGHT: "1001" }).errors,
    ).toEqual([
      { path: "CREDKIT_WEBHOOK_IN_FLIGHT", message: "must be an integer from 1 to 1000" },
      { path: "CREDKIT_WEBHOOK_CLIENT_IN_FLIGHT", message: "must be an integer from 1 to 1000" },
    ]);
    expect(
      problems({ CREDKIT_WEBHOOK_IN_FLIGHT: "4", CREDKIT_WEBHOOK_CLIENT_IN_FLIGHT: "5" }).errors,
    ).toEqual([
      {
        path: "CREDKIT_WEBHOOK_CLIENT_IN_FLIGHT",
        message:
          "must be at most CREDKIT_WEBHOOK_IN_FLIGHT (4): one client cannot have more deliveries in flight than the process",
      },
    ]);
  });
});
