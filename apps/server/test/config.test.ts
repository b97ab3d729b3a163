import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";

const key = Buffer.alloc(32, 7).toString("base64");
const problems = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    return error as { code: string; message: string; errors: { path: string; message: string }[] };
  }
  throw new Error("expected a configuration error");
};

describe("server configuration", () => {
  it("defaults to port 3000 and every AWS region on the memory store", () => {
    const config = loadConfig({});
    expect(config.http.port).toBe(3000);
    expect(Object.keys(config.regions)).toEqual(
      expect.arrayContaining(["us-east-1", "eu-west-1", "ap-southeast-2"]),
    );
    expect(new Set(Object.values(config.regions).map((s) => s.storage))).toEqual(new Set(["memory"]));
    // No implicit default: a create without `region` gets a 400 naming it (first-run.test.ts).
    expect(config.service.defaultRegion).toBeUndefined();
    expect(config.tokens).toBeNull();
    expect(config.keyring).toBeNull();
    // Left to core (600 s) when unset; given in seconds, passed on as the milliseconds core takes.
    expect(config.service.pendingAuthorizationTtlMs).toBeUndefined();
    expect(loadConfig({ CREDKIT_OAUTH_PENDING_TTL_SECONDS: "120" }).service.pendingAuthorizationTtlMs).toBe(
      120_000,
    );
  });

  it("lets the storage-wide variables default the region map's entries; an entry's own field wins", () => {
    const config = loadConfig({
      CREDKIT_MASTER_KEY: key,
      CREDKIT_DYNAMODB_TABLE: "shared-table",
      CREDKIT_DYNAMODB_ENDPOINT: "http://127.0.0.1:8000",
      CREDKIT_DYNAMODB_CREATE_TABLE: "true",
      CREDKIT_REDIS_URL: "redis://127.0.0.1:6379",
      CREDKIT_REDIS_KEY_PREFIX: "ck:",
      CREDKIT_REGIONS: JSON.stringify({
        "eu-west-1": { storage: "dynamodb" },
        "us-east-1": {
          storage: "dynamodb",
          table: "own-table",
          endpoint: "http://10.0.0.1:8000",
          createTable: false,
        },
        "eu-central-1": { storage: "redis" },
        "ap-south-1": { storage: "redis", clusterNodes: ["10.0.0.2:7000"] },
      }),
    });
    expect(config.regions["eu-west-1"]).toEqual({
      storage: "dynamodb",
      table: "shared-table",
      endpoint: "http://127.0.0.1:8000",
      createTable: true,
      region: "eu-west-1",
    });
    expect(config.regions["us-east-1"]).toEqual({
      storage: "dynamodb",
      table: "own-table",
      endpoint: "http://10.0.0.1:8000",
      createTable: false,
      region: "us-east-1",
    });
    expect(config.regions["eu-central-1"]).toEqual({
      storage: "redis",
      url: "redis://127.0.0.1:6379",
      keyPrefix: "ck:",
    });
    expect(config.regions["ap-south-1"]).toEqual({
      storage: "redis",
      clusterNodes: ["10.0.0.2:7000"],
      keyPrefix: "ck:",
    });
  });

  it("serves one region from a DynamoDB table without a region map: the AWS region it lives in", () => {
    const config = loadConfig({
      CREDKIT_STORAGE: "dynamodb",
      CREDKIT_DYNAMODB_TABLE: "credkit",
      AWS_REGION: "us-east-1",
      CREDKIT_MASTER_KEY: key,
    });
    expect(config.regions).toEqual({
      "us-east-1": { storage: "dynamodb", table: "credkit", region: "us-east-1" },
    });
  });

  it("lets regions share one store only when CREDKIT_REGIONS says so: * or a list", () => {
    const redis = {
      CREDKIT_STORAGE: "redis",
      CREDKIT_REDIS_URL: "redis://127.0.0.1:6379",
      CREDKIT_MASTER_KEY: key,
    };
    const message = problems(redis).message;
    expect(message).toContain("CREDKIT_REGIONS=*");
    expect(message).toContain("CREDKIT_REGIONS=eu-west-1");
    const every = loadConfig({ ...redis, CREDKIT_REGIONS: "*" });
    expect(Object.keys(every.regions)).toHaveLength(38);
    expect(new Set(Object.values(every.regions).map((s) => JSON.stringify(s))).size).toBe(1);
    const listed = loadConfig({ ...redis, CREDKIT_REGIONS: " eu-west-1 , eu-central-1,eu-west-1" });
    expect(Object.keys(listed.regions).sort()).toEqual(["eu-central-1", "eu-west-1"]);
    // The old behaviour of a DynamoDB table, deliberately: every region in the one table of AWS_REGION.
    const table = loadConfig({
      CREDKIT_STORAGE: "dynamodb",
      CREDKIT_DYNAMODB_TABLE: "credkit",
      AWS_REGION: "us-east-1",
      CREDKIT_MASTER_KEY: key,
      CREDKIT_REGIONS: "*",
    });
    expect(Object.keys(table.regions)).toHaveLength(38);
    expect(table.regions["eu-west-1"]).toEqual({
      storage: "dynamodb",
      table: "credkit",
      region: "us-east-1",
    });
  });

  it("reads tokens, keys and a region map", () => {
    const config = loadConfig({
      PORT: "8080",
      CREDKIT_USER_TOKENS: JSON.stringify([
        { token: "t".repeat(20), userId: "u", clientIds: ["acme"], scopes: ["resolve"] },
      ]),
      CREDKIT_MASTER_KEY: key,
      CREDKIT_REGIONS: JSON.stringify({
        "eu-west-1": { storage: "redis", url: "redis://127.0.0.1:6379" },
        "us-east-1": { storage: "memory" },
      }),
    });
    expect(config.http.port).toBe(8080);
    expect(config.tokens?.[0]).toMatchObject({ userId: "u", clientIds: ["acme"], scopes: ["resolve"] });
    expect(Object.keys(config.regions).sort()).toEqual(["eu-west-1", "us-east-1"]);
    expect(config.service.defaultRegion).toBeUndefined();
  });

  it.each([
    [{ PORT: "http" }, "PORT"],
    [{ CREDKIT_USER_TOKENS: "[{" }, "CREDKIT_USER_TOKENS"],
    [
      { CREDKIT_USER_TOKENS: JSON.stringify([{ token: "short", userId: "u", clientIds: "*" }]) },
      "CREDKIT_USER_TOKENS.0.token",
    ],
    [
      { CREDKIT_USER_TOKENS: JSON.stringify([{ token: "t".repeat(20), userId: "u", clientIds: [] }]) },
      "CREDKIT_USER_TOKENS.0.clientIds",
    ],
    [{ CREDKIT_STORAGE: "postgres" }, "CREDKIT_STORAGE"],
    [{ CREDKIT_STORAGE: "redis" }, "CREDKIT_REDIS_URL"],
    [{ CREDKIT_STORAGE: "redis", CREDKIT_REDIS_URL: "redis://127.0.0.1:6379" }, "CREDKIT_REGIONS"],
    [
      { CREDKIT_STORAGE: "dynamodb", CREDKIT_DYNAMODB_TABLE: "credkit", CREDKIT_MASTER_KEY: key },
      "AWS_REGION",
    ],
    [
      {
        CREDKIT_STORAGE: "dynamodb",
        CREDKIT_DYNAMODB_TABLE: "credkit",
        CREDKIT_MASTER_KEY: key,
        AWS_REGION: "US East (N. Virginia)",
      },
      "AWS_REGION",
    ],
    [{ CREDKIT_REGIONS: "eu-west-1,EU" }, "CREDKIT_REGIONS"],
    [{ CREDKIT_REGIONS: "eu-west-1;us-east-1" }, "CREDKIT_REGIONS"],
    [{ CREDKIT_REGIONS: "{not json" }, "CREDKIT_REGIONS"],
    [{ CREDKIT_STORAGE: "dynamodb", CREDKIT_MASTER_KEY: key }, "CREDKIT_DYNAMODB_TABLE"],
    [
      {
        CREDKIT_REGIONS: JSON.stringify({ "eu-west-1": { storage: "memory" } }),
        CREDKIT_DEFAULT_REGION: "us-east-1",
      },
      "CREDKIT_DEFAULT_REGION",
    ],
    [{ CREDKIT_REGIONS: JSON.stringify({ EU: { storage: "memory" } }) }, "CREDKIT_REGIONS.EU"],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL"],
    [{ CREDKIT_LOG_FORMAT: "xml" }, "CREDKIT_LOG_FORMAT"],
    // A missing http:// is the endpoint's fault, not CREDKIT_STORAGE's.
    [
      {
        CREDKIT_STORAGE: "dynamodb",
        CREDKIT_DYNAMODB_TABLE: "tbl",
        CREDKIT_DYNAMODB_ENDPOINT: "127.0.0.1:8000",
        CREDKIT_MASTER_KEY: key,
      },
      "CREDKIT_DYNAMODB_ENDPOINT",
    ],
    [{ CREDKIT_OUTBOUND_ALLOW_HOSTS: "127.0.0.1,10.0.0.0/99" }, "CREDKIT_OUTBOUND_ALLOW_HOSTS"],
    [{ CREDKIT_OAUTH_PENDING_TTL_SECONDS: "5" }, "CREDKIT_OAUTH_PENDING_TTL_SECONDS"],
    [{ CREDKIT_OAUTH_PENDING_TTL_SECONDS: "ten minutes" }, "CREDKIT_OAUTH_PENDING_TTL_SECONDS"],
  ])("names the variable at fault: %j", (env, path) => {
    const error = problems(env);
    expect(error.code).toBe("CONFIGURATION_ERROR");
    expect(error.errors[0]?.path).toBe(path);
    expect(error.message).toContain(path);
  });

  it("refuses a durable store without a master key, saying how to make one", () => {
    const error = problems({
      CREDKIT_STORAGE: "redis",
      CREDKIT_REDIS_URL: "redis://127.0.0.1:6379",
      CREDKIT_REGIONS: "eu-west-1",
    });
    expect(error.errors[0]?.path).toBe("CREDKIT_MASTER_KEY");
    expect(error.message).toContain("keygen");
  });

  it("never echoes a token value in its errors", () => {
    const error = problems({
      CREDKIT_USER_TOKENS: JSON.stringify([{ token: "tok-SECRET-1", userId: "u", clientIds: "*" }]),
    });
    expect(error.message).not.toContain("tok-SECRET-1");
  });
});

