import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";

const key = Buffer.alloc(32, 7).toString("base64");
const base = { CREDKIT_STORAGE: "redis", CREDKIT_MASTER_KEY: key, CREDKIT_REGIONS: "eu-west-1" };
const problems = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    return error as { code: string; message: string; errors: { path: string; message: string }[] };
  }
  throw new Error("expected a configuration error");
};

describe("Redis Sentinel and WAIT configuration", () => {
  it("reads the Sentinels, the master's name, both passwords and the wait settings", () => {
    const config = loadConfig({
      ...base,
      CREDKIT_REDIS_SENTINELS: "10.0.0.1:26379, 10.0.0.2:26379,",
      CREDKIT_REDIS_SENTINEL_NAME: "mymaster",
      CREDKIT_REDIS_SENTINEL_PASSWORD: "sentinel-secret",
      CREDKIT_REDIS_PASSWORD: "data-secret",
      CREDKIT_REDIS_WAIT_REPLICAS: "2",
      CREDKIT_REDIS_WAIT_TIMEOUT_MS: "250",
    });
    expect(config.regions["eu-west-1"]).toEqual({
      storage: "redis",
      sentinels: ["10.0.0.1:26379", "10.0.0.2:26379"],
      sentinelName: "mymaster",
      sentinelPassword: "sentinel-secret",
      password: "data-secret",
      waitReplicas: 2,
      waitTimeoutMs: 250,
    });
  });

  it("gives region-map entries the Sentinel variables as defaults; an entry's own mode wins", () => {
    const config = loadConfig({
      CREDKIT_MASTER_KEY: key,
      CREDKIT_REDIS_SENTINELS: "10.0.0.1:26379",
      CREDKIT_REDIS_SENTINEL_NAME: "mymaster",
      CREDKIT_REDIS_WAIT_REPLICAS: "1",
      CREDKIT_REGIONS: JSON.stringify({
        "eu-west-1": { storage: "redis" },
        "us-east-1": { storage: "redis", url: "redis://10.0.0.9:6379" },
      }),
    });
    expect(config.regions["eu-west-1"]).toEqual({
      storage: "redis",
      sentinels: ["10.0.0.1:26379"],
      sentinelName: "mymaster",
      waitReplicas: 1,
    });
    expect(config.regions["us-east-1"]).toEqual({
      storage: "redis",
      url: "redis://10.0.0.9:6379",
      waitReplicas: 1,
    });
  });

  it("refuses Sentinels without a name, two modes at once, and out-of-range waits, naming the field", () => {
    const noName = problems({ ...base, CREDKIT_REDIS_SENTINELS: "10.0.0.1:26379" });
    expect(noName.errors).toEqual([
      { path: "CREDKIT_REDIS_SENTINEL_NAME", message: "is required with sentinels" },
    ]);
    const both = problems({
      ...base,
      CREDKIT_REDIS_URL: "redis://10.0.0.9:6379",
      CREDKIT_REDIS_SENTINELS: "10.0.0.1:26379",
      CREDKIT_REDIS_SENTINEL_NAME: "mymaster",
    });
    // Two connections at once are refused, with a region map too (see config.test.ts).
    expect(both.errors[0]?.path).toBe("CREDKIT_REDIS_URL");
    expect(both.message).toContain(
      "set only one of CREDKIT_REDIS_URL, CREDKIT_REDIS_CLUSTER_NODES, CREDKIT_REDIS_SENTINELS",
    );
    const badAddress = problems({
      ...base,
      CREDKIT_REDIS_SENTINELS: "10.0.0.1",
      CREDKIT_REDIS_SENTINEL_NAME: "m",
    });
    expect(badAddress.message).toContain("must be host:port");
    const badName = problems({
      ...base,
      CREDKIT_REDIS_SENTINELS: "10.0.0.1:26379",
      CREDKIT_REDIS_SENTINEL_NAME: "my master\n",
    });
    expect(badName.message).toContain("must be the master's name");
    for (const [name, value] of [
      ["CREDKIT_REDIS_WAIT_REPLICAS", "17"],
      ["CREDKIT_REDIS_WAIT_REPLICAS", "-1"],
      ["CREDKIT_REDIS_WAIT_REPLICAS", "1.5"],
      ["CREDKIT_REDIS_WAIT_TIMEOUT_MS", "0"],
      ["CREDKIT_REDIS_WAIT_TIMEOUT_MS", "99999999999999999999"],
    ] as const) {
      const error = problems({ ...base, CREDKIT_REDIS_URL: "redis://10.0.0.9:6379", [name]: value });
      expect(error.errors.map((e) => e.path)).toEqual([name]);
    }
  });

  it("never echoes a password in a configuration error", () => {
    const error = problems({
      ...base,
      CREDKIT_REDIS_SENTINELS: "10.0.0.1:26379",
      CREDKIT_REDIS_PASSWORD: "data-secret-value",
      CREDKIT_REDIS_SENTINEL_PASSWORD: "sentinel-secret-value",
    });
    expect(error.message).not.toContain("secret-value");
  });
});