describe("the hardening limits (issue 10)", () => {
  it("defaults the data plane off and failed authentications to 60 per address", () => {
    const config = loadConfig({});
    expect(config.rateLimits).toEqual({
      perMinute: 1200,
      dataPlanePerMinute: 0,
      authFailuresPerMinute: 60,
      publicPerMinute: 300,
    });
    expect(config.http.trustedProxies).toEqual([]);
    expect(config.authz.failuresPerMinute).toBe(60);
    // Core's defaults (30 s JWKS cooldown, 16 characters) apply: the server passes nothing.
    expect(config.service).toEqual({ jwks: {}, nearCache: {}, expiryEvents: {} });
  });

  it("reads the proxy secret minimum (issue 20), refusing 0 and what is not an integer", () => {
    expect(loadConfig({ CREDKIT_MIN_PROXY_SECRET_LENGTH: "8" }).service.minProxySecretLength).toBe(8);
    for (const bad of ["0", "-1", "x", "1.5"]) {
      expect(() => loadConfig({ CREDKIT_MIN_PROXY_SECRET_LENGTH: bad })).toThrow(
        /CREDKIT_MIN_PROXY_SECRET_LENGTH/,
      );
    }
  });

  it("reads trusted proxies and refuses what is not an address, a CIDR or a named range", () => {
    expect(
      loadConfig({ CREDKIT_TRUSTED_PROXIES: "loopback, 10.0.0.0/8,fd00::1" }).http.trustedProxies,
    ).toEqual(["loopback", "10.0.0.0/8", "fd00::1"]);
    for (const bad of ["*", "10.0.0.0/33", "proxy.internal", "10.0.0.1:80"]) {
      expect(() => loadConfig({ CREDKIT_TRUSTED_PROXIES: bad })).toThrow(/CREDKIT_TRUSTED_PROXIES/);
    }
    expect(() => loadConfig({ CREDKIT_DATA_PLANE_RATE_LIMIT_PER_MINUTE: "-1" })).toThrow(
      /CREDKIT_DATA_PLANE_RATE_LIMIT_PER_MINUTE/,
    );
  });
});

describe("credential lifetimes", () => {
  it("reads the retention, the warning lead times and the sweep period as milliseconds", () => {
    const config = loadConfig({
      CREDKIT_EXPIRED_RETENTION_SECONDS: "0",
      CREDKIT_EXPIRY_WARNING_SECONDS: "604800, 3600",
      CREDKIT_EXPIRY_SWEEP_SECONDS: "5",
    });
    expect(config.service.expiredRetentionMs).toBe(0);
    expect(config.service.expiryEvents).toEqual({ leadTimesMs: [604_800_000, 3_600_000] });
    expect(config.expiry).toEqual({ sweepMs: 5000 });
    expect(loadConfig({}).expiry).toEqual({ sweepMs: 60_000 });
  });

  it.each([
    ["CREDKIT_EXPIRED_RETENTION_SECONDS", "-1"],
    ["CREDKIT_EXPIRED_RETENTION_SECONDS", "1e99"],
    ["CREDKIT_EXPIRY_WARNING_SECONDS", "0"],
    ["CREDKIT_EXPIRY_WARNING_SECONDS", "1,,x"],
    ["CREDKIT_EXPIRY_WARNING_SECONDS", ","],
    ["CREDKIT_EXPIRY_WARNING_SECONDS", Array.from({ length: 11 }, (_, i) => i + 1).join(",")],
    ["CREDKIT_EXPIRY_SWEEP_SECONDS", "0"],
    ["CREDKIT_EXPIRY_SWEEP_SECONDS", "86401"],
  ])("refuses %s=%s naming it", (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });
});
